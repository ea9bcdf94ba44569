/**
 * The Socket definition users extend: authenticate a connection in `connect`, name it with `id`, and route
 * topics to channels with `static channels`. One instance lives per client connection.
 */
import type { ChannelRoute } from "../channel/channel-route.js";
import type { ConnectRefusal } from "./connect-refusal.js";
import type { ConnectInfo } from "./connect-info.js";
import type { Params } from "./query-params.js";

export type { ChannelRoute } from "../channel/channel-route.js";

/** The constructor of a {@link Socket} subclass, as given to `endpoint.socket()`. */
export interface SocketClass {
  new (): Socket<object>;
  /** The topic routes of this socket; the first match wins. */
  readonly channels: readonly ChannelRoute[];
}

/**
 * One client connection: who it is (`assigns`), whether it may connect, and which channels it may join.
 *
 * @remarks
 * Extend it and mount the subclass with `endpoint.socket("/socket", UserSocket)`. For every connection
 * attempt Fenix creates an instance and calls {@link Socket.connect}; returning `false` answers the upgrade
 * with HTTP 403 (the browser only sees a failed connection and retries on its backoff). `assigns` set in
 * `connect` are copied into every channel joined over the connection. {@link Socket.id} names the
 * connection: broadcasting `"disconnect"` on that id (see `endpoint.disconnect`) closes every connection
 * with it, for example to log a user out everywhere.
 *
 * @example
 * ```ts
 * class UserSocket extends Socket<{ userId: string }> {
 *   static override channels = [["room:*", RoomChannel]] as const;
 *   override async connect(params: Params) {
 *     const userId = await verify(params.token);
 *     if (!userId) return false;
 *     this.assigns.userId = userId;
 *     return true;
 *   }
 *   override id() { return `user_socket:${this.assigns.userId}`; }
 * }
 * ```
 */
export abstract class Socket<A extends object = Record<string, unknown>> {
  /** The topic routes; the first match wins. @defaultValue no routes (every join is "unmatched topic"). */
  static channels: readonly ChannelRoute[] = [];

  /** State about this connection, set in `connect`, copied into each channel at join. */
  assigns: A = {} as A;

  /**
   * Decides whether the connection may open. Runs before the WebSocket upgrade.
   *
   * @param params - the query params of the connection URL (nested by bracket syntax), including `vsn`.
   * @param info - peer address, URI, user agent, `x-*` headers and the auth token.
   * @returns `true` to accept, `false` to refuse with HTTP 403, or `refuse(reason)` to refuse with a reason
   *   the client can read (see {@link refuse}). A throw answers 500 and is logged.
   * @defaultValue accepts every connection
   */
  connect(params: Params, info: ConnectInfo): boolean | ConnectRefusal | Promise<boolean | ConnectRefusal> {
    void params;
    void info;
    return true;
  }

  /**
   * The connection's id, such as `"user_socket:42"`, or `null` for an anonymous connection.
   * @defaultValue `null`
   */
  id(): string | null {
    return null;
  }
}
