/**
 * What a socket's `connect` learns about the connection besides its params: peer address, URI, user
 * agent, `x-*` headers and the handshake's auth token. Cookies and other headers are deliberately left out.
 * Built lazily from the request: what `connect` does not read is never computed.
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

/**
 * The {@link ConnectInfo} of an HTTP request, read from it when asked: a `connect` that looks at none of
 * it (most do not look at the URI or the `x-*` headers) costs no URL parse and no header scan. Keeps the
 * request's headers, URL and TCP socket, not the request itself.
 */
export class RequestConnectInfo implements ConnectInfo {
  readonly authToken: string | undefined;
  readonly transport: string;
  readonly #headers: IncomingMessage["headers"];
  readonly #url: string;
  readonly #socket: IncomingMessage["socket"];
  #uri: URL | undefined;
  #xHeaders: Readonly<Record<string, string>> | undefined;

  constructor(request: IncomingMessage, transport: string, authToken: string | undefined) {
    this.#headers = request.headers;
    this.#url = request.url ?? "/";
    this.#socket = request.socket;
    this.transport = transport;
    this.authToken = authToken;
  }

  get peer(): { readonly address: string; readonly port: number } {
    return { address: this.#socket.remoteAddress ?? "", port: this.#socket.remotePort ?? 0 };
  }

  get uri(): URL {
    if (this.#uri === undefined) {
      const encrypted = (this.#socket as { encrypted?: boolean }).encrypted === true;
      this.#uri = new URL(this.#url, `${encrypted ? "https" : "http"}://${this.#headers.host ?? "localhost"}`);
    }
    return this.#uri;
  }

  get userAgent(): string | undefined {
    return this.#headers["user-agent"];
  }

  get xHeaders(): Readonly<Record<string, string>> {
    if (this.#xHeaders === undefined) {
      const xHeaders: Record<string, string> = {};
      for (const [name, value] of Object.entries(this.#headers)) {
        if (name.startsWith("x-") && value !== undefined) xHeaders[name] = Array.isArray(value) ? value.join(", ") : value;
      }
      this.#xHeaders = xHeaders;
    }
    return this.#xHeaders;
  }

  /** The plain fields, so that logging or `JSON.stringify` of the info shows them. */
  toJSON(): ConnectInfo {
    return { peer: this.peer, uri: this.uri, userAgent: this.userAgent, xHeaders: this.xHeaders, authToken: this.authToken, transport: this.transport };
  }
}
