/**
 * Typed errors of the client: what a join, a push or a connection reports when it does not go as asked.
 * Every promise of the client rejects with a {@link ClientError}; match on its `code`.
 */
import { FenixError } from "../errors/fenix-error.js";

/** Stable codes of {@link ClientError}. Each is documented in docs/errors.md. */
export const ClientErrorCode = {
  /** An argument has the wrong type or range (an empty topic, a negative timeout, a bad endpoint URL…). */
  BAD_ARGUMENT: "FENIX_ERR_CLIENT_BAD_ARGUMENT",
  /** A call does not fit the channel's state: `join()` on a channel already joining or joined, `push()` before `join()`. */
  BAD_STATE: "FENIX_ERR_CLIENT_BAD_STATE",
  /** The server refused the join; `response` is its answer (e.g. `{reason: "unauthorized"}`). */
  JOIN_REFUSED: "FENIX_ERR_CLIENT_JOIN_REFUSED",
  /** No answer to a join within its timeout. The channel keeps rejoining on its backoff. */
  JOIN_TIMEOUT: "FENIX_ERR_CLIENT_JOIN_TIMEOUT",
  /** The server answered a push with a status other than `"ok"`; `status` and `response` hold its answer. */
  PUSH_ERROR: "FENIX_ERR_CLIENT_PUSH_ERROR",
  /** No reply to a push within its timeout (buffered pushes included: the timeout starts at `push()`). */
  PUSH_TIMEOUT: "FENIX_ERR_CLIENT_PUSH_TIMEOUT",
  /** The connection was lost after the push (or join) was sent and before its reply: it may or may not have been handled. */
  DISCONNECTED: "FENIX_ERR_CLIENT_DISCONNECTED",
  /** The server's channel crashed (`phx_error`) after the push was sent and before its reply. */
  CHANNEL_ERRORED: "FENIX_ERR_CLIENT_CHANNEL_ERRORED",
  /** The channel was left or closed (by `leave()`, the server's `phx_close`, or a refused join); the push was not sent or will not be answered. */
  CHANNEL_CLOSED: "FENIX_ERR_CLIENT_CHANNEL_CLOSED",
  /** The transport failed (connection refused, handshake refused, network error); reported on `socket.onError`. */
  TRANSPORT_ERROR: "FENIX_ERR_CLIENT_TRANSPORT_ERROR",
  /**
   * The server's `connect` refused the connection with a reason (`refuse(reason)`), found in
   * `response.reason`. The socket stops reconnecting unless `reconnectAfterRefusalMs` says otherwise; joins
   * waiting on it reject with this code.
   */
  CONNECT_REFUSED: "FENIX_ERR_CLIENT_CONNECT_REFUSED",
} as const;

/** One of the {@link ClientErrorCode} values. */
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

/** Extra facts a {@link ClientError} may carry. */
export interface ClientErrorDetails {
  /** The channel's topic, when the error concerns a channel. */
  readonly topic?: string;
  /** The pushed event, when the error concerns a push. */
  readonly event?: string;
  /** The reply's status (`JOIN_REFUSED`: `"error"`; `PUSH_ERROR`: anything but `"ok"`). */
  readonly status?: string;
  /** The server's response: the join refusal or the push's error reply. */
  readonly response?: unknown;
  readonly cause?: unknown;
}

/**
 * An error reported by the client.
 *
 * @remarks
 * `status` and `response` are set for `JOIN_REFUSED` and `PUSH_ERROR` (the server's answer, unchanged);
 * `topic` and `event` say what it concerns.
 *
 * @example
 * ```ts
 * try { await channel.push("new_msg", { body }); }
 * catch (err) {
 *   if (err instanceof ClientError && err.code === ClientErrorCode.PUSH_ERROR) showProblem(err.response);
 * }
 * ```
 */
export class ClientError extends FenixError {
  declare readonly code: ClientErrorCode;
  readonly topic: string | undefined;
  readonly event: string | undefined;
  readonly status: string | undefined;
  readonly response: unknown;

  constructor(code: ClientErrorCode, message: string, details: ClientErrorDetails = {}) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.topic = details.topic;
    this.event = details.event;
    this.status = details.status;
    this.response = details.response;
  }
}
