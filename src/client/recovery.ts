/**
 * History and recovery on the client: where a channel is in its topic's stream, which positioned messages
 * reach the application (each once, in offset order), the `since` a rejoin sends, and the `fenix_recover`
 * push that fetches the messages a gap skipped, without reconnecting.
 *
 * @remarks
 * On a history topic every broadcast carries its position (`"<epoch>:<offset>"`) in the message `ref`, and
 * so do server pushes that stand for a broadcast (rewritten ones, and `fenix_position` markers that stand
 * for one this client was not sent). The channel asks this module what to do with each of them:
 *
 * - offset ≤ the last one: a duplicate, dropped;
 * - offset = the last one + 1 (same epoch): delivered, and the position advances (a marker advances only);
 * - anything else (offsets skipped, another epoch): a gap. The message is dropped and, when the channel is
 *   joined and no recovery is pending, `fenix_recover` asks the server for what follows the last position.
 *   Messages that do not follow the last one directly keep being dropped until the missed ones arrive.
 *
 * Browser-safe: besides the client's own modules it imports only pure protocol helpers.
 */
import type { JsonObject } from "../protocol/message.js";
import { formatPosition, parsePosition, type StreamPosition } from "../protocol/position.js";
import { Reserved } from "../protocol/reserved.js";
import type { ClientClock, ClientTimerHandle } from "./clock.js";
import type { ClientMessage } from "./codec.js";

/**
 * Why {@link RecoverResult} was reported: `"rejoin"` after every ok join reply on a history topic (the
 * first join included), `"gap"` after the reply to a recovery the client asked for when offsets skipped.
 */
export type RecoverReason = "rejoin" | "gap";

/**
 * The outcome of a join or of a gap recovery on a history topic, as `channel.onRecover` reports it.
 *
 * @example
 * ```ts
 * channel.onRecover(({ recovered, position, reason }) => {
 *   if (!recovered) void reloadRoom(); // the gap could not be filled: fetch the state again
 *   console.log(`at ${position.epoch}:${position.offset} after a ${reason}`);
 * });
 * ```
 */
export interface RecoverResult {
  /**
   * True when every message after the position the client sent has been or will be delivered (they come
   * right after the reply, in order). False when no position was sent (a first join) or the server could not
   * fill the gap (beyond its history, or the stream's epoch changed): the application must reload its state.
   */
  readonly recovered: boolean;
  /**
   * The position the server reported: with `recovered`, where the channel is once the missed messages have
   * arrived; without, where the state the reply carries stands. Null when the server could not read the
   * topic's history (its store was unreachable): the channel then tracks positions from the next message.
   */
  readonly position: StreamPosition | null;
  /** What the result answers. */
  readonly reason: RecoverReason;
}

/** The events whose `ref` is the answered push's, never a position. */
const CONTROL_EVENTS: ReadonlySet<string> = new Set([Reserved.REPLY, Reserved.CLOSE, Reserved.ERROR]);

/** The position a server message stands for, or null for an unpositioned one (delivered as it is). */
export function positionOf(message: ClientMessage): StreamPosition | null {
  if (message.ref === null || CONTROL_EVENTS.has(message.event)) return null;
  return parsePosition(message.ref);
}

/**
 * Reads `{recovered, position}` from a join or recover reply's response: null when it has neither (not a
 * history topic); a null position when the server could not read the history.
 */
function recoveryReply(response: unknown): { recovered: boolean; position: StreamPosition | null } | null {
  if (typeof response !== "object" || response === null || Array.isArray(response) || response instanceof Uint8Array) return null;
  const { recovered, position } = response as { recovered?: unknown; position?: unknown };
  const parsed = parsePosition(position);
  if (parsed === null && typeof recovered !== "boolean") return null;
  return { recovered: recovered === true && parsed !== null, position: parsed };
}

/** `next` if it is another epoch or further in the same one, else `current` (positions never move back). */
function furthest(current: StreamPosition | null, next: StreamPosition): StreamPosition {
  if (current === null || current.epoch !== next.epoch) return next;
  return next.offset > current.offset ? next : current;
}

/** What the channel offers its recovery (internal). */
export interface RecoveryHost {
  /** The channel's clock and push timeout: a recovery unanswered in time is given up. */
  readonly clock: ClientClock;
  readonly timeoutMs: number;
  /** Whether the channel is joined and connected: only then may a recovery be asked for. */
  canRecover(): boolean;
  /**
   * Pushes `fenix_recover` with `payload` and calls `onReply` with the reply, synchronously as it is read
   * (the missed messages may follow in the same network read). Returns a function that forgets the push.
   */
  pushRecover(payload: JsonObject, onReply: (status: string, response: unknown) => void): () => void;
  /** Reports a result to the channel's `onRecover` callbacks. */
  report(result: RecoverResult): void;
}

/** The recovery state of one channel (internal to the channel). */
export class StreamRecovery {
  readonly #host: RecoveryHost;
  #position: StreamPosition | null = null;
  #recovered: boolean | null = null;
  /** Whether the topic keeps history (its join reply said so): positions are then tracked even from none. */
  #history = false;
  /** The pending recovery: its timer and how to forget its push; undefined when none is pending. */
  #pending: { timer: ClientTimerHandle; forget: () => void } | undefined;

  constructor(host: RecoveryHost) {
    this.#host = host;
  }

  /** The position of the last message delivered (or skipped for this client), or null when none is known. */
  get position(): StreamPosition | null {
    return this.#position;
  }

  /** Whether the last join or recovery recovered every missed message; null before any on a history topic. */
  get recovered(): boolean | null {
    return this.#recovered;
  }

  /**
   * The payload of a join attempt: the application's params, with `since` set to the known position. Without
   * one (a first join), the application's own `since` goes as it is and becomes the position to resume from.
   * Forgets a pending recovery: the join recovers instead.
   */
  joinPayload(params: JsonObject): JsonObject {
    this.cancel();
    if (this.#position === null) {
      this.#position = parsePosition(params["since"]);
      return params;
    }
    return { ...params, since: formatPosition(this.#position) };
  }

  /**
   * Reads an ok join reply. On a history topic (the response has a `position`) it sets `recovered` and the
   * position (kept where it is when recovered: the missed messages follow; else the reply's) and returns
   * the result to report; elsewhere it forgets any position and returns null.
   */
  joined(response: unknown): RecoverResult | null {
    const reply = recoveryReply(response);
    if (reply === null) {
      this.#position = null;
      this.#recovered = null;
      this.#history = false;
      return null;
    }
    this.#history = true;
    this.#recovered = reply.recovered;
    if (reply.position === null) this.#position = null;
    else if (!reply.recovered || this.#position === null) this.#position = furthest(this.#position, reply.position);
    return { recovered: reply.recovered, position: reply.position, reason: "rejoin" };
  }

  /** Forgets a pending recovery (a new join attempt, a lost connection, a close): its reply, if any, is ignored. */
  cancel(): void {
    const pending = this.#pending;
    if (pending === undefined) return;
    this.#pending = undefined;
    this.#host.clock.clearTimeout(pending.timer);
    pending.forget();
  }

  /**
   * Decides about a positioned message: true to deliver it (the position has advanced to it), false to drop
   * it (a duplicate, or after a gap, which starts a recovery when possible).
   */
  accept(position: StreamPosition): boolean {
    const last = this.#position;
    // No position yet: before the first join reply, or a topic without history, delivered as it is; on a
    // history topic whose position the server could not tell, tracking starts from this message.
    if (last === null) {
      if (this.#history) this.#position = position;
      return true;
    }
    if (position.epoch === last.epoch) {
      if (position.offset <= last.offset) return false;
      if (position.offset === last.offset + 1) {
        this.#position = position;
        return true;
      }
    }
    this.#recover(last);
    return false;
  }

  /** Asks the server for every message after `since`, unless a recovery is pending or the channel cannot. */
  #recover(since: StreamPosition): void {
    if (this.#pending !== undefined || !this.#host.canRecover()) return;
    // Failed (timeout, error reply): the next gap asks again; a rejoin sends `since` anyway.
    const timer = this.#host.clock.setTimeout(() => this.cancel(), this.#host.timeoutMs);
    const forget = this.#host.pushRecover({ since: formatPosition(since) }, (status, response) => {
      if (this.#pending?.timer !== timer) return;
      this.#pending = undefined;
      this.#host.clock.clearTimeout(timer);
      const reply = status === "ok" ? recoveryReply(response) : null;
      if (reply === null) return;
      this.#recovered = reply.recovered;
      // Recovered: the missed messages follow the reply and advance the position one by one.
      if (!reply.recovered) this.#position = reply.position === null ? null : furthest(this.#position, reply.position);
      this.#host.report({ recovered: reply.recovered, position: reply.position, reason: "gap" });
    });
    this.#pending = { timer, forget };
  }
}
