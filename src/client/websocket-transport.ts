/**
 * The WebSocket transport of the client: the browser's `WebSocket`, or in Node 20 (which has none) the `ws`
 * package, loaded with a dynamic import only when `globalThis.WebSocket` is missing so that browser bundles
 * never pull it. The auth token travels in the subprotocols, as docs/protocol.md describes.
 */
import { REFUSAL_SUBPROTOCOL } from "../protocol/reserved.js";
import type { ClientTransport, TransportClose, TransportFactory, TransportOptions } from "./transport.js";

/** The part of the WHATWG WebSocket that this transport uses (the browser's and `ws` both have it). */
interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string; wasClean: boolean }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string | ArrayBuffer | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

type WebSocketConstructor = new (url: string, protocols?: string[]) => WebSocketLike;

const OPEN = 1;

/** The prefix of the subprotocol that carries the auth token. */
export const AUTH_TOKEN_PREFIX = "base64url.bearer.phx.";

/**
 * The subprotocols offered for a token: `["phoenix", "base64url.bearer.phx.<B>"]` where `<B>` is the
 * standard base64 of the token's UTF-8 bytes with the `=` padding removed (what the official client sends).
 *
 * @example
 * ```ts
 * authTokenProtocols("hello-token"); // ["phoenix", "base64url.bearer.phx.aGVsbG8tdG9rZW4"]
 * ```
 */
export function authTokenProtocols(token: string): string[] {
  let binary = "";
  for (const byte of new TextEncoder().encode(token)) binary += String.fromCharCode(byte);
  return ["phoenix", AUTH_TOKEN_PREFIX + btoa(binary).replace(/=+$/, "")];
}

let wsModule: Promise<WebSocketConstructor> | undefined;

/** The WebSocket class: the global one, else `ws` (imported once, on first need). */
function webSocketClass(): WebSocketConstructor | Promise<WebSocketConstructor> {
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (global !== undefined) return global;
  // A variable specifier keeps bundlers from following it into the browser build.
  const specifier = "ws";
  wsModule ??= import(/* @vite-ignore */ /* webpackIgnore: true */ specifier).then(
    (mod: { default?: WebSocketConstructor; WebSocket?: WebSocketConstructor }) => {
      const ctor = mod.WebSocket ?? mod.default;
      if (ctor === undefined) throw new Error("the `ws` package has no WebSocket export");
      return ctor;
    },
  );
  return wsModule;
}

class WebSocketTransport implements ClientTransport {
  readonly kind = "websocket" as const;
  onopen: () => void = () => {};
  onmessage: (data: string | ArrayBuffer) => void = () => {};
  onclose: (event: TransportClose) => void = () => {};
  onerror: (error: unknown) => void = () => {};
  #ws: WebSocketLike | undefined;
  /** Set once `close()` was called or the socket closed: a late `ws` load then creates nothing. */
  #closed = false;

  constructor(options: TransportOptions) {
    // `fenix.refusal` asks the server to say why it refuses a connection, in a close frame (4403).
    const protocols = [...(options.authToken === undefined ? ["phoenix"] : authTokenProtocols(options.authToken)), REFUSAL_SUBPROTOCOL];
    const ctor = webSocketClass();
    if (typeof ctor === "function") this.#open(ctor, options.url, protocols);
    else
      ctor.then(
        (loaded) => {
          if (!this.#closed) this.#open(loaded, options.url, protocols);
        },
        (error: unknown) => this.#fail(error),
      );
  }

  #open(ctor: WebSocketConstructor, url: string, protocols: string[]): void {
    let ws: WebSocketLike;
    try {
      ws = new ctor(url, protocols);
    } catch (error) {
      // Queue it: the owner sets its callbacks right after the factory returns.
      queueMicrotask(() => this.#fail(error));
      return;
    }
    ws.binaryType = "arraybuffer";
    ws.onopen = () => this.onopen();
    ws.onmessage = (event) => {
      const data = event.data;
      if (typeof data === "string" || data instanceof ArrayBuffer) this.onmessage(data);
    };
    ws.onerror = (event) => this.onerror(event);
    ws.onclose = (event) => {
      this.#closed = true;
      this.onclose({ code: event.code, reason: event.reason, wasClean: event.wasClean });
    };
    this.#ws = ws;
  }

  #fail(error: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    this.onerror(error);
    this.onclose({ code: 1006, reason: error instanceof Error ? error.message : String(error), wasClean: false });
  }

  send(data: string | ArrayBuffer | Uint8Array): void {
    const ws = this.#ws;
    if (ws === undefined || ws.readyState !== OPEN) return;
    try {
      ws.send(data);
    } catch {
      // A socket that is failing reports it through onerror/onclose.
    }
  }

  close(code?: number, reason?: string): void {
    const ws = this.#ws;
    if (ws === undefined) {
      if (this.#closed) return;
      this.#closed = true;
      queueMicrotask(() => this.onclose({ code: code ?? 1005, reason: reason ?? "", wasClean: true }));
      return;
    }
    try {
      ws.close(code, reason);
    } catch {
      ws.close();
    }
  }
}

/**
 * Connects over WebSocket (binary type `arraybuffer`). In Node 20 the `ws` package is imported the first
 * time it is needed; browsers use their own `WebSocket`.
 *
 * @example
 * ```ts
 * const socket = new Socket("wss://example.com/socket", { transport: webSocketTransport });
 * ```
 */
export const webSocketTransport: TransportFactory = (options) => new WebSocketTransport(options);
