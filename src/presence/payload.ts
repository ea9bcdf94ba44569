/**
 * The presence payloads clients receive, in the shapes the official `phoenix` client's `Presence` syncs
 * from: `presence_state` is every presence of a topic grouped by key, `{ "<key>": { metas: [...] } }`,
 * and `presence_diff` is `{ joins, leaves }`, each grouped the same way. Every meta carries its
 * `phx_ref` (the identity clients compare), and `phx_ref_prev` after an update. Objects indexed by key
 * have no prototype, so a key such as `__proto__` is just a key.
 */

import type { PresenceDiff, PresenceMetaPayload, Presences } from "../protocol/presence.js";

export type { PresenceDiff, PresenceGroup, PresenceMetaPayload, Presences } from "../protocol/presence.js";

/**
 * A hook that enriches presences before they are sent, for example with the user record of each key:
 * it receives the grouped presences of one topic and returns them with extra fields next to `metas`.
 */
export type FetchPresences = (topic: string, presences: Presences) => Presences;

/** What the grouping needs of an entry. */
export interface GroupableEntry {
  readonly key: string;
  readonly meta: Readonly<Record<string, unknown>>;
  readonly ref: string;
}

/** A prototype-less object for presences indexed by key. */
export function emptyPresences(): Presences {
  return Object.create(null) as Presences;
}

/** The meta of `entry` as clients see it: its own fields, then `phx_ref`. */
export function metaPayload(entry: GroupableEntry): PresenceMetaPayload {
  return { ...entry.meta, phx_ref: entry.ref };
}

/** Groups entries by key, metas in the order given. */
export function groupPresences(entries: Iterable<GroupableEntry>): Presences {
  const grouped = emptyPresences();
  for (const entry of entries) {
    const group = grouped[entry.key];
    if (group === undefined) grouped[entry.key] = { metas: [metaPayload(entry)] };
    else group.metas.push(metaPayload(entry));
  }
  return grouped;
}

/** A `presence_diff` payload from the entries that appeared and the entries that went. */
export function diffPayload(joins: Iterable<GroupableEntry>, leaves: Iterable<GroupableEntry>): PresenceDiff {
  return { joins: groupPresences(joins), leaves: groupPresences(leaves) };
}

/** Runs `fetch` (if any) over grouped presences; an empty group is passed through untouched. */
export function fetched(topic: string, presences: Presences, fetch: FetchPresences | undefined): Presences {
  if (fetch === undefined) return presences;
  for (const _ in presences) return fetch(topic, presences);
  return presences;
}
