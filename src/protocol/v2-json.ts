/**
 * The V2 serializer (`vsn=2.0.0`, what phoenix.js speaks by default): every JSON message is a text frame
 * holding the array `[join_ref, ref, topic, event, payload]`; bytes payloads go in binary frames (v2-binary.ts).
 */
import { formatPosition } from "./position.js";
import { describeValue } from "../errors/describe.js";
import { ProtocolError, ProtocolErrorCode } from "./errors.js";
import { isBinaryPayload, messageFromWire } from "./message.js";
import type { Broadcast, Message, Reply } from "./message.js";
import { Reserved } from "./reserved.js";
import type { Frame, Serializer } from "./serializer.js";
import { parseTextFrame } from "./text-frame.js";
import { decodeClientPush, encodeServerBroadcast, encodeServerPush, encodeServerReply } from "./v2-binary.js";

/**
 * The V2 serializer: JSON arrays in text frames, and binary frames for bytes payloads.
 *
 * @remarks
 * Encoding: a push is `[join_ref, ref, topic, event, payload]`, a reply
 * `[join_ref, ref, topic, "phx_reply", {"status": …, "response": …}]`, a broadcast
 * `[null, null, topic, event, payload]`. A bytes payload (or reply response) selects the binary format
 * instead; a binary server push has no ref field, so the ref is not sent.
 *
 * Decoding: a text frame must be a JSON array of at least five elements (extra ones are ignored) whose
 * refs are strings or null, topic and event non-empty strings and payload a JSON object. A binary frame
 * must be a client push (kind 0); its payload is a view into the frame and empty refs become null.
 *
 * @example
 * ```ts
 * V2JsonSerializer.encodeBroadcast({ topic: "room:42", event: "new_msg", payload: { body: "hi" } });
 * // '[null,null,"room:42","new_msg",{"body":"hi"}]'
 * V2JsonSerializer.decode('[null,"6","phoenix","heartbeat",{}]', false);
 * // { joinRef: null, ref: "6", topic: "phoenix", event: "heartbeat", payload: {} }
 * ```
 */
export const V2JsonSerializer: Serializer = Object.freeze({
  vsn: "2.0.0",
  supportsBinary: true,

  encodePush(message: Message): Frame {
    if (isBinaryPayload(message.payload)) return encodeServerPush(message);
    return JSON.stringify([message.joinRef, message.ref, message.topic, message.event, message.payload]);
  },

  encodeReply(reply: Reply): Frame {
    if (isBinaryPayload(reply.response)) return encodeServerReply(reply);
    return JSON.stringify([
      reply.joinRef,
      reply.ref,
      reply.topic,
      Reserved.REPLY,
      { status: reply.status, response: reply.response },
    ]);
  },

  encodeBroadcast(broadcast: Broadcast): Frame {
    if (isBinaryPayload(broadcast.payload)) return encodeServerBroadcast(broadcast);
    const ref = broadcast.position === undefined ? null : formatPosition(broadcast.position);
    return JSON.stringify([null, ref, broadcast.topic, broadcast.event, broadcast.payload]);
  },

  decode(data: Uint8Array | string, binary: boolean): Message {
    if (binary) {
      if (typeof data === "string") {
        throw new ProtocolError(
          ProtocolErrorCode.MALFORMED_BINARY,
          `Expected the bytes of a binary frame, received a string: ${describeValue(data)}.`,
        );
      }
      return decodeClientPush(data);
    }
    const value = parseTextFrame(data);
    if (!Array.isArray(value) || value.length < 5) {
      throw new ProtocolError(
        ProtocolErrorCode.BAD_SHAPE,
        "Expected a V2 frame to be a JSON array [join_ref, ref, topic, event, payload], received " +
          (Array.isArray(value) ? `${value.length} elements: ` : "") +
          `${describeValue(value)}.`,
      );
    }
    return messageFromWire(value[0], value[1], value[2], value[3], value[4]);
  },
});
