/**
 * A minimal WebSocket client for the load generator: the HTTP upgrade, then frames read straight off the
 * TCP stream. Frames are counted without being decoded unless the client asks for their text, so
 * thousands of counting subscribers cost the load generator less per message than the servers spend
 * sending them. Client frames are masked with a zero key (valid, and no XOR pass).
 */
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";

/** What a client does with each complete text or binary frame. */
export interface FrameSink {
  /** Called for every data frame, with its text only when `wantsText` is true (else `null`). */
  frame(text: string | null): void;
  /** Whether the next frames must be decoded. */
  readonly wantsText: boolean;
}

const OP_TEXT = 0x1;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const ZERO_MASK = Buffer.alloc(4);

/** One WebSocket connection driven by hand. */
export class WireClient {
  readonly #socket: Socket;
  #sink: FrameSink;
  #pending: Buffer | null = null;
  #closed = false;

  private constructor(socket: Socket, sink: FrameSink, rest: Buffer) {
    this.#socket = socket;
    this.#sink = sink;
    socket.on("data", (chunk: Buffer) => this.#read(chunk));
    socket.on("close", () => {
      this.#closed = true;
    });
    socket.on("error", () => {
      this.#closed = true;
    });
    if (rest.length > 0) this.#read(rest);
  }

  /** Opens `ws://host:port<path>` and resolves once the server accepted the upgrade. */
  static open(host: string, port: number, path: string, sink: FrameSink, localAddress?: string): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, ...(localAddress !== undefined ? { localAddress } : {}) });
      socket.setNoDelay(true);
      let head: Buffer = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
        const end = head.indexOf("\r\n\r\n");
        if (end === -1) return;
        socket.off("data", onData);
        socket.off("error", onError);
        const status = head.subarray(0, head.indexOf("\r\n")).toString("latin1");
        if (!/^HTTP\/1\.1 101 /.test(status)) {
          socket.destroy();
          reject(new Error(`upgrade refused: ${status}`));
          return;
        }
        resolve(new WireClient(socket, sink, head.subarray(end + 4)));
      };
      const onError = (error: Error) => reject(error);
      socket.on("data", onData);
      socket.once("error", onError);
      socket.once("connect", () => {
        socket.write(
          `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
    });
  }

  /** Replaces what receives the frames. */
  set sink(sink: FrameSink) {
    this.#sink = sink;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends one text frame. */
  send(text: string): void {
    if (this.#closed) return;
    const payload = Buffer.from(text, "utf8");
    this.#socket.write(Buffer.concat([frameHeader(OP_TEXT, payload.length), payload]));
  }

  /** Sends an empty WebSocket ping: a keepalive that counts as activity and is answered by a pong, not a data frame. */
  ping(): void {
    if (this.#closed) return;
    this.#socket.write(frameHeader(OP_PING, 0));
  }

  /** Closes the TCP connection at once (the servers treat it like any dropped client). */
  destroy(): void {
    this.#closed = true;
    this.#socket.destroy();
  }

  #read(chunk: Buffer): void {
    let data = chunk;
    if (this.#pending !== null) {
      data = Buffer.concat([this.#pending, chunk]);
      this.#pending = null;
    }
    let offset = 0;
    const size = data.length;
    while (size - offset >= 2) {
      const b0 = data[offset]!;
      const b1 = data[offset + 1]!;
      let length = b1 & 0x7f;
      let header = 2;
      if (length === 126) {
        if (size - offset < 4) break;
        length = data.readUInt16BE(offset + 2);
        header = 4;
      } else if (length === 127) {
        if (size - offset < 10) break;
        length = Number(data.readBigUInt64BE(offset + 2));
        header = 10;
      }
      if (size - offset < header + length) break;
      const opcode = b0 & 0x0f;
      const start = offset + header;
      offset = start + length;
      if (opcode === OP_PING) {
        this.#socket.write(Buffer.concat([frameHeader(0xa, length), data.subarray(start, start + length)]));
      } else if (opcode === OP_CLOSE) {
        this.destroy();
        return;
      } else if (opcode < OP_CLOSE) {
        const sink = this.#sink;
        sink.frame(sink.wantsText ? data.toString("utf8", start, start + length) : null);
      }
    }
    if (offset < size) this.#pending = data.subarray(offset);
  }
}

/** A masked client frame header (FIN set) with a zero masking key. */
function frameHeader(opcode: number, length: number): Buffer {
  if (length < 126) return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | length]), ZERO_MASK]);
  if (length < 65_536) {
    const header = Buffer.from([0x80 | opcode, 0x80 | 126, 0, 0]);
    header.writeUInt16BE(length, 2);
    return Buffer.concat([header, ZERO_MASK]);
  }
  const header = Buffer.alloc(10);
  header[0] = 0x80 | opcode;
  header[1] = 0x80 | 127;
  header.writeBigUInt64BE(BigInt(length), 2);
  return Buffer.concat([header, ZERO_MASK]);
}
