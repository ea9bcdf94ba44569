/**
 * ConnectionSettings: what the connections of one mount share is resolved once per limits object and
 * handed to every connection of that mount, and resolved anew for other limits, routes or endpoints.
 */
import { describe, expect, it } from "vitest";
import { Runtime } from "../../../src/index.js";
import { VirtualClock } from "../../../src/runtime/clock/virtual-clock.js";
import { channelRouter } from "../../../src/server/channel/channel-route.js";
import { Channel } from "../../../src/server/channel/channel.js";
import type { EndpointContext } from "../../../src/server/endpoint/endpoint-context.js";
import { ConnectionSettings } from "../../../src/server/socket/connection-settings.js";
import type { SocketLimits } from "../../../src/server/socket/socket-server.js";

class Room extends Channel {
  override join(): void {}
}

/** The part of an endpoint the settings read: its runtime (for the idle sweeper). */
function endpointOn(runtime: Runtime): EndpointContext {
  return { runtime } as EndpointContext;
}

describe("ConnectionSettings", () => {
  const runtime = new Runtime({ clock: new VirtualClock() });
  const endpoint = endpointOn(runtime);
  const router = channelRouter([["room:*", Room]]);
  const limits: SocketLimits = { maxChannels: 10, idleTimeoutMs: 60_000, maxTopicLength: 100 };

  it("is one object for every connection of a mount, with the limits resolved", () => {
    const first = ConnectionSettings.of(endpoint, router, limits, "/socket");
    expect(ConnectionSettings.of(endpoint, router, limits, "/socket")).toBe(first);
    expect(first.maxTopicLength).toBe(100);
    expect(first.maxEventLength).toBe(Number.POSITIVE_INFINITY);
    expect(first.topicRateLimit).toBeNull();
    expect(first.idleSweeper).not.toBeNull();
    expect(first.path).toBe("/socket");
  });

  it("is resolved anew for other limits, routes, paths or endpoints", () => {
    const first = ConnectionSettings.of(endpoint, router, limits, "/socket");
    const noIdle = ConnectionSettings.of(endpoint, router, { ...limits, idleTimeoutMs: 0 }, "/socket");
    expect(noIdle).not.toBe(first);
    expect(noIdle.idleSweeper).toBeNull();
    expect(ConnectionSettings.of(endpoint, channelRouter([["room:*", Room]]), limits, "/socket")).not.toBe(first);
    expect(ConnectionSettings.of(endpoint, router, limits, "/other").path).toBe("/other");
    const elsewhere = ConnectionSettings.of(endpointOn(new Runtime({ clock: new VirtualClock() })), router, limits, "/socket");
    expect(elsewhere.endpoint).not.toBe(endpoint);
  });
});
