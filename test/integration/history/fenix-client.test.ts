/**
 * `fenix/client` recovers by itself against a real server: on every rejoin (its connection cut again and
 * again through a TCP proxy while a publisher sends a numbered sequence, over WebSocket and LongPoll), and
 * while connected, when the server dropped broadcasts for it as a slow consumer (a gap it fills with
 * `fenix_recover`, without reconnecting).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Socket, longPollTransport, webSocketTransport, type TransportFactory } from "../../../src/client/index.js";
import { TelemetryEvent } from "../../../src/index.js";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { TcpProxy } from "../../support/tcp-proxy.js";
import { startHistoryEndpoint, type HistoryEndpoint } from "../../support/history-endpoint.js";
import { followFenix as follow, publish, sequence, until } from "../../support/history-clients.js";

let server: HistoryEndpoint;
let proxy: TcpProxy;
const sockets: Socket[] = [];

beforeEach(async () => {
  server = await startHistoryEndpoint();
  proxy = await TcpProxy.start(server.port);
});

afterEach(async () => {
  await Promise.all(sockets.splice(0).map((s) => s.disconnect()));
  proxy.resume();
  await proxy.close();
  await server.stop();
});

function clientSocket(path: string, transport: TransportFactory): Socket {
  const socket = new Socket(`ws://127.0.0.1:${proxy.port}${path}`, {
    transport,
    reconnectAfterMs: () => 20,
    rejoinAfterMs: () => 20,
    timeoutMs: 2_000,
    longPollTimeoutMs: 2_000,
  });
  sockets.push(socket);
  return socket;
}


describe.each([
  ["WebSocket", webSocketTransport],
  ["LongPoll", longPollTransport],
] as const)("fenix/client over %s", (_name, transport) => {
  it("ends with exactly the published sequence while its connection is cut repeatedly", async () => {
    const socket = clientSocket("/socket", transport);
    const client = await follow(socket, "seq:fenix");
    expect(client.recoveries).toEqual([{ recovered: false, position: client.channel.position, reason: "rejoin" }]);
    const total = 400;
    const publisher = publish((n) => server.endpoint.broadcast("seq:fenix", "msg", { n }), total);
    let cuts = 0;
    const cutter = setInterval(() => {
      proxy.cut();
      cuts++;
    }, 80);
    await publisher.done;
    clearInterval(cutter);
    await until(() => client.received.length >= total, () => `all ${total} messages (got ${client.received.length})`);
    expect(cuts).toBeGreaterThanOrEqual(2);
    expect(client.received).toEqual(sequence(total));
    const rejoins = client.recoveries.slice(1);
    expect(rejoins.length).toBeGreaterThanOrEqual(1);
    expect(rejoins.every((r) => r.recovered && r.reason === "rejoin")).toBe(true);
    expect(client.channel.position?.offset).toBe(total);
  });
});

describe("fenix/client and a join that reads the history itself", () => {
  it("gets, once, what was broadcast between the join's read and its reply", async () => {
    for (let i = 1; i <= 3; i++) server.endpoint.broadcast("recent:f", "msg", { n: i });
    const socket = clientSocket("/socket", webSocketTransport);
    socket.connect();
    const channel = socket.channel("recent:f", { pause: 100 });
    const received: number[] = [];
    channel.on("msg", (payload) => received.push((payload as { n: number }).n));
    const joined = channel.join();
    await new Promise((resolve) => setTimeout(resolve, 40));
    server.endpoint.broadcast("recent:f", "msg", { n: 4 });
    expect(await joined).toMatchObject({ recent: [{ n: 1 }, { n: 2 }, { n: 3 }], recovered: false, position: { offset: 3 } });
    await until(() => received.length === 1, () => "the message broadcast during the join");
    expect(received).toEqual([4]);
    expect(channel.position?.offset).toBe(4);
  });
});

describe("fenix/client gap detection", () => {
  it("fills the gap a slow-consumer drop left, with fenix_recover and without reconnecting", async () => {
    const dropped: unknown[] = [];
    const onDrop = (event: unknown) => dropped.push(event);
    subscribe(TelemetryEvent.OUTBOUND_DROPPED, onDrop);
    try {
      const socket = clientSocket("/lossy", webSocketTransport);
      let opens = 0;
      socket.onOpen(() => opens++);
      const client = await follow(socket, "lossy:a");
      proxy.pause();
      const body = "x".repeat(16 * 1024);
      let sent = 0;
      // The kernel's buffers fill first; broadcast until the server has dropped some for this client.
      while (dropped.length < 20 && sent < 4_000) {
        server.endpoint.broadcast("lossy:a", "msg", { n: ++sent, body });
        if (sent % 32 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      expect(dropped.length).toBeGreaterThanOrEqual(20);
      proxy.resume();
      await until(() => client.received.length >= sent, () => `all ${sent} messages (got ${client.received.length})`, 20_000);
      expect(client.received).toEqual(sequence(sent));
      expect(client.recoveries.some((r) => r.reason === "gap" && r.recovered)).toBe(true);
      expect(opens).toBe(1);
    } finally {
      unsubscribe(TelemetryEvent.OUTBOUND_DROPPED, onDrop);
    }
  });
});
