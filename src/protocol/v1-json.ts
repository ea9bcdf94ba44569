/**
 * The legacy V1 serializer (`vsn` absent or 1.0.x): every message is a JSON object in a text frame. It has
 * no binary form, and the server never sends join_ref with it.
 */
import { formatPosition } from "./position.js";
import { describeValue } from "../errors/describe.js";
import { ProtocolError, ProtocolErrorCode } from "./errors.js";
import { isBinaryPayload, isJsonObject, messageFromWire } from "./message.js";
import type { AnyPayload, Broadcast, Message, Reply } from "./message.js";
import { Reserved } from "./reserved.js";
import type { Frame, Serializer } from "./serializer.js";
import { parseTextFrame } from "./text-frame.js";

const REQUIRED_KEYS = ["topic", "event", "payload", "ref"] as const;

/**
 * The V1 serializer: JSON objects with keys `topic`, `event`, `payload`, `ref`, text frames only.
 *
 * @remarks
 * Encoding writes exactly those four keys, in that order, and never `join_ref`; a reply is
 * `{"topic": …, "event": "phx_reply", "payload": {"status": …, "response": …}, "ref": …}` and a broadcast has
 * `"ref": null`. A bytes payload cannot be encoded.
 *
 * Decoding requires all four keys (`ref` may be null) and accepts an optional `join_ref`, null when absent.
 * A V1 join therefore usually has a null join ref; the server uses the join's ref in its place.
 *
 * @throws {@link ProtocolError} `FENIX_ERR_PROTOCOL_BINARY_UNSUPPORTED` for bytes in either direction.
 *
 * @example
 * ```ts
 * V1JsonSerializer.encodeBroadcast({ topic: "room:42", event: "new_msg", payload: { body: "hi" } });
 * // '{"topic":"room:42","event":"new_msg","payload":{"body":"hi"},"ref":null}'
 * ```
 */
export const V1JsonSerializer: Serializer = Object.freeze({
  vsn: "1.0.0",
  supportsBinary: false,

  encodePush(message: Message): Frame {
    requireJson(message.payload, message.topic, message.event);
    return JSON.stringify({
      topic: message.topic,
      event: message.event,
      payload: message.payload,
      ref: message.ref,
    });
  },

  encodeReply(reply: Reply): Frame {
    requireJson(reply.response, reply.topic, Reserved.REPLY);
    return JSON.stringify({
      topic: reply.topic,
      event: Reserved.REPLY,
      payload: { status: reply.status, response: reply.response },
      ref: reply.ref,
    });
  },

  encodeBroadcast(broadcast: Broadcast): Frame {
    requireJson(broadcast.payload, broadcast.topic, broadcast.event);
    const ref = broadcast.position === undefined ? null : formatPosition(broadcast.position);
    return JSON.stringify({ topic: broadcast.topic, event: broadcast.event, payload: broadcast.payload, ref });
  },

  decode(data: Uint8Array | string, binary: boolean): Message {
    if (binary) {
      throw new ProtocolError(
        ProtocolErrorCode.BINARY_UNSUPPORTED,
        `Expected a text frame: the V1 serializer (vsn 1.0.0) has no binary frames, received a binary frame of ` +
          `${data.length} ${typeof data === "string" ? "characters" : "bytes"}. Connect with vsn=2.0.0 to send bytes.`,
      );
    }
    const value = parseTextFrame(data);
    if (!isJsonObject(value)) {
      throw new ProtocolError(
        ProtocolErrorCode.BAD_SHAPE,
        `Expected a V1 frame to be a JSON object with keys topic, event, payload and ref, received ` +
          `${describeValue(value)}.`,
      );
    }
    if (!hasRequiredKeys(value)) {
      const missing = REQUIRED_KEYS.filter((key) => !Object.hasOwn(value, key));
      throw new ProtocolError(
        ProtocolErrorCode.BAD_SHAPE,
        `Expected a V1 frame to have keys topic, event, payload and ref, received an object without ` +
          `${missing.join(", ")}: ${describeValue(value)}.`,
      );
    }
    return messageFromWire(value.join_ref ?? null, value.ref, value.topic, value.event, value.payload);
  },
});

function hasRequiredKeys(value: object): boolean {
  return (
    Object.hasOwn(value, "topic") &&
    Object.hasOwn(value, "event") &&
    Object.hasOwn(value, "payload") &&
    Object.hasOwn(value, "ref")
  );
}

function requireJson(payload: AnyPayload, topic: string, event: string): void {
  if (isBinaryPayload(payload)) {
    throw new ProtocolError(
      ProtocolErrorCode.BINARY_UNSUPPORTED,
      `Expected a JSON object payload: the V1 serializer (vsn 1.0.0) has no binary frames, received ` +
        `${payload.length} bytes for event ${JSON.stringify(event)} on topic ${JSON.stringify(topic)}. ` +
        `The client must connect with vsn=2.0.0 to receive bytes.`,
    );
  }
}
