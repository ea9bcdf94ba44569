/**
 * Typed errors of the server layer: API misuse (thrown at once, naming the fix) and client errors
 * (a peer broke the rules; reported through the endpoint's `clientError` event with a close code).
 */
import { FenixError } from "../errors/fenix-error.js";

/** Stable codes of {@link ServerError}. Each is documented in docs/errors.md. */
export const ServerErrorCode = {
  /** A topic pattern has a `*` that is not its last character, or is not a string. */
  BAD_TOPIC_PATTERN: "FENIX_ERR_SERVER_BAD_TOPIC_PATTERN",
  /** A socket mount path is not an absolute path, or is mounted twice. */
  BAD_PATH: "FENIX_ERR_SERVER_BAD_PATH",
  /** An option has a value of the wrong type or range. */
  BAD_OPTION: "FENIX_ERR_SERVER_BAD_OPTION",
  /** A channel callback returned a value that is not one of its valid results. */
  BAD_CALLBACK_RESULT: "FENIX_ERR_SERVER_BAD_CALLBACK_RESULT",
  /** `push`, `broadcast` or `reply` was used before the channel finished joining, or after it ended. */
  NOT_JOINED: "FENIX_ERR_SERVER_NOT_JOINED",
  /** History was read for a topic no mounted route keeps history for. */
  NO_HISTORY: "FENIX_ERR_SERVER_NO_HISTORY",
  /** A payload given to `push`, `broadcast` or `reply` is neither a JSON object nor bytes. */
  BAD_PAYLOAD: "FENIX_ERR_SERVER_BAD_PAYLOAD",
  /** `socketRef()` was called outside `handleIn`, where there is no client push to refer to. */
  NOT_IN_HANDLE_IN: "FENIX_ERR_SERVER_NOT_IN_HANDLE_IN",
  /** A channel received a client event but does not implement `handleIn`. */
  NO_HANDLE_IN: "FENIX_ERR_SERVER_NO_HANDLE_IN",
  /** A socket's `id()` returned something other than a non-empty string or null. */
  BAD_SOCKET_ID: "FENIX_ERR_SERVER_BAD_SOCKET_ID",
  /** The endpoint was started twice, or used after it stopped. */
  BAD_STATE: "FENIX_ERR_SERVER_BAD_STATE",
  /** The HTTP server could not listen (port in use, no permission). */
  LISTEN_FAILED: "FENIX_ERR_SERVER_LISTEN_FAILED",
  /** A WebSocket upgrade or LongPoll request came from an origin that `checkOrigin` does not allow (answered 403). */
  ORIGIN_REFUSED: "FENIX_ERR_SERVER_ORIGIN_REFUSED",
  /** The client asked for a serializer version the server does not speak (answered 403). */
  UNSUPPORTED_VSN: "FENIX_ERR_SERVER_UNSUPPORTED_VSN",
  /** The client offered WebSocket subprotocols, none of them `phoenix` (answered 403). */
  BAD_SUBPROTOCOL: "FENIX_ERR_SERVER_BAD_SUBPROTOCOL",
  /** The socket's `connect` threw (answered 500; details in the log). */
  CONNECT_CRASHED: "FENIX_ERR_SERVER_CONNECT_CRASHED",
  /** A request to a socket path was not a valid WebSocket upgrade (answered 400). */
  BAD_UPGRADE: "FENIX_ERR_SERVER_BAD_UPGRADE",
  /** A frame was larger than `maxFrameBytes` (closed with 1009). */
  FRAME_TOO_LARGE: "FENIX_ERR_SERVER_FRAME_TOO_LARGE",
  /** The WebSocket layer rejected a frame (bad UTF-8, bad opcode, bad masking…; closed with its code). */
  BAD_FRAME: "FENIX_ERR_SERVER_BAD_FRAME",
  /** The client read too slowly and its outbound queue passed `maxBufferedBytes` (closed with 1013). */
  SLOW_CONSUMER: "FENIX_ERR_SERVER_SLOW_CONSUMER",
  /** No frame arrived within `idleTimeoutMs` (closed with 1001). */
  IDLE_TIMEOUT: "FENIX_ERR_SERVER_IDLE_TIMEOUT",
  /** A binary frame was written to a LongPoll client, which can only carry text; it was dropped. */
  LONGPOLL_BINARY_DROPPED: "FENIX_ERR_SERVER_LONGPOLL_BINARY_DROPPED",
  /** A LongPoll POST body was larger than `maxBodyBytes` (answered with body status 413). */
  LONGPOLL_BODY_TOO_LARGE: "FENIX_ERR_SERVER_LONGPOLL_BODY_TOO_LARGE",
  /** A broadcast could not be encoded for the clients of one serializer (bytes for V1 clients…); they skip it. */
  BROADCAST_ENCODE_FAILED: "FENIX_ERR_SERVER_BROADCAST_ENCODE_FAILED",
  /** A cluster worker exited: before it served at start (startCluster rejects), or later (it is started again). */
  WORKER_FAILED: "FENIX_ERR_SERVER_WORKER_FAILED",
  /** A LongPoll POST line is neither a text frame nor standard base64 (answered with body status 400). */
  LONGPOLL_BAD_LINE: "FENIX_ERR_SERVER_LONGPOLL_BAD_LINE",
  /** A client address had `longpoll.maxConcurrentPostsPerAddress` POST bodies in flight already (answered HTTP 429, closed). */
  LONGPOLL_TOO_MANY_POSTS: "FENIX_ERR_SERVER_LONGPOLL_TOO_MANY_POSTS",
  /** A client address opened `longpoll.maxNewSessionsPerAddress` sessions this window already (answered HTTP 429, closed). */
  LONGPOLL_TOO_MANY_SESSIONS: "FENIX_ERR_SERVER_LONGPOLL_TOO_MANY_SESSIONS",
  /** A client message went over a `rateLimit` or `topicRateLimit` (answered `{reason: "rate limited"}`; reported at most once a second per connection). */
  RATE_LIMITED: "FENIX_ERR_SERVER_RATE_LIMITED",
  /** A client message's topic was longer than `maxTopicLength` bytes (answered `{reason: "topic too long"}`). */
  TOPIC_TOO_LONG: "FENIX_ERR_SERVER_TOPIC_TOO_LONG",
  /** A client message's event was longer than `maxEventLength` bytes (answered `{reason: "event too long"}`). */
  EVENT_TOO_LONG: "FENIX_ERR_SERVER_EVENT_TOO_LONG",
  /** A client address already had `maxConnectionsPerAddress` connections open on the mount (answered HTTP 429). */
  TOO_MANY_CONNECTIONS: "FENIX_ERR_SERVER_TOO_MANY_CONNECTIONS",
  /** A token secret is not a string or bytes of at least 32 bytes, or a list of secrets is empty. */
  BAD_TOKEN_SECRET: "FENIX_ERR_SERVER_BAD_TOKEN_SECRET",
  /** A token salt or option has the wrong type or range (`maxAgeSec` negative or NaN, `signedAt` not a time…). */
  BAD_TOKEN_OPTION: "FENIX_ERR_SERVER_BAD_TOKEN_OPTION",
  /** A value cannot be written as an Erlang term (a function, a `Date`, an atom over 255 characters…). */
  UNENCODABLE_TERM: "FENIX_ERR_SERVER_UNENCODABLE_TERM",
  /** Bytes are not an Erlang external term this codec reads (truncated, over a limit, a pid, a fun…). */
  UNREADABLE_TERM: "FENIX_ERR_SERVER_UNREADABLE_TERM",
} as const;

/** One of the {@link ServerErrorCode} values. */
export type ServerErrorCode = (typeof ServerErrorCode)[keyof typeof ServerErrorCode];

/** An error raised or reported by the server layer. */
export class ServerError extends FenixError {
  declare readonly code: ServerErrorCode;
  /** For client errors: the WebSocket close code or HTTP status the connection was answered with. */
  readonly status: number | undefined;

  constructor(code: ServerErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(code, message, options);
    this.status = options?.status;
  }
}
