/**
 * The client's side of protocol V2: outgoing messages become a JSON array text frame, or a binary push
 * frame when the payload is bytes; incoming text and binary frames become one {@link ClientMessage}.
 */
import { isJsonObject } from "../protocol/message.js";
import { Reserved } from "../protocol/reserved.js";
import { decodeServerFrame, encodeClientPush } from "../protocol/v2-binary.js";
import type { ClientPayload, ServerPayload } from "./events.js";

/** A message as the client sends it. */
export interface OutgoingMessage {
  readonly joinRef: string | null;
  readonly ref: string | null;
  readonly topic: string;
  readonly event: string;
  readonly payload: ClientPayload;
}

/**
 * A message as the client received it. For `phx_reply` the payload is `{status, response}` (the response
 * is a `Uint8Array` when the reply came as a binary frame).
 */
export interface ClientMessage {
  readonly joinRef: string | null;
  readonly ref: string | null;
  readonly topic: string;
  readonly event: string;
  readonly payload: ServerPayload;
}

/** Tells whether a payload is bytes (an `ArrayBuffer` or any `Uint8Array`). */
export function isBytes(payload: unknown): payload is ArrayBuffer | Uint8Array {
  return payload instanceof ArrayBuffer || payload instanceof Uint8Array;
}

/** Encodes a message: a binary frame for bytes, else the V2 JSON array. */
export function encodeMessage(message: OutgoingMessage): string | Uint8Array {
  const { joinRef, ref, topic, event, payload } = message;
  if (isBytes(payload)) {
    const bytes = payload instanceof Uint8Array ? payload : new Uint8Array(payload);
    return encodeClientPush({ joinRef, ref, topic, event, payload: bytes });
  }
  return JSON.stringify([joinRef, ref, topic, event, payload]);
}

/**
 * Decodes a server frame, or returns undefined for one that is not a V2 message (the caller ignores it;
 * a compatible server never sends one).
 */
export function decodeMessage(data: string | ArrayBuffer): ClientMessage | undefined {
  if (typeof data !== "string") {
    let frame;
    try {
      frame = decodeServerFrame(new Uint8Array(data));
    } catch {
      return undefined;
    }
    switch (frame.kind) {
      case "push":
        return { joinRef: frame.joinRef, ref: null, topic: frame.topic, event: frame.event, payload: frame.payload };
      case "reply":
        return {
          joinRef: frame.joinRef,
          ref: frame.ref,
          topic: frame.topic,
          event: Reserved.REPLY,
          payload: { status: frame.status, response: frame.payload },
        };
      case "broadcast":
        return { joinRef: null, ref: null, topic: frame.topic, event: frame.event, payload: frame.payload };
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length < 5) return undefined;
  const [joinRef, ref, topic, event, payload] = parsed as unknown[];
  if (typeof topic !== "string" || typeof event !== "string" || !isJsonObject(payload)) return undefined;
  return {
    joinRef: typeof joinRef === "string" && joinRef !== "" ? joinRef : null,
    ref: typeof ref === "string" ? ref : null,
    topic,
    event,
    payload,
  };
}
