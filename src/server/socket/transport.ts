/**
 * The transport contract: how a Socket's frames reach its client. WebSocket implements it today; other
 * transports (LongPoll) plug in behind the same interface, so sockets and channels never know which
 * carried a message.
 */
import type { FenixError } from "../../errors/fenix-error.js";
import type { Frame } from "../../protocol/serializer.js";

/** One client connection's way out. */
export interface Transport {
  /** The transport's name as shown in connect info and metrics: `"websocket"`. */
  readonly name: string;
  /**
   * The client's address, for transports that read it from their connection when asked (the WebSocket
   * transport: from its TCP socket). A transport that leaves it out has its socket use the address its
   * connect context gave.
   */
  readonly peerAddress?: string | undefined;
  /** Sends one frame: strings as text, bytes as binary. Frames sent after close are dropped. */
  send(frame: Frame): void;
  /** Sends a frame encoded once for many sockets (text frames as UTF-8 bytes). */
  sendEncoded(data: Uint8Array, binary: boolean): void;
  /** Closes the connection with a WebSocket close code and a short reason. */
  close(code: number, reason: string): void;
  /** Bytes queued for this client and not yet written to the network. */
  readonly bufferedBytes: number;
  /**
   * Whether the client is behind: the transport's queue is past its hold mark, so a frame written now
   * would wait in it. Connections with a dropping slow-consumer policy hold frames back while it is true
   * and write them when the transport reports {@link TransportListener.drained}. A transport that cannot
   * tell leaves it out (never congested; its own limit closes a slow client).
   */
  readonly congested?: boolean;
  /**
   * Told when a client event (with `ref`) was handled by its channel and no reply will be written. Only
   * transports that acknowledge every message at their own level (the MQTT bridge) implement it.
   */
  handledWithoutReply?(topic: string, ref: string | number | null): void;
}

/** What a transport reports to its socket. */
export interface TransportListener {
  /**
   * A frame arrived from the client. `handled`, if given, is called once the socket's process has handled
   * it (routed it to its channel, answered a heartbeat); it is never called for a frame the process drops
   * because it ended first.
   */
  frame(data: Uint8Array | string, binary: boolean, handled?: () => void): void;
  /** The client showed it is alive without sending a frame (a WebSocket ping or pong). */
  activity(): void;
  /** The connection closed (by either side); `code` is the close code seen. */
  closed(code: number): void;
  /** The transport rejected input or failed; the connection is being closed with `error.status`. */
  failed(error: FenixError): void;
  /** The outbound queue passed its limit. */
  overflow(): void;
  /** The transport, congested before, has room again (see {@link Transport.congested}). */
  drained(): void;
}

/** WebSocket close codes Fenix uses. */
export const CloseCode = {
  /** A forced disconnect, an idle timeout: the client should reconnect. Never 1000 (old clients would not). */
  GOING_AWAY: 1001,
  /** A binary frame where only text is understood. */
  UNSUPPORTED_DATA: 1003,
  /** The frame could not be decoded (bad JSON, bad UTF-8, truncated binary header). */
  INVALID_PAYLOAD: 1007,
  /** The frame decoded but broke the message contract. */
  POLICY_VIOLATION: 1008,
  /** The frame was larger than `maxFrameBytes`. */
  MESSAGE_TOO_BIG: 1009,
  /** The server failed while handling the connection. */
  INTERNAL_ERROR: 1011,
  /** The server is restarting or draining: reconnect (to another node) shortly. */
  SERVICE_RESTART: 1012,
  /** The client is too slow to read what it is sent. */
  TRY_AGAIN_LATER: 1013,
} as const;
