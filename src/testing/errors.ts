/**
 * Typed errors of `fenix/testing`: failed assertions (each says what was expected and lists what arrived
 * instead), refused connects and joins, processes that never settle, and misuse of the kit.
 */
import { FenixError } from "../errors/fenix-error.js";
import type { Payload } from "../protocol/message.js";

/** Stable codes of {@link TestingError}. Each is documented in docs/errors.md. */
export const TestingErrorCode = {
  /** An option or argument of the kit has the wrong type or range. */
  BAD_ARGUMENT: "FENIX_ERR_TESTING_BAD_ARGUMENT",
  /** The kit, a test socket or a test channel was used in a state that does not allow it. */
  BAD_STATE: "FENIX_ERR_TESTING_BAD_STATE",
  /** The socket's `connect` refused the connection, threw, or its `id()` was invalid. */
  CONNECT_REFUSED: "FENIX_ERR_TESTING_CONNECT_REFUSED",
  /** The join was answered with an error reply. */
  JOIN_REFUSED: "FENIX_ERR_TESTING_JOIN_REFUSED",
  /** No reply to a push (or join, or leave) arrived within the window. */
  NO_REPLY: "FENIX_ERR_TESTING_NO_REPLY",
  /** A reply arrived with another status or a response that does not match. */
  REPLY_MISMATCH: "FENIX_ERR_TESTING_REPLY_MISMATCH",
  /** A reply arrived where none was expected. */
  UNEXPECTED_REPLY: "FENIX_ERR_TESTING_UNEXPECTED_REPLY",
  /** No push with the event (and matching payload) arrived within the window. */
  PUSH_NOT_RECEIVED: "FENIX_ERR_TESTING_PUSH_NOT_RECEIVED",
  /** A push that was refuted arrived. */
  UNEXPECTED_PUSH: "FENIX_ERR_TESTING_UNEXPECTED_PUSH",
  /** No broadcast with the event (and matching payload) went over the topic within the window. */
  BROADCAST_NOT_RECEIVED: "FENIX_ERR_TESTING_BROADCAST_NOT_RECEIVED",
  /** A broadcast that was refuted went over the topic. */
  UNEXPECTED_BROADCAST: "FENIX_ERR_TESTING_UNEXPECTED_BROADCAST",
  /** A presence was missing, present, or did not match, at the end of the window. */
  PRESENCE_MISMATCH: "FENIX_ERR_TESTING_PRESENCE_MISMATCH",
  /** The server did not close the socket within the window, or closed it with another code. */
  SOCKET_NOT_CLOSED: "FENIX_ERR_TESTING_SOCKET_NOT_CLOSED",
  /** A process stayed busy (awaiting a promise, or never out of messages) longer than `ioTimeoutMs` of real time. */
  PROCESS_BUSY: "FENIX_ERR_TESTING_PROCESS_BUSY",
} as const;

/** One of the {@link TestingErrorCode} values. */
export type TestingErrorCode = (typeof TestingErrorCode)[keyof typeof TestingErrorCode];

/**
 * A failed assertion or a misuse of `fenix/testing`.
 *
 * @remarks
 * The message says what was expected, within which window, and lists what arrived instead; match on
 * `code` in code, read the message in a test report.
 *
 * @example
 * ```ts
 * declare const room: TestChannel;
 * try {
 *   await room.assertPush("tick");
 * } catch (err) {
 *   if (err instanceof TestingError && err.code === TestingErrorCode.PUSH_NOT_RECEIVED) console.log(err.message);
 * }
 * ```
 */
export class TestingError extends FenixError {
  override readonly code: TestingErrorCode;

  constructor(code: TestingErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.code = code;
  }
}

/**
 * The socket's `connect` refused the connection: `status` is the HTTP status the endpoint would have
 * answered (403 for a refusal, 500 when `connect` or `id` threw or `id` returned an invalid value).
 *
 * @example
 * ```ts
 * declare const kit: ChannelTest;
 * await kit.connect({ token: "bad" }).catch((err: unknown) => {
 *   if (err instanceof ConnectRefusedError) console.log(err.status); // 403
 * });
 * ```
 */
export class ConnectRefusedError extends TestingError {
  /** The HTTP status the endpoint would have answered the upgrade with. */
  readonly status: 403 | 500;
  /** The reason given with `refuse(reason)`, if any. */
  readonly reason: string | undefined;

  constructor(status: 403 | 500, message: string, options?: { cause?: unknown; reason?: string }) {
    super(TestingErrorCode.CONNECT_REFUSED, message, options);
    this.status = status;
    this.reason = options?.reason;
  }
}

/**
 * The join was answered with an error reply; `response` is that reply's response, such as
 * `{ reason: "unauthorized" }`, `{ reason: "join crashed" }` or `{ reason: "unmatched topic" }`.
 *
 * @example
 * ```ts
 * declare const socket: TestSocket;
 * await socket.join("room:secret").catch((err: unknown) => {
 *   if (err instanceof JoinRefusedError) console.log(err.response); // { reason: "unauthorized" }
 * });
 * ```
 */
export class JoinRefusedError extends TestingError {
  /** The topic that refused the join. */
  readonly topic: string;
  /** The response of the error reply. */
  readonly response: Payload;

  constructor(topic: string, response: Payload, message: string) {
    super(TestingErrorCode.JOIN_REFUSED, message);
    this.topic = topic;
    this.response = response;
  }
}
