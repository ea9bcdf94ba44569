/**
 * The presence state's local operations, queries, replica statuses and misuse errors, one by one, with
 * the exact entries each call returns.
 */
import { describe, expect, it } from "vitest";
import {
  PresenceErrorCode,
  PresenceCrdt,
  dotRef,
  isReplicaId,
  parseReplicaId,
  replicaId,
  type PresenceEntry,
} from "../../../src/presence/index.js";
import { IDS, cluster, errorCode as code } from "./sim.js";

const [A, B, C] = IDS;
const keys = (entries: readonly PresenceEntry[]) => entries.map((e) => e.key);


describe("replica ids and refs", () => {
  it("builds and parses name#vsn, names may contain #", () => {
    expect(replicaId("node-a", 17)).toBe("node-a#17");
    expect(parseReplicaId(replicaId("a#b", "v1"))).toEqual({ name: "a#b", vsn: "v1" });
    expect(isReplicaId("a#1")).toBe(true);
    for (const bad of ["a", "#1", "a#", "", 3, null]) expect(isReplicaId(bad)).toBe(false);
  });

  it("rejects malformed names and versions", () => {
    expect(code(() => replicaId("", 1))).toBe(PresenceErrorCode.BAD_ARGUMENT);
    expect(code(() => replicaId("a", "x#y"))).toBe(PresenceErrorCode.BAD_ARGUMENT);
    expect(code(() => replicaId("a", -1))).toBe(PresenceErrorCode.BAD_ARGUMENT);
    expect(code(() => replicaId("a", ""))).toBe(PresenceErrorCode.BAD_ARGUMENT);
    expect(code(() => parseReplicaId("nohash"))).toBe(PresenceErrorCode.BAD_ARGUMENT);
  });

  it("gives every dot a stable, short, URL-safe ref that differs between replicas and counters", () => {
    const refs = new Set<string>();
    for (const replica of [A, B, replicaId("node-a", 2)]) {
      for (let counter = 1; counter <= 50; counter++) {
        const ref = dotRef({ replica, counter });
        expect(ref).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(ref).toBe(dotRef({ replica, counter }));
        expect(ref.length).toBeLessThanOrEqual(16);
        refs.add(ref);
      }
    }
    expect(refs.size).toBe(150);
    expect(dotRef({ replica: A, counter: 1 })).not.toContain("node-a");
  });
});

describe("local operations", () => {
  it("join adds an entry with a new dot and returns it", () => {
    const s = new PresenceCrdt({ replica: A });
    const e1 = s.join("p1", "room:1", "alice", { n: 1 });
    const e2 = s.join("p2", "room:1", "bob", { n: 2 });
    expect(e1).toMatchObject({ topic: "room:1", pid: "p1", key: "alice", meta: { n: 1 }, tag: { replica: A, counter: 1 } });
    expect(e1.ref).toBe(dotRef(e1.tag));
    expect(e2.tag.counter).toBe(2);
    expect(keys(s.get("room:1"))).toEqual(["alice", "bob"]);
    expect(s.has("p1", "room:1", "alice")).toBe(true);
    expect(s.size).toBe(2);
  });

  it("join of a tracked (pid, topic, key) throws ALREADY_TRACKED and changes nothing", () => {
    const s = new PresenceCrdt({ replica: A });
    s.join("p1", "room:1", "alice", {});
    const before = s.clock();
    expect(code(() => s.join("p1", "room:1", "alice", {}))).toBe(PresenceErrorCode.ALREADY_TRACKED);
    expect(s.clock()).toEqual(before);
    // Same key by another owner, or on another topic, is fine.
    s.join("p2", "room:1", "alice", {});
    s.join("p1", "room:2", "alice", {});
    expect(s.getByKey("room:1", "alice")).toHaveLength(2);
  });

  it("leave removes one entry and returns it; leaving again returns undefined", () => {
    const s = new PresenceCrdt({ replica: A });
    const alice = s.join("p1", "room:1", "alice", {});
    s.join("p1", "room:1", "bob", {});
    expect(s.leave("p1", "room:1", "alice")).toBe(alice);
    expect(s.leave("p1", "room:1", "alice")).toBeUndefined();
    expect(keys(s.get("room:1"))).toEqual(["bob"]);
    expect(s.has("p1", "room:1", "alice")).toBe(false);
  });

  it("a leave takes a counter too, so the clock shows the change", () => {
    const s = new PresenceCrdt({ replica: A });
    s.join("p1", "room:1", "alice", {});
    s.leave("p1", "room:1", "alice");
    expect(s.clock()).toEqual({ [A]: 2 });
    s.leave("p1", "room:1", "alice");
    expect(s.clock()).toEqual({ [A]: 2 });
  });

  it("leaveAll removes every entry of an owner, on every topic, and nothing else", () => {
    const s = new PresenceCrdt({ replica: A });
    const a1 = s.join("p1", "room:1", "alice", {});
    const a2 = s.join("p1", "room:2", "alice", {});
    s.join("p2", "room:1", "bob", {});
    expect(new Set(s.leaveAll("p1"))).toEqual(new Set([a1, a2]));
    expect(s.leaveAll("p1")).toEqual([]);
    expect(s.topics()).toEqual(["room:1"]);
    expect(keys(s.get("room:1"))).toEqual(["bob"]);
    expect(s.getByPid("p1")).toEqual([]);
  });

  it("update replaces the meta with a new dot and returns both entries", () => {
    const s = new PresenceCrdt({ replica: A });
    const old = s.join("p1", "room:1", "alice", { status: "away" });
    const changed = s.update("p1", "room:1", "alice", (current) => ({ status: "busy", phx_ref_prev: current.ref }));
    expect(changed?.left).toBe(old);
    expect(changed?.joined).toMatchObject({ key: "alice", meta: { status: "busy", phx_ref_prev: old.ref } });
    expect(changed?.joined.ref).not.toBe(old.ref);
    expect(s.get("room:1")).toEqual([changed?.joined]);
    expect(s.update("p1", "room:1", "alice", { status: "gone" })?.joined.meta).toEqual({ status: "gone" });
    expect(s.update("p1", "room:1", "nobody", {})).toBeUndefined();
  });

  it("rejects malformed arguments with BAD_ARGUMENT", () => {
    const s = new PresenceCrdt({ replica: A });
    const any = s as unknown as Record<string, (...args: unknown[]) => unknown>;
    expect(code(() => any.join!.call(s, "", "room", "k", {}))).toBe(PresenceErrorCode.BAD_ARGUMENT);
    expect(code(() => any.join!.call(s, "p", "", "k", {}))).toBe(PresenceErrorCode.BAD_ARGUMENT);
    expect(code(() => any.join!.call(s, "p", "room", 1, {}))).toBe(PresenceErrorCode.BAD_ARGUMENT);
    expect(code(() => any.join!.call(s, "p", "room", "k", null))).toBe(PresenceErrorCode.BAD_ARGUMENT);
    expect(code(() => any.join!.call(s, "p", "room", "k", [1]))).toBe(PresenceErrorCode.BAD_ARGUMENT);
    s.join("p", "room", "k", {});
    expect(code(() => any.update!.call(s, "p", "room", "k", () => "x"))).toBe(PresenceErrorCode.BAD_ARGUMENT);
    expect(s.has("p", "room", "k")).toBe(true);
    expect(code(() => any.leaveAll!.call(s, ""))).toBe(PresenceErrorCode.BAD_ARGUMENT);
    expect(code(() => new PresenceCrdt({ replica: "nohash" }))).toBe(PresenceErrorCode.BAD_ARGUMENT);
    expect(code(() => new PresenceCrdt({ replica: A, maxDeltaSizes: [0] }))).toBe(PresenceErrorCode.BAD_ARGUMENT);
    expect(code(() => s.extractFor(null as never))).toBe(PresenceErrorCode.BAD_ARGUMENT);
  });

  it("the empty string is a valid key", () => {
    const s = new PresenceCrdt({ replica: A });
    s.join("p", "room", "", {});
    expect(keys(s.get("room"))).toEqual([""]);
  });
});

describe("queries", () => {
  it("get groups by key, getByKey / getByPid / topics / sizes see only visible entries", () => {
    const [a, b] = cluster(2);
    a.join("pa", "room:1", "alice", {});
    a.join("pa2", "room:2", "alice", {});
    b.join("pb", "room:1", "bob", {});
    b.join("pb2", "room:1", "alice", {});
    a.merge(b.extractDelta()!);
    expect(keys(a.get("room:1"))).toEqual(["alice", "alice", "bob"]);
    expect(a.getByKey("room:1", "alice").map((e) => e.pid).sort()).toEqual(["pa", "pb2"]);
    expect(a.getByPid("pb").map((e) => e.key)).toEqual(["bob"]);
    expect(a.topics().sort()).toEqual(["room:1", "room:2"]);
    expect([a.size, a.topicSize("room:1"), a.topicSize("room:2"), a.topicSize("nope")]).toEqual([4, 3, 1, 0]);
    expect(a.has("pb", "room:1", "bob")).toBe(false); // has() is about local owners only

    a.replicaDown(b.replica);
    expect(keys(a.get("room:1"))).toEqual(["alice"]);
    expect(a.getByKey("room:1", "alice").map((e) => e.pid)).toEqual(["pa"]);
    expect(a.getByPid("pb")).toEqual([]);
    expect([a.size, a.topicSize("room:1")]).toEqual([2, 1]);
    b.leaveAll("pa"); // no-op on b
    a.leave("pa", "room:1", "alice");
    expect(a.topics()).toEqual(["room:2"]); // room:1 holds only hidden entries now
    expect(a.get("nope")).toEqual([]);
  });
});

describe("replica statuses", () => {
  it("knows itself, known, unknown and removed replicas", () => {
    const s = new PresenceCrdt({ replica: A });
    expect(s.status(A)).toBe("self");
    expect(s.status(B)).toBe("unknown");
    expect(s.replicaUp(B)).toEqual({ joins: [], leaves: [] });
    expect(s.status(B)).toBe("up");
    expect(s.replicaDown(B)).toEqual({ joins: [], leaves: [] });
    expect(s.status(B)).toBe("down");
    expect(s.replicas()).toEqual([{ replica: B, status: "down" }]);
    expect(s.removeDown(B)).toEqual({ joins: [], leaves: [] });
    expect(s.status(B)).toBe("removed");
    expect(s.replicas()).toEqual([]);
  });

  it("replicaDown returns the replica's entries as leaves and replicaUp returns them as joins", () => {
    const [a, b] = cluster(2);
    const e1 = b.join("pb", "room:1", "bob", {});
    const e2 = b.join("pb", "room:2", "bob", {});
    a.merge(b.extractDelta()!);
    const down = a.replicaDown(b.replica);
    expect(down.joins).toEqual([]);
    expect(new Set(down.leaves.map((e) => e.ref))).toEqual(new Set([e1.ref, e2.ref]));
    expect(a.replicaDown(b.replica)).toEqual({ joins: [], leaves: [] });
    expect(a.size).toBe(0);
    const up = a.replicaUp(b.replica);
    expect(new Set(up.joins.map((e) => e.ref))).toEqual(new Set([e1.ref, e2.ref]));
    expect(up.leaves).toEqual([]);
    expect(a.replicaUp(b.replica)).toEqual({ joins: [], leaves: [] });
    expect(a.size).toBe(2);
  });

  it("merges into a down replica's entries silently and shows the result when it comes back", () => {
    const [a, b] = cluster(2);
    b.join("pb", "room:1", "bob", {});
    a.merge(b.extractDelta()!);
    a.replicaDown(b.replica);
    b.leave("pb", "room:1", "bob");
    const carol = b.join("pb", "room:1", "carol", {});
    expect(a.merge(b.extractDelta()!)).toEqual({ joins: [], leaves: [] });
    expect(a.get("room:1")).toEqual([]);
    expect(a.replicaUp(b.replica).joins).toEqual([carol]);
    expect(keys(a.get("room:1"))).toEqual(["carol"]);
  });

  it("removeDown drops entries for good: leaves if it was up, and late data is ignored", () => {
    const [a, b, c] = cluster(3);
    b.join("pb", "room:1", "bob", {});
    const early = b.extractDelta()!;
    a.merge(early);
    c.merge(early);
    b.join("pb", "room:1", "bert", {});
    const late = b.extractDelta()!;
    const removed = a.removeDown(b.replica);
    expect(keys(removed.leaves)).toEqual(["bob"]);
    expect(a.merge(late)).toEqual({ joins: [], leaves: [] });
    expect(a.merge(early)).toEqual({ joins: [], leaves: [] });
    c.merge(late);
    expect(a.merge(c.extract())).toEqual({ joins: [], leaves: [] });
    expect(a.replicaUp(b.replica)).toEqual({ joins: [], leaves: [] });
    expect(a.status(b.replica)).toBe("removed");
    expect(a.size).toBe(0);
    expect(a.extract().parts.map((p) => p.replica)).toEqual([A, C]);
    expect(a.context()).toEqual({ [A]: 0, [C]: 0 });
  });

  it("removeDown of a down replica returns nothing; of an unknown one keeps it out for good", () => {
    const [a, b] = cluster(2);
    b.join("pb", "room:1", "bob", {});
    a.merge(b.extractDelta()!);
    a.replicaDown(b.replica);
    expect(a.removeDown(b.replica)).toEqual({ joins: [], leaves: [] });
    expect(a.removeDown(b.replica)).toEqual({ joins: [], leaves: [] });
    expect(a.removeDown(C)).toEqual({ joins: [], leaves: [] });
    expect(a.replicaUp(C)).toEqual({ joins: [], leaves: [] });
    expect(a.status(C)).toBe("removed");
  });

  it("acting on the own replica throws SELF_REPLICA; a malformed id throws BAD_ARGUMENT", () => {
    const s = new PresenceCrdt({ replica: A });
    expect(code(() => s.replicaUp(A))).toBe(PresenceErrorCode.SELF_REPLICA);
    expect(code(() => s.replicaDown(A))).toBe(PresenceErrorCode.SELF_REPLICA);
    expect(code(() => s.removeDown(A))).toBe(PresenceErrorCode.SELF_REPLICA);
    expect(code(() => s.replicaUp("bad"))).toBe(PresenceErrorCode.BAD_ARGUMENT);
  });

  it("data from a replica that is not known yet is ignored (it is taken in once known and re-sent)", () => {
    const a = new PresenceCrdt({ replica: A });
    const b = new PresenceCrdt({ replica: B });
    b.join("pb", "room:1", "bob", {});
    const delta = b.extractDelta()!;
    expect(a.merge(delta)).toEqual({ joins: [], leaves: [] });
    expect(a.context()).toEqual({ [A]: 0 });
    a.replicaUp(B);
    expect(keys(a.merge(delta).joins)).toEqual(["bob"]);
  });

  it("clock leaves down replicas out, context keeps them", () => {
    const [a, b, c] = cluster(3);
    b.join("pb", "room:1", "bob", {});
    a.merge(b.extractDelta()!);
    a.replicaDown(c.replica);
    expect(a.clock()).toEqual({ [A]: 0, [B]: 1 });
    expect(a.context()).toEqual({ [A]: 0, [B]: 1, [C]: 0 });
  });
});
