/**
 * The WebSocket transport: one `ws` connection behind the Transport contract. It forwards frames to its
 * socket, writes frames out, watches the outbound queue, and turns `ws` errors into typed client errors.
 */
import type { RawData, WebSocket } from "ws";
import type { Frame } from "../../protocol/serializer.js";
import { ServerError, ServerErrorCode } from "../errors.js";
import { CloseCode, type Transport, type TransportListener } from "../transport.js";

const TEXT = { binary: false } as const;
const BINARY = { binary: true } as const;

/** @internal */
export class WebSocketTransport implements Transport {
  readonly name = "websocket";
  readonly #ws: WebSocket;
  readonly #maxBufferedBytes: number;
  #listener: TransportListener | null = null;

  /** Events that arrived before a listener was attached, replayed in order by {@link attach}. */
  #early: Array<(listener: TransportListener) => void> | null = [];

  constructor(ws: WebSocket, maxBufferedBytes: number) {
    this.#ws = ws;
    this.#maxBufferedBytes = maxBufferedBytes;
    // Listen from the first moment: frames may arrive before the socket's process exists.
    ws.on("message", (data: RawData, isBinary: boolean) => {
      const bytes = toBytes(data);
      const listener = this.#listener;
      // The hot path: no closure once the socket is attached.
      if (listener !== null) listener.frame(bytes, isBinary);
      else this.#early?.push((l) => l.frame(bytes, isBinary));
    });
    ws.on("ping", () => this.#emit((l) => l.activity()));
    ws.on("pong", () => this.#emit((l) => l.activity()));
    ws.on("close", (code: number) => this.#emit((l) => l.closed(code)));
    ws.on("error", (err: Error & { code?: string }) => {
      const error = toClientError(err);
      this.#emit((l) => l.failed(error));
    });
  }

  /** Starts forwarding events to the socket, first those that arrived before. */
  attach(listener: TransportListener): void {
    const early = this.#early ?? [];
    this.#early = null;
    this.#listener = listener;
    for (const event of early) event(listener);
  }

  #emit(event: (listener: TransportListener) => void): void {
    if (this.#listener !== null) event(this.#listener);
    else this.#early?.push(event);
  }

  get bufferedBytes(): number {
    return this.#ws.bufferedAmount;
  }

  send(frame: Frame): void {
    if (this.#ws.readyState !== 1) return;
    this.#ws.send(frame, typeof frame === "string" ? TEXT : BINARY);
    this.#checkBuffer();
  }

  sendEncoded(data: Uint8Array, binary: boolean): void {
    if (this.#ws.readyState !== 1) return;
    this.#ws.send(data, binary ? BINARY : TEXT);
    this.#checkBuffer();
  }

  close(code: number, reason: string): void {
    const ws = this.#ws;
    if (ws.readyState === 0 || ws.readyState === 1) ws.close(code, reason.slice(0, 120));
    // A peer that never answers the close handshake is cut off.
    const timer = setTimeout(() => ws.terminate(), 5_000);
    timer.unref();
    ws.once("close", () => clearTimeout(timer));
  }

  #checkBuffer(): void {
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
