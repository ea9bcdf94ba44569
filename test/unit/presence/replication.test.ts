/**
 * Replication of the presence state, case by case: the delta and full-state wire shapes, what each merge
 * returns, stale and duplicated data, gaps, catch-up through delta generations, and validation of
 * malformed or foreign-version data.
 */
import { describe, expect, it } from "vitest";
import {
  PRESENCE_WIRE_VERSION,
  PresenceErrorCode,
  PresenceCrdt,
  type PresenceEntry,
  type PresenceWire,
} from "../../../src/presence/index.js";
import { IDS, cluster, errorCode as code, holdings, visible } from "./sim.js";

const [A, B, C] = IDS;
const keys = (entries: readonly PresenceEntry[]) => entries.map((e) => e.key).sort();
const json = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;


describe("deltas", () => {
  it("extractDelta is null when nothing changed, and holds only what changed since the last one", () => {
    const a = new PresenceCrdt({ replica: A });
    expect(a.extractDelta()).toBeNull();
    a.join("p1", "room:1", "alice", { n: 1 });
    a.join("p1", "room:1", "bob", { n: 2 });
    expect(a.extractDelta()).toEqual({
      v: PRESENCE_WIRE_VERSION,
      kind: "delta",
      from: A,
      parts: [
        {
          replica: A,
          seen: [[0, 2]],
          entries: [
            [1, "room:1", "p1", "alice", { n: 1 }],
            [2, "room:1", "p1", "bob", { n: 2 }],
          ],
        },
      ],
    });
    expect(a.extractDelta()).toBeNull();
    a.leave("p1", "room:1", "alice"); // counter 3 (a leave marks the clock)
    a.join("p1", "room:1", "carol", {}); // 4
    a.leave("p1", "room:1", "carol"); // 5: carol came and went within this delta
    a.join("p1", "room:1", "dave", {}); // 6
    // Observed: alice's old dot 1, and the window 2..6 — of which only dave (6) is live.
    expect(a.extractDelta()?.parts).toEqual([{ replica: A, seen: [[0, 1], [2, 6]], entries: [[6, "room:1", "p1", "dave", {}]] }]);
  });

  it("a delta is plain JSON: a JSON round trip merges the same", () => {
    const [a, b] = cluster(2);
    a.join("p1", "room:1", "alice", { nested: { list: [1, "x", null] } });
    const delta = a.extractDelta()!;
    expect(json(delta)).toEqual(delta);
    const diff = b.merge(json(delta));
    expect(diff.joins.map((e) => e.meta)).toEqual([{ nested: { list: [1, "x", null] } }]);
    expect(visible(b)).toEqual(visible(a));
  });

  it("merge returns the joins and leaves it causes, and nothing the second time", () => {
    const [a, b] = cluster(2);
    const alice = a.join("p1", "room:1", "alice", {});
    const bob = a.join("p1", "room:1", "bob", {});
    const first = a.extractDelta()!;
    expect(keys(b.merge(first).joins)).toEqual(["alice", "bob"]);
    expect(b.merge(first)).toEqual({ joins: [], leaves: [] });

    a.leave("p1", "room:1", "alice");
    const moved = a.update("p1", "room:1", "bob", { away: true })!;
    const second = a.extractDelta()!;
    const diff = b.merge(second);
    expect(diff.joins).toEqual([expect.objectContaining({ ref: moved.joined.ref, meta: { away: true } })]);
    expect(diff.leaves.map((e) => e.ref).sort()).toEqual([alice.ref, bob.ref].sort());
    expect(b.merge(second)).toEqual({ joins: [], leaves: [] });
    expect(b.merge(first)).toEqual({ joins: [], leaves: [] }); // stale: alice and bob's old dot stay gone
    expect(visible(b)).toEqual(visible(a));
  });

  it("a removal that arrives before the add it removes wins over the late add", () => {
    const [a, b] = cluster(2);
    a.join("p1", "room:1", "alice", {});
    const add = a.extractDelta()!;
    a.leave("p1", "room:1", "alice");
    const remove = a.extractDelta()!;
    expect(b.merge(remove)).toEqual({ joins: [], leaves: [] });
    expect(b.merge(add)).toEqual({ joins: [], leaves: [] });
    expect(b.size).toBe(0);
    expect(b.context()[A]).toBe(2); // the gap closed: both counters observed
  });

  it("a missed delta can leave two metas under one owner's key until the gap is filled", () => {
    const [a, b] = cluster(2);
    const v1 = a.join("p1", "room:1", "alice", { v: 1 });
    b.merge(a.extractDelta()!);
    a.leave("p1", "room:1", "alice");
    const missed = a.extractDelta()!;
    const v2 = a.join("p1", "room:1", "alice", { v: 2 });
    const later = a.extractDelta()!;
    expect(b.merge(later).joins).toEqual([v2]);
    expect(b.getByKey("room:1", "alice").map((e) => e.ref).sort()).toEqual([v1.ref, v2.ref].sort());
    expect(b.context()[A]).toBe(1); // counters 3 observed, 2 not: a gap
    expect(b.merge(missed).leaves.map((e) => e.ref)).toEqual([v1.ref]);
    expect(b.getByKey("room:1", "alice")).toEqual([v2]);
    expect(b.context()[A]).toBe(3);
  });

  it("a merge ignores what the receiver says about the sender's own entries", () => {
    const [a, b] = cluster(2);
    a.join("p1", "room:1", "alice", {});
    b.merge(a.extractDelta()!);
    a.leave("p1", "room:1", "alice");
    // b's full state still has alice; a is authoritative about its own entries.
    expect(a.merge(b.extract())).toEqual({ joins: [], leaves: [] });
    expect(a.size).toBe(0);
  });
});

describe("full states", () => {
  it("extract holds every known replica's part, down ones included, with start-at-zero ranges", () => {
    const [a, b, c] = cluster(3);
    a.join("pa", "room:1", "alice", {});
    b.join("pb", "room:1", "bob", {});
    c.merge(a.extractDelta()!);
    c.merge(b.extractDelta()!);
    c.replicaDown(b.replica);
    const state = c.extract();
    expect(state.kind).toBe("state");
    expect(state.from).toBe(C);
    expect(state.parts.map((p) => [p.replica, p.seen, p.entries.length])).toEqual([
      [A, [[0, 1]], 1],
      [B, [[0, 1]], 1],
      [C, [], 0],
    ]);
    expect(c.extract({ replicas: [B, "node-x#9"] }).parts.map((p) => p.replica)).toEqual([B]);
  });

  it("a full state brings a replica that missed everything up to date, and removes what it holds stale", () => {
    const [a, b, c] = cluster(3);
    a.join("pa", "room:1", "alice", {});
    a.join("pa", "room:1", "ann", {});
    c.merge(a.extractDelta()!);
    b.merge(c.extract());
    a.leave("pa", "room:1", "alice");
    c.merge(a.extractDelta()!);
    const diff = b.merge(c.extract());
    expect(keys(diff.leaves)).toEqual(["alice"]);
    expect(visible(b)).toEqual(visible(a));
    // A state older than what b knows changes nothing.
    const old = new PresenceCrdt({ replica: C });
    old.replicaUp(A);
    expect(b.merge(old.extract())).toEqual({ joins: [], leaves: [] });
  });
});

describe("catch-up (extractFor) and delta generations", () => {
  it("answers an up-to-date requester with an empty delta", () => {
    const [a, b] = cluster(2);
    a.join("pa", "room:1", "alice", {});
    b.merge(a.extractDelta()!);
    expect(a.extractFor(b.clock(), b.replica)).toEqual({ v: 1, kind: "delta", from: A, parts: [] });
  });

  it("picks the smallest generation that continues from the requester's clock", () => {
    const [a, b] = cluster(2, [2, 5, 50]);
    a.join("pa", "room:1", "u0", {});
    b.merge(a.extractDelta()!); // b has counter 1
    for (let i = 1; i <= 6; i++) {
      a.join("pa", "room:1", `u${i}`, {});
      a.extractDelta();
    }
    expect(a.generationSizes()).toEqual([2, 4, 8]); // the 5-cap one restarted from the 2-cap one at its 6th entry
    // b lacks 2..7: only the 50-cap generation still reaches back to counter 2.
    const answer = a.extractFor(b.clock(), b.replica);
    expect(answer.kind).toBe("delta");
    expect(answer.parts[0]?.seen).toEqual([[0, 7]]);
    expect(keys(b.merge(answer).joins)).toEqual(["u1", "u2", "u3", "u4", "u5", "u6"]);
    expect(visible(b)).toEqual(visible(a));

    // A requester that lacks only the last change gets the smallest generation.
    a.join("pa", "room:1", "u7", {});
    a.extractDelta();
    const small = a.extractFor(b.clock(), b.replica);
    expect(small.parts[0]?.seen).toEqual([[7, 8]]);
  });

  it("never answers with a generation that starts after the requester's clock, even when it observes the next counter as a removal", () => {
    // The smallest generation restarts at the third delta, which removes counter 2: it observes 2, yet
    // lacks the delta that created 2 and removed counter 1, which b holds.
    const [a, b] = cluster(2, [1, 3, 8]);
    a.join("p1", "room:1", "alice", { v: 0 });
    b.merge(a.extractDelta()!); // b holds counter 1
    a.update("p1", "room:1", "alice", { v: 1 }); // counter 2 replaces 1
    a.extractDelta();
    a.leave("p1", "room:1", "alice"); // removes 2
    a.join("p0", "room:1", "alice", { v: 2 });
    a.extractDelta();
    for (let round = 0; round < 3; round++) b.merge(a.extractFor(b.clock(), b.replica));
    expect(visible(b)).toEqual(visible(a));
    expect(b.get("room:1").map((e) => e.pid)).toEqual(["p0"]);
  });

  it("falls back to the full state, limited to the replicas the requester knows", () => {
    const [a, b, c] = cluster(3, [1]);
    a.join("pa", "room:1", "alice", {});
    a.extractDelta();
    a.join("pa", "room:1", "ann", {});
    a.extractDelta();
    c.join("pc", "room:1", "carl", {});
    a.merge(c.extractDelta()!);
    b.replicaDown(c.replica); // b's clock leaves c out
    const answer = a.extractFor(b.clock(), b.replica);
    expect(answer.kind).toBe("state");
    expect(answer.parts.map((p) => p.replica)).toEqual([A]);
    expect(keys(b.merge(answer).joins)).toEqual(["alice", "ann"]);
  });

  it("records received deltas too, so any replica can help another catch up", () => {
    const [a, b, c] = cluster(3);
    a.join("pa", "room:1", "alice", {});
    b.merge(a.extractDelta()!); // c missed it
    const answer = b.extractFor(c.clock(), c.replica);
    expect(answer.kind).toBe("delta");
    expect(keys(c.merge(answer).joins)).toEqual(["alice"]);
  });

  it("with no generations every catch-up is a full state", () => {
    const [a, b] = cluster(2, []);
    a.join("pa", "room:1", "alice", {});
    a.extractDelta();
    expect(a.generationSizes()).toEqual([]);
    expect(a.extractFor(b.clock(), b.replica).kind).toBe("state");
  });

  it("removeDown drops the replica's parts from the generations", () => {
    const [a, b] = cluster(2);
    b.join("pb", "room:1", "bob", {});
    a.merge(b.extractDelta()!);
    expect(a.generationSizes()[0]).toBe(2);
    a.removeDown(b.replica);
    expect(a.generationSizes()[0]).toBe(0);
  });
});

describe("wire validation", () => {
  const good = (): PresenceWire => {
    const a = new PresenceCrdt({ replica: A });
    a.join("p", "room:1", "k", {});
    return a.extractDelta()!;
  };
  const with_ = (patch: (w: Record<string, unknown> & { parts: Array<Record<string, unknown>> }) => void): unknown => {
    const w = json(good()) as unknown as Record<string, unknown> & { parts: Array<Record<string, unknown>> };
    patch(w);
    return w;
  };

  it("rejects another wire version with WIRE_VERSION", () => {
    const b = cluster(2)[1]!;
    expect(code(() => b.merge(with_((w) => (w.v = 2)) as PresenceWire))).toBe(PresenceErrorCode.WIRE_VERSION);
  });

  it.each([
    ["not an object", () => "x"],
    ["v missing", () => with_((w) => delete w.v)],
    ["bad kind", () => with_((w) => (w.kind = "diff"))],
    ["bad from", () => with_((w) => (w.from = "nohash"))],
    ["parts not an array", () => with_((w) => (w.parts = {} as never))],
    ["duplicate part", () => with_((w) => w.parts.push(w.parts[0]!))],
    ["bad replica", () => with_((w) => (w.parts[0]!.replica = 5))],
    ["seen not pairs", () => with_((w) => (w.parts[0]!.seen = [[0]]))],
    ["empty range", () => with_((w) => (w.parts[0]!.seen = [[1, 1]]))],
    ["negative counter", () => with_((w) => (w.parts[0]!.seen = [[-1, 1]]))],
    ["entry outside seen", () => with_((w) => (w.parts[0]!.seen = [[3, 4]]))],
    ["entry arity", () => with_((w) => (w.parts[0]!.entries = [[1, "room", "p", "k"]]))],
    ["entry counter twice", () => with_((w) => (w.parts[0]!.entries = [[1, "t", "p", "k", {}], [1, "t", "p", "j", {}]]))],
    ["empty topic", () => with_((w) => (w.parts[0]!.entries = [[1, "", "p", "k", {}]]))],
    ["non-string key", () => with_((w) => (w.parts[0]!.entries = [[1, "t", "p", 7, {}]]))],
    ["meta not an object", () => with_((w) => (w.parts[0]!.entries = [[1, "t", "p", "k", "m"]]))],
  ])("rejects %s with BAD_WIRE and merges nothing", (_name, make) => {
    const b = cluster(2)[1]!;
    const before = holdings(b);
    expect(code(() => b.merge(make() as PresenceWire))).toBe(PresenceErrorCode.BAD_WIRE);
    expect(holdings(b)).toEqual(before);
  });

  it("accepts ranges out of order or overlapping, and normalises them", () => {
    const [, b] = cluster(2);
    const wire = with_((w) => (w.parts[0]!.seen = [[1, 3], [0, 2], [5, 6]]));
    expect(keys(b.merge(wire as PresenceWire).joins)).toEqual(["k"]);
    expect(b.extract().parts.find((p) => p.replica === A)?.seen).toEqual([[0, 3], [5, 6]]);
    expect(b.context()[A]).toBe(3);
  });
});

it("keeps unrelated replicas apart: B's data never touches A's part", () => {
  const [a, b, c] = cluster(3);
  a.join("pa", "room:1", "alice", {});
  b.join("pb", "room:1", "bob", {});
  c.merge(a.extractDelta()!);
  c.merge(b.extractDelta()!);
  expect(c.context()).toEqual({ [A]: 1, [B]: 1, [C]: 0 });
});
