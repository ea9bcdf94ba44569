/**
 * The presence list a client keeps for one channel, synced from the `presence_state` and
 * `presence_diff` pushes with the rules the official client follows: metas are told apart by `phx_ref`,
 * and diffs that arrive before the first state wait for it. Written for the test kit, which may not use
 * `fenix/client`.
 */
import type { Presences } from "../presence/payload.js";

interface Meta {
  readonly phx_ref?: unknown;
}

interface Group {
  metas: Meta[];
  [field: string]: unknown;
}

type Groups = Record<string, Group>;

function isGroups(value: unknown): value is Groups {
  if (typeof value !== "object" || value === null || value instanceof Uint8Array) return false;
  return Object.values(value).every((group) => typeof group === "object" && group !== null && Array.isArray((group as Group).metas));
}

function refs(metas: readonly Meta[]): Set<unknown> {
  return new Set(metas.map((meta) => meta.phx_ref));
}

/**
 * Keeps a channel's presence list from its presence pushes.
 *
 * @remarks
 * - A state replaces the list: for a key present before and after, the metas kept stay first, in their
 *   order, and the new ones follow; fields beside `metas` come from the state.
 * - A diff applies its joins first (a joined key takes the joined entry's fields; its metas not in the
 *   join stay in front), then its leaves (metas removed by `phx_ref`; a key with none left is removed).
 * - Diffs received before the first state are applied, in order, right after it.
 * Payloads that do not have the presence shape are ignored.
 *
 * @example
 * ```ts
 * const sync = new PresenceSync();
 * sync.state({ ada: { metas: [{ phx_ref: "1" }] } });
 * sync.diff({ joins: {}, leaves: { ada: { metas: [{ phx_ref: "1" }] } } });
 * sync.list(); // {}
 * ```
 */
export class PresenceSync {
  #groups: Groups = Object.create(null) as Groups;
  #synced = false;
  #pending: Array<{ joins: Groups; leaves: Groups }> = [];

  /** Whether a `presence_state` has arrived. */
  get synced(): boolean {
    return this.#synced;
  }

  /** Applies a `presence_state` payload. */
  state(payload: unknown): void {
    if (!isGroups(payload)) return;
    const next = Object.create(null) as Groups;
    for (const [key, incoming] of Object.entries(structuredClone(payload))) {
      const previous = this.#groups[key];
      if (previous === undefined) {
        next[key] = incoming;
        continue;
      }
      const incomingRefs = refs(incoming.metas);
      const previousRefs = refs(previous.metas);
      const kept = previous.metas.filter((meta) => incomingRefs.has(meta.phx_ref));
      next[key] = { ...incoming, metas: [...kept, ...incoming.metas.filter((meta) => !previousRefs.has(meta.phx_ref))] };
    }
    this.#groups = next;
    this.#synced = true;
    const pending = this.#pending;
    this.#pending = [];
    for (const diff of pending) this.#apply(diff);
  }

  /** Applies a `presence_diff` payload, or keeps it for after the first state. */
  diff(payload: unknown): void {
    if (typeof payload !== "object" || payload === null) return;
    const { joins = {}, leaves = {} } = payload as { joins?: unknown; leaves?: unknown };
    if (!isGroups(joins) || !isGroups(leaves)) return;
    const diff = structuredClone({ joins, leaves });
    if (this.#synced) this.#apply(diff);
    else this.#pending.push(diff);
  }

  /** The entry of `key` (not a copy: do not change it), or `undefined`. */
  get(key: string): Presences[string] | undefined {
    return Object.prototype.hasOwnProperty.call(this.#groups, key) ? (this.#groups[key] as Presences[string]) : undefined;
  }

  /** A copy of the list: `{ "<key>": { metas: [...] } }`. */
  list(): Presences {
    return structuredClone(this.#groups) as Presences;
  }

  #apply({ joins, leaves }: { joins: Groups; leaves: Groups }): void {
    const groups = this.#groups;
    for (const [key, joined] of Object.entries(joins)) {
      const previous = groups[key];
      const joinedRefs = refs(joined.metas);
      groups[key] = { ...joined, metas: [...(previous?.metas.filter((meta) => !joinedRefs.has(meta.phx_ref)) ?? []), ...joined.metas] };
    }
    for (const [key, left] of Object.entries(leaves)) {
      const group = groups[key];
      if (group === undefined) continue;
      const leftRefs = refs(left.metas);
      group.metas = group.metas.filter((meta) => !leftRefs.has(meta.phx_ref));
      if (group.metas.length === 0) delete groups[key];
    }
  }
}
