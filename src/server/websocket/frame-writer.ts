/**
 * Writes server frames straight to a WebSocket's TCP socket. A frame is built in one buffer (header and
 * payload, server frames are never masked), and a broadcast's frame is built once and the same buffer
 * written to every subscriber. Writes made in one turn of the event loop are corked and leave in one
 * system call per socket when the turn's callbacks and microtasks are done.
 *
 * Safe beside `ws`'s own writes (pongs, close frames) because `ws` runs without compression here, so it
 * writes every frame synchronously and whole: frames never interleave.
 */
import type { Duplex } from "node:stream";

const FIN_TEXT = 0x81;
const FIN_BINARY = 0x82;

function headerSize(length: number): number {
  return length < 126 ? 2 : length < 65_536 ? 4 : 10;
}

function writeHeader(buffer: Buffer, first: number, length: number): void {
  buffer[0] = first;
  if (length < 126) {
    buffer[1] = length;
  } else if (length < 65_536) {
    buffer[1] = 126;
    buffer.writeUInt16BE(length, 2);
  } else {
    buffer[1] = 127;
    buffer.writeUInt32BE(Math.floor(length / 0x1_0000_0000), 2);
    buffer.writeUInt32BE(length >>> 0, 6);
  }
}

/** A text frame holding `text`. */
export function textFrame(text: string): Buffer {
  const length = Buffer.byteLength(text, "utf8");
  const header = headerSize(length);
  const frame = Buffer.allocUnsafe(header + length);
  writeHeader(frame, FIN_TEXT, length);
  frame.write(text, header, length, "utf8");
  return frame;
}

/** A text frame (UTF-8 bytes) or binary frame holding `data`. */
export function dataFrame(data: Uint8Array, binary: boolean): Buffer {
  const header = headerSize(data.byteLength);
  const frame = Buffer.allocUnsafe(header + data.byteLength);
  writeHeader(frame, binary ? FIN_BINARY : FIN_TEXT, data.byteLength);
  frame.set(data, header);
  return frame;
}

/**
 * The frame of the last payload framed by {@link sharedFrame}: the fastlane hands the same bytes to every
 * subscriber of a broadcast in a row, so one entry is enough to frame each broadcast once.
 */
let lastData: Uint8Array | null = null;
let lastBinary = false;
let lastFrame: Buffer | null = null;

/** The frame of `data`, built once for consecutive calls with the same bytes. */
export function sharedFrame(data: Uint8Array, binary: boolean): Buffer {
  if (data !== lastData || binary !== lastBinary || lastFrame === null) {
    lastFrame = dataFrame(data, binary);
    lastData = data;
    lastBinary = binary;
  }
  return lastFrame;
}

/** Writers corked in this turn, uncorked together once it ends. */
const corked: FrameWriter[] = [];

function uncorkAll(): void {
  for (const writer of corked) writer.flush();
  corked.length = 0;
}

/**
 * Writes one connection's frames, coalescing those of one turn of the event loop into one write. The
 * WebSocket transport is one (a subclass, not an object beside it: a connection holds no extra writer).
 */
export abstract class FrameWriter {
  readonly #socket: Duplex;
  #corked = false;

  /** @param socket - the TCP socket frames are written to. */
  constructor(socket: Duplex) {
    this.#socket = socket;
  }

  /** The TCP socket frames are written to. */
  protected get socket(): Duplex {
    return this.#socket;
  }

  /** Queues `frame`; it leaves when the turn ends, after the frames written before it. */
  protected writeFrame(frame: Buffer): void {
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      if (corked.push(this) === 1) process.nextTick(uncorkAll);
    }
    this.#socket.write(frame);
  }

  /** @internal Sends what this turn queued (called once the turn ends). */
  flush(): void {
    this.#corked = false;
    this.#socket.uncork();
    this.flushed();
  }

  /** Told after each flush, when the socket's queue holds only what the kernel did not take. */
  protected abstract flushed(): void;
}
