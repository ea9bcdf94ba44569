/**
 * The presence payloads on the wire, shared by the server (`fenix`) and `fenix/client`: `presence_state`
 * is every presence of a topic grouped by key, `{ "<key>": { metas: [...] } }`, and `presence_diff` is
 * `{ joins, leaves }`, each grouped the same way — the shapes the official `phoenix` client's `Presence`
 * syncs from. Every meta carries its `phx_ref` (the identity clients compare), and `phx_ref_prev` after
 * an update. Types only.
 */

/** A meta as clients see it: the tracked fields plus `phx_ref` (and `phx_ref_prev` after an update). */
export interface PresenceMetaPayload {
  /** The server's unique id of this meta; the only thing a client's sync compares. */
  phx_ref: string;
  /** The ref this meta replaced, on updates (ignored by the sync). */
  phx_ref_prev?: string;
  [field: string]: unknown;
}

/** One key's presence: its metas (one per tracking process, such as a browser tab), plus fetched fields. */
export interface PresenceGroup<M extends PresenceMetaPayload = PresenceMetaPayload> {
  metas: M[];
  [field: string]: unknown;
}

/** Presences of a topic by key (a prototype-less object): the `presence_state` payload, and each side of a diff. */
export type Presences<M extends PresenceMetaPayload = PresenceMetaPayload> = Record<string, PresenceGroup<M>>;

/** The `presence_diff` payload. */
export interface PresenceDiff<M extends PresenceMetaPayload = PresenceMetaPayload> {
  joins: Presences<M>;
  leaves: Presences<M>;
}
