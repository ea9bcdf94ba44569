/**
 * Names and numbers fixed by the wire protocol: the socket-level topic, the events the protocol itself uses,
 * and the constants of the binary frame format.
 */

/**
 * Topic and event names that belong to the protocol, not to applications.
 *
 * @remarks
 * Clients send `phx_join`, `phx_leave` and, on topic `phoenix`, `heartbeat` (answered by the socket, never
 * seen by a channel). The server sends `phx_reply` (answers), `phx_close` (the channel ended normally, the
 * client will not rejoin) and `phx_error` (the channel crashed, the client rejoins).
 */
export const Reserved = {
  /** The socket-level topic that carries heartbeats. */
  PHOENIX_TOPIC: "phoenix",
  /** Client keep-alive on topic `phoenix`; the server answers with an ok reply. */
  HEARTBEAT: "heartbeat",
  /** Client request to join a channel; its ref becomes the join ref. */
  JOIN: "phx_join",
  /** Client request to leave a channel. */
  LEAVE: "phx_leave",
  /** Server answer to a client push. */
  REPLY: "phx_reply",
  /** Server notice that a channel ended normally. */
  CLOSE: "phx_close",
  /** Server notice that a channel crashed. */
  ERROR: "phx_error",
  /**
   * Server push on a topic with history standing for a broadcast this client was not sent (skipped by
   * `broadcastFrom`, or dropped by `handleOut`): payload `{}`, the position in the ref. Clients that do not
   * know it have no handler for it and ignore it.
   */
  POSITION: "fenix_position",
  /**
   * Client push on a topic with history asking for the messages after `since` without rejoining; answered
   * like a join's recovery (`{recovered, position}`, then the missed messages).
   */
  RECOVER: "fenix_recover",
} as const;

const reservedEvents: ReadonlySet<string> = new Set([
  Reserved.HEARTBEAT,
  Reserved.JOIN,
  Reserved.LEAVE,
  Reserved.REPLY,
  Reserved.CLOSE,
  Reserved.ERROR,
  Reserved.POSITION,
  Reserved.RECOVER,
]);

/**
 * Tells whether an event name belongs to the protocol (`heartbeat`, `phx_*` and `fenix_*` of {@link Reserved}).
 *
 * @remarks
 * Applications should not push or broadcast these names: the client would take them for protocol traffic.
 * The topic name `phoenix` is not an event and is not matched here.
 *
 * @example
 * ```ts
 * isReservedEvent("phx_reply"); // true
 * isReservedEvent("new_msg");   // false
 * ```
 */
export function isReservedEvent(event: string): boolean {
  return reservedEvents.has(event);
}

/**
 * The longest a meta field of a binary frame may be, in UTF-8 bytes.
 *
 * @remarks
 * Each of join_ref, ref, topic, event and status is preceded by a one-byte length, so 255 is the limit.
 */
export const BINARY_META_MAX_BYTES = 255;

/**
 * The kind byte that opens every binary frame.
 *
 * @remarks
 * `PUSH` goes both ways (the client's carries a ref, the server's does not); `REPLY` and `BROADCAST` are sent
 * only by the server.
 */
export const BinaryKind = {
  /** A push: client→server with a 5-byte header, server→client with a 4-byte header. */
  PUSH: 0,
  /** A server reply, 5-byte header. */
  REPLY: 1,
  /** A server broadcast, 3-byte header. */
  BROADCAST: 2,
} as const;

/** One of the {@link BinaryKind} values. */
export type BinaryKind = (typeof BinaryKind)[keyof typeof BinaryKind];

/**
 * The WebSocket subprotocol a client offers beside `phoenix` to be told why `connect` refused it: the
 * server then upgrades and closes at once with {@link REFUSED_CLOSE_CODE} and the reason (browsers cannot
 * read the body of a refused upgrade). `fenix/client` offers it.
 */
export const REFUSAL_SUBPROTOCOL = "fenix.refusal";

/** The close code of a connection refused with a reason (in the range left to applications). */
export const REFUSED_CLOSE_CODE = 4403;
