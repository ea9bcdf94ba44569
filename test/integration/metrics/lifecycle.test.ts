// enableMetrics and stop: options checked with stable codes, a registry of its own unless one is given,
// nothing subscribed to telemetry before enableMetrics or after stop, events of other endpoints and
// malformed payloads left out, and a scrape that fails with its code.
import { hasSubscribers } from "node:diagnostics_channel";
import { Counter, Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { enableMetrics, MetricsError, MetricsErrorCode, type Metrics, type MetricsEndpoint, type MetricsOptions } from "../../../src/metrics/index.js";
import { Pid } from "../../../src/runtime/process/pid.js";
import { Runtime } from "../../../src/runtime/process/runtime.js";
import type { ConnectionInfo } from "../../../src/server/endpoint/connection-info.js";
import { silentLogger } from "../../../src/server/endpoint/logger.js";
import { publish, TelemetryEvent, type ChannelHandledIn } from "../../../src/telemetry/events.js";
import { parseExposition, valueOf } from "./exposition.js";
import { RecordingLogger } from "./support.js";

/** An endpoint reduced to what the metrics read, with connections a test decides. */
function fakeEndpoint(connections: () => readonly ConnectionInfo[] = () => [], node = "test-node", logger = silentLogger as RecordingLogger | typeof silentLogger) {
  const runtime = new Runtime({ node });
  const endpoint = {
    node,
    runtime,
    logger,
    pubsub: { nodes: () => [node], status: "local" as const },
    connections,
    routes: () => [{ path: "/socket", socket: "S", websocket: "/socket/websocket", longpoll: null, channels: [{ pattern: "room:*", channel: "RoomChannel" }] }],
    route: () => undefined,
  } satisfies MetricsEndpoint;
  return endpoint;
}

const enabled: Metrics[] = [];
afterEach(() => {
  for (const m of enabled.splice(0)) m.stop();
});
function enable(endpoint: MetricsEndpoint, options?: MetricsOptions): Metrics {
  const m = enableMetrics(endpoint, options);
  enabled.push(m);
  return m;
}

function handledIn(source: object, node: string, durationMs: number): ChannelHandledIn {
  return {
    source,
    node,
    topic: "room:1",
    route: "room:*",
    channel: "RoomChannel",
    joinRef: "1",
    socketId: null,
    transport: "websocket",
    event: "say",
    result: "reply",
    status: "ok",
    bytes: 12,
    durationMs,
  };
}

describe("enableMetrics options", () => {
  it.each([
    ["a prefix starting with a digit", { prefix: "1fenix_" }],
    ["a prefix with a dash", { prefix: "my-app_" }],
    ["a relative path", { path: "metrics" }],
    ["a prefix path", { path: "/metrics/*" }],
    ["a check that is not a function", { check: true as unknown as MetricsOptions["check"] }],
    ["maxLabelValues 0", { maxLabelValues: 0 }],
    ["maxLabelValues 1.5", { maxLabelValues: 1.5 }],
    ["no buckets", { buckets: [] }],
    ["decreasing buckets", { buckets: [1, 0.5] }],
    ["a negative bucket", { buckets: [-1, 1] }],
    ["a registry that is not one", { registry: {} as Registry }],
  ] satisfies [string, MetricsOptions][])("refuses %s with FENIX_ERR_METRICS_BAD_OPTION", (_what, options) => {
    const attempt = () => enable(fakeEndpoint(), options);
    expect(attempt).toThrow(MetricsError);
    expect(attempt).toThrow(expect.objectContaining({ code: MetricsErrorCode.BAD_OPTION }));
  });

  it("uses a registry of its own with the node as default label, not the global one", async () => {
    const metrics = enable(fakeEndpoint(undefined, "n1"));
    const samples = parseExposition(await metrics.scrape());
    expect(samples.length).toBeGreaterThan(0);
    expect(samples.every((s) => s.labels.node === "n1")).toBe(true);
    const { register } = await import("prom-client");
    expect(register.getSingleMetric("fenix_connections")).toBeUndefined();
  });

  it("registers in a registry it is given, leaves its labels and metrics alone, and refuses a name taken there", async () => {
    const registry = new Registry();
    const own = new Counter({ name: "app_requests_total", help: "The app's own.", registers: [registry] });
    own.inc();
    const first = enable(fakeEndpoint(undefined, "a"), { registry });
    expect(() => enable(fakeEndpoint(undefined, "b"), { registry })).toThrow(expect.objectContaining({ code: MetricsErrorCode.NAME_TAKEN }));
    const second = enable(fakeEndpoint(undefined, "b"), { registry, prefix: "fenix_b_" });
    const samples = parseExposition(await registry.metrics());
    expect(valueOf(samples, "app_requests_total")).toBe(1);
    expect(valueOf(samples, "fenix_nodes")).toBe(1);
    expect(valueOf(samples, "fenix_b_nodes")).toBe(1);
    expect(samples.find((s) => s.name === "fenix_nodes")?.labels.node).toBeUndefined();
    first.stop();
    second.stop();
    expect(parseExposition(await registry.metrics()).map((s) => s.name)).toEqual(["app_requests_total"]);
  });
});

describe("telemetry subscriptions", () => {
  // Events the endpoint's own logger does not listen to: their channels have subscribers only for metrics.
  const metricsOnly = [
    TelemetryEvent.SOCKET_CONNECT,
    TelemetryEvent.SOCKET_DISCONNECT,
    TelemetryEvent.CHANNEL_JOIN,
    TelemetryEvent.CHANNEL_HANDLE_IN,
    TelemetryEvent.CHANNEL_HANDLE_INFO,
    TelemetryEvent.BROADCAST,
    TelemetryEvent.PRESENCE_DIFF,
    TelemetryEvent.SUPERVISOR_RESTART,
  ];

  it("exist only between enableMetrics and stop", () => {
    expect(metricsOnly.filter((name) => hasSubscribers(name))).toEqual([]);
    const metrics = enable(fakeEndpoint());
    expect(metricsOnly.filter((name) => !hasSubscribers(name))).toEqual([]);
    metrics.stop();
    metrics.stop();
    expect(metricsOnly.filter((name) => hasSubscribers(name))).toEqual([]);
  });

  it("are not left behind when the route cannot be registered", async () => {
    const registry = new Registry();
    const endpoint = {
      ...fakeEndpoint(),
      route: () => {
        throw new Error("no routes here (test)");
      },
    };
    expect(() => enable(endpoint, { registry, path: "/metrics" })).toThrow("no routes here (test)");
    expect(metricsOnly.filter((name) => hasSubscribers(name))).toEqual([]);
    expect(await registry.metrics()).toBe("\n");
  });

  it("count the events of their endpoint only; presence events by node", async () => {
    const mine = fakeEndpoint(undefined, "n1");
    const metrics = enable(mine);
    const other = new Runtime({ node: "n2" });
    publish(TelemetryEvent.CHANNEL_HANDLE_IN, handledIn(mine, "n1", 1));
    publish(TelemetryEvent.CHANNEL_HANDLE_IN, handledIn(mine.runtime, "n1", 1));
    publish(TelemetryEvent.CHANNEL_HANDLE_IN, handledIn(other, "n1", 1));
    const tracker = {};
    publish(TelemetryEvent.PRESENCE_DIFF, { source: tracker, node: "n1", topic: "room:1", joins: 2, leaves: 0, size: 2 });
    publish(TelemetryEvent.PRESENCE_DIFF, { source: tracker, node: "n2", topic: "room:1", joins: 5, leaves: 0, size: 5 });
    publish(TelemetryEvent.PRESENCE_DIFF, { source: tracker, node: "n1", topic: "room:2", joins: 1, leaves: 0, size: 1 });
    publish(TelemetryEvent.PRESENCE_DIFF, { source: tracker, node: "n1", topic: "room:2", joins: 0, leaves: 1, size: 0 });
    const samples = parseExposition(await metrics.scrape());
    expect(valueOf(samples, "fenix_channel_handle_in_total", { route: "room:*", event: "say", result: "reply" })).toBe(2);
    expect(valueOf(samples, "fenix_messages_in_bytes_total", { route: "room:*" })).toBe(24);
    expect(valueOf(samples, "fenix_presence_diffs_total")).toBe(3);
    expect(valueOf(samples, "fenix_presence_joins_total")).toBe(3);
    expect(valueOf(samples, "fenix_presence_leaves_total")).toBe(1);
    expect(valueOf(samples, "fenix_presences")).toBe(2);
    expect(valueOf(samples, "fenix_presence_topics")).toBe(1);
  });

  it("skip an event whose payload cannot be recorded and report it once with FENIX_ERR_METRICS_RECORD_FAILED", async () => {
    const logger = new RecordingLogger();
    const endpoint = fakeEndpoint(undefined, "n1", logger);
    const metrics = enable(endpoint);
    publish(TelemetryEvent.CHANNEL_HANDLE_IN, handledIn(endpoint, "n1", Number.NaN));
    publish(TelemetryEvent.CHANNEL_HANDLE_IN, handledIn(endpoint, "n1", -1));
    publish(TelemetryEvent.CHANNEL_HANDLE_IN, handledIn(endpoint, "n1", 2));
    const samples = parseExposition(await metrics.scrape());
    expect(valueOf(samples, "fenix_channel_handle_in_total", { event: "say" })).toBe(1);
    expect(logger.withCode(MetricsErrorCode.RECORD_FAILED).map((l) => l.level)).toEqual(["warn"]);
  });
});

describe("scraping", () => {
  const connection = (transport: string, mailbox: number, bufferedBytes: number, channelMailboxes: number[]): ConnectionInfo => {
    const pid = new Pid(1, "t");
    return {
      pid,
      path: "/socket",
      transport,
      address: "127.0.0.1",
      socketId: null,
      connectedAt: 0,
      mailbox,
      bufferedBytes,
      channels: channelMailboxes.map((n, i) => ({ topic: `room:${i}`, route: "room:*", channel: "RoomChannel", pid, mailbox: n, joinedAt: 0 })),
    };
  };

  it("reads the connections once per scrape and shows their queues", async () => {
    let reads = 0;
    const connections = [connection("websocket", 2, 100, [1, 9]), connection("websocket", 0, 50, [0]), connection("longpoll", 1, 7, [])];
    const metrics = enable(
      fakeEndpoint(() => {
        reads++;
        return connections;
      }),
    );
    const samples = parseExposition(await metrics.scrape());
    expect(reads).toBe(1);
    expect(valueOf(samples, "fenix_connections", { transport: "websocket" })).toBe(2);
    expect(valueOf(samples, "fenix_connections", { transport: "longpoll" })).toBe(1);
    expect(valueOf(samples, "fenix_channels", { route: "room:*" })).toBe(3);
    expect(valueOf(samples, "fenix_mailbox_messages", { process: "socket" })).toBe(3);
    expect(valueOf(samples, "fenix_mailbox_messages_max", { process: "socket" })).toBe(2);
    expect(valueOf(samples, "fenix_mailbox_messages", { process: "channel" })).toBe(10);
    expect(valueOf(samples, "fenix_mailbox_messages_p99", { process: "channel" })).toBe(9);
    expect(valueOf(samples, "fenix_outbound_buffered_bytes", { transport: "websocket" })).toBe(150);
    expect(valueOf(samples, "fenix_outbound_buffered_bytes_max", { transport: "websocket" })).toBe(100);
    await metrics.scrape();
    expect(reads).toBe(2);
  });

  it("rejects with FENIX_ERR_METRICS_SCRAPE_FAILED when the connections cannot be read", async () => {
    const metrics = enable(
      fakeEndpoint(() => {
        throw new Error("no snapshot (test)");
      }),
    );
    await expect(metrics.scrape()).rejects.toMatchObject({ code: MetricsErrorCode.SCRAPE_FAILED });
  });
});
