/**
 * The client's transport contract: how a client Socket reaches the server, over a WebSocket or over
 * LongPoll, without knowing which. A transport is created per connection attempt by a factory, reports
 * what happens through the callbacks its owner sets right after creating it, and never throws from
 * `send` or `close`.
 */
import type { ClientClock } from "./clock.js";

/** Why a transport closed, as a WebSocket close event says it. */
export interface TransportClose {
  /** The close code (1000–4999), or 1005 / 1006 when there was none (no close frame, network failure). */
  readonly code: number;
  readonly reason: string;
  /** Whether the close was clean (both sides agreed), as opposed to a lost connection. */
  readonly wasClean: boolean;
}

/** One connection attempt's transport. */
export interface ClientTransport {
  /** Which kind of transport this is. */
  readonly kind: "websocket" | "longpoll";
  /** Called once when the transport is open and may send. */
  onopen: () => void;
  /** Called for each frame from the server: text as a string, binary as an ArrayBuffer. */
  onmessage: (data: string | ArrayBuffer) => void;
  /** Called once when the transport has closed, for any reason (after `onerror` when there was one). */
  onclose: (event: TransportClose) => void;
  /** Called when the transport failed (before `onclose`); `error` describes it. */
  onerror: (error: unknown) => void;
  /** Sends one frame: a string as text, bytes as binary. Frames sent before open or after close are dropped. */
  send(data: string | ArrayBuffer | Uint8Array): void;
  /** Closes the transport; `onclose` follows. */
  close(code?: number, reason?: string): void;
}

/** What a transport is created with. */
export interface TransportOptions {
  /**
   * The endpoint URL with its query (`ws(s)://host/socket/websocket?vsn=2.0.0&…` for WebSocket; LongPoll
   * derives `http(s)://host/socket/longpoll?…` from the same endpoint).
   */
  readonly url: string;
  /** The auth token to pass in the handshake, if any (WebSocket subprotocol or LongPoll header). */
  readonly authToken?: string;
  /** Request timeout for transports that make requests (LongPoll), in ms. */
  readonly timeoutMs: number;
  /**
   * The clock of the transport's timers (the LongPoll request timeout): the socket passes its own `clock`.
   * @defaultValue `systemClock`, the host's timers
   */
  readonly clock?: ClientClock;
}

/** Creates a transport for one connection attempt. */
export type TransportFactory = (options: TransportOptions) => ClientTransport;
