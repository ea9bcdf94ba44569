/**
 * Recovery across processes on Redis: nodes in their own processes keep history in Redis Streams, a
 * publisher node sends a numbered sequence, and the clients (the official `phoenix` client and
 * fenix/client, behind a proxy standing for a load balancer) lose their node — killed with SIGKILL, or
 * restarted — and reconnect to another node or to the restarted one. Each ends with exactly the sequence.
 */
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { LongPoll } from "phoenix";
import WebSocket from "ws";
import { Socket as FenixSocket, longPollTransport, webSocketTransport } from "../../../src/client/index.js";
import { PubSub, Runtime } from "../../../src/index.js";
import { RedisAdapter } from "../../../src/pubsub/redis/index.js";
import { NodeProcess } from "../../support/nodes/node-process.js";
import { closeAllClients, connectSocket } from "../../support/phoenix-client.js";
import { deleteKeys, REDIS_URL, requireRedis } from "../../support/redis.js";
import { TcpProxy } from "../../support/tcp-proxy.js";
import { followFenix, followOfficial, publish, sequence, until } from "../../support/history-clients.js";
import { startHistoryEndpoint, type HistoryEndpoint } from "../../support/history-endpoint.js";

const redis = await requireRedis();
const FAST = { heartbeatMs: 100, nodeTimeoutMs: 600, reconnect: { minMs: 50, maxMs: 300 } };

const cleanup: (() => Promise<void>)[] = [];

afterEach(async () => {
  await closeAllClients();
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function historyNode(name: string, prefix: string): Promise<NodeProcess> {
  const node = await NodeProcess.program(name, "test/support/history-node.ts", {
    HISTORY_NODE_OPTIONS: JSON.stringify({ node: name, redisUrl: REDIS_URL, redis: { ...FAST, prefix } }),
  });
  cleanup.push(() => node.kill());
  return node;
}

/** A node in this process that only publishes. */
async function publisherNode(prefix: string): Promise<HistoryEndpoint> {
  const runtime = new Runtime({ node: "publisher" });
  const pubsub = new PubSub({ runtime, adapter: new RedisAdapter({ ...FAST, url: REDIS_URL, prefix }) });
  await pubsub.start();
  const server = await startHistoryEndpoint({ runtime, pubsub });
  cleanup.push(async () => {
    await server.stop();
    await pubsub.stop();
  });
  return server;
}

const portOf = (node: NodeProcess) => Number(new URL(node.url).port);

async function setUp(): Promise<{ prefix: string; a: NodeProcess; b: NodeProcess; publisher: HistoryEndpoint; proxy: TcpProxy }> {
  const prefix = `fenix-test:${randomBytes(6).toString("hex")}`;
  cleanup.push(() => deleteKeys(prefix));
  const [a, b] = await Promise.all([historyNode("a", prefix), historyNode("b", prefix)]);
  const publisher = await publisherNode(prefix);
  const proxy = await TcpProxy.start(portOf(a));
  cleanup.push(() => proxy.close());
  return { prefix, a, b, publisher, proxy };
}

/** Both clients, through the proxy, following `topic` (over LongPoll when `longpoll`). */
async function clients(proxy: TcpProxy, topic: string, longpoll = false) {
  const url = `ws://127.0.0.1:${proxy.port}/socket`;
  const phoenixSocket = await connectSocket(url, { transport: longpoll ? LongPoll : WebSocket });
  const official = followOfficial(phoenixSocket, topic);
  const fenixSocket = new FenixSocket(url, {
    transport: longpoll ? longPollTransport : webSocketTransport,
    reconnectAfterMs: () => 50,
    rejoinAfterMs: () => 50,
    timeoutMs: 3_000,
    longPollTimeoutMs: 3_000,
  });
  cleanup.push(() => fenixSocket.disconnect());
  const fenix = await followFenix(fenixSocket, topic);
  await until(() => official.replies.length === 1, () => "the official client's join");
  return { official, fenix };
}

describe.skipIf(!redis)(`history across processes on Redis${redis ? "" : " (skipped: Redis is not running)"}`, () => {
  it.each([
    ["WebSocket", false],
    ["LongPoll", true],
  ])("clients of a node killed with SIGKILL recover every message on another node (%s)", async (_transport, longpoll) => {
    const { a, b, publisher, proxy } = await setUp();
    const { official, fenix } = await clients(proxy, "seq:kill", longpoll);
    const total = 300;
    const run = publish((n) => publisher.endpoint.broadcast("seq:kill", "msg", { n }), total, 2, 5);
    await until(() => run.sent() >= 100, () => "100 messages sent");
    proxy.retarget(portOf(b));
    await a.kill();
    await run.done;
    await until(
      () => official.received.length >= total && fenix.received.length >= total,
      () => `all ${total} messages (official ${official.received.length}, fenix ${fenix.received.length})`,
      20_000,
    );
    expect(official.received, JSON.stringify({ received: official.received, replies: official.replies })).toEqual(sequence(total));
    expect(fenix.received, JSON.stringify({ received: fenix.received, recoveries: fenix.recoveries })).toEqual(sequence(total));
    expect(official.replies.length).toBeGreaterThanOrEqual(2);
    expect(official.replies.slice(1).every((r) => r.recovered)).toBe(true);
    expect(fenix.recoveries.filter((r) => r.reason === "rejoin").slice(1).every((r) => r.recovered)).toBe(true);
    expect(fenix.recoveries.length).toBeGreaterThanOrEqual(2);
  });

  it("clients of a restarted node recover every message from Redis once it is back", async () => {
    const { a, publisher, proxy } = await setUp();
    const { official, fenix } = await clients(proxy, "seq:restart");
    const total = 200;
    const run = publish((n) => publisher.endpoint.broadcast("seq:restart", "msg", { n }), total, 2, 5);
    await until(() => run.sent() >= 50, () => "50 messages sent");
    await a.stop();
    await a.start();
    proxy.retarget(portOf(a));
    await run.done;
    await until(
      () => official.received.length >= total && fenix.received.length >= total,
      () => `all ${total} messages (official ${official.received.length}, fenix ${fenix.received.length})`,
      20_000,
    );
    expect(official.received).toEqual(sequence(total));
    expect(fenix.received).toEqual(sequence(total));
    expect(official.replies.slice(1).every((r) => r.recovered)).toBe(true);
  });

  it("tells clients recovered: false when they missed more than the history keeps", async () => {
    const { a, b, publisher, proxy } = await setUp();
    const { official, fenix } = await clients(proxy, "feed:gone");
    proxy.retarget(portOf(b));
    await a.kill();
    // More than the route's maxRecovery (50) while the clients are away.
    for (let n = 1; n <= 60; n++) publisher.endpoint.broadcast("feed:gone", "msg", { n });
    await until(() => official.replies.length >= 2 && fenix.recoveries.length >= 2, () => "both rejoins");
    expect(official.replies[1]).toMatchObject({ recovered: false });
    expect(fenix.recoveries[1]).toMatchObject({ recovered: false, reason: "rejoin" });
    publisher.endpoint.broadcast("feed:gone", "msg", { n: 61 });
    await until(() => official.received.includes(61) && fenix.received.includes(61), () => "the next live message");
    expect(official.received).toEqual([61]);
    expect(fenix.received).toEqual([61]);
  });
});
