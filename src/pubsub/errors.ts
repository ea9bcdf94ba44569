/**
 * Typed errors of the PubSub layer: misuse of the subscribe/broadcast API and adapter failures.
 */
import { FenixError } from "../errors/fenix-error.js";

/** Stable codes of {@link PubSubError}. Each is documented in docs/errors.md. */
export const PubSubErrorCode = {
  /** A topic was not a non-empty string. */
  BAD_TOPIC: "FENIX_ERR_PUBSUB_BAD_TOPIC",
  /** A dispatcher name was used that was never registered with {@link PubSub.registerDispatcher}. */
  UNKNOWN_DISPATCHER: "FENIX_ERR_PUBSUB_UNKNOWN_DISPATCHER",
  /** The adapter failed to start, stop or deliver to other nodes. */
  ADAPTER_FAILED: "FENIX_ERR_PUBSUB_ADAPTER_FAILED",
  /** A broadcast was made on a PubSub that is stopped. */
  STOPPED: "FENIX_ERR_PUBSUB_STOPPED",
  /** A broadcast payload could not be encoded for some subscribers (for example bytes for a V1 client). */
  ENCODE_FAILED: "FENIX_ERR_PUBSUB_ENCODE_FAILED",
  /** Two nodes on one memory bus used the same node name. */
  DUPLICATE_NODE: "FENIX_ERR_PUBSUB_DUPLICATE_NODE",
} as const;

/** One of the {@link PubSubErrorCode} values. */
export type PubSubErrorCode = (typeof PubSubErrorCode)[keyof typeof PubSubErrorCode];

/** An error raised by the PubSub layer. */
export class PubSubError extends FenixError {
  declare readonly code: PubSubErrorCode;

  constructor(code: PubSubErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
