/**
 * A refused connection that tells the client why: `connect` returns `refuse(reason)` instead of `false`,
 * and the client reads the reason — over WebSocket in the close frame (code 4403) when it asked for it
 * (`fenix/client` does), else in the body of the HTTP 403; over LongPoll in the poll answer.
 */

export { REFUSAL_SUBPROTOCOL, REFUSED_CLOSE_CODE } from "../../protocol/reserved.js";

/** The longest reason sent (UTF-8 bytes; a WebSocket close reason holds at most 123). */
export const MAX_REFUSAL_REASON_BYTES = 120;

/** What `connect` returns to refuse a connection with a reason. Create it with {@link refuse}. */
export class ConnectRefusal {
  /** @internal Use {@link refuse}. */
  constructor(
    /** The reason the client is told, such as `"token expired"`. */
    readonly reason: string,
  ) {}
}

/**
 * Refuses a connection from `Socket.connect` with a reason the client reads, such as `"token expired"`
 * or `"banned"` (cut to 120 UTF-8 bytes). `fenix/client` reports it as `FENIX_ERR_CLIENT_CONNECT_REFUSED`
 * with this reason and stops reconnecting (unless told to retry); the official client sees a refused
 * connection, as with `false`.
 *
 * @example
 * ```ts
 * override async connect(params: Params) {
 *   const user = await verify(params.token);
 *   if (user === null) return refuse("token expired");
 *   this.assigns.user = user;
 *   return true;
 * }
 * ```
 */
export function refuse(reason: string): ConnectRefusal {
  return new ConnectRefusal(cutReason(String(reason)));
}

function cutReason(reason: string): string {
  if (Buffer.byteLength(reason, "utf8") <= MAX_REFUSAL_REASON_BYTES) return reason;
  let cut = reason.slice(0, MAX_REFUSAL_REASON_BYTES);
  while (Buffer.byteLength(cut, "utf8") > MAX_REFUSAL_REASON_BYTES) cut = cut.slice(0, -1);
  return cut;
}
