/**
 * The Presence API for channels: track who is on a topic from a joined channel, list them as the
 * `presence_state` payload, and let every node broadcast `presence_diff` to its local subscribers of a
 * topic whenever its replica's view of that topic changes. The payloads are the ones the official
 * `phoenix` client's `Presence` syncs from.
 */
import { FASTLANE_DISPATCHER } from "../pubsub/subscriber.js";
import type { PubSub } from "../pubsub/pubsub.js";
import type { ChildSpec } from "../runtime/supervisor/child-spec.js";
import type { Pid } from "../runtime/process/pid.js";
import type { PresenceEntry, PresenceMeta } from "./entry.js";
import { TelemetryEvent, telemetryChannels, type PresenceDiffed } from "../telemetry/events.js";
import { PresenceError, PresenceErrorCode } from "./errors.js";
import { diffPayload, fetched, groupPresences, type FetchPresences, type PresenceGroup, type Presences } from "./payload.js";
import { Tracker, type TopicChanges } from "./tracker.js";
import type { TrackerOptions } from "./tracker-options.js";

/** Options of {@link Presence}: the tracker's, and a hook to enrich what clients receive. */
export interface PresenceOptions extends TrackerOptions {
  /**
   * Enriches the presences of a topic before they are sent (`presence_state`, each side of a
   * `presence_diff`) or listed: for example adds each key's user record next to `metas`.
   */
  readonly fetch?: FetchPresences;
}

/** What tracks a presence: a joined channel (its process and its topic). */
export interface PresenceOwner {
  readonly pid: Pid;
  readonly topic: string;
}

/** Event names of the presence payloads, as the official client expects them. */
export const PresenceEvent = { STATE: "presence_state", DIFF: "presence_diff" } as const;

/**
 * Who is on each topic, across every node that shares the PubSub.
 *
 * @remarks
 * Start it with the endpoint (its `children`), on the endpoint's PubSub. In a channel, track after the
 * join and push the state, so that every (re)join gives the client a fresh `presence_state`; the
 * `presence_diff` broadcasts then keep it up to date. A presence goes when its channel's process ends.
 *
 * @example
 * ```ts
 * const pubsub = new PubSub();
 * const presence = new Presence(pubsub);
 *
 * class RoomChannel extends Channel<{ name: string }> {
 *   override join() {
 *     this.send("after_join");
 *     return ok();
 *   }
 *   override handleInfo(message: unknown) {
 *     if (message !== "after_join") return;
 *     presence.track(this, this.assigns.name, { online_at: Date.now() });
 *     this.push("presence_state", presence.list(this.topic));
 *   }
 * }
 *
 * const endpoint = new Endpoint({ pubsub, children: [pubsub.childSpec(), presence.childSpec()] });
 * ```
 */
export class Presence {
  /** The tracker behind this API (the same options); use it to track for any process. */
  readonly tracker: Tracker;
  readonly #fetch: FetchPresences | undefined;
  readonly #pubsub: PubSub;

  /** @throws PresenceError `FENIX_ERR_PRESENCE_BAD_ARGUMENT` for an option out of range. */
  constructor(pubsub: PubSub, options: PresenceOptions = {}) {
    const { fetch, ...trackerOptions } = options;
    if (fetch !== undefined && typeof fetch !== "function") {
      throw new PresenceError(PresenceErrorCode.BAD_ARGUMENT, `fetch must be a function; got ${typeof fetch}.`);
    }
    this.#pubsub = pubsub;
    this.#fetch = fetch;
    this.tracker = new Tracker(pubsub, trackerOptions);
    this.tracker.onChanges((changes) => this.#broadcastDiff(changes));
  }

  /** The child spec that runs the tracker (put it in the endpoint's `children`). */
  childSpec(id?: string): ChildSpec {
    return this.tracker.childSpec(id);
  }

  /**
   * Tracks `channel`'s presence under `key` on its topic; a `presence_diff` with the join goes to the
   * topic's subscribers on this node at once, on other nodes after their next merge.
   * @returns the presence's `phx_ref`.
   * @throws PresenceError `FENIX_ERR_PRESENCE_ALREADY_TRACKED` if this channel already tracks `key`.
   */
  track(channel: PresenceOwner, key: string | number, meta: PresenceMeta = {}): string {
    return this.tracker.track(channel.pid, channel.topic, keyOf(key), meta).ref;
  }

  /** Stops tracking `key` for `channel` (a leave in the next diff). */
  untrack(channel: PresenceOwner, key: string | number): void {
    this.tracker.untrack(channel.pid, channel.topic, keyOf(key));
  }

  /**
   * Replaces the meta of `channel`'s presence under `key` (or computes it from the current one). Clients
   * see the new meta join and the old one leave; the new meta carries `phx_ref_prev`.
   * @returns the new `phx_ref`.
   * @throws PresenceError `FENIX_ERR_PRESENCE_BAD_ARGUMENT` when `channel` does not track `key`.
   */
  update(channel: PresenceOwner, key: string | number, meta: PresenceMeta | ((current: PresenceMeta) => PresenceMeta)): string {
    const updated = this.tracker.update(channel.pid, channel.topic, keyOf(key), (current: PresenceEntry) => {
      const { phx_ref_prev: _previous, ...own } = current.meta as PresenceMeta & { phx_ref_prev?: unknown };
      const next = typeof meta === "function" ? meta(own) : meta;
      return { ...next, phx_ref_prev: current.ref };
    });
    if (updated === undefined) {
      throw new PresenceError(PresenceErrorCode.BAD_ARGUMENT, `No presence "${String(key)}" is tracked by this channel on ${channel.topic}.`);
    }
    return updated.joined.ref;
  }

  /** The presences of `topic`, grouped by key, through `fetch`: the `presence_state` payload. */
  list(topic: string): Presences {
    return fetched(topic, groupPresences(this.tracker.list(topic)), this.#fetch);
  }

  /** The presence of `key` on `topic` (through `fetch`), or `undefined`. */
  get(topic: string, key: string | number): PresenceGroup | undefined {
    const entries = this.tracker.get(topic, keyOf(key));
    if (entries.length === 0) return undefined;
    return fetched(topic, groupPresences(entries), this.#fetch)[keyOf(key)];
  }

  #broadcastDiff({ topic, joins, leaves }: TopicChanges): void {
    const diff = diffPayload(joins, leaves);
    const payload = { joins: fetched(topic, diff.joins, this.#fetch), leaves: fetched(topic, diff.leaves, this.#fetch) };
    const ch = telemetryChannels[TelemetryEvent.PRESENCE_DIFF];
    if (ch.hasSubscribers) {
      let size = 0;
      try {
        size = Object.keys(groupPresences(this.tracker.list(topic))).length;
      } catch {
        // The tracker has stopped.
      }
      ch.publish({
        source: this,
        node: this.#pubsub.nodeName,
        topic,
        joins: Object.keys(diff.joins).length,
        leaves: Object.keys(diff.leaves).length,
        size,
      } satisfies PresenceDiffed);
    }
    try {
      this.#pubsub.localBroadcast(topic, { topic, event: PresenceEvent.DIFF, payload }, { dispatcher: FASTLANE_DISPATCHER });
    } catch {
      // The PubSub has stopped (the node is shutting down): nobody is left to tell.
    }
  }
}

function keyOf(key: string | number): string {
  if (typeof key === "number" && Number.isFinite(key)) return String(key);
  if (typeof key !== "string" || key === "") {
    throw new PresenceError(PresenceErrorCode.BAD_ARGUMENT, `A presence key must be a non-empty string or a number; got ${JSON.stringify(key)}.`);
  }
  return key;
}
