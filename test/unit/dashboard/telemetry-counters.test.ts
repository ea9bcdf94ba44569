// The dashboard's telemetry subscriber counts one endpoint's events per interval (other sources, the
// dashboard's own socket and topics are left out), keeps restarts and presence sizes across intervals,
// and unsubscribes when stopped.
import { afterEach, describe, expect, it } from "vitest";
import { TelemetryEvent, publish, telemetryChannels } from "../../../src/telemetry/events.js";
import { TelemetryCounters } from "../../../src/dashboard/telemetry-counters.js";

const mine = {};
const other = {};
const base = { source: mine, node: "a" };
const conn = { path: "/socket", transport: "websocket", address: "127.0.0.1", socketId: null };
const chan = (topic: string) => ({ ...base, topic, route: "room:*", channel: "RoomChannel", joinRef: "1", socketId: null, transport: "websocket" });

let counters: TelemetryCounters | undefined;
afterEach(() => counters?.stop());

function start(now = 0): TelemetryCounters {
  counters = new TelemetryCounters(
    {
      owns: (source) => source === mine,
      ownsPresence: (e) => e.node === "a",
      ownPath: "/dashboard/socket",
      ownTopic: (topic) => topic.startsWith("fenix:dashboard"),
    },
    now,
  );
  return counters;
}

describe("TelemetryCounters", () => {
  it("counts an interval's connects, joins, messages, crashes and cuts, then starts the next from zero", () => {
    const c = start(1_000);
    publish(TelemetryEvent.SOCKET_CONNECT, { ...base, ...conn, result: "ok", durationMs: 1 });
    publish(TelemetryEvent.SOCKET_CONNECT, { ...base, ...conn, result: "refused", durationMs: 1 });
    publish(TelemetryEvent.SOCKET_DISCONNECT, { ...base, ...conn, durationMs: 5, reason: "closed" });
    publish(TelemetryEvent.CHANNEL_JOIN, { ...chan("room:1"), result: "ok", durationMs: 1 });
    publish(TelemetryEvent.CHANNEL_JOIN, { ...chan("room:1"), result: "error", durationMs: 1 });
    publish(TelemetryEvent.CHANNEL_JOIN, { ...chan("room:1"), result: "crash", durationMs: 1 });
    publish(TelemetryEvent.CHANNEL_HANDLE_IN, { ...chan("room:1"), event: "msg", result: "reply", status: "ok", bytes: 2, durationMs: 0 });
    publish(TelemetryEvent.CHANNEL_HANDLE_INFO, { ...chan("room:1"), result: "ok", durationMs: 0 });
    publish(TelemetryEvent.CHANNEL_CRASH, { ...chan("room:1"), reason: "boom", error: new Error("boom"), during: "handleIn", durationMs: 3 });
    publish(TelemetryEvent.BROADCAST, { ...base, topic: "room:1", event: "msg", subscribers: 3, bytes: 90, remote: false });
    publish(TelemetryEvent.BROADCAST, { ...base, topic: "phx:presence", event: undefined, subscribers: 1, bytes: 0, remote: true });
    publish(TelemetryEvent.SLOW_CONSUMER, { ...base, ...conn, buffered: 9e6, limit: 8e6 });
    publish(TelemetryEvent.TRANSPORT_ERROR, { ...base, ...conn, code: "FENIX_ERR_SERVER_SLOW_CONSUMER", message: "slow", status: 1013 });
    publish(TelemetryEvent.TRANSPORT_ERROR, { ...base, ...conn, code: "FENIX_ERR_PROTOCOL_BAD_FRAME", message: "bad", status: 1007 });

    const first = c.take(1_500);
    expect(first).toMatchObject({
      intervalMs: 500,
      connectAttempts: 2,
      connects: 1,
      disconnects: 1,
      joins: 3,
      refusedJoins: 2,
      handledIn: 1,
      handledInfo: 1,
      crashes: 1,
      broadcasts: 1,
      broadcastBytes: 90,
      slowConsumers: 1,
      transportErrors: 1,
    });
    expect([...first.topicMessages]).toEqual([["room:1", 2]]);
    const second = c.take(2_500);
    expect(second).toMatchObject({ intervalMs: 1000, connects: 0, joins: 0, handledIn: 0, broadcasts: 0 });
    expect(second.topicMessages.size).toBe(0);
  });

  it("leaves out other endpoints, the dashboard's own socket and the dashboard's topics", () => {
    const c = start();
    publish(TelemetryEvent.SOCKET_CONNECT, { ...base, source: other, ...conn, result: "ok", durationMs: 1 });
    publish(TelemetryEvent.SOCKET_CONNECT, { ...base, ...conn, path: "/dashboard/socket", result: "ok", durationMs: 1 });
    publish(TelemetryEvent.CHANNEL_HANDLE_IN, { ...chan("fenix:dashboard"), event: "trace", result: "noreply", status: undefined, bytes: 2, durationMs: 0 });
    publish(TelemetryEvent.BROADCAST, { ...base, topic: "fenix:dashboard", event: "view", subscribers: 1, bytes: 900, remote: false });
    expect(c.take(1)).toMatchObject({ connectAttempts: 0, handledIn: 0, broadcasts: 0 });
  });

  it("keeps restart counts per supervisor and child, and presence sizes per topic, across intervals", () => {
    const c = start();
    const restart = (supervisor: string, child: string) =>
      publish(TelemetryEvent.SUPERVISOR_RESTART, { ...base, supervisor, child, pid: "<a.9>", reason: "boom" });
    restart("<a.1>", "rooms");
    restart("<a.1>", "rooms");
    restart("<a.5>", "child");
    c.take(1);
    expect(c.restarts("<a.1>", "rooms")).toBe(2);
    expect(c.restarts("<a.1>", "pubsub")).toBe(0);
    expect(c.restartsUnder("<a.5>")).toBe(1);

    publish(TelemetryEvent.PRESENCE_DIFF, { ...base, topic: "room:1", joins: 2, leaves: 0, size: 2 });
    publish(TelemetryEvent.PRESENCE_DIFF, { ...base, node: "b", topic: "room:2", joins: 1, leaves: 0, size: 1 });
    expect(c.presenceSize("room:1")).toBe(2);
    expect(c.presenceSize("room:2")).toBeUndefined();
    publish(TelemetryEvent.PRESENCE_DIFF, { ...base, topic: "room:1", joins: 0, leaves: 2, size: 0 });
    expect(c.presenceSize("room:1")).toBeUndefined();
  });

  it("unsubscribes from every event when stopped", () => {
    const c = start();
    expect(telemetryChannels[TelemetryEvent.CHANNEL_HANDLE_IN].hasSubscribers).toBe(true);
    c.stop();
    counters = undefined;
    for (const channel of Object.values(telemetryChannels)) expect(channel.hasSubscribers).toBe(false);
  });
});
