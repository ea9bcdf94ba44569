/**
 * Test support for the presence state: a small in-memory cluster of replicas driven by a list of
 * operations (local tracks and untracks, delta flushes, deliveries in any order with duplicates and
 * losses, full-state and catch-up transfers, replica down/up/removal), with a per-replica view rebuilt
 * only from the diffs the state returns, and canonical renderings of what a replica shows and holds.
 */
import fc from "fast-check";
import { expect } from "vitest";
import type { PresenceChanges, PresenceEntry, PresenceWire, VersionVector } from "../../../src/presence/index.js";
import { PresenceError, PresenceCrdt, replicaId } from "../../../src/presence/index.js";

/** Replica ids used by the tests. */
export const IDS = [replicaId("node-a", 1), replicaId("node-b", 2), replicaId("node-c", 3), replicaId("node-d", 4)] as const;

/** A canonical one-line rendering of an entry. */
export function line(entry: PresenceEntry): string {
  return [entry.topic, entry.pid, entry.key, entry.ref, JSON.stringify(entry.meta)].join(" | ");
}

/** What a replica shows, sorted. */
export function visible(state: PresenceCrdt): string[] {
  return state.entries().map(line).sort();
}

/** What a replica holds (all known replicas' parts, hidden ones too), without the sender field. */
export function holdings(state: PresenceCrdt): PresenceWire["parts"] {
  return state.extract().parts;
}

type Tuple<N extends number, T, R extends T[] = []> = R["length"] extends N ? R : Tuple<N, T, [...R, T]>;

/** A cluster of 2–4 replicas that all know each other as up. */
export function cluster<N extends 2 | 3 | 4>(n: N, maxDeltaSizes?: readonly number[]): Tuple<N, PresenceCrdt> {
  return makeCluster(n, maxDeltaSizes) as Tuple<N, PresenceCrdt>;
}

/** A cluster of `n` replicas that all know each other as up. */
export function makeCluster(n: number, maxDeltaSizes?: readonly number[]): PresenceCrdt[] {
  const states = IDS.slice(0, n).map((replica) => new PresenceCrdt({ replica, ...(maxDeltaSizes ? { maxDeltaSizes } : {}) }));
  for (const a of states) for (const b of states) if (a !== b) a.replicaUp(b.replica);
  return states;
}

/** One step of a simulation. Indices are taken modulo the cluster size (or inbox length). */
export type Op =
  | { readonly t: "join"; readonly r: number; readonly pid: number; readonly topic: number; readonly key: number; readonly meta: number }
  | { readonly t: "leave"; readonly r: number; readonly pid: number; readonly topic: number; readonly key: number }
  | { readonly t: "leaveAll"; readonly r: number; readonly pid: number }
  | { readonly t: "update"; readonly r: number; readonly pid: number; readonly topic: number; readonly key: number; readonly meta: number }
  | { readonly t: "flush"; readonly r: number }
  | { readonly t: "deliver"; readonly to: number; readonly pick: number; readonly keep: boolean }
  | { readonly t: "drop"; readonly to: number; readonly pick: number }
  | { readonly t: "full"; readonly from: number; readonly to: number }
  | { readonly t: "transfer"; readonly from: number; readonly to: number }
  | { readonly t: "down"; readonly at: number; readonly r: number }
  | { readonly t: "up"; readonly at: number; readonly r: number }
  | { readonly t: "remove"; readonly at: number; readonly r: number };

const small = fc.nat({ max: 3 });
const anyIndex = fc.nat({ max: 1000 });
// A small name space (2 owners × 2 topics × 3 keys per replica), so leaves and updates usually hit.
const pid = fc.nat({ max: 1 });
const topic = fc.nat({ max: 1 });
const key = fc.nat({ max: 2 });
const meta = fc.nat({ max: 9 });

/** Local operations only. */
export const localOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant("join" as const), r: small, pid, topic, key, meta }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("leave" as const), r: small, pid, topic, key }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("leaveAll" as const), r: small, pid }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("update" as const), r: small, pid, topic, key, meta }) },
);

/** Network operations: flushes, deliveries (reordered via `pick`, duplicated via `keep`), transfers. */
export const netOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant("flush" as const), r: small }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant("deliver" as const), to: small, pick: anyIndex, keep: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("full" as const), from: small, to: small }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("transfer" as const), from: small, to: small }) },
);

/** Message loss. */
export const dropOp: fc.Arbitrary<Op> = fc.record({ t: fc.constant("drop" as const), to: small, pick: anyIndex });

/** Replica down / up at some replica. */
export const downUpOp: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant("down" as const), at: small, r: small }),
  fc.record({ t: fc.constant("up" as const), at: small, r: small }),
);

/** Options of a {@link Sim}. */
export interface SimOptions {
  /** Clock a requester sends with a transfer request: `clock()` (default) or `context()` (down replicas included). */
  readonly requestWith?: "clock" | "context";
  /** Size caps of the delta generations. */
  readonly maxDeltaSizes?: readonly number[];
  /** Ops of these kinds are skipped (for a twin run). */
  readonly skip?: ReadonlySet<Op["t"]>;
}

/**
 * A simulated cluster. Every diff a state returns is applied to that replica's view, and the view is
 * checked against what the state shows after every step.
 */
export class Sim {
  readonly states: PresenceCrdt[];
  /** Messages in flight, per destination. */
  readonly inbox: PresenceWire[][];
  /** Per replica: ref → rendered entry, built only from returned diffs. */
  readonly views: Array<Map<string, string>>;
  /** Every delta ever flushed, with its origin. */
  readonly sent: Array<{ readonly from: number; readonly wire: PresenceWire }> = [];
  readonly #options: SimOptions;

  constructor(n: number, options: SimOptions = {}) {
    this.states = makeCluster(n, options.maxDeltaSizes);
    this.inbox = this.states.map(() => []);
    this.views = this.states.map(() => new Map());
    this.#options = options;
  }

  get n(): number {
    return this.states.length;
  }

  /** Applies `diff` to replica `i`'s view: every join is new there, every leave was there. */
  record(i: number, diff: PresenceChanges): void {
    const view = this.views[i]!;
    for (const entry of diff.leaves) {
      expect(view.has(entry.ref), `replica ${i}: leave of ${line(entry)} that it never showed`).toBe(true);
      view.delete(entry.ref);
    }
    for (const entry of diff.joins) {
      expect(view.has(entry.ref), `replica ${i}: second join of ${line(entry)}`).toBe(false);
      view.set(entry.ref, line(entry));
    }
  }

  /** Checks that each replica's view equals what it shows, through every query. */
  checkViews(): void {
    for (let i = 0; i < this.n; i++) {
      const shown = visible(this.states[i]!);
      expect([...this.views[i]!.values()].sort()).toEqual(shown);
      checkQueries(this.states[i]!, shown);
    }
  }

  run(ops: readonly Op[], check = true): void {
    for (const op of ops) {
      this.step(op);
      if (check) this.checkViews();
    }
  }

  step(op: Op): void {
    if (this.#options.skip?.has(op.t)) return;
    const n = this.n;
    switch (op.t) {
      case "join": {
        const i = op.r % n;
        const s = this.states[i]!;
        const [pid, topic, key] = names(i, op);
        if (s.has(pid, topic, key)) return;
        this.record(i, { joins: [s.join(pid, topic, key, { v: op.meta })], leaves: [] });
        return;
      }
      case "leave": {
        const i = op.r % n;
        const left = this.states[i]!.leave(...names(i, op));
        this.record(i, { joins: [], leaves: left ? [left] : [] });
        return;
      }
      case "leaveAll": {
        const i = op.r % n;
        this.record(i, { joins: [], leaves: this.states[i]!.leaveAll(`pid-${i}-${op.pid}`) });
        return;
      }
      case "update": {
        const i = op.r % n;
        const changed = this.states[i]!.update(...names(i, op), (current) => ({ v: op.meta, prev: current.ref }));
        if (changed) this.record(i, { joins: [changed.joined], leaves: [changed.left] });
        return;
      }
      case "flush": {
        const i = op.r % n;
        const wire = this.states[i]!.extractDelta();
        if (wire === null) return;
        this.sent.push({ from: i, wire });
        for (let j = 0; j < n; j++) if (j !== i) this.inbox[j]!.push(wire);
        return;
      }
      case "deliver": {
        const j = op.to % n;
        const box = this.inbox[j]!;
        if (box.length === 0) return;
        const at = op.pick % box.length;
        const wire = box[at]!;
        if (!op.keep) box.splice(at, 1);
        this.record(j, this.states[j]!.merge(overTheWire(wire)));
        return;
      }
      case "drop": {
        const box = this.inbox[op.to % n]!;
        if (box.length > 0) box.splice(op.pick % box.length, 1);
        return;
      }
      case "full": {
        const [from, to] = [op.from % n, op.to % n];
        if (from !== to) this.inbox[to]!.push(this.states[from]!.extract());
        return;
      }
      case "transfer": {
        const [from, to] = [op.from % n, op.to % n];
        if (from === to) return;
        const requester = this.states[to]!;
        const clock: VersionVector = this.#options.requestWith === "context" ? requester.context() : requester.clock();
        this.inbox[to]!.push(this.states[from]!.extractFor(clock, requester.replica));
        return;
      }
      case "down":
      case "up":
      case "remove": {
        const [at, r] = [op.at % n, op.r % n];
        if (at === r) return;
        const s = this.states[at]!;
        const id = this.states[r]!.replica;
        const diff = op.t === "down" ? s.replicaDown(id) : op.t === "up" ? s.replicaUp(id) : s.removeDown(id);
        this.record(at, diff);
        return;
      }
    }
  }

  /** Flushes every replica, then delivers every message in flight (in inbox order), until none is left. */
  drain(): void {
    for (let i = 0; i < this.n; i++) this.step({ t: "flush", r: i });
    for (let j = 0; j < this.n; j++) {
      const box = this.inbox[j]!;
      while (box.length > 0) this.record(j, this.states[j]!.merge(overTheWire(box.shift()!)));
    }
  }

  /** Every replica sends its full state to every other one (all extracted before any is merged). */
  antiEntropy(): void {
    const states = this.states.map((s) => s.extract());
    for (let j = 0; j < this.n; j++) for (let i = 0; i < this.n; i++) if (i !== j) this.record(j, this.states[j]!.merge(states[i]!));
  }
}

/** What another node receives: a JSON copy, sharing nothing with the sender. */
export function overTheWire(wire: PresenceWire): PresenceWire {
  return JSON.parse(JSON.stringify(wire)) as PresenceWire;
}

/** Every query agrees with `entries()` (rendered as `shown`). */
export function checkQueries(state: PresenceCrdt, shown: readonly string[]): void {
  const topics = state.topics();
  expect(topics.flatMap((t) => state.get(t)).map(line).sort()).toEqual(shown);
  expect(state.size).toBe(shown.length);
  for (const t of topics) {
    const inTopic = state.get(t);
    expect(state.topicSize(t)).toBe(inTopic.length);
    for (const k of new Set(inTopic.map((e) => e.key))) {
      expect(state.getByKey(t, k).map(line).sort()).toEqual(inTopic.filter((e) => e.key === k).map(line).sort());
    }
  }
  const all = state.entries();
  for (const p of new Set(all.map((e) => e.pid))) {
    expect(state.getByPid(p).map(line).sort()).toEqual(all.filter((e) => e.pid === p).map(line).sort());
  }
}

function names(i: number, op: { readonly pid: number; readonly topic: number; readonly key: number }): [string, string, string] {
  return [`pid-${i}-${op.pid}`, `room:${op.topic}`, `user-${op.key}`];
}

/** The PresenceError code `fn` throws, or `undefined` when it does not throw (other errors are rethrown). */
export function errorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof PresenceError) return err.code;
    throw err;
  }
  return undefined;
}
