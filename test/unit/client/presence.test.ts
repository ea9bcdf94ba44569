/**
 * The client Presence's sync algorithm, checked against the official client's for the same inputs: both are
 * driven by a small fake channel (an event emitter with a settable join ref, standing in for the channel
 * that would deliver `presence_state` / `presence_diff`), and the results, callbacks and list order must
 * match, for hand-picked cases and for random sequences of states, diffs and rejoins.
 */
import fc from "fast-check";
import { Presence as OfficialPresence, type Channel as OfficialChannel } from "phoenix";
import { describe, expect, it } from "vitest";
import {
  Presence,
  listPresences,
  syncDiff,
  syncState,
  type PresenceChannel,
  type PresenceDiff,
  type PresenceMetaPayload,
  type Presences,
} from "../../../src/client/presence.js";

/** A channel as Presence sees it: listeners by event, a join ref the test sets. */
class FakeChannel implements PresenceChannel {
  ref: string | null = null;
  readonly #listeners = new Map<string, ((payload: unknown) => void)[]>();

  on(event: string, callback: (payload: unknown) => void): number {
    const list = this.#listeners.get(event) ?? [];
    list.push(callback);
    this.#listeners.set(event, list);
    return list.length;
  }

  joinRef(): string | null {
    return this.ref;
  }

  /** Delivers an event; the payload is parsed from JSON text, as it would come off the wire. */
  emit(event: string, json: string): void {
    for (const callback of this.#listeners.get(event) ?? []) callback(JSON.parse(json));
  }
}

/** Both clients on their own fake channels, recording their callbacks as JSON snapshots. */
class Pair {
  readonly ours = new FakeChannel();
  readonly theirs = new FakeChannel();
  readonly ourLog: string[] = [];
  readonly theirLog: string[] = [];
  readonly presence: Presence;
  readonly official: OfficialPresence;

  constructor(options: { events?: { state: string; diff: string } } = {}) {
    this.presence = new Presence(this.ours, options);
    this.official = new OfficialPresence(this.theirs as unknown as OfficialChannel, options);
    const record = (log: string[]) => ({
      join: (key?: string, current?: unknown, joined?: unknown) => log.push(JSON.stringify(["join", key, current ?? null, joined])),
      leave: (key?: string, current?: unknown, left?: unknown) => log.push(JSON.stringify(["leave", key, current, left])),
      sync: () => {
        log.push("sync");
      },
    });
    const ours = record(this.ourLog);
    const theirs = record(this.theirLog);
    this.presence.onJoin(ours.join);
    this.presence.onLeave(ours.leave);
    this.presence.onSync(ours.sync);
    this.official.onJoin(theirs.join);
    this.official.onLeave(theirs.leave);
    this.official.onSync(theirs.sync);
  }

  setJoinRef(ref: string | null): void {
    this.ours.ref = ref;
    this.theirs.ref = ref;
  }

  emit(event: string, json: string): void {
    this.ours.emit(event, json);
    this.theirs.emit(event, json);
  }

  /** Asserts that both hold the same presences, in the same order, after the same callbacks. */
  check(): void {
    expect(JSON.stringify(this.presence.list())).toBe(JSON.stringify(this.official.list()));
    expect(this.ourLog).toEqual(this.theirLog);
    expect(this.presence.inPendingSyncState()).toBe(this.official.inPendingSyncState());
    expect(Object.getPrototypeOf(this.presence.state)).toBeNull();
  }
}

/** A JSON object text from entries (so that `__proto__` keys are own keys, as on the wire). */
function obj(entries: readonly (readonly [string, unknown])[]): string {
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${typeof v === "string" ? v : JSON.stringify(v)}`).join(",")}}`;
}
const meta = (ref: string, extra: Record<string, unknown> = {}) => ({ phx_ref: ref, ...extra });
const entry = (...refs: string[]) => ({ metas: refs.map((r) => meta(r)) });
const diffJson = (joins: readonly (readonly [string, unknown])[], leaves: readonly (readonly [string, unknown])[]) =>
  `{"joins":${obj(joins)},"leaves":${obj(leaves)}}`;

describe("Presence against the official client", () => {
  it("syncs a state, then diffs, with several metas per key", () => {
    const pair = new Pair();
    pair.setJoinRef("1");
    pair.emit("presence_state", obj([["u1", { metas: [meta("a", { device: "phone" }), meta("b", { device: "laptop" })] }], ["u2", entry("c")]]));
    pair.check();
    expect(pair.presence.list((key, p) => [key, p.metas.map((m) => m.phx_ref)])).toEqual([
      ["u1", ["a", "b"]],
      ["u2", ["c"]],
    ]);

    pair.emit("presence_diff", diffJson([["u1", entry("d")], ["u3", { metas: [meta("e")], user: { name: "ada" } }]], [["u2", entry("c")]]));
    pair.check();
    expect(pair.presence.list((key) => key)).toEqual(["u1", "u3"]);
    expect(pair.presence.state.u1!.metas.map((m) => m.phx_ref)).toEqual(["a", "b", "d"]);
    expect(pair.presence.state.u3!.user).toEqual({ name: "ada" });

    pair.emit("presence_diff", diffJson([], [["u1", entry("a")], ["u9", entry("z")]]));
    pair.check();
    expect(pair.presence.state.u1!.metas.map((m) => m.phx_ref)).toEqual(["b", "d"]);
  });

  it("applies an update (join of the new meta and leave of the old one in one diff)", () => {
    const pair = new Pair();
    pair.setJoinRef("1");
    pair.emit("presence_state", obj([["u1", { metas: [meta("a", { status: "away" }), meta("b")] }]]));
    pair.emit("presence_diff", diffJson([["u1", { metas: [meta("a2", { status: "online", phx_ref_prev: "a" })] }]], [["u1", { metas: [meta("a", { status: "away" })] }]]));
    pair.check();
    expect(pair.presence.state.u1!.metas).toEqual([meta("b"), meta("a2", { status: "online", phx_ref_prev: "a" })]);
    expect(pair.ourLog.filter((l) => l !== "sync").map((l) => (JSON.parse(l) as string[])[0])).toEqual(["join", "join", "leave"]);
  });

  it("queues diffs that arrive before the first state, then applies them after it", () => {
    const pair = new Pair();
    pair.setJoinRef("1");
    pair.emit("presence_diff", diffJson([["u2", entry("b")]], []));
    pair.emit("presence_diff", diffJson([], [["u1", entry("a")]]));
    pair.check();
    expect(pair.presence.list()).toEqual([]);
    expect(pair.ourLog).toEqual([]);
    expect(pair.presence.inPendingSyncState()).toBe(true);

    pair.emit("presence_state", obj([["u1", entry("a")]]));
    pair.check();
    expect(pair.presence.list((key) => key)).toEqual(["u2"]);
    expect(pair.ourLog.at(-1)).toBe("sync");
    expect(pair.ourLog.filter((l) => l === "sync")).toHaveLength(1);
  });

  it("queues diffs after a rejoin (new join ref) until that join's state arrives", () => {
    const pair = new Pair();
    pair.setJoinRef("1");
    pair.emit("presence_state", obj([["u1", entry("a")], ["u2", entry("b")]]));
    pair.emit("presence_diff", diffJson([["u3", entry("c")]], []));
    pair.check();
    expect(pair.presence.inPendingSyncState()).toBe(false);

    pair.setJoinRef("5"); // the channel rejoined
    expect(pair.presence.inPendingSyncState()).toBe(true);
    pair.emit("presence_diff", diffJson([["u4", entry("d")]], [["u2", entry("b")]]));
    pair.check();
    expect(pair.presence.list((key) => key)).toEqual(["u1", "u2", "u3"]); // nothing applied yet

    // The new state no longer has u3 (it left while we were away) and has u2 under a new ref.
    pair.emit("presence_state", obj([["u1", entry("a")], ["u2", entry("b2")]]));
    pair.check();
    expect(pair.presence.list((key, p) => [key, p.metas.map((m) => m.phx_ref)])).toEqual([
      ["u1", ["a"]],
      ["u2", ["b2"]],
      ["u4", ["d"]],
    ]);
  });

  it("keeps keys like __proto__ and constructor as ordinary keys, in JS key order", () => {
    const pair = new Pair();
    pair.setJoinRef("1");
    pair.emit("presence_state", obj([["__proto__", entry("p")], ["constructor", entry("c")], ["10", entry("ten")], ["2", entry("two")]]));
    pair.emit("presence_diff", diffJson([["toString", entry("t")], ["__proto__", entry("p2")]], [["constructor", entry("c")]]));
    pair.check();
    expect(pair.presence.list((key) => key)).toEqual(["2", "10", "__proto__", "toString"]);
    expect(Object.getOwnPropertyNames(pair.presence.state)).toContain("__proto__");
    expect(pair.presence.state["__proto__"]!.metas.map((m) => m.phx_ref)).toEqual(["p", "p2"]);
    expect(({} as Record<string, unknown>).metas).toBeUndefined(); // no prototype was polluted
  });

  it("listens to custom event names", () => {
    const pair = new Pair({ events: { state: "who", diff: "who_diff" } });
    pair.setJoinRef("1");
    pair.emit("presence_state", obj([["u1", entry("a")]]));
    expect(pair.presence.list()).toEqual([]);
    pair.emit("who", obj([["u1", entry("a")]]));
    pair.emit("who_diff", diffJson([["u2", entry("b")]], []));
    pair.check();
    expect(pair.presence.list((key) => key)).toEqual(["u1", "u2"]);
  });
});

describe("syncState / syncDiff", () => {
  const state = () => JSON.parse(obj([["u1", entry("a", "b")], ["u2", entry("c")]])) as Presences;

  it("give the official results and callbacks, without modifying their arguments", () => {
    const current = state();
    const next = JSON.parse(obj([["u1", entry("b", "x")], ["u3", entry("y")]])) as Presences;
    const before = JSON.stringify([current, next]);
    const ours: unknown[] = [];
    const theirs: unknown[] = [];
    const log = (into: unknown[], kind: string) => (key?: string, cur?: unknown, change?: unknown) => into.push(JSON.parse(JSON.stringify([kind, key, cur ?? null, change])));

    const result = syncState(current, next, log(ours, "join"), log(ours, "leave"));
    const expected = OfficialPresence.syncState(structuredClone(current), structuredClone(next), log(theirs, "join"), log(theirs, "leave"));
    expect(JSON.stringify(result)).toBe(JSON.stringify(expected));
    expect(ours).toEqual(theirs);
    expect(JSON.stringify([current, next])).toBe(before);
    expect(Object.getPrototypeOf(result)).toBeNull();

    const diff = { joins: JSON.parse(obj([["u2", entry("d")]])), leaves: JSON.parse(obj([["u1", entry("a", "b")]])) } as PresenceDiff;
    const diffed = syncDiff(result, diff);
    expect(JSON.stringify(diffed)).toBe(JSON.stringify(OfficialPresence.syncDiff(structuredClone(expected), structuredClone(diff))));
    expect(JSON.stringify(result)).toBe(JSON.stringify(expected));
  });

  it("are also statics of Presence, with list", () => {
    const s = state();
    expect(Presence.syncState).toBe(syncState);
    expect(Presence.syncDiff).toBe(syncDiff);
    expect(Presence.list(s, (key) => key)).toEqual(["u1", "u2"]);
    expect(listPresences(s)).toEqual(OfficialPresence.list(s));
  });

  it("are typed by meta", () => {
    interface UserMeta extends PresenceMetaPayload {
      name: string;
    }
    const s = syncDiff<UserMeta>({}, { joins: { u1: { metas: [{ phx_ref: "a", name: "ada" }] } }, leaves: {} });
    const names: string[] = listPresences(s, (_key, p) => p.metas[0]!.name);
    expect(names).toEqual(["ada"]);
  });
});

// ---- random sequences ----------------------------------------------------------------------------

const KEYS = ["a", "b", "1", "10", "__proto__", "constructor"];
const REFS = ["r1", "r2", "r3", "r4", "r5"];

const metaArb = fc.record({ phx_ref: fc.constantFrom(...REFS), n: fc.nat({ max: 3 }) });
const entryArb = fc.record(
  { metas: fc.array(metaArb, { minLength: 0, maxLength: 3 }), user: fc.constantFrom("x", "y") },
  { requiredKeys: ["metas"] },
);
/** A presence object's JSON text with unique keys from {@link KEYS}. */
const presencesArb = fc
  .uniqueArray(fc.tuple(fc.constantFrom(...KEYS), entryArb), { selector: ([key]) => key, maxLength: 4 })
  .map((entries) => obj(entries));

type Step = { kind: "state"; json: string } | { kind: "diff"; json: string } | { kind: "rejoin"; ref: string };
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 2, arbitrary: presencesArb.map((json): Step => ({ kind: "state", json })) },
  { weight: 4, arbitrary: fc.tuple(presencesArb, presencesArb).map(([joins, leaves]): Step => ({ kind: "diff", json: `{"joins":${joins},"leaves":${leaves}}` })) },
  { weight: 1, arbitrary: fc.constantFrom("1", "2", "3").map((ref): Step => ({ kind: "rejoin", ref })) },
);

describe("random sequences", () => {
  it("our Presence holds what the official one holds, after every step, with the same callbacks", () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 30 }), (steps) => {
        const pair = new Pair();
        pair.setJoinRef("1");
        for (const step of steps) {
          if (step.kind === "rejoin") pair.setJoinRef(step.ref);
          else pair.emit(step.kind === "state" ? "presence_state" : "presence_diff", step.json);
          pair.check();
        }
      }),
      { numRuns: 300 },
    );
  });

  it("syncState and syncDiff give the official results for any state and input", () => {
    fc.assert(
      fc.property(presencesArb, presencesArb, presencesArb, presencesArb, (a, b, joins, leaves) => {
        const state = syncState({}, JSON.parse(a) as Presences);
        const official = OfficialPresence.syncState({}, JSON.parse(a) as object);
        expect(JSON.stringify(state)).toBe(JSON.stringify(official));

        const next = syncState(state, JSON.parse(b) as Presences);
        expect(JSON.stringify(next)).toBe(JSON.stringify(OfficialPresence.syncState(structuredClone(official), JSON.parse(b) as object)));

        const diff = `{"joins":${joins},"leaves":${leaves}}`;
        const diffed = syncDiff(state, JSON.parse(diff) as PresenceDiff);
        expect(JSON.stringify(diffed)).toBe(JSON.stringify(OfficialPresence.syncDiff(structuredClone(official), JSON.parse(diff) as { joins: object; leaves: object })));
        expect(JSON.stringify(state)).toBe(JSON.stringify(official)); // ours left its input alone
      }),
      { numRuns: 500 },
    );
  });
});
