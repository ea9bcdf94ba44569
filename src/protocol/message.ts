/**
 * The three shapes that travel over a socket: a Message (a push in either direction), a Reply to a client
 * push, and a Broadcast to everyone on a topic. Serializers turn these into frames and back.
 */
import { ProtocolError, ProtocolErrorCode, describeReceived } from "./errors.js";

/** A JSON object: the only JSON value allowed as a payload. */
export type JsonObject = { [key: string]: unknown };

/** A payload is a JSON object, or raw bytes (Uint8Array, including Buffer) for binary frames. */
export type Payload = JsonObject | Uint8Array;

/**
 * Tells whether a payload is raw bytes, to be sent in a binary frame.
 *
 * @remarks
 * Any `Uint8Array` counts, including a Node `Buffer` or a subarray view.
 *
 * @example
 * ```ts
 * isBinaryPayload(new Uint8Array([1, 2])); // true
 * isBinaryPayload({ body: "hi" });          // false
 * ```
 */
export function isBinaryPayload(p: unknown): p is Uint8Array {
  return p instanceof Uint8Array;
}

/**
 * Tells whether a value is a JSON object: not null, not an array, not bytes.
 *
 * @remarks
 * This is the check a decoded JSON payload must pass. It does not walk the object's values.
 *
 * @example
 * ```ts
 * isJsonObject({});        // true
 * isJsonObject([1, 2]);    // false
 * isJsonObject(null);      // false
 * ```
 */
export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/**
 * One push on the wire: client→server (joins, leaves, heartbeats, events) or server→client
 * (`push`, `phx_close`, `phx_error`).
 *
 * @remarks
 * `joinRef` is the ref of the `phx_join` that started the channel incarnation the message belongs to, or
 * null when there is none (heartbeats, V1 clients, broadcasts). `ref` is the client's id for a push it wants
 * a reply to; server pushes carry a null ref, except `phx_close` and `phx_error`, whose ref is the join ref.
 */
export interface Message {
  /** Ref of the join this message belongs to, or null. */
  readonly joinRef: string | null;
  /** The sender's id for this push, or null. */
  readonly ref: string | null;
  /** The topic of the channel, e.g. `"room:42"`, or `"phoenix"` for socket-level events. */
  readonly topic: string;
  /** The event name, e.g. `"phx_join"` or an application event. */
  readonly event: string;
  /** A JSON object, or bytes for a binary frame. */
  readonly payload: Payload;
}

/**
 * The server's answer to a client push, sent as event `phx_reply`.
 *
 * @remarks
 * `joinRef` and `ref` echo the push being answered, unchanged (the client matches by string equality). The
 * reply to a push on a topic that has no channel carries a null `joinRef`.
 */
export interface Reply {
  /** Ref of the join of the channel that answers, or null when no channel is joined on the topic. */
  readonly joinRef: string | null;
  /** The ref of the push being answered. */
  readonly ref: string | null;
  /** The topic of the push being answered. */
  readonly topic: string;
  /** The outcome, usually `"ok"` or `"error"`; any string is allowed. */
  readonly status: string;
  /** The response body: a JSON object, or bytes for a binary frame. */
  readonly response: Payload;
}

/**
 * A message to every subscriber of a topic.
 *
 * @remarks
 * A broadcast has no join ref and no ref: it is encoded once and the same frame goes to every socket.
 */
export interface Broadcast {
  /** The topic broadcast to. */
  readonly topic: string;
  /** The event name. */
  readonly event: string;
  /** A JSON object, or bytes for a binary frame. */
  readonly payload: Payload;
}

/**
 * Checks the five fields read from a decoded frame and returns them as a {@link Message}.
 *
 * @remarks
 * `joinRef` and `ref` must be a string or null, `topic` and `event` non-empty strings, and `payload` a JSON
 * object or bytes. Used by every serializer's `decode`, so all of them report the same errors.
 *
 * @throws {@link ProtocolError} `FENIX_ERR_PROTOCOL_BAD_FIELD` for a bad ref, topic or event;
 * `FENIX_ERR_PROTOCOL_PAYLOAD_NOT_OBJECT` for a payload that is neither a JSON object nor bytes.
 *
 * @example
 * ```ts
 * const message = messageFromWire(null, "6", "phoenix", "heartbeat", {});
 * ```
 */
export function messageFromWire(
  joinRef: unknown,
  ref: unknown,
  topic: unknown,
  event: unknown,
  payload: unknown,
): Message {
  if (joinRef !== null && typeof joinRef !== "string") throw badRef("join_ref", joinRef);
  if (ref !== null && typeof ref !== "string") throw badRef("ref", ref);
  if (typeof topic !== "string" || topic === "") throw badName("topic", topic);
  if (typeof event !== "string" || event === "") throw badName("event", event);
  if (!isJsonObject(payload) && !isBinaryPayload(payload)) {
    throw new ProtocolError(
      ProtocolErrorCode.PAYLOAD_NOT_OBJECT,
      `Expected the payload to be a JSON object (e.g. {}), received ${describeReceived(payload)}.`,
    );
  }
  return { joinRef, ref, topic, event, payload };
}

function badRef(field: string, received: unknown): ProtocolError {
  return new ProtocolError(
    ProtocolErrorCode.BAD_FIELD,
    `Expected ${field} to be a string or null, received ${describeReceived(received)}.`,
  );
}

function badName(field: string, received: unknown): ProtocolError {
  return new ProtocolError(
    ProtocolErrorCode.BAD_FIELD,
    `Expected ${field} to be a non-empty string, received ${describeReceived(received)}.`,
  );
}
