/**
 * The binary frame format of protocol V2, used when a payload is raw bytes: a kind byte, one length byte per
 * meta string, the UTF-8 meta strings back to back, then the payload as the rest of the frame. Both
 * directions are here: the server's (push, reply, broadcast) and the client's (push).
 */
import { metaLength, readMeta, writeMeta } from "./binary-meta.js";
import { describeValue } from "../errors/describe.js";
import { ProtocolError, ProtocolErrorCode } from "./errors.js";
import type { AnyPayload, Broadcast, Message, Reply, WireRef } from "./message.js";
import { isBinaryPayload, messageFromWire } from "./message.js";
import { BinaryKind } from "./reserved.js";

/** Header sizes in bytes: the kind byte plus one length byte per meta string. */
const CLIENT_PUSH_HEADER = 5;
const SERVER_PUSH_HEADER = 4;
const REPLY_HEADER = 5;
const BROADCAST_HEADER = 3;

/** A server push read back from a binary frame (it carries no ref). */
export interface ServerPushFrame {
  readonly kind: "push";
  /** The join ref, or null when the frame carried an empty one. */
  readonly joinRef: string | null;
  readonly topic: string;
  readonly event: string;
  readonly payload: Uint8Array;
}

/** A server reply read back from a binary frame; `payload` is the reply's response. */
export interface ServerReplyFrame {
  readonly kind: "reply";
  /** The join ref, or null when the frame carried an empty one. */
  readonly joinRef: string | null;
  /** The ref of the answered push, or null when the frame carried an empty one. */
  readonly ref: string | null;
  readonly topic: string;
  readonly status: string;
  readonly payload: Uint8Array;
}

/** A server broadcast read back from a binary frame. */
export interface ServerBroadcastFrame {
  readonly kind: "broadcast";
  readonly topic: string;
  readonly event: string;
  readonly payload: Uint8Array;
}

/**
 * A server→client binary frame, told apart by `kind`.
 *
 * @remarks
 * Payloads are views into the decoded frame, not copies.
 */
export type ServerFrame = ServerPushFrame | ServerReplyFrame | ServerBroadcastFrame;

/**
 * Encodes a server push (kind 0, 4-byte header) with a bytes payload.
 *
 * @remarks
 * The server push format has no ref field, so `message.ref` is not sent; a null join ref is sent empty.
 *
 * @throws {@link ProtocolError} `FENIX_ERR_PROTOCOL_META_TOO_LONG` when a meta string exceeds 255 UTF-8 bytes;
 * `FENIX_ERR_PROTOCOL_PAYLOAD_NOT_BINARY` when the payload is not bytes.
 *
 * @example
 * ```ts
 * encodeServerPush({ joinRef: "1", ref: null, topic: "t", event: "e", payload: new Uint8Array([9]) });
 * // Uint8Array [0, 1, 1, 1, 0x31, 0x74, 0x65, 9]
 * ```
 */
export function encodeServerPush(message: Message): Uint8Array {
  return encodeFrame(BinaryKind.PUSH, requireBytes(message.payload), [
    [refText(message.joinRef), "join_ref"],
    [message.topic, "topic"],
    [message.event, "event"],
  ]);
}

/**
 * Encodes a server reply (kind 1, 5-byte header) whose response is bytes.
 *
 * @remarks
 * The client rebuilds it as event `phx_reply` with payload `{status, response: <bytes>}`. Null refs are
 * sent empty.
 *
 * @throws {@link ProtocolError} `FENIX_ERR_PROTOCOL_META_TOO_LONG` when a meta string exceeds 255 UTF-8 bytes;
 * `FENIX_ERR_PROTOCOL_PAYLOAD_NOT_BINARY` when the response is not bytes.
 *
 * @example
 * ```ts
 * encodeServerReply({ joinRef: "1", ref: "2", topic: "t", status: "ok", response: new Uint8Array([9]) });
 * // Uint8Array [1, 1, 1, 1, 2, 0x31, 0x32, 0x74, 0x6f, 0x6b, 9]
 * ```
 */
export function encodeServerReply(reply: Reply): Uint8Array {
  return encodeFrame(BinaryKind.REPLY, requireBytes(reply.response), [
    [refText(reply.joinRef), "join_ref"],
    [refText(reply.ref), "ref"],
    [reply.topic, "topic"],
    [reply.status, "status"],
  ]);
}

/**
 * Encodes a server broadcast (kind 2, 3-byte header) with a bytes payload.
 *
 * @throws {@link ProtocolError} `FENIX_ERR_PROTOCOL_META_TOO_LONG` when topic or event exceeds 255 UTF-8
 * bytes; `FENIX_ERR_PROTOCOL_PAYLOAD_NOT_BINARY` when the payload is not bytes.
 *
 * @example
 * ```ts
 * encodeServerBroadcast({ topic: "t", event: "e", payload: new Uint8Array([9]) });
 * // Uint8Array [2, 1, 1, 0x74, 0x65, 9]
 * ```
 */
export function encodeServerBroadcast(broadcast: Broadcast): Uint8Array {
  return encodeFrame(BinaryKind.BROADCAST, requireBytes(broadcast.payload), [
    [broadcast.topic, "topic"],
    [broadcast.event, "event"],
  ]);
}

/**
 * Encodes a client push (kind 0, 5-byte header) with a bytes payload: what a client sends to the server.
 *
 * @remarks
 * Null refs are sent empty, and the server reads empty refs back as null.
 *
 * @throws {@link ProtocolError} `FENIX_ERR_PROTOCOL_META_TOO_LONG` when a meta string exceeds 255 UTF-8 bytes;
 * `FENIX_ERR_PROTOCOL_PAYLOAD_NOT_BINARY` when the payload is not bytes.
 *
 * @example
 * ```ts
 * encodeClientPush({ joinRef: "1", ref: "22", topic: "t:é", event: "ev", payload: new Uint8Array([1, 2, 3]) });
 * // Uint8Array [0, 1, 2, 4, 2, 0x31, 0x32, 0x32, 0x74, 0x3a, 0xc3, 0xa9, 0x65, 0x76, 1, 2, 3]
 * ```
 */
export function encodeClientPush(message: Message): Uint8Array {
  return encodeFrame(BinaryKind.PUSH, requireBytes(message.payload), [
    [refText(message.joinRef), "join_ref"],
    [refText(message.ref), "ref"],
    [message.topic, "topic"],
    [message.event, "event"],
  ]);
}

/**
 * Decodes a client→server binary frame, which must be a client push (kind 0).
 *
 * @remarks
 * The payload is a view into `bytes` (no copy); keep that in mind before reusing the buffer. Empty join_ref
 * and ref decode to null.
 *
 * @throws {@link ProtocolError} `FENIX_ERR_PROTOCOL_MALFORMED_BINARY` for a truncated frame, a kind other
 * than 0, or meta that is not UTF-8; `FENIX_ERR_PROTOCOL_BAD_FIELD` for an empty topic or event.
 *
 * @example
 * ```ts
 * decodeClientPush(new Uint8Array([0, 0, 1, 1, 1, 0x37, 0x74, 0x65, 9]));
 * // { joinRef: null, ref: "7", topic: "t", event: "e", payload: Uint8Array [9] }
 * ```
 */
export function decodeClientPush(bytes: Uint8Array): Message {
  const kind = bytes[0];
  if (kind !== BinaryKind.PUSH) {
    throw malformed(
      kind === undefined
        ? "Expected a binary frame starting with kind byte 0 (push), received an empty frame."
        : `Expected a binary frame starting with kind byte 0 (push), received kind byte ${kind}` +
            (kind === BinaryKind.REPLY || kind === BinaryKind.BROADCAST ? " (sent only by servers)." : "."),
    );
  }
  checkLengths(bytes, CLIENT_PUSH_HEADER, "client push");
  const joinRefEnd = CLIENT_PUSH_HEADER + (bytes[1] as number);
  const refEnd = joinRefEnd + (bytes[2] as number);
  const topicEnd = refEnd + (bytes[3] as number);
  const eventEnd = topicEnd + (bytes[4] as number);
  return messageFromWire(
    readMeta(bytes, CLIENT_PUSH_HEADER, joinRefEnd) || null,
    readMeta(bytes, joinRefEnd, refEnd) || null,
    readMeta(bytes, refEnd, topicEnd),
    readMeta(bytes, topicEnd, eventEnd),
    bytes.subarray(eventEnd),
  );
}

/**
 * Decodes a server→client binary frame: a push, a reply or a broadcast.
 *
 * @remarks
 * Payloads are views into `bytes` (no copy). Empty join_ref and ref decode to null.
 *
 * @throws {@link ProtocolError} `FENIX_ERR_PROTOCOL_MALFORMED_BINARY` for a truncated frame, an unknown kind
 * byte, or meta that is not UTF-8.
 *
 * @example
 * ```ts
 * const frame = decodeServerFrame(new Uint8Array([2, 1, 1, 0x74, 0x65, 9]));
 * if (frame.kind === "broadcast") frame.payload; // Uint8Array [9]
 * ```
 */
export function decodeServerFrame(bytes: Uint8Array): ServerFrame {
  const kind = bytes[0];
  if (kind === BinaryKind.PUSH) {
    checkLengths(bytes, SERVER_PUSH_HEADER, "server push");
    const joinRefEnd = SERVER_PUSH_HEADER + (bytes[1] as number);
    const topicEnd = joinRefEnd + (bytes[2] as number);
    const eventEnd = topicEnd + (bytes[3] as number);
    return {
      kind: "push",
      joinRef: readMeta(bytes, SERVER_PUSH_HEADER, joinRefEnd) || null,
      topic: readMeta(bytes, joinRefEnd, topicEnd),
      event: readMeta(bytes, topicEnd, eventEnd),
      payload: bytes.subarray(eventEnd),
    };
  }
  if (kind === BinaryKind.REPLY) {
    checkLengths(bytes, REPLY_HEADER, "reply");
    const joinRefEnd = REPLY_HEADER + (bytes[1] as number);
    const refEnd = joinRefEnd + (bytes[2] as number);
    const topicEnd = refEnd + (bytes[3] as number);
    const statusEnd = topicEnd + (bytes[4] as number);
    return {
      kind: "reply",
      joinRef: readMeta(bytes, REPLY_HEADER, joinRefEnd) || null,
      ref: readMeta(bytes, joinRefEnd, refEnd) || null,
      topic: readMeta(bytes, refEnd, topicEnd),
      status: readMeta(bytes, topicEnd, statusEnd),
      payload: bytes.subarray(statusEnd),
    };
  }
  if (kind === BinaryKind.BROADCAST) {
    checkLengths(bytes, BROADCAST_HEADER, "broadcast");
    const topicEnd = BROADCAST_HEADER + (bytes[1] as number);
    const eventEnd = topicEnd + (bytes[2] as number);
    return {
      kind: "broadcast",
      topic: readMeta(bytes, BROADCAST_HEADER, topicEnd),
      event: readMeta(bytes, topicEnd, eventEnd),
      payload: bytes.subarray(eventEnd),
    };
  }
  throw malformed(
    kind === undefined
      ? "Expected a binary frame starting with kind byte 0, 1 or 2, received an empty frame."
      : `Expected a binary frame starting with kind byte 0 (push), 1 (reply) or 2 (broadcast), received kind byte ${kind}.`,
  );
}

/** Checks that the header, and the meta lengths it declares, fit in the frame. */
/**
 * Lays out one binary frame: the kind byte, one length byte per meta field, the meta fields in order, then
 * the payload. Every frame kind in both directions has this shape; only the fields differ.
 */
function encodeFrame(kind: number, payload: Uint8Array, fields: ReadonlyArray<readonly [value: string, name: string]>): Uint8Array {
  const header = 1 + fields.length;
  const lengths = fields.map(([value, name]) => metaLength(value, name));
  let size = header + payload.length;
  for (const length of lengths) size += length;
  const out = new Uint8Array(size);
  out[0] = kind;
  let offset = header;
  for (let i = 0; i < fields.length; i++) {
    const length = lengths[i]!;
    out[i + 1] = length;
    offset = writeMeta(fields[i]![0], length, out, offset);
  }
  out.set(payload, offset);
  return out;
}

function checkLengths(bytes: Uint8Array, headerSize: number, what: string): void {
  if (bytes.length < headerSize) {
    throw malformed(
      `Expected a ${what} frame to have a ${headerSize}-byte header, received only ${bytes.length} bytes.`,
    );
  }
  let end = headerSize;
  for (let i = 1; i < headerSize; i++) end += bytes[i] as number;
  if (end > bytes.length) {
    throw malformed(
      `Expected a ${what} frame of at least ${end} bytes (its header declares ${end - headerSize} bytes of ` +
        `meta), received ${bytes.length} bytes.`,
    );
  }
}

function requireBytes(payload: AnyPayload): Uint8Array {
  if (isBinaryPayload(payload)) return payload;
  throw new ProtocolError(
    ProtocolErrorCode.PAYLOAD_NOT_BINARY,
    `Expected a bytes payload (Uint8Array) for a binary frame, received ${describeValue(payload)}.`,
  );
}

/** A ref as binary meta: null as empty, a number as its decimal text (binary frames carry strings). */
function refText(ref: WireRef | null): string {
  return ref === null ? "" : typeof ref === "string" ? ref : String(ref);
}

function malformed(message: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.MALFORMED_BINARY, message);
}
