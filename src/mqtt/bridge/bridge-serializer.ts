/**
 * The serializer of the channel bridge: the in-process "wire" between an MQTT connection and the socket
 * process that joins channels on its behalf. Frames never leave the process, so the format is a compact
 * binary one chosen for the MQTT side: the payload is kept as the exact bytes an MQTT PUBLISH carries
 * (JSON text, or the raw bytes of a binary payload), so a broadcast is encoded once for every MQTT
 * subscriber of a node, as the fastlane does for WebSocket clients.
 *
 * ```text
 * u8 kind (0 push, 1 reply, 2 broadcast, 3 client message)   u8 payload kind (0 JSON, 1 bytes)
 * 4 × (u16 length, 0xFFFF for null; UTF-8): join_ref, ref, topic, event (the status, for a reply)
 * the payload bytes, to the end
 * ```
 */
import type { AnyPayload, Broadcast, Message, WireRef, Reply } from "../../protocol/message.js";
import type { Serializer } from "../../protocol/serializer.js";

/** Frame kinds. */
export const FrameKind = { PUSH: 0, REPLY: 1, BROADCAST: 2, CLIENT: 3 } as const;

const NULL_LENGTH = 0xffff;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A decoded bridge frame: `payload` is a view into the frame. */
export interface BridgeFrame {
  readonly kind: number;
  readonly joinRef: string | null;
  readonly ref: string | null;
  readonly topic: string;
  /** The event, or the reply's status. */
  readonly event: string;
  readonly binary: boolean;
  readonly payload: Uint8Array;
}

function encode(kind: number, joinRef: WireRef | null, ref: WireRef | null, topic: string, event: string, payload: AnyPayload): Uint8Array {
  const binary = payload instanceof Uint8Array;
  const body = binary ? payload : encoder.encode(JSON.stringify(payload));
  // The bridge writes its own refs (strings); a number is kept as its decimal text.
  const strings = [joinRef, ref, topic, event].map((s) => (s === null ? null : encoder.encode(String(s))));
  let size = 2 + body.byteLength;
  for (const s of strings) size += 2 + (s === null ? 0 : s.byteLength);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = kind;
  out[1] = binary ? 1 : 0;
  let at = 2;
  for (const s of strings) {
    if (s === null) {
      view.setUint16(at, NULL_LENGTH);
      at += 2;
    } else {
      view.setUint16(at, Math.min(s.byteLength, NULL_LENGTH - 1));
      out.set(s.subarray(0, NULL_LENGTH - 1), at + 2);
      at += 2 + Math.min(s.byteLength, NULL_LENGTH - 1);
    }
  }
  out.set(body, at);
  return at + body.byteLength === size ? out : out.subarray(0, at + body.byteLength);
}

/** The last frame decoded: a broadcast hands the same bytes to every MQTT subscriber of a node. */
let lastData: Uint8Array | null = null;
let lastFrame: BridgeFrame | null = null;

/** Decodes a bridge frame (trusted: only this module writes them); the same bytes give the same object. */
export function decodeBridgeFrame(data: Uint8Array): BridgeFrame {
  if (data === lastData) return lastFrame!;
  const frame = decodeFrame(data);
  lastData = data;
  lastFrame = frame;
  return frame;
}

function decodeFrame(data: Uint8Array): BridgeFrame {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = 2;
  const read = (): string | null => {
    const length = view.getUint16(at);
    at += 2;
    if (length === NULL_LENGTH) return null;
    const s = decoder.decode(data.subarray(at, at + length));
    at += length;
    return s;
  };
  const joinRef = read();
  const ref = read();
  const topic = read() ?? "";
  const event = read() ?? "";
  return { kind: data[0]!, joinRef, ref, topic, event, binary: data[1] === 1, payload: data.subarray(at) };
}

/** Encodes a client message (what the MQTT side sends the socket process). */
export function encodeClientMessage(message: Message): Uint8Array {
  return encode(FrameKind.CLIENT, message.joinRef, message.ref, message.topic, message.event, message.payload);
}

/** @internal The bridge's serializer. */
export const BridgeSerializer: Serializer = {
  vsn: "2.0.0",
  supportsBinary: true,
  encodePush: (m: Message) => encode(FrameKind.PUSH, m.joinRef, m.ref, m.topic, m.event, m.payload),
  encodeReply: (r: Reply) => encode(FrameKind.REPLY, r.joinRef, r.ref, r.topic, r.status, r.response),
  encodeBroadcast: (b: Broadcast) => encode(FrameKind.BROADCAST, null, null, b.topic, b.event, b.payload),
  decode(data: Uint8Array | string): Message {
    const frame = decodeBridgeFrame(typeof data === "string" ? encoder.encode(data) : data);
    const payload: AnyPayload = frame.binary ? frame.payload : (JSON.parse(decoder.decode(frame.payload)) as AnyPayload);
    return { joinRef: frame.joinRef, ref: frame.ref, topic: frame.topic, event: frame.event, payload };
  },
};
