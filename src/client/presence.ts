/**
 * The client side of Presence: keeps a channel's list of who is present in sync from the server's
 * `presence_state` (the whole list, after each join) and `presence_diff` (joins and leaves) events, with
 * the same algorithm and callbacks as the official client, so a list renders the same with either.
 *
 * Identity is a meta's `phx_ref` only. Every object indexed by presence key has no prototype, so keys such
 * as `__proto__` or `constructor` are ordinary keys.
 */

import type { PresenceDiff, PresenceGroup, PresenceMetaPayload, Presences } from "../protocol/presence.js";

export type { PresenceDiff, PresenceGroup, PresenceMetaPayload, Presences } from "../protocol/presence.js";

/**
 * Called for each key with joined metas: `current` is the key's presence before the join (undefined when
 * it was absent), `joined` the presence with the joined metas only.
 */
export type PresenceJoinCallback<M extends PresenceMetaPayload = PresenceMetaPayload> = (
  key: string,
  current: PresenceGroup<M> | undefined,
  joined: PresenceGroup<M>,
) => void;

/**
 * Called for each key with left metas: `current` is the key's presence with those metas removed (no
 * metas left means the key is gone), `left` the presence with the left metas.
 */
export type PresenceLeaveCallback<M extends PresenceMetaPayload = PresenceMetaPayload> = (
  key: string,
  current: PresenceGroup<M>,
  left: PresenceGroup<M>,
) => void;

/** What Presence needs of a channel: event listeners and the ref of its current join (null before one). */
export interface PresenceChannel {
  on(event: string, callback: (payload: unknown) => void): unknown;
  joinRef(): string | null;
}

/** Options of {@link Presence}. */
export interface PresenceSyncOptions {
  /** The event names of the full state and of the diffs. @defaultValue `presence_state` / `presence_diff` */
  events?: { state?: string; diff?: string };
}

/** A deep copy of JSON data (what presence payloads are); own `__proto__` keys stay plain keys. */
function cloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The same entries in a prototype-less object (the object itself when it already has no prototype). */
function nullProto<T>(obj: Record<string, T>): Record<string, T> {
  if (Object.getPrototypeOf(obj) === null) return obj;
  const out = Object.create(null) as Record<string, T>;
  for (const key of Object.getOwnPropertyNames(obj)) out[key] = obj[key] as T;
  return out;
}

/** The own keys of a presence object in JS property order (integer-like keys first, ascending). */
function keysOf(obj: object): string[] {
  return Object.getOwnPropertyNames(obj);
}

/** The refs of a list of metas, for membership checks. */
function refsOf(metas: readonly PresenceMetaPayload[]): Set<unknown> {
  return new Set(metas.map((m) => m.phx_ref));
}

/**
 * Applies a full state to `state`: keys missing from `newState` leave entirely; for keys in both, metas only
 * in `newState` join and metas only in `state` leave (compared by `phx_ref`); keys only in `newState` join.
 * Returns the new state; the arguments are not modified. `onJoin` / `onLeave` are called as in
 * {@link syncDiff}.
 */
export function syncState<M extends PresenceMetaPayload>(
  state: Presences<M>,
  newState: Presences<M>,
  onJoin?: PresenceJoinCallback<M>,
  onLeave?: PresenceLeaveCallback<M>,
): Presences<M> {
  const current = nullProto(cloneJson(state));
  const incoming = nullProto(cloneJson(newState));
  const joins = Object.create(null) as Presences<M>;
  const leaves = Object.create(null) as Presences<M>;

  for (const key of keysOf(current)) {
    if (!incoming[key]) leaves[key] = current[key] as PresenceGroup<M>;
  }
  for (const key of keysOf(incoming)) {
    const next = incoming[key] as PresenceGroup<M>;
    const prev = current[key];
    if (!prev) {
      joins[key] = next;
      continue;
    }
    const prevRefs = refsOf(prev.metas);
    const nextRefs = refsOf(next.metas);
    const joined = next.metas.filter((m) => !prevRefs.has(m.phx_ref));
    const left = prev.metas.filter((m) => !nextRefs.has(m.phx_ref));
    if (joined.length > 0) joins[key] = { ...next, metas: joined };
    if (left.length > 0) leaves[key] = { ...cloneJson(prev), metas: left };
  }
  return applyDiff(current, { joins, leaves }, onJoin, onLeave);
}

/**
 * Applies a diff to `state`. Joins first: a joined key's presence becomes a copy of the joined one (its
 * sibling fields included), with the key's other existing metas in front; `onJoin(key, previous, joined)`.
 * Then leaves: the listed metas (by `phx_ref`) are removed, `onLeave(key, remaining, left)`, and a key with
 * no metas left is deleted. Returns the new state; the arguments are not modified.
 */
export function syncDiff<M extends PresenceMetaPayload>(
  state: Presences<M>,
  diff: PresenceDiff<M>,
  onJoin?: PresenceJoinCallback<M>,
  onLeave?: PresenceLeaveCallback<M>,
): Presences<M> {
  return applyDiff(nullProto(cloneJson(state)), diff, onJoin, onLeave);
}

/** {@link syncDiff} on a state that is already a private prototype-less copy (modified in place). */
function applyDiff<M extends PresenceMetaPayload>(
  state: Presences<M>,
  diff: PresenceDiff<M>,
  onJoin?: PresenceJoinCallback<M>,
  onLeave?: PresenceLeaveCallback<M>,
): Presences<M> {
  const copy = cloneJson(diff);
  const joins = copy.joins ?? {};
  const leaves = copy.leaves ?? {};

  for (const key of keysOf(joins)) {
    const joined = joins[key] as PresenceGroup<M>;
    const previous = state[key];
    const entry = cloneJson(joined);
    if (previous) {
      const joinedRefs = refsOf(entry.metas);
      entry.metas.unshift(...previous.metas.filter((m) => !joinedRefs.has(m.phx_ref)));
    }
    state[key] = entry;
    onJoin?.(key, previous, joined);
  }
  for (const key of keysOf(leaves)) {
    const left = leaves[key] as PresenceGroup<M>;
    const entry = state[key];
    if (!entry) continue;
    const leftRefs = refsOf(left.metas);
    entry.metas = entry.metas.filter((m) => !leftRefs.has(m.phx_ref));
    onLeave?.(key, entry, left);
    if (entry.metas.length === 0) delete state[key];
  }
  return state;
}

/**
 * The presences of a state as a list, in key order: each `chooser(key, presence)`, or the presences
 * themselves without a chooser.
 */
export function listPresences<M extends PresenceMetaPayload, T = PresenceGroup<M>>(
  state: Presences<M>,
  chooser?: (key: string, presence: PresenceGroup<M>) => T,
): T[] {
  const choose = chooser ?? ((_key: string, presence: PresenceGroup<M>) => presence as unknown as T);
  return keysOf(state).map((key) => choose(key, state[key] as PresenceGroup<M>));
}

/**
 * Tracks the presences of a channel.
 *
 * @remarks
 * Diffs that arrive before the first state, or after a rejoin (the channel's join ref changed) but before
 * that join's state, are queued and applied, in order, right after the state. `onSync` follows each state
 * (with its queued diffs) and each diff applied at once.
 *
 * @example
 * ```ts
 * const presence = new Presence<{ phx_ref: string; name: string }>(channel);
 * presence.onSync(() => render(presence.list((id, { metas: [first] }) => `${id}: ${first?.name}`)));
 * ```
 */
export class Presence<M extends PresenceMetaPayload = PresenceMetaPayload> {
  #state: Presences<M> = Object.create(null) as Presences<M>;
  #pending: PresenceDiff<M>[] = [];
  #joinRef: string | null = null;
  readonly #channel: PresenceChannel;
  #onJoin: PresenceJoinCallback<M> = () => {};
  #onLeave: PresenceLeaveCallback<M> = () => {};
  #onSync: () => void = () => {};

  constructor(channel: PresenceChannel, options: PresenceSyncOptions = {}) {
    this.#channel = channel;
    const stateEvent = options.events?.state ?? "presence_state";
    const diffEvent = options.events?.diff ?? "presence_diff";

    channel.on(stateEvent, (payload) => {
      this.#joinRef = channel.joinRef();
      this.#state = syncState(this.#state, payload as Presences<M>, this.#onJoin, this.#onLeave);
      const queued = this.#pending;
      this.#pending = [];
      for (const diff of queued) this.#state = syncDiff(this.#state, diff, this.#onJoin, this.#onLeave);
      this.#onSync();
    });

    channel.on(diffEvent, (payload) => {
      const diff = payload as PresenceDiff<M>;
      if (this.inPendingSyncState()) {
        this.#pending.push(diff);
        return;
      }
      this.#state = syncDiff(this.#state, diff, this.#onJoin, this.#onLeave);
      this.#onSync();
    });
  }

  /** Sets the callback for joins (see {@link PresenceJoinCallback}). */
  onJoin(callback: PresenceJoinCallback<M>): void {
    this.#onJoin = callback;
  }

  /** Sets the callback for leaves (see {@link PresenceLeaveCallback}). */
  onLeave(callback: PresenceLeaveCallback<M>): void {
    this.#onLeave = callback;
  }

  /** Sets the callback called after each state or diff was applied. */
  onSync(callback: () => void): void {
    this.#onSync = callback;
  }

  /** The presences in key order: `chooser(key, presence)` for each, or the presences themselves. */
  list<T = PresenceGroup<M>>(chooser?: (key: string, presence: PresenceGroup<M>) => T): T[] {
    return listPresences(this.#state, chooser);
  }

  /** The current presences by key (a prototype-less object; treat it as read-only). */
  get state(): Presences<M> {
    return this.#state;
  }

  /** Whether diffs are being queued: no state yet for the channel's current join. */
  inPendingSyncState(): boolean {
    return !this.#joinRef || this.#joinRef !== this.#channel.joinRef();
  }

  /** {@link syncState}, as a static like the official client's. */
  static syncState = syncState;
  /** {@link syncDiff}, as a static like the official client's. */
  static syncDiff = syncDiff;
  /** {@link listPresences}, as a static like the official client's `Presence.list`. */
  static list = listPresences;
}
