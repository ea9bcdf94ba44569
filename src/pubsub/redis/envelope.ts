/**
 * The envelope of everything the Redis adapter publishes: who sent it (node name and an instance id
 * drawn at start, so a restarted node is a new sender and a node's own messages are recognised), what
 * it is (frames on the bus, frames to one node, a heartbeat, a goodbye), and a sequence number, so a
 * receiver can tell when frames went missing. The node frames follow, untouched: the frames a node
 * broadcasts in one event-loop turn travel in one envelope, one Redis message.
 *
 * Layout, version 1 (integers big-endian):
 *
 * ```text
 * u8 version (1)   u8 kind   8 bytes instance id   u32 sequence   u8 node length   node (UTF-8)
 * then, for kinds broadcast and direct, one or more of:   u32 frame length   frame
 * ```
 *
 * `sequence` counts the frames of one stream of the sender: its bus frames (kind `broadcast`, whose
 * `sequence` is the number of its first frame; a `heartbeat` or a `goodbye` carries the number of the
 * last bus frame sent) or its frames to one node (kind `direct`).
 */
import { randomBytes } from "node:crypto";

/** The envelope version this build writes and reads. */
export const ENVELOPE_VERSION = 1;

/** What an envelope carries. */
export const EnvelopeKind = { BROADCAST: 0, DIRECT: 1, HEARTBEAT: 2, GOODBYE: 3 } as const;
/** One of the {@link EnvelopeKind} values. */
export type EnvelopeKind = (typeof EnvelopeKind)[keyof typeof EnvelopeKind];

const INSTANCE_BYTES = 8;
const FIXED = 2 + INSTANCE_BYTES + 4 + 1;

/** A decoded envelope; `body` is a view into the received bytes (the frames, for frame kinds). */
export interface Envelope {
  readonly kind: EnvelopeKind;
  /** The sender's instance id, as 16 hex digits. */
  readonly instance: string;
  readonly sequence: number;
  readonly node: string;
  readonly body: Uint8Array;
}

/** The sending side of envelopes for one adapter instance: its id, name, and header bytes made once. */
export class EnvelopeWriter {
  /** This instance's id, as 16 hex digits. */
  readonly instance: string;
  readonly #header: Buffer;

  /** @throws RangeError for a node name longer than 255 bytes (checked by the adapter first). */
  constructor(node: string, instance: Buffer = randomBytes(INSTANCE_BYTES)) {
    const name = Buffer.from(node);
    if (name.length > 255) throw new RangeError("node name longer than 255 bytes");
    this.instance = instance.toString("hex");
    this.#header = Buffer.alloc(FIXED + name.length);
    this.#header[0] = ENVELOPE_VERSION;
    instance.copy(this.#header, 2);
    this.#header[FIXED - 1] = name.length;
    name.copy(this.#header, FIXED);
  }

  /** One envelope: the header, then each frame with its length; one buffer for all. */
  write(kind: EnvelopeKind, sequence: number, frames: readonly Uint8Array[] = []): Buffer {
    const header = this.#header;
    let size = header.length;
    for (const frame of frames) size += 4 + frame.byteLength;
    const out = Buffer.allocUnsafe(size);
    header.copy(out, 0);
    out[1] = kind;
    out.writeUInt32BE(sequence >>> 0, 2 + INSTANCE_BYTES);
    let at = header.length;
    for (const frame of frames) {
      at = out.writeUInt32BE(frame.byteLength, at);
      out.set(frame, at);
      at += frame.byteLength;
    }
    return out;
  }
}

/** Reads an envelope, or returns `null` for bytes that are not one this build can read. */
export function readEnvelope(data: Buffer): Envelope | null {
  if (data.length < FIXED || data[0] !== ENVELOPE_VERSION || data[1]! > EnvelopeKind.GOODBYE) return null;
  const nodeEnd = FIXED + data[FIXED - 1]!;
  if (nodeEnd > data.length) return null;
  return {
    kind: data[1] as EnvelopeKind,
    instance: data.toString("hex", 2, 2 + INSTANCE_BYTES),
    sequence: data.readUInt32BE(2 + INSTANCE_BYTES),
    node: data.toString("utf8", FIXED, nodeEnd),
    body: data.subarray(nodeEnd),
  };
}

/** The frames of an envelope's body, as views into it; `null` when the lengths do not add up. */
export function readFrames(body: Uint8Array): Uint8Array[] | null {
  const view = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const frames: Uint8Array[] = [];
  let at = 0;
  while (at < view.length) {
    if (at + 4 > view.length) return null;
    const end = at + 4 + view.readUInt32BE(at);
    if (end > view.length) return null;
    frames.push(view.subarray(at + 4, end));
    at = end;
  }
  return frames.length === 0 ? null : frames;
}
