/**
 * What a socket's `connect` learns about the connection besides its params: peer address, URI, user
 * agent, `x-*` headers and the handshake's auth token. Cookies and other headers are deliberately left out.
 */
import type { IncomingMessage } from "node:http";

/** Facts about a connection attempt, given to `Socket.connect`. */
export interface ConnectInfo {
  /** The peer's address and port as seen by this server (a proxy's, behind one: see `xHeaders`). */
  readonly peer: { readonly address: string; readonly port: number };
  /** The full request URI. */
  readonly uri: URL;
  /** The `User-Agent` header, if any. */
  readonly userAgent: string | undefined;
  /** Every `x-*` request header (lower-case names), such as `x-forwarded-for`. */
  readonly xHeaders: Readonly<Record<string, string>>;
  /**
   * The token from the `authToken` handshake (the WebSocket subprotocol, or LongPoll's
   * `X-Phoenix-AuthToken` header), when the socket enables `authToken`.
   */
  readonly authToken: string | undefined;
  /** The transport carrying the socket: `"websocket"` or `"longpoll"`. */
  readonly transport: string;
}

/** Builds the {@link ConnectInfo} of an HTTP request. */
export function connectInfoOf(request: IncomingMessage, transport: string, authToken: string | undefined): ConnectInfo {
  const xHeaders: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (name.startsWith("x-") && value !== undefined) xHeaders[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  const encrypted = (request.socket as { encrypted?: boolean }).encrypted === true;
  const host = request.headers.host ?? "localhost";
  return {
    peer: { address: request.socket.remoteAddress ?? "", port: request.socket.remotePort ?? 0 },
    uri: new URL(request.url ?? "/", `${encrypted ? "https" : "http"}://${host}`),
    userAgent: request.headers["user-agent"],
    xHeaders,
    authToken,
    transport,
  };
}
