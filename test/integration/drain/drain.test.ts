/**
 * Draining an endpoint, over real sockets on two nodes of one memory bus: the drained node refuses new
 * connections with 503 and closes its open ones with 1012 in batches spread over the period; the clients
 * (the official client, WebSocket and LongPoll) reconnect to the other node, rejoin their channels, and
 * miss none of the broadcasts made there after they rejoined. Without a drain period, stop() closes every
 * connection at once, as before.
 */
import { LongPoll, type Socket } from "phoenix";
import WebSocket from "ws";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Channel, Endpoint, ok, onTelemetry, PubSub, Runtime, silentLogger, Socket as ServerSocket, TelemetryEvent, type ChannelRoute } from "../../../src/index.js";
import { MemoryAdapter, MemoryBus } from "../../../src/pubsub/index.js";
import { longpoll } from "../../support/longpoll-client.js";
import { closeAllClients, createSocket, join } from "../../support/phoenix-client.js";

const SECRET = "drain-test-secret-shared-by-every-node-0123456789";
const stops: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  await closeAllClients();
  for (const stop of stops.splice(0).reverse()) await stop();
});

class RoomChannel extends Channel {
  override join() {
    return ok();
  }
}

class UserSocket extends ServerSocket {
  static override channels: readonly ChannelRoute[] = [["room:*", RoomChannel]];
  override connect() {
    return true;
  }
}

interface Node {
  readonly endpoint: Endpoint;
  /** `ws://127.0.0.1:<port>/socket` */
  readonly socketUrl: string;
  /** `http://127.0.0.1:<port>/socket` */
  readonly httpUrl: string;
}

async function startNode(bus: MemoryBus, name: string, options: { drainMs?: number; drainBatches?: number } = {}): Promise<Node> {
  const runtime = new Runtime({ node: name });
  const pubsub = new PubSub({ runtime, adapter: new MemoryAdapter(bus) });
  await pubsub.start();
  const endpoint = new Endpoint({ port: 0, host: "127.0.0.1", pubsub, runtime, logger: silentLogger, secretKeyBase: SECRET, ...options });
  endpoint.socket("/socket", UserSocket, { longpoll: true });
  await endpoint.start();
  stops.push(() => pubsub.stop(), () => endpoint.stop());
  const httpUrl = `${endpoint.url}/socket`;
  return { endpoint, httpUrl, socketUrl: httpUrl.replace(/^http/, "ws") };
}

/** Waits for `check` to hold. */
const until = (check: () => boolean, what: string, timeout = 5_000) =>
  vi.waitUntil(check, { timeout, interval: 10 }).catch(() => {
    throw new Error(`timed out waiting for ${what}`);
  });

/** A client of the official client, whose endpoint is chosen at each connect, as a load balancer would. */
interface Client {
  readonly socket: Socket;
  /** When and with which code its first connection closed. */
  firstClose: { at: number; code: number } | null;
  /** The `news` numbers received after its first connection closed. */
  readonly afterMove: number[];
}

async function connectClients(count: number, pick: () => string, transport: typeof WebSocket | typeof LongPoll): Promise<Client[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const socket = createSocket("ws://unused/socket", { transport });
      // The official client reads `endPoint` on every connect: here it asks the "balancer".
      Object.defineProperty(socket, "endPoint", { get: () => `${pick()}/websocket`, set: () => {}, configurable: true });
      const client: Client = { socket, firstClose: null, afterMove: [] };
      socket.onClose((event: { code?: number }) => {
        client.firstClose ??= { at: Date.now(), code: event.code ?? 0 };
      });
      const channel = socket.channel("room:lobby");
      channel.on("news", (payload: { n: number }) => {
        if (client.firstClose !== null) client.afterMove.push(payload.n);
      });
      socket.connect();
      await join(channel, 5_000);
      return client;
    }),
  );
}

/** Broadcasts `news` on `node` every few ms until stopped; returns the last number sent. */
function broadcastEvery(node: Node, ms: number): { stop: () => number } {
  let n = 0;
  const timer = setInterval(() => node.endpoint.broadcast("room:lobby", "news", { n: ++n }), ms);
  return {
    stop: () => {
      clearInterval(timer);
      return n;
    },
  };
}

/** How many connections of `node` have joined `room:lobby`. */
const joinedOn = (node: Node) => node.endpoint.connections().filter((c) => c.channels.some((ch) => ch.topic === "room:lobby")).length;

/** Checks that every client got every broadcast made after it rejoined, in order, up to the last one. */
function expectNoGapAfterMove(clients: readonly Client[], last: number): void {
  for (const client of clients) {
    const got = client.afterMove;
    expect(got.length).toBeGreaterThan(0);
    expect(got.at(-1)).toBe(last);
    expect(got).toEqual(Array.from({ length: got.length }, (_, i) => got[0]! + i));
  }
}

describe("Endpoint.drain", () => {
  it("closes WebSocket connections in batches over the period; clients move to the other node and rejoin", async () => {
    const bus = new MemoryBus();
    const [a, b] = [await startNode(bus, "a"), await startNode(bus, "b")];
    let aUp = true;
    const clients = await connectClients(40, () => (aUp ? a.socketUrl : b.socketUrl), WebSocket);
    expect(a.endpoint.connectionCount).toBe(40);

    const reasons: string[] = [];
    stops.push(onTelemetry(TelemetryEvent.SOCKET_DISCONNECT, (event) => void (event.source === a.endpoint && reasons.push(event.reason))));
    const news = broadcastEvery(b, 20);
    // The balancer's health check fails as soon as the node drains.
    aUp = false;
    const startedAt = Date.now();
    const drained = a.endpoint.drain({ periodMs: 1_000, batches: 4 });

    // New connections to the draining node are refused, over both transports.
    const refused = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${a.socketUrl}/websocket?vsn=2.0.0`);
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.on("open", () => reject(new Error("a draining node accepted a WebSocket")));
      ws.on("error", () => {});
    });
    expect(refused).toBe(503);
    expect((await longpoll(a.httpUrl)).http).toBe(503);

    await drained;
    expect(a.endpoint.connectionCount).toBe(0);
    // drain() resolves when the connections have ended on the server; their close frames may still be in flight.
    await until(() => clients.every((c) => c.firstClose !== null), "every client to see its close");
    const closes = clients.map((c) => c.firstClose!);
    expect(closes.every((c) => c.code === 1012)).toBe(true);
    const slots = new Set(closes.map((c) => Math.round((c.at - startedAt) / 250)));
    expect(slots.size).toBeGreaterThanOrEqual(3);
    expect(Math.max(...closes.map((c) => c.at)) - startedAt).toBeGreaterThanOrEqual(600);
    expect(reasons.filter((r) => r === "drain")).toHaveLength(40);

    await until(() => joinedOn(b) === 40, "every client to rejoin on b");
    await until(() => clients.every((c) => c.afterMove.length >= 3), "broadcasts on b to reach every moved client");
    const last = news.stop();
    await until(() => clients.every((c) => c.afterMove.at(-1) === last), "the last broadcast");
    expectNoGapAfterMove(clients, last);
  });

  it("ends LongPoll sessions; their clients open sessions on the other node and rejoin", async () => {
    const bus = new MemoryBus();
    const [a, b] = [await startNode(bus, "a"), await startNode(bus, "b")];
    let aUp = true;
    const clients = await connectClients(8, () => (aUp ? a.socketUrl : b.socketUrl), LongPoll);
    expect(a.endpoint.connectionCount).toBe(8);

    const news = broadcastEvery(b, 20);
    aUp = false;
    const drained = a.endpoint.drain({ periodMs: 400, batches: 2 });
    expect((await longpoll(a.httpUrl)).http).toBe(503);
    await drained;
    expect(a.endpoint.connectionCount).toBe(0);

    await until(() => joinedOn(b) === 8, "every LongPoll client to rejoin on b");
    expect(b.endpoint.connections().every((c) => c.transport === "longpoll")).toBe(true);
    await until(() => clients.every((c) => c.afterMove.length >= 3), "broadcasts on b to reach every moved client");
    const last = news.stop();
    await until(() => clients.every((c) => c.afterMove.at(-1) === last), "the last broadcast");
    expectNoGapAfterMove(clients, last);
  });

  it("is what stop() does first when the endpoint has a drainMs", async () => {
    const bus = new MemoryBus();
    const a = await startNode(bus, "a", { drainMs: 300, drainBatches: 3 });
    const clients = await connectClients(6, () => a.socketUrl, WebSocket);
    const reasons: string[] = [];
    stops.push(onTelemetry(TelemetryEvent.SOCKET_DISCONNECT, (event) => void (event.source === a.endpoint && reasons.push(event.reason))));
    const startedAt = Date.now();
    await a.endpoint.stop();
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(150);
    await until(() => clients.every((c) => c.firstClose !== null), "every client to see its close");
    expect(clients.every((c) => c.firstClose?.code === 1012)).toBe(true);
    expect(reasons).toEqual(Array.from({ length: 6 }, () => "drain"));
  });
});

describe("Endpoint.stop without a drain period", () => {
  it("closes every connection at once with 1012, reported as a shutdown", async () => {
    const bus = new MemoryBus();
    const a = await startNode(bus, "a");
    const clients = await connectClients(10, () => a.socketUrl, WebSocket);
    const reasons: string[] = [];
    stops.push(onTelemetry(TelemetryEvent.SOCKET_DISCONNECT, (event) => void (event.source === a.endpoint && reasons.push(event.reason))));
    await a.endpoint.stop();
    await until(() => clients.every((c) => c.firstClose !== null), "every client to see its close");
    expect(clients.every((c) => c.firstClose!.code === 1012)).toBe(true);
    const times = clients.map((c) => c.firstClose!.at);
    expect(Math.max(...times) - Math.min(...times)).toBeLessThan(200);
    expect(reasons).toEqual(Array.from({ length: 10 }, () => "shutdown"));
  });
});
