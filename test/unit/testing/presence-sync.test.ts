import { describe, expect, it } from "vitest";
import { PresenceSync } from "../../../src/testing/presence-sync.js";

const meta = (ref: string, extra: object = {}) => ({ phx_ref: ref, ...extra });

describe("PresenceSync", () => {
  it("takes the first state as the list", () => {
    const sync = new PresenceSync();
    sync.state({ ada: { metas: [meta("1")] } });
    expect(sync.list()).toEqual({ ada: { metas: [meta("1")] } });
    expect(sync.synced).toBe(true);
  });

  it("holds diffs that arrive before the first state, and applies them after it in order", () => {
    const sync = new PresenceSync();
    sync.diff({ joins: { bob: { metas: [meta("2")] } }, leaves: {} });
    sync.diff({ joins: {}, leaves: { ada: { metas: [meta("1")] } } });
    expect(sync.list()).toEqual({});
    sync.state({ ada: { metas: [meta("1")] } });
    expect(sync.list()).toEqual({ bob: { metas: [meta("2")] } });
  });

  it("applies joins before leaves, and removes a key whose metas all left", () => {
    const sync = new PresenceSync();
    sync.state({ ada: { metas: [meta("1")] } });
    sync.diff({ joins: { ada: { metas: [meta("3", { away: true })] } }, leaves: { ada: { metas: [meta("1")] } } });
    expect(sync.list()).toEqual({ ada: { metas: [meta("3", { away: true })] } });
    sync.diff({ joins: {}, leaves: { ada: { metas: [meta("3")] } } });
    expect(sync.list()).toEqual({});
  });

  it("keeps a key's other metas in front of the joined ones", () => {
    const sync = new PresenceSync();
    sync.state({ ada: { metas: [meta("1")] } });
    sync.diff({ joins: { ada: { metas: [meta("2")], user: { name: "Ada" } } }, leaves: {} });
    expect(sync.list()).toEqual({ ada: { metas: [meta("1"), meta("2")], user: { name: "Ada" } } });
  });

  it("replaces the list on a later state, keeping the order of the metas it already had", () => {
    const sync = new PresenceSync();
    sync.state({ ada: { metas: [meta("1"), meta("2")] }, bob: { metas: [meta("4")] } });
    sync.state({ ada: { metas: [meta("5"), meta("2")] } });
    expect(sync.list()).toEqual({ ada: { metas: [meta("2"), meta("5")] } });
  });

  it("ignores payloads that are not presences, and hands out copies", () => {
    const sync = new PresenceSync();
    sync.state(Uint8Array.of(1));
    sync.state({ ada: "nope" });
    expect(sync.synced).toBe(false);
    sync.state({ ada: { metas: [meta("1")] } });
    const list = sync.list();
    list.ada!.metas.length = 0;
    expect(sync.get("ada")?.metas).toHaveLength(1);
    expect(sync.get("__proto__")).toBeUndefined();
  });
});
