/** TopicStreams: offsets, the ring of newest messages (growth, wrap-around, resize), reads, expiry and sweeps. */
import { describe, expect, it } from "vitest";
import { TopicStreams, newEpoch } from "../../../src/pubsub/history/topic-streams.js";

const KEEP = { size: 100, ttlMs: 60_000 };

function clock(start = 0): { now: () => number; at: (t: number) => void } {
  let t = start;
  return { now: () => t, at: (next) => (t = next) };
}

function offsets(streams: TopicStreams<string>, topic: string, query: { after?: number; limit: number } = { limit: 1000 }, retention = KEEP): number[] {
  return streams.read(topic, query, retention).entries.map((e) => e.offset);
}

function appendMany(streams: TopicStreams<string>, topic: string, n: number, retention = KEEP): void {
  for (let i = 0; i < n; i++) streams.append(topic, `m`, retention);
}

describe("newEpoch", () => {
  it("makes 8 URL-safe characters without a colon, different each time", () => {
    const epochs = new Set(Array.from({ length: 50 }, () => newEpoch()));
    expect(epochs.size).toBe(50);
    for (const epoch of epochs) expect(epoch).toMatch(/^[A-Za-z0-9_-]{8}$/);
  });
});

describe("TopicStreams", () => {
  it("gives each topic offsets 1, 2, 3… within one epoch of its own", () => {
    const streams = new TopicStreams<string>();
    const a = [1, 2, 3].map((i) => streams.append("a", `a${i}`, KEEP));
    const b = streams.append("b", "b1", KEEP);
    expect(a.map((p) => p.offset)).toEqual([1, 2, 3]);
    expect(new Set(a.map((p) => p.epoch)).size).toBe(1);
    expect(b.offset).toBe(1);
    expect(b.epoch).not.toBe(a[0]!.epoch);
    expect(streams.topics).toBe(2);
    expect(streams.read("a", { limit: 10 }, KEEP)).toEqual({
      position: { epoch: a[0]!.epoch, offset: 3 },
      entries: [
        { offset: 1, data: "a1" },
        { offset: 2, data: "a2" },
        { offset: 3, data: "a3" },
      ],
    });
  });

  it("grows the ring up to size, then wraps around keeping the newest", () => {
    const streams = new TopicStreams<string>();
    const retention = { size: 3, ttlMs: 60_000 };
    appendMany(streams, "t", 2, retention);
    expect(offsets(streams, "t", { limit: 10 }, retention)).toEqual([1, 2]);
    expect(streams.retained).toBe(2);
    appendMany(streams, "t", 1, retention);
    expect(offsets(streams, "t", { limit: 10 }, retention)).toEqual([1, 2, 3]);
    for (let n = 4; n <= 11; n++) {
      streams.append("t", `m${n}`, retention);
      expect(offsets(streams, "t", { limit: 10 }, retention)).toEqual([n - 2, n - 1, n]);
      expect(streams.retained).toBe(3);
    }
    expect(streams.read("t", { limit: 10 }, retention).entries.map((e) => e.data)).toEqual(["m9", "m10", "m11"]);
  });

  it("reuses the slots freed by expiry, wrapping around, and grows again past them", () => {
    const time = clock();
    const streams = new TopicStreams<string>({ now: time.now });
    const retention = { size: 6, ttlMs: 100 };
    appendMany(streams, "t", 4, retention); // at 0: 1..4
    time.at(50);
    appendMany(streams, "t", 2, retention); // at 50: 5, 6 (ring full: 6)
    time.at(120); // 1..4 expire on the next append
    appendMany(streams, "t", 3, retention); // 7, 8, 9 go into freed slots
    expect(streams.retained).toBe(5);
    expect(offsets(streams, "t", { limit: 100 }, retention)).toEqual([5, 6, 7, 8, 9]);
    appendMany(streams, "t", 3, retention); // 10 fills the ring, 11 and 12 replace the oldest
    expect(offsets(streams, "t", { limit: 100 }, retention)).toEqual([7, 8, 9, 10, 11, 12]);
    expect(streams.retained).toBe(6);
  });

  it("grows a full ring whose oldest entry is not at the start", () => {
    const time = clock();
    const streams = new TopicStreams<string>({ now: time.now });
    const small = { size: 3, ttlMs: 100 };
    appendMany(streams, "t", 5, small); // ring [4, 5, 3], oldest in the middle
    const big = { size: 6, ttlMs: 100 };
    appendMany(streams, "t", 4, big);
    expect(offsets(streams, "t", { limit: 100 }, big)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(streams.retained).toBe(6);
  });

  it("resizes when the retention's size changes, keeping the newest that fit", () => {
    const streams = new TopicStreams<string>();
    appendMany(streams, "t", 7, { size: 5, ttlMs: 60_000 }); // keeps 3..7, wrapped
    streams.append("t", "m8", { size: 2, ttlMs: 60_000 });
    expect(offsets(streams, "t")).toEqual([7, 8]);
    expect(streams.retained).toBe(2);
    appendMany(streams, "t", 3, { size: 4, ttlMs: 60_000 });
    expect(offsets(streams, "t")).toEqual([8, 9, 10, 11]);
    expect(streams.retained).toBe(4);
    streams.append("t", "m12", { size: 0, ttlMs: 60_000 }); // at least one is kept
    expect(offsets(streams, "t")).toEqual([12]);
    expect(streams.retained).toBe(1);
  });

  it("reads the newest `limit` messages without `after`", () => {
    const streams = new TopicStreams<string>();
    appendMany(streams, "t", 10);
    expect(offsets(streams, "t", { limit: 3 })).toEqual([8, 9, 10]);
    expect(offsets(streams, "t", { limit: 0 })).toEqual([]);
    expect(offsets(streams, "t", { limit: 50 })).toHaveLength(10);
  });

  it("reads after an offset, and returns nothing when it is beyond the limit or above the top", () => {
    const streams = new TopicStreams<string>();
    appendMany(streams, "t", 10);
    const epoch = streams.read("t", { limit: 1 }, KEEP).position.epoch;
    expect(offsets(streams, "t", { after: 7, limit: 5 })).toEqual([8, 9, 10]);
    expect(offsets(streams, "t", { after: 5, limit: 5 })).toEqual([6, 7, 8, 9, 10]); // exactly `limit` behind
    expect(offsets(streams, "t", { after: 4, limit: 5 })).toEqual([]); // one more than `limit` behind
    expect(offsets(streams, "t", { after: 10, limit: 5 })).toEqual([]); // up to date
    expect(offsets(streams, "t", { after: 0, limit: 10 })).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const above = streams.read("t", { after: 11, limit: 5 }, KEEP);
    expect(above).toEqual({ position: { epoch, offset: 10 }, entries: [] });
  });

  it("reads after an offset older than what is kept: the entries start later (a gap the caller sees)", () => {
    const streams = new TopicStreams<string>();
    appendMany(streams, "t", 10, { size: 4, ttlMs: 60_000 });
    expect(offsets(streams, "t", { after: 2, limit: 100 }, { size: 4, ttlMs: 60_000 })).toEqual([7, 8, 9, 10]);
  });

  it("creates the epoch on a read, which the first append then continues", () => {
    const streams = new TopicStreams<string>();
    const read = streams.read("t", { limit: 10 }, KEEP);
    expect(read.position.offset).toBe(0);
    expect(read.entries).toEqual([]);
    expect(streams.topics).toBe(1);
    expect(streams.append("t", "m", KEEP)).toEqual({ epoch: read.position.epoch, offset: 1 });
  });

  it("leaves out messages older than ttlMs, keeps the offsets going", () => {
    const time = clock(1_000);
    const streams = new TopicStreams<string>({ now: time.now });
    const retention = { size: 10, ttlMs: 15 };
    streams.append("t", "m1", retention); // 1000
    time.at(1_010);
    streams.append("t", "m2", retention); // 1010
    time.at(1_020);
    streams.append("t", "m3", retention); // 1020
    time.at(1_025);
    expect(offsets(streams, "t", { limit: 10 }, retention)).toEqual([2, 3]); // 1000 is older than 15 ms
    expect(streams.retained).toBe(2);
    time.at(1_036);
    const read = streams.read("t", { limit: 10 }, retention);
    expect(read.entries).toEqual([]);
    expect(read.position.offset).toBe(3);
    expect(streams.retained).toBe(0);
    expect(streams.append("t", "m4", retention)).toEqual({ epoch: read.position.epoch, offset: 4 });
  });

  it("sweeps expired messages with each topic's ttl, and forgets idle topics (a new epoch next)", () => {
    const time = clock();
    const streams = new TopicStreams<string>({ now: time.now, metaTtlMs: 1_000 });
    const short = { size: 10, ttlMs: 50 };
    const long = { size: 10, ttlMs: 5_000 };
    const first = streams.append("short", "s", short);
    appendMany(streams, "long", 2, long);
    expect(streams.retained).toBe(3);
    time.at(100);
    streams.sweep();
    expect(streams.retained).toBe(2);
    expect(streams.topics).toBe(2); // "short" is empty but used recently: its epoch stays
    time.at(999);
    streams.sweep();
    expect(streams.topics).toBe(2);
    time.at(1_000);
    streams.sweep();
    expect(streams.topics).toBe(1); // "short" forgotten; "long" still holds messages
    expect(streams.retained).toBe(2);
    const next = streams.append("short", "s", short);
    expect(next.offset).toBe(1);
    expect(next.epoch).not.toBe(first.epoch);
    time.at(6_000);
    streams.sweep();
    expect(streams.retained).toBe(0);
    expect(streams.topics).toBe(0); // both empty now, and idle for metaTtl
  });

  it("starts a new epoch for an empty topic unused for metaTtlMs even without a sweep", () => {
    const time = clock();
    const streams = new TopicStreams<string>({ now: time.now, metaTtlMs: 1_000 });
    const first = streams.read("t", { limit: 1 }, KEEP).position;
    time.at(999);
    expect(streams.read("t", { limit: 1 }, KEEP).position).toEqual(first); // a read keeps it alive
    time.at(1_999);
    expect(streams.append("t", "m", KEEP).epoch).not.toBe(first.epoch);
  });

  it("counts retained messages over all topics, and clears them all", () => {
    const streams = new TopicStreams<string>();
    appendMany(streams, "a", 3);
    appendMany(streams, "b", 5, { size: 2, ttlMs: 60_000 });
    expect(streams.retained).toBe(5);
    const epoch = streams.read("a", { limit: 1 }, KEEP).position.epoch;
    streams.clear();
    expect(streams.retained).toBe(0);
    expect(streams.topics).toBe(0);
    const again = streams.append("a", "m", KEEP);
    expect(again.offset).toBe(1);
    expect(again.epoch).not.toBe(epoch);
  });
});
