/**
 * Flat cost per operation, checked by structure rather than time: while an operation runs, every call to
 * a Map, Set or Array method (get, set, has, add, delete, push, iteration steps, forEach/map/filter…) is
 * counted. An operation on a topic of 10,000 presences must do about as many of those as the same
 * operation on a topic of 10 — a scan of the topic would add thousands.
 */
import { describe, expect, it } from "vitest";
import { PresenceCrdt, type PresenceWire } from "../../../src/presence/index.js";
import { IDS, cluster } from "./sim.js";

type Proto = Record<PropertyKey, unknown>;

/** Runs `fn` and counts collection work done meanwhile (not reentrant; synchronous only). */
function work(fn: () => unknown): number {
  let steps = 0;
  const restore: Array<() => void> = [];
  const patch = (proto: Proto, key: PropertyKey, wrap: (original: (...args: unknown[]) => unknown) => (...args: unknown[]) => unknown) => {
    const original = proto[key] as (...args: unknown[]) => unknown;
    proto[key] = wrap(original);
    restore.push(() => (proto[key] = original));
  };
  const counting = (original: (...args: unknown[]) => unknown) =>
    function (this: unknown, ...args: unknown[]) {
      steps++;
      return original.apply(this, args);
    };
  const iterating = (original: (...args: unknown[]) => unknown) =>
    function (this: unknown, ...args: unknown[]) {
      const inner = original.apply(this, args) as Iterator<unknown>;
      return {
        next() {
          const step = inner.next();
          if (step.done !== true) steps++;
          return step;
        },
        [Symbol.iterator]() {
          return this;
        },
      };
    };
  const sized = (original: (...args: unknown[]) => unknown) =>
    function (this: { length?: number; size?: number }, ...args: unknown[]) {
      steps += this.size ?? this.length ?? 0;
      return original.apply(this, args);
    };
  const mapProto = Map.prototype as unknown as Proto;
  const setProto = Set.prototype as unknown as Proto;
  const arrayProto = Array.prototype as unknown as Proto;
  try {
    for (const key of ["get", "set", "has", "delete"]) patch(mapProto, key, counting);
    for (const key of ["add", "has", "delete"]) patch(setProto, key, counting);
    for (const proto of [mapProto, setProto]) {
      for (const key of ["keys", "values", "entries", Symbol.iterator]) patch(proto, key, iterating);
      patch(proto, "forEach", sized);
    }
    patch(arrayProto, Symbol.iterator, iterating);
    for (const key of ["push", "splice"]) patch(arrayProto, key, counting);
    for (const key of ["forEach", "map", "filter", "some", "every", "find", "reduce", "indexOf", "includes", "slice", "sort", "concat"]) {
      patch(arrayProto, key, sized);
    }
    fn();
  } finally {
    for (const undo of restore.reverse()) undo();
  }
  return steps;
}

const [A, B] = IDS;
const SMALL = 10;
const LARGE = 10_000;

/** A replica with `n` presences of local owners in "room:big", its pending delta already extracted. */
function localTopic(n: number): PresenceCrdt {
  const s = new PresenceCrdt({ replica: A });
  for (let i = 0; i < n; i++) s.join(`pid-${i}`, "room:big", `user-${i}`, { i });
  s.extractDelta();
  // Warm-up: the first small delta after a huge one restarts the generations.
  s.join("warm", "room:big", "warm", {});
  s.extractDelta();
  return s;
}

/** Replica b holding `n` presences of replica a in "room:big"; returns both. */
function remoteTopic(n: number): [PresenceCrdt, PresenceCrdt] {
  const [a, b] = cluster(2);
  for (let i = 0; i < n; i++) a.join(`pid-${i}`, "room:big", `user-${i}`, { i });
  b.merge(a.extractDelta()!);
  a.join("warm", "room:big", "warm", {});
  b.merge(a.extractDelta()!);
  return [a, b];
}

/** Work of `op` on a state built for SMALL and for LARGE presences. */
function compare<S>(build: (n: number) => S, op: (state: S) => unknown): { small: number; large: number } {
  const small = build(SMALL);
  const large = build(LARGE);
  return { small: work(() => op(small)), large: work(() => op(large)) };
}

function expectFlat({ small, large }: { small: number; large: number }): void {
  expect(small).toBeGreaterThan(0); // the counter sees the state's work at all
  expect(large).toBeLessThanOrEqual(small + 16);
  expect(large).toBeLessThan(LARGE / 10);
}

describe("a topic of 10,000 presences is not scanned by", () => {
  it("the counter itself (sanity: a scan is seen)", () => {
    const s = localTopic(LARGE);
    expect(work(() => s.get("room:big"))).toBeGreaterThan(LARGE);
  });

  it("join (track)", () => {
    expectFlat(compare(localTopic, (s) => s.join("new", "room:big", "newcomer", {})));
  });

  it("leave (untrack)", () => {
    expectFlat(compare(localTopic, (s) => s.leave("pid-3", "room:big", "user-3")));
  });

  it("update", () => {
    expectFlat(compare(localTopic, (s) => s.update("pid-3", "room:big", "user-3", { away: true })));
  });

  it("leaveAll of an owner with one presence there", () => {
    expectFlat(compare(localTopic, (s) => s.leaveAll("pid-3")));
  });

  it("has, getByKey, topicSize, size", () => {
    expectFlat(
      compare(localTopic, (s) => [s.has("pid-3", "room:big", "user-3"), s.getByKey("room:big", "user-3"), s.topicSize("room:big"), s.size]),
    );
  });

  it("extractDelta after a few changes", () => {
    expectFlat(
      compare(
        (n) => {
          const s = localTopic(n);
          s.join("new", "room:big", "newcomer", {});
          s.leave("pid-3", "room:big", "user-3");
          return s;
        },
        (s) => s.extractDelta(),
      ),
    );
  });

  it("merging a small delta (a join, a leave and an update) from the replica that owns the 10,000", () => {
    const build = (n: number): [PresenceCrdt, PresenceWire] => {
      const [a, b] = remoteTopic(n);
      a.join("new", "room:big", "newcomer", {});
      a.leave("pid-3", "room:big", "user-3");
      a.update("pid-5", "room:big", "user-5", { away: true });
      return [b, a.extractDelta()!];
    };
    const measured = compare(build, ([b, delta]) => {
      const diff = b.merge(delta);
      expect([diff.joins.length, diff.leaves.length]).toEqual([2, 2]);
    });
    expectFlat(measured);
  });

  it("reads of a small topic next to the big one, and catch-up answers for a replica one delta behind", () => {
    const build = (n: number): [PresenceCrdt, PresenceCrdt] => {
      const [a, b] = remoteTopic(n);
      a.join("p", "room:small", "solo", {});
      a.extractDelta();
      return [a, b];
    };
    expectFlat(compare(build, ([a]) => a.get("room:small")));
    expectFlat(compare(build, ([a, b]) => expect(a.extractFor(b.clock(), b.replica).kind).toBe("delta")));
  });
});

describe("1,000 topics of 10 presences", () => {
  const manyTopics = (topics: number): PresenceCrdt => {
    const s = new PresenceCrdt({ replica: B });
    for (let t = 0; t < topics; t++) for (let i = 0; i < 10; i++) s.join(`pid-${t}-${i}`, `room:${t}`, `user-${i}`, {});
    s.extractDelta();
    s.join("warm", "room:0", "warm", {});
    s.extractDelta();
    return s;
  };

  it("join, leave, leaveAll and reads of one topic cost the same as with 1 topic", () => {
    const build = (n: number) => manyTopics(n === SMALL ? 1 : 1000);
    expectFlat(compare(build, (s) => s.join("new", "room:0", "newcomer", {})));
    expectFlat(compare(build, (s) => s.leave("pid-0-3", "room:0", "user-3")));
    expectFlat(compare(build, (s) => s.leaveAll("pid-0-4")));
    expectFlat(compare(build, (s) => [s.get("room:0"), s.topicSize("room:0")]));
  });
});
