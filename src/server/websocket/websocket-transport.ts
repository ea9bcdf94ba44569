/**
 * The WebSocket transport: one `ws` connection behind the Transport contract. It forwards frames to its
 * socket, writes frames out, watches the outbound queue, and turns `ws` errors into typed client errors.
 */
import type { Duplex } from "node:stream";
import type { RawData, WebSocket } from "ws";
import type { Frame } from "../../protocol/serializer.js";
import { ServerError, ServerErrorCode } from "../errors.js";
import { CloseCode, type Transport, type TransportListener } from "../socket/transport.js";
import { dataFrame, FrameWriter, sharedFrame, textFrame } from "./frame-writer.js";

/** Where a `ws` connection (and its TCP socket) keeps its transport, for the shared listeners. */
const TRANSPORT = Symbol("fenix.transport");
type OwnedWebSocket = WebSocket & { [TRANSPORT]: WebSocketTransport };
type OwnedSocket = Duplex & { [TRANSPORT]: WebSocketTransport };

/** The most bytes written to a congested-aware connection's TCP socket before it counts as congested. */
const HOLD_MARK = 64 * 1024;

/**
 * @internal Data frames bypass `ws`'s sender: the transport is the connection's {@link FrameWriter}
 * (framed once per broadcast, coalesced per turn, see frame-writer.ts).
 */
export class WebSocketTransport extends FrameWriter implements Transport {
  readonly #ws: WebSocket;
  readonly #maxBufferedBytes: number;
  #listener: TransportListener | null = null;
  /** Whether the shared `drain` listener is on the TCP socket (added the first time it is congested). */
  #watchingDrain = false;

  /** Events that arrived before a listener was attached, replayed in order by {@link attach} (made with the first). */
  #early: Array<(listener: TransportListener) => void> | null = null;

  /**
   * @param socket - the TCP socket `ws` was given at the upgrade; it must run without compression, so
   *   that `ws` writes its own frames (pongs, close) whole and at once.
   */
  constructor(ws: WebSocket, socket: Duplex, maxBufferedBytes: number) {
    super(socket);
    this.#ws = ws;
    this.#maxBufferedBytes = maxBufferedBytes;
    // Listen from the first moment: frames may arrive before the socket's process exists. The listeners
    // are shared by every connection (ws calls them with itself as `this`): no closures per connection.
    (ws as OwnedWebSocket)[TRANSPORT] = this;
    ws.on("message", WebSocketTransport.#onMessage);
    ws.on("ping", WebSocketTransport.#onActivity);
    ws.on("pong", WebSocketTransport.#onActivity);
    ws.on("close", WebSocketTransport.#onClose);
    ws.on("error", WebSocketTransport.#onError);
  }

  static readonly #onMessage = function (this: WebSocket, data: RawData, isBinary: boolean): void {
    const transport = (this as OwnedWebSocket)[TRANSPORT];
    const bytes = toBytes(data);
    const listener = transport.#listener;
    // The hot path: no closure once the socket is attached.
    if (listener !== null) listener.frame(bytes, isBinary);
    else (transport.#early ??= []).push((l) => l.frame(bytes, isBinary));
  };

  static readonly #onActivity = function (this: WebSocket): void {
    (this as OwnedWebSocket)[TRANSPORT].#emit((l) => l.activity());
  };

  static readonly #onClose = function (this: WebSocket, code: number): void {
    (this as OwnedWebSocket)[TRANSPORT].#emit((l) => l.closed(code));
  };

  static readonly #onDrain = function (this: Duplex): void {
    (this as OwnedSocket)[TRANSPORT].#listener?.drained();
  };

  static readonly #onError = function (this: WebSocket, err: Error & { code?: string }): void {
    const error = toClientError(err);
    (this as OwnedWebSocket)[TRANSPORT].#emit((l) => l.failed(error));
  };

  /** The transport's name, on the prototype (not a field of every connection). */
  get name(): "websocket" {
    return "websocket";
  }

  /** The peer's address, read from the TCP socket the first time it is asked (Node keeps it from then on). */
  get peerAddress(): string | undefined {
    return (this.socket as { readonly remoteAddress?: string }).remoteAddress;
  }

  /** Starts forwarding events to the socket, first those that arrived before. */
  attach(listener: TransportListener): void {
    const early = this.#early;
    this.#early = null;
    this.#listener = listener;
    if (early !== null) for (const event of early) event(listener);
  }

  #emit(event: (listener: TransportListener) => void): void {
    if (this.#listener !== null) event(this.#listener);
    else (this.#early ??= []).push(event);
  }

  get bufferedBytes(): number {
    return this.#ws.bufferedAmount;
  }

  /**
   * Past the hold mark: the smaller of 64 KiB and a quarter of maxBufferedBytes, but never under the TCP
   * socket's high-water mark, so that being congested means a write was refused and `drain` will follow.
   */
  get congested(): boolean {
    const socket = this.socket;
    const mark = Math.max(socket.writableHighWaterMark, Math.min(HOLD_MARK, this.#maxBufferedBytes / 4));
    if (this.#ws.bufferedAmount <= mark) return false;
    if (!this.#watchingDrain) {
      this.#watchingDrain = true;
      (socket as OwnedSocket)[TRANSPORT] = this;
      socket.on("drain", WebSocketTransport.#onDrain);
    }
    return true;
  }

  send(frame: Frame): void {
    if (this.#ws.readyState !== 1) return;
    this.writeFrame(typeof frame === "string" ? textFrame(frame) : dataFrame(frame, true));
  }

  sendEncoded(data: Uint8Array, binary: boolean): void {
    if (this.#ws.readyState !== 1) return;
    this.writeFrame(sharedFrame(data, binary));
  }

  close(code: number, reason: string): void {
    const ws = this.#ws;
    if (ws.readyState === 0 || ws.readyState === 1) ws.close(code, reason.slice(0, 120));
    // A peer that never answers the close handshake is cut off.
    const timer = setTimeout(() => ws.terminate(), 5_000);
    timer.unref();
    ws.once("close", () => clearTimeout(timer));
  }

  /** Runs after each flush: what is still queued is what the client has not read. */
  protected override flushed(): void {
    if (this.#ws.bufferedAmount > this.#maxBufferedBytes) this.#listener?.overflow();
  }
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}

/** Maps the `ws` library's error codes to Fenix client errors with the close code `ws` sends. */
function toClientError(err: Error & { code?: string }): ServerError {
  const status = closeCodeOf(err);
  if (err.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH") {
    return new ServerError(ServerErrorCode.FRAME_TOO_LARGE, "A frame was larger than maxFrameBytes.", {
      cause: err,
      status: CloseCode.MESSAGE_TOO_BIG,
    });
  }
  return new ServerError(ServerErrorCode.BAD_FRAME, `The WebSocket layer rejected a frame: ${err.message}`, {
    cause: err,
    status,
  });
}

function closeCodeOf(err: Error): number {
  for (const sym of Object.getOwnPropertySymbols(err)) {
    const value = (err as unknown as Record<symbol, unknown>)[sym];
    if (typeof value === "number" && value >= 1000 && value < 5000) return value;
  }
  return CloseCode.POLICY_VIOLATION;
}
