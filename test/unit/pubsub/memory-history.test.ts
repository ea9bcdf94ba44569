/**
 * The MemoryBus's history store, through MemoryAdapters with hosts that record what they are given:
 * positions, delivery to every node in one order, reads, retention, and streams that outlive nodes.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { PubSubErrorCode } from "../../../src/pubsub/errors.js";
import { MemoryAdapter, MemoryBus, type MemoryBusOptions } from "../../../src/pubsub/memory-adapter.js";
import { recordingHost as recorder, type RecordingHost as Recorded } from "../../support/recording-host.js";


const KEEP = { size: 100, ttlMs: 60_000 };

function frame(...bytes: number[]): Uint8Array {
  return new Uint8Array(bytes);
}

function nodesOn(bus: MemoryBus, ...names: string[]): { adapter: MemoryAdapter; rec: Recorded }[] {
  return names.map((name) => {
    const adapter = new MemoryAdapter(bus);
    const rec = recorder(name);
    adapter.start(rec.host);
    return { adapter, rec };
  });
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

afterEach(() => {
  vi.useRealTimers();
});

describe("MemoryBus history", () => {
  it("positions appends 1..n and delivers them, in order and asynchronously, to every node including the appender", async () => {
    const bus = new MemoryBus();
    const [a, b, c] = nodesOn(bus, "a", "b", "c");
    for (let i = 1; i <= 5; i++) a!.adapter.history.append("room", frame(i), KEEP);
    expect(a!.rec.positioned).toEqual([]);
    await tick();
    for (const node of [a!, b!, c!]) {
      expect(node.rec.positioned.map((p) => p.position.offset)).toEqual([1, 2, 3, 4, 5]);
      expect(node.rec.positioned.map((p) => p.frame[0])).toEqual([1, 2, 3, 4, 5]);
      expect(new Set(node.rec.positioned.map((p) => p.position.epoch)).size).toBe(1);
    }
    expect(b!.rec.positioned[0]!.position.epoch).toBe(a!.rec.positioned[0]!.position.epoch);
  });

  it("makes one contiguous sequence of two nodes' concurrent appends, seen in the same order everywhere", async () => {
    const bus = new MemoryBus();
    const [a, b] = nodesOn(bus, "a", "b");
    for (let i = 0; i < 20; i++) {
      a!.adapter.history.append("room", frame(1, i), KEEP);
      b!.adapter.history.append("room", frame(2, i), KEEP);
      if (i % 7 === 0) await tick();
    }
    await tick();
    const seen = (rec: Recorded) => rec.positioned.map((p) => `${p.position.epoch}:${p.position.offset}:${p.frame.join(",")}`);
    expect(a!.rec.positioned.map((p) => p.position.offset)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(seen(b!.rec)).toEqual(seen(a!.rec));
    expect(a!.rec.positioned.filter((p) => p.frame[0] === 1).map((p) => p.frame[1])).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("hands over the appended bytes unchanged, whatever they are", async () => {
    const bus = new MemoryBus();
    const [a, b] = nodesOn(bus, "a", "b");
    const every = Uint8Array.from({ length: 256 }, (_, i) => i);
    a!.adapter.history.append("t", every, KEEP);
    a!.adapter.history.append("t", new Uint8Array(0), KEEP);
    await tick();
    expect(b!.rec.positioned.map((p) => [...p.frame])).toEqual([[...every], []]);
    const read = await b!.adapter.history.read("t", { limit: 10 }, KEEP);
    expect(read.entries.map((e) => [...e.data])).toEqual([[...every], []]);
  });

  it("reads with and without `after`, and nothing when `after` is too far behind or above the top", async () => {
    const bus = new MemoryBus();
    const [a, b] = nodesOn(bus, "a", "b");
    for (let i = 1; i <= 10; i++) a!.adapter.history.append("t", frame(i), KEEP);
    const epoch = (await b!.adapter.history.read("t", { limit: 0 }, KEEP)).position.epoch;
    const read = async (query: { after?: number; limit: number }) => (await b!.adapter.history.read("t", query, KEEP)).entries.map((e) => e.offset);
    expect(await read({ limit: 3 })).toEqual([8, 9, 10]);
    expect(await read({ after: 6, limit: 5 })).toEqual([7, 8, 9, 10]);
    expect(await read({ after: 5, limit: 5 })).toEqual([6, 7, 8, 9, 10]);
    expect(await read({ after: 4, limit: 5 })).toEqual([]);
    expect(await read({ after: 10, limit: 5 })).toEqual([]);
    expect(await b!.adapter.history.read("t", { after: 12, limit: 5 }, KEEP)).toEqual({ position: { epoch, offset: 10 }, entries: [] });
    const entry = (await b!.adapter.history.read("t", { after: 9, limit: 5 }, KEEP)).entries[0]!;
    expect(entry).toEqual({ offset: 10, data: frame(10) });
  });

  it("keeps only the newest `size` messages", async () => {
    const bus = new MemoryBus();
    const [a] = nodesOn(bus, "a");
    const retention = { size: 3, ttlMs: 60_000 };
    for (let i = 1; i <= 8; i++) a!.adapter.history.append("t", frame(i), retention);
    const read = await a!.adapter.history.read("t", { limit: 100 }, retention);
    expect(read.entries.map((e) => e.offset)).toEqual([6, 7, 8]);
    expect(read.position.offset).toBe(8);
    expect(bus.streams.retained).toBe(3);
  });

  it("creates the topic's epoch on a read; the first append continues it from offset 1", async () => {
    const bus = new MemoryBus();
    const [a, b] = nodesOn(bus, "a", "b");
    const first = await a!.adapter.history.read("t", { limit: 10 }, KEEP);
    expect(first.position.offset).toBe(0);
    expect(first.entries).toEqual([]);
    expect(bus.streams.topics).toBe(1);
    b!.adapter.history.append("t", frame(1), KEEP);
    await tick();
    expect(a!.rec.positioned[0]!.position).toEqual({ epoch: first.position.epoch, offset: 1 });
  });

  it("leaves out messages older than the ttl (the bus's clock)", async () => {
    let now = 0;
    const bus = new MemoryBus({ now: () => now });
    const [a] = nodesOn(bus, "a");
    const retention = { size: 10, ttlMs: 100 };
    a!.adapter.history.append("t", frame(1), retention);
    now = 60;
    a!.adapter.history.append("t", frame(2), retention);
    now = 120;
    expect((await a!.adapter.history.read("t", { limit: 10 }, retention)).entries.map((e) => e.offset)).toEqual([2]);
    now = 200;
    const read = await a!.adapter.history.read("t", { limit: 10 }, retention);
    expect(read.entries).toEqual([]);
    expect(read.position.offset).toBe(2);
  });

  it("keeps the streams when nodes leave: a node joining later reads and continues them", async () => {
    const bus = new MemoryBus();
    const [a] = nodesOn(bus, "a");
    a!.adapter.history.append("t", frame(1), KEEP);
    a!.adapter.history.append("t", frame(2), KEEP);
    await tick();
    const epoch = a!.rec.positioned[0]!.position.epoch;
    a!.adapter.stop();
    const [b] = nodesOn(bus, "b");
    expect(await b!.adapter.history.read("t", { after: 0, limit: 10 }, KEEP)).toEqual({
      position: { epoch, offset: 2 },
      entries: [
        { offset: 1, data: frame(1) },
        { offset: 2, data: frame(2) },
      ],
    });
    b!.adapter.history.append("t", frame(3), KEEP);
    await tick();
    expect(b!.rec.positioned.map((p) => p.position)).toEqual([{ epoch, offset: 3 }]);
    expect(a!.rec.positioned).toHaveLength(2); // gone: no more deliveries
  });

  it("drops the appends of a stopped adapter", async () => {
    const bus = new MemoryBus();
    const [a, b] = nodesOn(bus, "a", "b");
    a!.adapter.stop();
    a!.adapter.history.append("t", frame(1), KEEP);
    await tick();
    expect(b!.rec.positioned).toEqual([]);
    expect(bus.streams.retained).toBe(0);
  });

  it("sweeps with each topic's last ttl, and forgets idle topics: their next message starts a new epoch", async () => {
    let now = 0;
    const options: MemoryBusOptions = { now: () => now, historyMetaTtlMs: 1_000 };
    const bus = new MemoryBus(options);
    const [a] = nodesOn(bus, "a");
    a!.adapter.history.append("short", frame(1), { size: 10, ttlMs: 100 });
    a!.adapter.history.append("long", frame(2), { size: 10, ttlMs: 10_000 });
    await tick();
    const epoch = a!.rec.positioned[0]!.position.epoch;
    now = 500;
    bus.streams.sweep();
    expect(bus.streams.retained).toBe(1);
    expect(bus.streams.topics).toBe(2);
    now = 1_000;
    bus.streams.sweep();
    expect(bus.streams.topics).toBe(1); // "short": empty and idle for the meta ttl
    a!.adapter.history.append("short", frame(3), { size: 10, ttlMs: 100 });
    await tick();
    const next = a!.rec.positioned[2]!.position;
    expect(next.offset).toBe(1);
    expect(next.epoch).not.toBe(epoch);
  });

  it("sweeps by itself every historySweepIntervalMs while a node is on the bus, never after the last left", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    let now = 0;
    const bus = new MemoryBus({ now: () => now, historySweepIntervalMs: 1_000 });
    expect(vi.getTimerCount()).toBe(0);
    const [a, b] = nodesOn(bus, "a", "b");
    expect(vi.getTimerCount()).toBe(1);
    a!.adapter.history.append("t", frame(1), { size: 10, ttlMs: 100 });
    now = 500;
    vi.advanceTimersByTime(1_000);
    expect(bus.streams.retained).toBe(0);
    a!.adapter.stop();
    expect(vi.getTimerCount()).toBe(1);
    b!.adapter.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("still refuses a duplicate node name", () => {
    const bus = new MemoryBus();
    nodesOn(bus, "a");
    expect(() => nodesOn(bus, "a")).toThrow(expect.objectContaining({ code: PubSubErrorCode.DUPLICATE_NODE }));
  });
});
