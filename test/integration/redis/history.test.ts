/**
 * The Redis adapter's history store against a real Redis: positions given by one script and delivered to
 * every node in offset order, reads for recovery and for the newest messages, trimming by size and by
 * age, epochs that outlive a node but not a lost stream, bytes kept exactly, and a Redis that cannot be
 * reached. The shared Redis is used through a key and channel prefix of each test's own (its keys are
 * deleted at the end); what needs a Redis to itself (flushed scripts, command counts) gets a private one.
 */
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { createClient } from "@redis/client";
import { PubSub, Runtime } from "../../../src/index.js";
import type { AdapterHost } from "../../../src/pubsub/adapter.js";
import { PubSubErrorCode } from "../../../src/pubsub/errors.js";
import type { HistoryRetention, StreamPosition } from "../../../src/pubsub/history/history-store.js";
import { RedisAdapter, type RedisAdapterOptions } from "../../../src/pubsub/redis/index.js";
import { Inbox } from "../../../src/testing/adapter.js";
import { REDIS_URL, RedisServer, deleteKeys, freePort, requireRedis } from "../../support/redis.js";

const redis = await requireRedis();

const FAST: RedisAdapterOptions = { heartbeatMs: 100, nodeTimeoutMs: 500, reconnect: { minMs: 50, maxMs: 200 }, connectTimeoutMs: 2_000 };
const KEEP: HistoryRetention = { size: 1_000, ttlMs: 60_000 };

interface Delivery extends StreamPosition {
  readonly frame: Buffer;
}

/** An AdapterHost that records what the adapter hands it. */
class Recorder implements AdapterHost {
  readonly delivered: Delivery[] = [];
  readonly errors: Error[] = [];

  constructor(readonly nodeName: string) {}

  deliver(): void {}

  deliverPositioned(frame: Uint8Array, position: StreamPosition): void {
    this.delivered.push({ frame: Buffer.from(frame), epoch: position.epoch, offset: position.offset });
  }

  reportError(error: Error): void {
    this.errors.push(error);
  }

  reportStatus(): void {}

  codes(): string[] {
    return this.errors.map((e) => (e as { code?: string }).code ?? e.message);
  }

  texts(topicPrefix = ""): string[] {
    return this.delivered.map((d) => d.frame.toString()).filter((t) => t.startsWith(topicPrefix));
  }
}

interface Node {
  readonly adapter: RedisAdapter;
  readonly host: Recorder;
}

const newRawClient = (url: string) => createClient({ url });
type RawClient = ReturnType<typeof newRawClient>;

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** A prefix of the test's own; its keys are deleted once the test is over. */
function newPrefix(url = REDIS_URL): string {
  const prefix = `fenix-test:${randomBytes(6).toString("hex")}`;
  if (url === REDIS_URL) cleanup.push(() => deleteKeys(prefix));
  return prefix;
}

async function rawClient(url = REDIS_URL): Promise<RawClient> {
  const client = newRawClient(url);
  client.on("error", () => {});
  await client.connect();
  cleanup.push(async () => {
    client.destroy();
  });
  return client;
}

async function node(name: string, prefix: string, extra: RedisAdapterOptions = {}, url = REDIS_URL): Promise<Node> {
  const adapter = new RedisAdapter({ ...FAST, ...extra, url, prefix });
  const host = new Recorder(name);
  cleanup.push(() => adapter.stop());
  await adapter.start(host);
  return { adapter, host };
}

async function until(done: () => boolean | Promise<boolean>, what: string, timeoutMs = 8_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const frame = (text: string) => Buffer.from(text);
const offsets = (entries: readonly { offset: number }[]) => entries.map((e) => e.offset);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe.skipIf(!redis)(`Redis history store${redis ? "" : " (skipped: Redis is not running)"}`, () => {
  it("delivers an append on node A to A and B with positions 1, 2, 3… in order", async () => {
    const prefix = newPrefix();
    const a = await node("a", prefix);
    const b = await node("b", prefix);
    for (let i = 1; i <= 20; i++) a.adapter.history!.append("room:1", frame(`m${i}`), KEEP);
    await until(() => a.host.delivered.length === 20 && b.host.delivered.length === 20, "both nodes get 20 messages");
    for (const n of [a, b]) {
      expect(offsets(n.host.delivered)).toEqual(range(1, 20));
      expect(n.host.texts()).toEqual(range(1, 20).map((i) => `m${i}`));
      expect(new Set(n.host.delivered.map((d) => d.epoch)).size).toBe(1);
      expect(n.host.errors).toEqual([]);
    }
    expect(a.host.delivered[0]!.epoch).toBe(b.host.delivered[0]!.epoch);
    expect(a.host.delivered[0]!.epoch).toMatch(/^[A-Za-z0-9_-]{8}$/);
  });

  it("gives concurrent appends from two nodes one contiguous sequence, seen in the same order by both", async () => {
    const prefix = newPrefix();
    const a = await node("a", prefix);
    const b = await node("b", prefix);
    for (let i = 0; i < 100; i++) {
      a.adapter.history!.append("t", frame(`a${i}`), KEEP);
      b.adapter.history!.append("t", frame(`b${i}`), KEEP);
      if (i % 10 === 9) await new Promise((resolve) => setImmediate(resolve));
    }
    await until(() => a.host.delivered.length === 200 && b.host.delivered.length === 200, "both nodes get 200 messages");
    expect(offsets(a.host.delivered)).toEqual(range(1, 200));
    expect(b.host.delivered).toEqual(a.host.delivered);
    // Each node's own appends keep the order it made them in.
    expect(a.host.texts("a")).toEqual(range(0, 99).map((i) => `a${i}`));
    expect(a.host.texts("b")).toEqual(range(0, 99).map((i) => `b${i}`));
    // The stream holds the same sequence.
    const read = await b.adapter.history!.read("t", { limit: 500 }, KEEP);
    expect(read.position).toEqual({ epoch: a.host.delivered[0]!.epoch, offset: 200 });
    expect(read.entries.map((e) => ({ offset: e.offset, text: Buffer.from(e.data).toString() }))).toEqual(
      a.host.delivered.map((d) => ({ offset: d.offset, text: d.frame.toString() })),
    );
  });

  it("reads for a recovery (after an offset) and the newest messages (without one)", async () => {
    const prefix = newPrefix();
    const a = await node("a", prefix);
    const b = await node("b", prefix);
    const history = b.adapter.history!;

    // A read creates the epoch of a topic that has none; the first append then continues it.
    const fresh = await history.read("chat:lobby", { after: 0, limit: 10 }, KEEP);
    expect(fresh.position.offset).toBe(0);
    expect(fresh.entries).toEqual([]);
    for (let i = 1; i <= 10; i++) a.adapter.history!.append("chat:lobby", frame(`m${i}`), KEEP);
    await until(() => b.host.delivered.length === 10, "10 messages");
    expect(b.host.delivered[0]).toMatchObject({ epoch: fresh.position.epoch, offset: 1 });
    const position = { epoch: fresh.position.epoch, offset: 10 };

    const recovered = await history.read("chat:lobby", { after: 5, limit: 10 }, KEEP);
    expect(recovered.position).toEqual(position);
    expect(offsets(recovered.entries)).toEqual([6, 7, 8, 9, 10]);
    expect(recovered.entries.map((e) => Buffer.from(e.data).toString())).toEqual(["m6", "m7", "m8", "m9", "m10"]);
    expect(recovered.entries.every((e) => e.data instanceof Uint8Array)).toBe(true);

    // Exactly `limit` missing: recoverable; one more: not.
    expect(offsets((await history.read("chat:lobby", { after: 5, limit: 5 }, KEEP)).entries)).toEqual([6, 7, 8, 9, 10]);
    expect(await history.read("chat:lobby", { after: 4, limit: 5 }, KEEP)).toEqual({ position, entries: [] });
    // Up to date, and past the top (another epoch's offset, say).
    expect(await history.read("chat:lobby", { after: 10, limit: 5 }, KEEP)).toEqual({ position, entries: [] });
    expect(await history.read("chat:lobby", { after: 11, limit: 100 }, KEEP)).toEqual({ position, entries: [] });

    // The newest N.
    expect(offsets((await history.read("chat:lobby", { limit: 3 }, KEEP)).entries)).toEqual([8, 9, 10]);
    expect(offsets((await history.read("chat:lobby", { limit: 50 }, KEEP)).entries)).toEqual(range(1, 10));
    expect(await history.read("chat:lobby", { limit: 0 }, KEEP)).toEqual({ position, entries: [] });
  });

  it("keeps only the newest `size` messages", async () => {
    const prefix = newPrefix();
    const a = await node("a", prefix);
    const retention = { size: 5, ttlMs: 60_000 };
    for (let i = 1; i <= 12; i++) a.adapter.history!.append("t", frame(`m${i}`), retention);
    await until(() => a.host.delivered.length === 12, "12 messages");
    const raw = await rawClient();
    expect(await raw.sendCommand(["XLEN", `${prefix}:history:t`])).toBe(5);
    expect(offsets((await a.adapter.history!.read("t", { limit: 100 }, retention)).entries)).toEqual([8, 9, 10, 11, 12]);
    // A recovery from before what is kept gets what is kept: the caller sees the gap (8 is not 6).
    expect(offsets((await a.adapter.history!.read("t", { after: 5, limit: 100 }, retention)).entries)).toEqual([8, 9, 10, 11, 12]);
  });

  it("leaves out and drops messages older than ttlMs, and keeps the epoch and offset (metaTtlMs)", async () => {
    const prefix = newPrefix();
    const a = await node("a", prefix);
    const raw = await rawClient();
    const retention = { size: 100, ttlMs: 300 };
    for (let i = 1; i <= 3; i++) a.adapter.history!.append("t", frame(`m${i}`), retention);
    await until(() => a.host.delivered.length === 3, "3 messages");
    const first = await a.adapter.history!.read("t", { after: 0, limit: 10 }, retention);
    expect(offsets(first.entries)).toEqual([1, 2, 3]);
    const streamTtl = (await raw.sendCommand(["PTTL", `${prefix}:history:t`])) as number;
    expect(streamTtl).toBeGreaterThan(0);
    expect(streamTtl).toBeLessThanOrEqual(300);
    const metaTtl = (await raw.sendCommand(["PTTL", `${prefix}:history-meta:t`])) as number;
    expect(metaTtl).toBeGreaterThan(23 * 3600_000);

    await until(async () => (await a.adapter.history!.read("t", { after: 0, limit: 10 }, retention)).entries.length === 0, "the messages expire");
    await until(async () => ((await raw.sendCommand(["EXISTS", `${prefix}:history:t`])) as number) === 0, "the stream key expires");
    // The epoch and offset outlive the messages: the next message continues the sequence.
    a.adapter.history!.append("t", frame("m4"), retention);
    await until(() => a.host.delivered.length === 4, "the 4th message");
    expect(a.host.delivered[3]).toMatchObject({ epoch: first.position.epoch, offset: 4 });
    expect(offsets((await a.adapter.history!.read("t", { after: 3, limit: 10 }, retention)).entries)).toEqual([4]);

    // Older messages are trimmed by the next append, not only left out of reads.
    await new Promise((resolve) => setTimeout(resolve, 350));
    a.adapter.history!.append("t", frame("m5"), retention);
    await until(() => a.host.delivered.length === 5, "the 5th message");
    expect(await raw.sendCommand(["XLEN", `${prefix}:history:t`])).toBe(1);

    // metaTtlMs sets the meta key's expiry, never below ttlMs.
    const short = await node("short", prefix, { metaTtlMs: 100 });
    short.adapter.history!.append("u", frame("x"), { size: 10, ttlMs: 5_000 });
    await until(() => short.host.delivered.length === 1, "a message on u");
    const uTtl = (await raw.sendCommand(["PTTL", `${prefix}:history-meta:u`])) as number;
    expect(uTtl).toBeGreaterThan(4_000);
    expect(uTtl).toBeLessThanOrEqual(5_000);
    await short.adapter.history!.read("v", { limit: 1 }, { size: 10, ttlMs: 50 });
    expect((await raw.sendCommand(["PTTL", `${prefix}:history-meta:v`])) as number).toBeLessThanOrEqual(100);
  });

  it("keeps the epoch across an adapter restart, and starts a new one when the stream's meta is lost", async () => {
    const prefix = newPrefix();
    const first = await node("a", prefix);
    for (let i = 1; i <= 3; i++) first.adapter.history!.append("t", frame(`m${i}`), KEEP);
    await until(() => first.host.delivered.length === 3, "3 messages");
    const epoch = first.host.delivered[0]!.epoch;
    await first.adapter.stop();

    const second = await node("a", prefix);
    second.adapter.history!.append("t", frame("m4"), KEEP);
    await until(() => second.host.delivered.length === 1, "the 4th message");
    expect(second.host.delivered[0]).toMatchObject({ epoch, offset: 4 });
    expect(offsets((await second.adapter.history!.read("t", { after: 1, limit: 10 }, KEEP)).entries)).toEqual([2, 3, 4]);

    // A lost meta key (evicted, a Redis that lost some data): a new epoch from 1, without the old entries.
    const raw = await rawClient();
    await raw.sendCommand(["DEL", `${prefix}:history-meta:t`]);
    second.adapter.history!.append("t", frame("new1"), KEEP);
    await until(() => second.host.delivered.length === 2, "the first message of the new epoch");
    const renewed = second.host.delivered[1]!;
    expect(renewed.offset).toBe(1);
    expect(renewed.epoch).not.toBe(epoch);
    const read = await second.adapter.history!.read("t", { limit: 10 }, KEEP);
    expect(read.position).toEqual({ epoch: renewed.epoch, offset: 1 });
    expect(read.entries.map((e) => Buffer.from(e.data).toString())).toEqual(["new1"]);
  });

  it("round-trips frame bytes exactly, on the channel and in the stream, for topics of any characters", async () => {
    const prefix = newPrefix();
    const a = await node("a", prefix);
    const b = await node("b", prefix);
    const bytes = Buffer.concat([Buffer.from([0x00, 0xff, 0x0a, 0x0d, 0x0a, 0x00]), Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from([0xff, 0x00])]);
    const topic = "weird topic:{tag}*?[x]\n\u00e9\u{1F600}";
    // A view into a larger buffer: only the view's bytes travel.
    const backing = Buffer.concat([Buffer.from("before"), bytes, Buffer.from("after")]);
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 6, bytes.length);
    a.adapter.history!.append(topic, view, KEEP);
    a.adapter.history!.append(topic, new Uint8Array(0), KEEP);
    await until(() => b.host.delivered.length === 2 && a.host.delivered.length === 2, "the frames arrive");
    for (const n of [a, b]) {
      expect(n.host.delivered[0]!.frame.equals(bytes)).toBe(true);
      expect(n.host.delivered[1]!.frame.length).toBe(0);
    }
    const read = await b.adapter.history!.read(topic, { limit: 10 }, KEEP);
    expect(offsets(read.entries)).toEqual([1, 2]);
    expect(Buffer.from(read.entries[0]!.data).equals(bytes)).toBe(true);
    expect(read.entries[1]!.data.byteLength).toBe(0);
    // Another topic that differs only after a character a glob or a hash tag would care about is another stream.
    expect((await b.adapter.history!.read("weird topic:{tag}*?[x]", { limit: 10 }, KEEP)).position.offset).toBe(0);
  });

  it("serves two PubSubs: a kept broadcast reaches both nodes once, and either reads it back", async () => {
    const prefix = newPrefix();
    const nodes = ["a", "b"].map((name) => {
      const runtime = new Runtime({ node: name });
      const errors: Error[] = [];
      const pubsub = new PubSub({ runtime, adapter: new RedisAdapter({ ...FAST, url: REDIS_URL, prefix }), onError: (e) => errors.push(e) });
      cleanup.push(() => pubsub.stop());
      return { runtime, pubsub, errors };
    });
    await Promise.all(nodes.map((n) => n.pubsub.start()));
    const inboxes = nodes.map((n) => {
      const inbox = new Inbox(n.runtime);
      n.pubsub.subscribe("room:1", inbox.pid);
      return inbox;
    });
    nodes[0]!.pubsub.broadcast("room:1", { n: 1, bytes: new Uint8Array([0, 255]) }, { history: KEEP });
    nodes[1]!.pubsub.broadcast("room:1", { n: 2 }, { history: KEEP });
    for (const inbox of inboxes) await inbox.waitFor(2);
    expect(inboxes[1]!.messages).toEqual(inboxes[0]!.messages);
    expect(inboxes[0]!.messages).toHaveLength(2);
    const page = await nodes[1]!.pubsub.history("room:1", { after: 0, limit: 10 }, KEEP);
    expect(page.position.offset).toBe(2);
    expect(page.messages.map((m) => m.message)).toEqual(inboxes[0]!.messages);
    expect(nodes.flatMap((n) => n.errors)).toEqual([]);
  });

  it("reports garbage on the history channel and goes on delivering", async () => {
    const prefix = newPrefix();
    const a = await node("a", prefix);
    const stranger = await rawClient();
    await stranger.publish(`${prefix}:history`, "not a history message");
    await stranger.publish(`${prefix}:history`, Buffer.from([1, 4, 0x61, 0x62]));
    a.adapter.history!.append("t", frame("fine"), KEEP);
    await until(() => a.host.delivered.length === 1, "the good message");
    expect(a.host.codes()).toEqual([PubSubErrorCode.BAD_FRAME, PubSubErrorCode.BAD_FRAME]);
    expect(a.host.errors[0]!.message).toMatch(/:history was dropped/);
    expect(a.host.delivered[0]).toMatchObject({ offset: 1 });
  });

  it("drops appends and reports HISTORY_UNAVAILABLE once per tick when Redis cannot be reached; reads reject", async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const a = await node("a", newPrefix(url), {}, url);
    for (let i = 0; i < 5; i++) a.adapter.history!.append("t", frame(`m${i}`), KEEP);
    await until(() => a.host.codes().includes(PubSubErrorCode.HISTORY_UNAVAILABLE), "the drop is reported");
    const reports = a.host.errors.filter((e) => (e as { code?: string }).code === PubSubErrorCode.HISTORY_UNAVAILABLE);
    expect(reports).toHaveLength(1);
    expect(reports[0]!.message).toMatch(/^5 broadcast\(s\) on history topics were dropped/);
    expect(a.host.delivered).toEqual([]);
    await expect(a.adapter.history!.read("t", { limit: 10 }, KEEP)).rejects.toMatchObject({ code: PubSubErrorCode.HISTORY_UNAVAILABLE });
    // Nothing more to report: no repeated reports.
    const count = a.host.errors.length;
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(a.host.errors.slice(count).filter((e) => (e as { code?: string }).code === PubSubErrorCode.HISTORY_UNAVAILABLE)).toEqual([]);
  });

  it("appends with one EVALSHA each, and falls back to EVAL when Redis lost its scripts", async () => {
    const server = await RedisServer.start();
    cleanup.push(() => server.kill());
    const prefix = newPrefix(server.url);
    const a = await node("a", prefix, {}, server.url);
    const raw = await rawClient(server.url);
    await raw.sendCommand(["CONFIG", "RESETSTAT"]);
    for (let i = 1; i <= 50; i++) a.adapter.history!.append("t", frame(`m${i}`), KEEP);
    await until(() => a.host.delivered.length === 50, "50 messages");
    const stats = (await raw.sendCommand(["INFO", "commandstats"])) as string;
    expect(/cmdstat_evalsha:calls=(\d+)/.exec(stats)?.[1]).toBe("50");
    expect(stats).not.toMatch(/cmdstat_eval:/);

    await raw.sendCommand(["SCRIPT", "FLUSH"]);
    for (let i = 51; i <= 60; i++) a.adapter.history!.append("t", frame(`m${i}`), KEEP);
    await until(() => a.host.delivered.length === 60, "10 more messages");
    expect(offsets(a.host.delivered)).toEqual(range(1, 60));
    expect(offsets((await a.adapter.history!.read("t", { after: 55, limit: 10 }, KEEP)).entries)).toEqual(range(56, 60));
    // Sent again with their source: the 10 appends, and the read (its script was flushed too).
    expect(/cmdstat_eval:calls=(\d+)/.exec((await raw.sendCommand(["INFO", "commandstats"])) as string)?.[1]).toBe("11");
    expect(a.host.errors).toEqual([]);
  });
});
