/**
 * Typed errors of the PubSub layer: misuse of the subscribe/broadcast API, frames between nodes, and
 * adapter failures (links down, messages lost).
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
  /** Two nodes of one cluster used the same node name. */
  DUPLICATE_NODE: "FENIX_ERR_PUBSUB_DUPLICATE_NODE",
  /** A message to be sent to other nodes is not made of JSON values and `Uint8Array`s. */
  BAD_MESSAGE: "FENIX_ERR_PUBSUB_BAD_MESSAGE",
  /** A frame from another node could not be read (another Fenix version, or not a Fenix frame). */
  BAD_FRAME: "FENIX_ERR_PUBSUB_BAD_FRAME",
  /** The link to the other nodes is down: broadcasts reach this node's subscribers only until it is back. */
  ADAPTER_DOWN: "FENIX_ERR_PUBSUB_ADAPTER_DOWN",
  /** Messages between nodes were lost (a gap in a node's sequence numbers, or sends refused while down). */
  MESSAGES_LOST: "FENIX_ERR_PUBSUB_MESSAGES_LOST",
  /**
   * A topic's history could not be appended to or read (the store is unreachable): the broadcast was
   * dropped, or the recovery answered `recovered: false`.
   */
  HISTORY_UNAVAILABLE: "FENIX_ERR_PUBSUB_HISTORY_UNAVAILABLE",
  /** History was asked of a PubSub whose adapter has no history store. */
  HISTORY_UNSUPPORTED: "FENIX_ERR_PUBSUB_HISTORY_UNSUPPORTED",
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
