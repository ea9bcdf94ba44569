/**
 * Typed errors of the Presence layer: misuse of the presence state API (bad arguments, tracking the same
 * presence twice, acting on the local replica as if it were a remote one) and replication data that is
 * malformed or of a wire version this build does not read.
 */
import { FenixError } from "../errors/fenix-error.js";

/**
 * The stable codes of errors thrown by the Presence layer. Each is documented in docs/errors.md.
 *
 * @example
 * ```ts
 * try {
 *   state.join(pid, "room:1", "u1", { online_at: now });
 * } catch (err) {
 *   if (err instanceof PresenceError && err.code === PresenceErrorCode.ALREADY_TRACKED) return;
 *   throw err;
 * }
 * ```
 */
export const PresenceErrorCode = {
  /** An argument has the wrong shape: an empty topic, a non-string key, a meta that is not a plain object, a malformed replica id, … */
  BAD_ARGUMENT: "FENIX_ERR_PRESENCE_BAD_ARGUMENT",
  /** `join` was called for an owner, topic and key that the local replica already tracks. */
  ALREADY_TRACKED: "FENIX_ERR_PRESENCE_ALREADY_TRACKED",
  /** `replicaUp`, `replicaDown` or `removeDown` named the local replica itself. */
  SELF_REPLICA: "FENIX_ERR_PRESENCE_SELF_REPLICA",
  /** A state or delta given to `merge` does not have the documented wire shape; nothing was merged. */
  BAD_WIRE: "FENIX_ERR_PRESENCE_BAD_WIRE",
  /** A state or delta given to `merge` has a wire version this build cannot read; nothing was merged. */
  WIRE_VERSION: "FENIX_ERR_PRESENCE_WIRE_VERSION",
  /** A presence was tracked, updated or read before the tracker's shards were started (or after they stopped). */
  NOT_RUNNING: "FENIX_ERR_PRESENCE_NOT_RUNNING",
} as const;

/** One of the {@link PresenceErrorCode} values. */
export type PresenceErrorCode = (typeof PresenceErrorCode)[keyof typeof PresenceErrorCode];

/**
 * An error raised by the Presence layer, with a {@link PresenceErrorCode}.
 *
 * @remarks Match on `code`, never on `message`.
 *
 * @example
 * ```ts
 * const err = new PresenceError(PresenceErrorCode.BAD_ARGUMENT, "topic must be a non-empty string");
 * err.code; // "FENIX_ERR_PRESENCE_BAD_ARGUMENT"
 * ```
 */
export class PresenceError extends FenixError {
  declare readonly code: PresenceErrorCode;

  constructor(code: PresenceErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
