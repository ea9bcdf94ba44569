/**
 * The contract every wire format implements: encode what the server sends, decode what a client sends.
 * A socket picks one serializer at connect time (see vsn.ts) and uses it for its whole life.
 */
import type { Broadcast, Message, Reply } from "./message.js";

/** An encoded frame: a string goes out as a WebSocket text frame, bytes as a binary frame. */
export type Frame = string | Uint8Array;

/** A serializer version a client can ask for with the `vsn` connect parameter. */
export type SerializerVsn = "1.0.0" | "2.0.0";

/**
 * Encodes server→client frames and decodes client→server frames for one protocol version.
 *
 * @remarks
 * Serializers are stateless and their methods do not use `this`, so they may be passed around detached.
 * Encoders trust their typed input (payloads are JSON objects or bytes); decoders trust nothing and throw
 * a `ProtocolError` whose `closeCode` says how to close the connection.
 *
 * @example
 * ```ts
 * const frame = V2JsonSerializer.encodeReply({ joinRef: "3", ref: "5", topic: "room:42", status: "ok", response: {} });
 * // '["3","5","room:42","phx_reply",{"status":"ok","response":{}}]'
 * ```
 */
export interface Serializer {
  /** The version this serializer speaks. */
  readonly vsn: SerializerVsn;
  /** Whether bytes payloads can be encoded and binary frames decoded. */
  readonly supportsBinary: boolean;
  /** Encodes a server push, `phx_close` or `phx_error` (ref may be null). */
  encodePush(message: Message): Frame;
  /** Encodes a `phx_reply` answering a client push. */
  encodeReply(reply: Reply): Frame;
  /** Encodes a broadcast; the frame is the same for every recipient. */
  encodeBroadcast(broadcast: Broadcast): Frame;
  /**
   * Decodes one client→server frame; throws ProtocolError. `data` is the raw frame (ws hands Buffers even
   * for text frames).
   */
  decode(data: Uint8Array | string, binary: boolean): Message;
}
