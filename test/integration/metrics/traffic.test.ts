// The metrics of a live endpoint against known traffic: n connections, m handled messages, k crashes,
// refused connects and joins, disconnects, a broadcast's subscribers and bytes, queues sampled at scrape,
// supervisor restarts — each read back from the /metrics text as an exact value.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { enableMetrics, OTHER_LABEL, type Metrics } from "../../../src/metrics/index.js";
import { Supervisor } from "../../../src/index.js";
import { closeAllClients, connectSocket, join, push } from "../../support/phoenix-client.js";
import { closeRawResources, joinEcho, RawClient, refusedStatus } from "../../support/raw-client.js";
import { startTestEndpoint, type TestEndpoint } from "../../support/test-endpoint.js";
import { parseExposition, series, valueOf, type Sample } from "./exposition.js";
import { expectSeries, scrapeUrl } from "./support.js";

let server: TestEndpoint;
let metrics: Metrics;

beforeEach(async () => {
  server = await startTestEndpoint();
  metrics = enableMetrics(server.endpoint, { path: "/metrics" });
});

afterEach(async () => {
  await closeAllClients();
  await closeRawResources();
  metrics.stop();
  await server.stop();
});

const scrape = (): Promise<Sample[]> => scrapeUrl(`${server.httpUrl}/metrics`);
const expectValue = (name: string, labels: Record<string, string>, expected: number) => expectSeries(scrape, name, labels, expected);
const WS = { path: "/socket", transport: "websocket" } as const;

describe("connections", () => {
  it("counts n open connections by transport, and the connects accepted and refused", async () => {
    const n = 3;
    for (let i = 0; i < n; i++) await connectSocket(server.socketUrl);
    expect(await refusedStatus(server.websocketUrl, { params: { token: "bad" } })).toBe(403);

    await expectValue("fenix_connections", WS, n);
    await expectValue("fenix_socket_connects_total", { ...WS, result: "ok" }, n);
    await expectValue("fenix_socket_connects_total", { ...WS, result: "refused" }, 1);
    const samples = await scrape();
    expect(valueOf(samples, "fenix_socket_connect_duration_seconds_count", WS)).toBe(n + 1);
    // Every mount and transport shows, idle ones at 0; every series carries the node label.
    expect(valueOf(samples, "fenix_connections", { path: "/socket", transport: "longpoll" })).toBe(0);
    expect(valueOf(samples, "fenix_connections", { path: "/auth", transport: "websocket" })).toBe(0);
    expect(samples.every((s) => s.labels.node === server.endpoint.node)).toBe(true);
  });

  it("counts disconnects by reason, and the gauge goes back to 0", async () => {
    const clients = [await RawClient.connect(server.websocketUrl), await RawClient.connect(server.websocketUrl)];
    await expectValue("fenix_connections", WS, 2);
    for (const client of clients) await client.close();
    await expectValue("fenix_socket_disconnects_total", { ...WS, reason: "closed" }, 2);
    await expectValue("fenix_connections", WS, 0);
  });

  it("counts a crashed connection under the reason crash, whatever the error", async () => {
    const clients = [await RawClient.connect(server.websocketUrl), await RawClient.connect(server.websocketUrl)];
    await expectValue("fenix_connections", WS, 2);
    // Connection processes trap exits; "kill" cannot be trapped.
    for (const c of server.endpoint.connections()) server.endpoint.runtime.exit(c.pid, "kill");
    for (const client of clients) expect((await client.closed()).code).toBe(1011);
    await expectValue("fenix_socket_disconnects_total", { ...WS, reason: "crash" }, 2);
    expect(series(await scrape(), "fenix_socket_disconnects_total")).toHaveLength(1);
  });

  it("counts a disconnect the server asked for under its own reason", async () => {
    const client = await RawClient.connect(server.websocketUrl, { params: { user: "alice" } });
    await expectValue("fenix_connections", WS, 1);
    server.endpoint.disconnect("user_socket:alice");
    expect((await client.closed()).code).toBe(1001);
    await expectValue("fenix_connections", WS, 0);
    const samples = await scrape();
    expect(series(samples, "fenix_socket_disconnects_total").map((s) => [s.labels.reason, s.value])).toEqual([["disconnected", 1]]);
  });
});

describe("channels", () => {
  it("counts m handled messages with their bytes and latency, per route and event", async () => {
    const socket = await connectSocket(server.socketUrl);
    const channel = socket.channel("echo:m");
    expect((await join(channel)).status).toBe("ok");
    const m = 5;
    let bytes = 0;
    for (let i = 0; i < m; i++) {
      const payload = { n: i, text: "x".repeat(i) };
      bytes += JSON.stringify(payload).length;
      expect((await push(channel, "ping", payload)).status).toBe("ok");
    }
    const labels = { route: "echo:*", event: "ping" };
    await expectValue("fenix_channel_handle_in_total", { ...labels, result: "reply" }, m);
    const samples = await scrape();
    expect(valueOf(samples, "fenix_channel_handle_in_duration_seconds_count", labels)).toBe(m);
    expect(valueOf(samples, "fenix_channel_handle_in_duration_seconds_bucket", { ...labels, le: "+Inf" })).toBe(m);
    expect(valueOf(samples, "fenix_messages_in_total", { route: "echo:*" })).toBe(m);
    expect(valueOf(samples, "fenix_messages_in_bytes_total", { route: "echo:*" })).toBe(bytes);
    expect(valueOf(samples, "fenix_channel_joins_total", { route: "echo:*", result: "ok" })).toBe(1);
    expect(valueOf(samples, "fenix_channel_join_duration_seconds_count", { route: "echo:*" })).toBe(1);
    expect(valueOf(samples, "fenix_channels", { route: "echo:*" })).toBe(1);
    expect(valueOf(samples, "fenix_channels", { route: "auth:*" })).toBe(0);
  });

  it("counts k crashes by route and callback, next to the handled messages they are a share of", async () => {
    const client = await RawClient.connect(server.websocketUrl);
    const k = 3;
    for (let i = 1; i <= k; i++) {
      const topic = `echo:crash${i}`;
      await joinEcho(client, topic, `${i}`);
      client.send([`${i}`, `p${i}`, topic, "crash", {}]);
      expect(await client.nextText()).toBe(JSON.stringify([`${i}`, `${i}`, topic, "phx_error", { reason: "channel_crash" }]));
    }
    await expectValue("fenix_channel_crashes_total", { route: "echo:*", during: "handleIn" }, k);
    const samples = await scrape();
    expect(valueOf(samples, "fenix_channel_handle_in_total", { route: "echo:*", event: "crash", result: "crash" })).toBe(k);
    expect(valueOf(samples, "fenix_messages_in_total", { route: "echo:*" })).toBe(k);
    expect(valueOf(samples, "fenix_channels", { route: "echo:*" })).toBe(0);
  });

  it("counts refused and crashed joins", async () => {
    const socket = await connectSocket(server.socketUrl);
    expect((await join(socket.channel("auth:x"))).status).toBe("error");
    expect((await join(socket.channel("auth:y", { token: "secret" }))).status).toBe("ok");
    expect((await join(socket.channel("crashy:z"))).status).toBe("error");
    await expectValue("fenix_channel_joins_total", { route: "crashy:*", result: "crash" }, 1);
    const samples = await scrape();
    expect(valueOf(samples, "fenix_channel_joins_total", { route: "auth:*", result: "error" })).toBe(1);
    expect(valueOf(samples, "fenix_channel_joins_total", { route: "auth:*", result: "ok" })).toBe(1);
    expect(valueOf(samples, "fenix_channel_crashes_total", { route: "crashy:*", during: "join" })).toBe(1);
  });

  it("measures handleInfo per route", async () => {
    const socket = await connectSocket(server.socketUrl);
    const channel = socket.channel("echo:info", { after_join: true });
    const welcomed = new Promise((resolve) => channel.on("welcome", resolve));
    expect((await join(channel)).status).toBe("ok");
    await welcomed;
    await expectValue("fenix_channel_handle_info_duration_seconds_count", { route: "echo:*" }, 1);
  });

  it("keeps the first maxLabelValues event names and counts the others under (other)", async () => {
    metrics.stop();
    const capped = enableMetrics(server.endpoint, { maxLabelValues: 2 });
    try {
      const socket = await connectSocket(server.socketUrl);
      const channel = socket.channel("echo:cap");
      await join(channel);
      for (const event of ["a", "b", "c", "d", "c", "a"]) expect((await push(channel, event)).status).toBe("error");
      const read = async () => parseExposition(await capped.scrape());
      await expectSeries(read, "fenix_channel_handle_in_total", { event: OTHER_LABEL }, 3);
      const samples = await read();
      expect(valueOf(samples, "fenix_channel_handle_in_total", { event: "a" })).toBe(2);
      expect(valueOf(samples, "fenix_channel_handle_in_total", { event: "b" })).toBe(1);
      expect(series(samples, "fenix_channel_handle_in_total").map((s) => s.labels.event).sort()).toEqual(["(other)", "a", "b"]);
      expect(valueOf(samples, "fenix_metrics_label_overflow_total", { label: "event" })).toBe(3);
    } finally {
      capped.stop();
    }
  });
});

describe("broadcasts", () => {
  it("counts a broadcast once, its deliveries per subscriber and the bytes written", async () => {
    const clients = await Promise.all([0, 1, 2].map(() => RawClient.connect(server.websocketUrl)));
    for (const client of clients) await joinEcho(client, "echo:room", "1");
    server.endpoint.broadcast("echo:room", "news", { x: 1 });
    const frame = JSON.stringify([null, null, "echo:room", "news", { x: 1 }]);
    for (const client of clients) expect(await client.nextText()).toBe(frame);

    await expectValue("fenix_broadcasts_total", { origin: "local" }, 1);
    const samples = await scrape();
    expect(valueOf(samples, "fenix_messages_out_total", { origin: "local" })).toBe(3);
    expect(valueOf(samples, "fenix_messages_out_bytes_total", { origin: "local" })).toBe(3 * Buffer.byteLength(frame));
  });
});

describe("queues", () => {
  it("samples mailbox lengths at scrape: sum, max and p99 over channel processes", async () => {
    const client = await RawClient.connect(server.websocketUrl);
    await joinEcho(client, "echo:busy", "1");
    await joinEcho(client, "echo:idle", "2");
    // The channel is busy for 1.5 s in handleIn; the pings behind it wait in its mailbox.
    client.send(["1", "slow", "echo:busy", "slow", { ms: 1500 }]);
    for (let i = 0; i < 4; i++) client.send(["1", `p${i}`, "echo:busy", "ping", {}]);
    await expectValue("fenix_mailbox_messages", { process: "channel" }, 4);
    const samples = await scrape();
    expect(valueOf(samples, "fenix_mailbox_messages_max", { process: "channel" })).toBe(4);
    expect(valueOf(samples, "fenix_mailbox_messages_p99", { process: "channel" })).toBe(4);
    expect(valueOf(samples, "fenix_outbound_buffered_bytes", { transport: "websocket" })).toBeGreaterThanOrEqual(0);
    for (let i = 0; i < 5; i++) await client.nextText();
    await expectValue("fenix_mailbox_messages", { process: "channel" }, 0);
  });
});

describe("processes and the PubSub", () => {
  it("counts a restart of a child of the endpoint's tree", async () => {
    const tree = server.endpoint.supervisor!;
    const pubsubChild = (await Supervisor.whichChildren(tree)).find((c) => c.id === "pubsub")!;
    server.endpoint.runtime.exit(pubsubChild.pid!, "kill");
    await expectValue("fenix_supervisor_restarts_total", { child: "pubsub" }, 1);
  });

  it("shows a node alone: one node, link up, status local", async () => {
    const samples = await scrape();
    expect(valueOf(samples, "fenix_nodes")).toBe(1);
    expect(valueOf(samples, "fenix_pubsub_up")).toBe(1);
    expect(valueOf(samples, "fenix_pubsub_status", { status: "local" })).toBe(1);
    expect(valueOf(samples, "fenix_pubsub_status", { status: "down" })).toBe(0);
  });
});
