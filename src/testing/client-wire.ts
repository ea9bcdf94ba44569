/**
 * The test client's side of the V2 wire format: client messages encoded into the frames a real client
 * sends (JSON text, or binary for bytes payloads), server frames decoded back into pushes, replies and
 * broadcasts — so every payload of a channel test goes through the real codec.
 */
import type { JsonObject, Message, Payload } from "../protocol/message.js";
import { isJsonObject } from "../protocol/message.js";
import { Reserved } from "../protocol/reserved.js";
import { parseTextFrame } from "../protocol/text-frame.js";
import { decodeServerFrame, encodeClientPush } from "../protocol/v2-binary.js";

/** A frame as a WebSocket would carry it. */
export interface WireFrame {
  readonly data: string | Uint8Array;
  readonly binary: boolean;
}

/** A message from the server to the test client. */
export type ServerMessage =
  | {
      /** A push of one channel (`push`, `phx_close`, `phx_error`): it carries the channel's join ref. */
      readonly kind: "push";
      readonly joinRef: string | null;
      readonly topic: string;
      readonly event: string;
      readonly payload: Payload;
    }
  | {
      /** The answer to a join, a push or a leave. */
      readonly kind: "reply";
      readonly joinRef: string | null;
      readonly ref: string | null;
      readonly topic: string;
      readonly status: string;
      readonly response: Payload;
    }
  | {
      /** A broadcast on the topic, written by the fastlane (no refs). */
      readonly kind: "broadcast";
      readonly topic: string;
      readonly event: string;
      readonly payload: Payload;
    };

/**
 * Encodes a client message as the official client would: `[join_ref, ref, topic, event, payload]` in a
 * text frame, or a binary client push for a bytes payload.
 *
 * @example
 * ```ts
 * encodeClientFrame({ joinRef: "1", ref: "2", topic: "room:1", event: "ping", payload: {} });
 * // { data: '["1","2","room:1","ping",{}]', binary: false }
 * ```
 */
export function encodeClientFrame(message: Message): WireFrame {
  if (message.payload instanceof Uint8Array) return { data: encodeClientPush(message), binary: true };
  return { data: JSON.stringify([message.joinRef, message.ref, message.topic, message.event, message.payload]), binary: false };
}

function malformed(what: string): Error {
  return new Error(`The server sent a frame the V2 client cannot read: ${what}.`);
}

/**
 * Decodes a server frame (text as a string or UTF-8 bytes, or binary). Binary payloads are copied out of
 * the frame, which the fastlane shares between subscribers.
 *
 * @throws Error for a frame that is not a V2 server frame (a bug of the server, not of the test).
 *
 * @example
 * ```ts
 * decodeServerMessage('["1","2","room:1","phx_reply",{"status":"ok","response":{}}]', false);
 * // { kind: "reply", joinRef: "1", ref: "2", topic: "room:1", status: "ok", response: {} }
 * ```
 */
export function decodeServerMessage(data: string | Uint8Array, binary: boolean): ServerMessage {
  if (binary) {
    if (typeof data === "string") throw malformed("a binary frame given as a string");
    const frame = decodeServerFrame(data);
    const payload = frame.payload.slice();
    switch (frame.kind) {
      case "push":
        return { kind: "push", joinRef: frame.joinRef, topic: frame.topic, event: frame.event, payload };
      case "reply":
        return { kind: "reply", joinRef: frame.joinRef, ref: frame.ref, topic: frame.topic, status: frame.status, response: payload };
      case "broadcast":
        return { kind: "broadcast", topic: frame.topic, event: frame.event, payload };
    }
  }
  const value = parseTextFrame(data);
  if (!Array.isArray(value) || value.length !== 5) throw malformed(`expected [join_ref, ref, topic, event, payload], got ${JSON.stringify(value)}`);
  const [joinRef, ref, topic, event, payload] = value as [unknown, unknown, unknown, unknown, unknown];
  if (typeof topic !== "string" || typeof event !== "string" || !isJsonObject(payload)) throw malformed(JSON.stringify(value));
  const joinRefValue = typeof joinRef === "string" ? joinRef : null;
  if (event === Reserved.REPLY) {
    const { status, response } = payload as { status?: unknown; response?: unknown };
    if (typeof status !== "string" || !isJsonObject(response)) throw malformed(`a reply without status or response: ${JSON.stringify(payload)}`);
    return { kind: "reply", joinRef: joinRefValue, ref: typeof ref === "string" ? ref : null, topic, status, response };
  }
  if (joinRef === null && ref === null) return { kind: "broadcast", topic, event, payload: payload as JsonObject };
  return { kind: "push", joinRef: joinRefValue, topic, event, payload: payload as JsonObject };
}
