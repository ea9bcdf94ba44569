/**
 * The Redis adapter under failure, against Redis servers of the test's own: unreachable at start,
 * restarted mid-traffic, a stalled connection (a partition through a paused proxy), two nodes with one
 * name, garbage on the bus. In every case nothing throws, local delivery goes on, cross-node delivery
 * resumes by itself, and every gap is reported with a code.
 */
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { createClient } from "@redis/client";
import { PubSub, PubSubErrorCode, Runtime, type PubSubStatus } from "../../../src/index.js";
import { RedisAdapter, type RedisAdapterOptions } from "../../../src/pubsub/redis/index.js";
import { Inbox } from "../../../src/testing/adapter.js";
import { REDIS_URL, RedisServer, requireRedis } from "../../support/redis.js";
import { TcpProxy } from "../../support/tcp-proxy.js";

const redis = await requireRedis();

/** Fast clocks: heartbeats every 100 ms, a node is gone after 500 ms, reconnects within 50–200 ms. */
const FAST: RedisAdapterOptions = { heartbeatMs: 100, nodeTimeoutMs: 500, reconnect: { minMs: 50, maxMs: 200 }, connectTimeoutMs: 2_000 };

interface TestNode {
  readonly pubsub: PubSub;
  readonly errors: Error[];
  readonly statuses: PubSubStatus[];
  inbox(topic: string): Inbox;
  codes(): string[];
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

function newPrefix(): string {
  return `fenix-test:${randomBytes(6).toString("hex")}`;
}

function node(name: string, url: string, prefix: string, extra: RedisAdapterOptions = {}): TestNode {
  const errors: Error[] = [];
  const statuses: PubSubStatus[] = [];
  const runtime = new Runtime({ node: name });
  const pubsub = new PubSub({ runtime, adapter: new RedisAdapter({ ...FAST, ...extra, url, prefix }), onError: (e) => errors.push(e) });
  pubsub.on("status", (s) => statuses.push(s));
  cleanup.push(() => pubsub.stop());
  return {
    pubsub,
    errors,
    statuses,
    inbox: (topic) => {
      const inbox = new Inbox(runtime);
      pubsub.subscribe(topic, inbox.pid);
      return inbox;
    },
    codes: () => errors.map((e) => (e as { code?: string }).code ?? e.message),
  };
}

async function until(done: () => boolean, what: string, timeoutMs = 8_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const sees = (n: TestNode, other: string) => n.pubsub.nodes().includes(other);

describe.skipIf(!redis)(`Redis adapter under failure${redis ? "" : " (skipped: Redis is not running)"}`, () => {
  it("starts with Redis unreachable, serves local subscribers, and links up once Redis is there", async () => {
    const server = await RedisServer.start();
    cleanup.push(() => server.kill());
    await server.kill();
    const prefix = newPrefix();
    const a = node("a", server.url, prefix);
    const started = Date.now();
    await a.pubsub.start();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(a.pubsub.status).toBe("down");
    expect(a.codes()).toEqual([PubSubErrorCode.ADAPTER_DOWN]);
    expect(a.errors[0]!.message).toMatch(/cannot be reached.*ECONNREFUSED.*serves its own clients only/);

    const local = a.inbox("t");
    a.pubsub.broadcast("t", "local while down");
    expect(await local.waitFor(1)).toEqual(["local while down"]);

    await server.restart();
    await until(() => a.pubsub.status === "up", "a links up");
    const b = node("b", server.url, prefix);
    await b.pubsub.start();
    await until(() => sees(a, "b") && sees(b, "a"), "a and b see each other");
    const remote = b.inbox("t");
    a.pubsub.broadcast("t", "across");
    expect(await remote.waitFor(1)).toEqual(["across"]);
    expect(a.statuses).toEqual(["down", "up"]);
    // The broadcast made while down could not reach other nodes: counted, reported when the link came back.
    expect(a.codes()).toEqual([PubSubErrorCode.ADAPTER_DOWN, PubSubErrorCode.MESSAGES_LOST]);
  });

  it("fails start() when told to require Redis, with the same coded error", async () => {
    const server = await RedisServer.start();
    await server.kill();
    const a = node("a", server.url, newPrefix(), { requireConnection: true });
    await expect(a.pubsub.start()).rejects.toMatchObject({ code: PubSubErrorCode.ADAPTER_DOWN, message: expect.stringMatching(/cannot be reached/) });
  });

  it("rides out a Redis restart mid-traffic: down, lost frames counted, then delivery resumes in order", async () => {
    const server = await RedisServer.start();
    cleanup.push(() => server.kill());
    const prefix = newPrefix();
    const a = node("a", server.url, prefix);
    const b = node("b", server.url, prefix);
    await Promise.all([a.pubsub.start(), b.pubsub.start()]);
    await until(() => sees(a, "b") && sees(b, "a"), "a and b see each other");
    const received = b.inbox("t");
    const local = a.inbox("t");

    let sent = 0;
    const sender = setInterval(() => a.pubsub.broadcast("t", sent++), 5);
    try {
      await until(() => received.messages.length >= 20, "traffic flows");
      await server.kill();
      await until(() => a.pubsub.status === "down" && b.pubsub.status === "down", "both see the link down");
      await new Promise((resolve) => setTimeout(resolve, 200));
      await server.restart();
      await until(() => a.pubsub.status === "up" && b.pubsub.status === "up", "both link up again");
      const after = sent;
      await until(() => received.messages.some((m) => (m as number) > after + 10), "delivery resumes");
    } finally {
      clearInterval(sender);
    }
    const last = sent - 1;
    await until(() => received.messages.includes(last), "the last frame arrives");

    const numbers = received.messages as number[];
    expect(numbers).toEqual([...numbers].sort((x, y) => x - y));
    expect(new Set(numbers).size).toBe(numbers.length);
    // Local subscribers never missed anything.
    expect(local.messages).toEqual(Array.from({ length: sent }, (_, i) => i));
    // Every frame b missed is accounted for by a report on one side or the other.
    const reported = [...a.errors, ...b.errors]
      .filter((e) => (e as { code?: string }).code === PubSubErrorCode.MESSAGES_LOST)
      .reduce((n, e) => n + Number(/^(\d+) frame/.exec(e.message)![1]), 0);
    expect(numbers.length + reported).toBeGreaterThanOrEqual(sent);
    expect(numbers.length).toBeLessThan(sent);
    for (const n of [a, b]) {
      expect(n.codes()[0]).toBe(PubSubErrorCode.ADAPTER_DOWN);
      expect(n.statuses).toEqual(["up", "down", "up"]);
    }
    expect(a.codes()).toContain(PubSubErrorCode.MESSAGES_LOST);
  });

  it("detects a stalled link (a partition), drops the silent node, and heals", async () => {
    const server = await RedisServer.start();
    const proxy = await TcpProxy.start(server.port);
    cleanup.push(() => server.kill(), () => proxy.close());
    const prefix = newPrefix();
    const a = node("a", proxy.url, prefix);
    const b = node("b", server.url, prefix);
    await Promise.all([a.pubsub.start(), b.pubsub.start()]);
    await until(() => sees(a, "b") && sees(b, "a"), "a and b see each other");
    const onA = a.inbox("t");
    const onB = b.inbox("t");

    proxy.pause();
    await until(() => a.pubsub.status === "down", "a notices its stalled link");
    expect(a.errors.find((e) => (e as { code?: string }).code === PubSubErrorCode.ADAPTER_DOWN)!.message).toMatch(/No heartbeat came back/);
    await until(() => !sees(b, "a"), "b forgets the silent node a");
    expect(a.pubsub.nodes()).toEqual(["a"]);
    expect(b.pubsub.status).toBe("up");
    a.pubsub.broadcast("t", "a during partition");
    b.pubsub.broadcast("t", "b during partition");
    expect(await onA.waitForMessage("a during partition")).toEqual(["a during partition"]);
    expect(await onB.waitForMessage("b during partition")).toEqual(["b during partition"]);
    // Long enough for a to give up its stalled connections and try new ones (held by the partition too).
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    proxy.resume();
    await until(() => a.pubsub.status === "up", "a links up again", 10_000);
    await until(() => sees(a, "b") && sees(b, "a"), "a and b see each other again");
    a.pubsub.broadcast("t", "a healed");
    b.pubsub.broadcast("t", "b healed");
    await onB.waitForMessage("a healed");
    expect(onB.messages).toEqual(expect.arrayContaining(["b during partition", "b healed", "a healed"]));
    expect(onB.messages).not.toContain("a during partition");
    await onA.waitForMessage("b healed");
    // a counted what it could not send, and the gap in b's frames it missed.
    const lostOnA = a.errors.filter((e) => (e as { code?: string }).code === PubSubErrorCode.MESSAGES_LOST).map((e) => e.message);
    expect(lostOnA.some((m) => /could not be sent while the link to Redis was down/.test(m))).toBe(true);
    expect(lostOnA.some((m) => /from node b never arrived/.test(m))).toBe(true);
  });

  it("reports two live nodes that share a name", async () => {
    const prefix = newPrefix();
    const first = node("same", REDIS_URL, prefix);
    const second = node("same", REDIS_URL, prefix);
    await Promise.all([first.pubsub.start(), second.pubsub.start()]);
    await until(() => first.codes().includes(PubSubErrorCode.DUPLICATE_NODE) && second.codes().includes(PubSubErrorCode.DUPLICATE_NODE), "both report the shared name");
    expect(first.errors.find((e) => (e as { code?: string }).code === PubSubErrorCode.DUPLICATE_NODE)!.message).toMatch(/uses this node's name "same"/);
  });

  it("reports garbage published on its channels and keeps the link", async () => {
    const prefix = newPrefix();
    const a = node("a", REDIS_URL, prefix);
    const b = node("b", REDIS_URL, prefix);
    await Promise.all([a.pubsub.start(), b.pubsub.start()]);
    await until(() => sees(a, "b"), "a sees b");
    const stranger = createClient({ url: REDIS_URL });
    await stranger.connect();
    cleanup.push(async () => void stranger.destroy());
    await stranger.publish(`${prefix}:bus`, "not a fenix envelope");
    await stranger.publish(`${prefix}:node:b`, Buffer.from([1, 0, 1, 2, 3]));
    const onB = b.inbox("t");
    a.pubsub.broadcast("t", "still here");
    expect(await onB.waitFor(1)).toEqual(["still here"]);
    expect(b.codes()).toEqual([PubSubErrorCode.BAD_FRAME, PubSubErrorCode.BAD_FRAME]);
    expect(a.codes()).toEqual([PubSubErrorCode.BAD_FRAME]);
    expect(b.pubsub.status).toBe("up");
  });
});
