/**
 * The node frame: the bytes one node sends the others for one broadcast — the topic, the name of the
 * dispatcher that serves it, and the message as JSON with any `Uint8Array` carried as raw bytes beside
 * it. Encoded once per broadcast, whatever the number of nodes; decoded lazily on the receiving node
 * (the topic first, the message only when the topic has local subscribers).
 *
 * Layout, version 1 (integers big-endian):
 *
 * ```text
 * u8  version (1)        u8 flags (bit 0: the message holds bytes)
 * u8  dispatcher length  dispatcher (UTF-8)
 * u32 topic length       topic (UTF-8)
 * flags bit 0 clear:     JSON text of the message (UTF-8) to the end
 * flags bit 0 set:       u32 JSON length, JSON text with every Uint8Array replaced by null,
 *                        u32 paths length, JSON array of paths ([] is the message itself, else keys and indexes),
 *                        then per path: u32 byte length, bytes
 * ```
 */
import { describeValue } from "../errors/describe.js";
import { PubSubError, PubSubErrorCode } from "./errors.js";

/** The frame version this build writes and reads. */
export const NODE_FRAME_VERSION = 1;

const HAS_BYTES = 1;
/** Deeper messages are refused: JSON this deep is almost always a cycle. */
const MAX_DEPTH = 256;

type Path = (string | number)[];

/** The header of a received frame: enough to route it before the message is decoded. */
export interface NodeFrameHeader {
  readonly dispatcher: string;
  readonly topic: string;
  /** Where the message starts in the frame. */
  readonly bodyOffset: number;
  readonly hasBytes: boolean;
}

/**
 * Encodes one broadcast for other nodes.
 *
 * @throws PubSubError `FENIX_ERR_PUBSUB_BAD_MESSAGE` when the message is not made of JSON values and
 *   `Uint8Array`s (a Map, a function, a cycle…), or the dispatcher name is longer than 255 bytes.
 */
export function encodeNodeFrame(topic: string, dispatcher: string, message: unknown): Buffer {
  let found: { paths: Path[]; blobs: Uint8Array[] } | null = null;
  scan(message, [], 0, (path, bytes) => {
    found ??= { paths: [], blobs: [] };
    found.paths.push(path.slice());
    found.blobs.push(bytes);
  });
  let json: string | undefined;
  try {
    json = found === null ? JSON.stringify(message) : JSON.stringify(message, bytesAsNull);
  } catch (cause) {
    throw badMessage(`JSON.stringify failed (${(cause as Error).message})`, cause);
  }
  if (json === undefined) throw badMessage(`it is ${describeValue(message)}`);
  const dispatcherBytes = Buffer.byteLength(dispatcher);
  if (dispatcherBytes === 0 || dispatcherBytes > 255) throw badMessage(`the dispatcher name "${dispatcher}" must be 1 to 255 bytes`);
  const topicBytes = Buffer.byteLength(topic);
  const jsonBytes = Buffer.byteLength(json);
  const head = 3 + dispatcherBytes + 4 + topicBytes;
  if (found === null) {
    const frame = Buffer.allocUnsafe(head + jsonBytes);
    writeHeader(frame, 0, dispatcher, dispatcherBytes, topic, topicBytes);
    frame.write(json, head);
    return frame;
  }
  const { paths, blobs } = found as { paths: Path[]; blobs: Uint8Array[] };
  const pathsJson = JSON.stringify(paths);
  const pathsBytes = Buffer.byteLength(pathsJson);
  let size = head + 4 + jsonBytes + 4 + pathsBytes;
  for (const blob of blobs) size += 4 + blob.byteLength;
  const frame = Buffer.allocUnsafe(size);
  writeHeader(frame, HAS_BYTES, dispatcher, dispatcherBytes, topic, topicBytes);
  let at = frame.writeUInt32BE(jsonBytes, head);
  at += frame.write(json, at);
  at = frame.writeUInt32BE(pathsBytes, at);
  at += frame.write(pathsJson, at);
  for (const blob of blobs) {
    at = frame.writeUInt32BE(blob.byteLength, at);
    frame.set(blob, at);
    at += blob.byteLength;
  }
  return frame;
}

/**
 * Reads the header of a frame from another node.
 * @throws PubSubError `FENIX_ERR_PUBSUB_BAD_FRAME` for a frame this build cannot read.
 */
export function decodeNodeFrameHeader(frame: Uint8Array): NodeFrameHeader {
  const buf = asBuffer(frame);
  if (buf.length < 8) throw badFrame(`it is ${buf.length} bytes long`);
  if (buf[0] !== NODE_FRAME_VERSION) {
    throw badFrame(`it has version ${buf[0]}; this build reads version ${NODE_FRAME_VERSION} (run the same Fenix version on every node)`);
  }
  const dispatcherEnd = 3 + buf[2]!;
  if (buf[2] === 0 || dispatcherEnd + 4 > buf.length) throw badFrame("its dispatcher name is cut short");
  const topicEnd = dispatcherEnd + 4 + buf.readUInt32BE(dispatcherEnd);
  if (topicEnd > buf.length) throw badFrame("its topic is cut short");
  return {
    dispatcher: buf.toString("utf8", 3, dispatcherEnd),
    topic: buf.toString("utf8", dispatcherEnd + 4, topicEnd),
    bodyOffset: topicEnd,
    hasBytes: (buf[1]! & HAS_BYTES) !== 0,
  };
}

/**
 * Decodes the message of a frame whose header was read with {@link decodeNodeFrameHeader}.
 * @throws PubSubError `FENIX_ERR_PUBSUB_BAD_FRAME` for a message that cannot be read back.
 */
export function decodeNodeMessage(frame: Uint8Array, header: NodeFrameHeader): unknown {
  const buf = asBuffer(frame);
  try {
    if (!header.hasBytes) return JSON.parse(buf.toString("utf8", header.bodyOffset));
    let at = header.bodyOffset;
    const jsonEnd = at + 4 + buf.readUInt32BE(at);
    let message: unknown = JSON.parse(buf.toString("utf8", at + 4, jsonEnd));
    at = jsonEnd;
    const pathsEnd = at + 4 + buf.readUInt32BE(at);
    const paths = JSON.parse(buf.toString("utf8", at + 4, pathsEnd)) as Path[];
    at = pathsEnd;
    for (const path of paths) {
      const size = buf.readUInt32BE(at);
      if (at + 4 + size > buf.length) throw new RangeError("bytes cut short");
      // A copy, so the message does not keep the whole frame alive.
      const bytes = new Uint8Array(buf.subarray(at + 4, at + 4 + size));
      at += 4 + size;
      if (path.length === 0) message = bytes;
      else place(message, path, bytes);
    }
    return message;
  } catch (cause) {
    if (cause instanceof PubSubError) throw cause;
    throw badFrame(`its message could not be decoded (${(cause as Error).message})`, cause);
  }
}

function writeHeader(frame: Buffer, flags: number, dispatcher: string, dispatcherBytes: number, topic: string, topicBytes: number): void {
  frame[0] = NODE_FRAME_VERSION;
  frame[1] = flags;
  frame[2] = dispatcherBytes;
  frame.write(dispatcher, 3);
  frame.writeUInt32BE(topicBytes, 3 + dispatcherBytes);
  frame.write(topic, 7 + dispatcherBytes);
}

/** Walks a message: reports every Uint8Array with its path, refuses what JSON would silently change. */
function scan(value: unknown, path: Path, depth: number, onBytes: (path: Path, bytes: Uint8Array) => void): void {
  if (typeof value !== "object" || value === null) {
    if (typeof value === "function" || typeof value === "symbol" || typeof value === "bigint") {
      throw badMessage(`${where(path)} is a ${typeof value}`);
    }
    return;
  }
  if (depth > MAX_DEPTH) throw badMessage(`it is nested deeper than ${MAX_DEPTH} levels (or holds a cycle)`);
  if (value instanceof Uint8Array) {
    onBytes(path, value);
    return;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      scan(value[i], path, depth + 1, onBytes);
      path.pop();
    }
    return;
  }
  if (value instanceof Map || value instanceof Set || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    throw badMessage(`${where(path)} is a ${value.constructor.name}, which JSON cannot carry (send a plain object, an array or a Uint8Array)`);
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") return;
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    path.push(key);
    scan((value as Record<string, unknown>)[key], path, depth + 1, onBytes);
    path.pop();
  }
}

function bytesAsNull(this: unknown, key: string, value: unknown): unknown {
  // `value` went through toJSON already (a Buffer's is an object): look at the holder's own value.
  const own = (this as Record<string, unknown>)[key];
  return own instanceof Uint8Array ? null : value;
}

function place(message: unknown, path: Path, bytes: Uint8Array): void {
  let holder = message as Record<string | number, unknown>;
  for (let i = 0; i < path.length - 1; i++) {
    holder = holder[path[i]!] as Record<string | number, unknown>;
    if (typeof holder !== "object" || holder === null) throw new RangeError(`no value at path ${JSON.stringify(path)}`);
  }
  holder[path[path.length - 1]!] = bytes;
}

function asBuffer(frame: Uint8Array): Buffer {
  return Buffer.isBuffer(frame) ? frame : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
}

function where(path: Path): string {
  return path.length === 0 ? "the message" : `the value at ${JSON.stringify(path)}`;
}

function badMessage(detail: string, cause?: unknown): PubSubError {
  return new PubSubError(
    PubSubErrorCode.BAD_MESSAGE,
    `This message cannot be sent to other nodes: ${detail}. Messages between nodes are JSON values, with Uint8Array allowed anywhere.`,
    cause === undefined ? undefined : { cause },
  );
}

function badFrame(detail: string, cause?: unknown): PubSubError {
  return new PubSubError(PubSubErrorCode.BAD_FRAME, `A frame from another node was dropped: ${detail}.`, cause === undefined ? undefined : { cause });
}
