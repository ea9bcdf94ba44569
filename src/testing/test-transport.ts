/**
 * The transport of an in-process test connection: what the connection process writes is decoded at once
 * and handed to the test socket, and the test socket's frames go into the connection's mailbox, as a
 * WebSocket's would. No port, no bytes on a network.
 */
import type { Frame } from "../protocol/serializer.js";
import type { AttachableTransport } from "../server/socket/connect-pipeline.js";
import type { TransportListener } from "../server/socket/transport.js";
import { decodeServerMessage, type ServerMessage, type WireFrame } from "./client-wire.js";

/** How the server closed a test connection. */
export interface CloseInfo {
  /** The WebSocket close code, such as 1001 (disconnected, idle) or 1012 (server restart). */
  readonly code: number;
  readonly reason: string;
}

/** What the transport reports to its test socket. */
export interface TestTransportSink {
  /** A frame the server wrote, decoded. */
  message(message: ServerMessage): void;
  /** The server closed the connection. */
  closed(info: CloseInfo): void;
  /** A frame could not be decoded (a bug of the server side). */
  undecodable(error: unknown): void;
}

/**
 * The in-process stand-in for a WebSocket.
 *
 * @example
 * ```ts
 * declare const sink: TestTransportSink;
 * const transport = new TestTransport("websocket", sink);
 * // startConnection(...) attaches the connection process; then:
 * transport.deliver({ data: '[null,"1","phoenix","heartbeat",{}]', binary: false });
 * ```
 */
export class TestTransport implements AttachableTransport {
  readonly name: string;
  /** Nothing is ever queued: frames are handed over as they are written. */
  readonly bufferedBytes = 0;
  readonly #sink: TestTransportSink;
  #listener: TransportListener | null = null;
  #closed = false;

  constructor(name: string, sink: TestTransportSink) {
    this.name = name;
    this.#sink = sink;
  }

  /** Whether either side has closed the connection. */
  get closed(): boolean {
    return this.#closed;
  }

  attach(listener: TransportListener): void {
    this.#listener = listener;
  }

  send(frame: Frame): void {
    this.#receive(frame, typeof frame !== "string");
  }

  sendEncoded(data: Uint8Array, binary: boolean): void {
    this.#receive(data, binary);
  }

  close(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#sink.closed({ code, reason });
  }

  /** The client sends a frame: it goes into the connection process's mailbox. */
  deliver(frame: WireFrame): void {
    if (this.#closed) return;
    this.#listener?.frame(frame.data, frame.binary);
  }

  /** The client goes away with `code`: the connection process ends and its channels with it. */
  clientClose(code: number): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#listener?.closed(code);
  }

  #receive(data: string | Uint8Array, binary: boolean): void {
    if (this.#closed) return;
    let message: ServerMessage;
    try {
      message = decodeServerMessage(data, binary);
    } catch (error) {
      this.#sink.undecodable(error);
      return;
    }
    this.#sink.message(message);
  }
}
