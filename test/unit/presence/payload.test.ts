// Presence payloads against the official phoenix client's own sync functions: presence_state and
// presence_diff built here, applied with Presence.syncState / Presence.syncDiff, give the client the
// presences the server holds (several metas per key, updates as join + leave, fetched fields).
import { Presence } from "phoenix";
import { describe, expect, it } from "vitest";
import { diffPayload, fetched, groupPresences, type Presences } from "../../../src/presence/payload.js";

const entry = (key: string, ref: string, meta: Record<string, unknown> = {}) => ({ key, ref, meta });

/** What the client holds, reduced to key → sorted phx_refs. */
function refsOf(state: object): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [key, group] of Object.entries(state as Presences)) out[key] = group.metas.map((m) => m.phx_ref).sort();
  return out;
}

describe("presence payloads", () => {
  it("groups metas by key, each with its phx_ref and its own fields", () => {
    const state = groupPresences([entry("ann", "r1", { online_at: 1 }), entry("bob", "r2"), entry("ann", "r3", { online_at: 2 })]);
    expect(JSON.parse(JSON.stringify(state))).toEqual({
      ann: { metas: [{ online_at: 1, phx_ref: "r1" }, { online_at: 2, phx_ref: "r3" }] },
      bob: { metas: [{ phx_ref: "r2" }] },
    });
    expect(Object.getPrototypeOf(state)).toBeNull();
  });

  it("keeps a key named __proto__ as a plain key", () => {
    const state = groupPresences([entry("__proto__", "r1")]);
    expect(Object.keys(state)).toEqual(["__proto__"]);
    expect(JSON.stringify(state)).toBe(`{"__proto__":{"metas":[{"phx_ref":"r1"}]}}`);
  });

  it("brings the official client to the server's presences through a state and then diffs", () => {
    let client: object = {};
    client = Presence.syncState(client, groupPresences([entry("ann", "a1"), entry("bob", "b1")]));
    expect(refsOf(client)).toEqual({ ann: ["a1"], bob: ["b1"] });

    // A second tab for ann, bob leaves.
    client = Presence.syncDiff(client, diffPayload([entry("ann", "a2")], [entry("bob", "b1")]));
    expect(refsOf(client)).toEqual({ ann: ["a1", "a2"] });

    // An update: the new meta joins and the old one leaves in the same diff.
    client = Presence.syncDiff(client, diffPayload([entry("ann", "a3", { status: "away", phx_ref_prev: "a1" })], [entry("ann", "a1")]));
    expect(refsOf(client)).toEqual({ ann: ["a2", "a3"] });

    // A new state after a reconnect replaces what the client had.
    client = Presence.syncState(client, groupPresences([entry("cy", "c1")]));
    expect(refsOf(client)).toEqual({ cy: ["c1"] });
  });

  it("applies a diff the client receives before the state without losing or doubling a meta", () => {
    const diff = diffPayload([entry("ann", "a1")], []);
    const state = groupPresences([entry("ann", "a1")]);
    const client = Presence.syncState(Presence.syncDiff({}, diff), state);
    expect(refsOf(client)).toEqual({ ann: ["a1"] });
  });

  it("passes grouped presences through the fetch hook, and skips it for nothing", () => {
    const calls: string[] = [];
    const fetch = (topic: string, presences: Presences) => {
      calls.push(topic);
      for (const key of Object.keys(presences)) presences[key]!.user = { name: key.toUpperCase() };
      return presences;
    };
    const state = fetched("room:1", groupPresences([entry("ann", "a1")]), fetch);
    expect(JSON.parse(JSON.stringify(state))).toEqual({ ann: { metas: [{ phx_ref: "a1" }], user: { name: "ANN" } } });
    expect(fetched("room:1", groupPresences([]), fetch)).toEqual({});
    expect(calls).toEqual(["room:1"]);
  });
});
