/**
 * The three shapes that travel over a socket: a Message (a push in either direction), a Reply to a client
 * push, and a Broadcast to everyone on a topic. Serializers turn these into frames and back.
 */
import { describeValue } from "../errors/describe.js";
import { ProtocolError, ProtocolErrorCode, UnroutableMessageError } from "./errors.js";
import type { StreamPosition } from "./position.js";

/** A JSON object. */
export type JsonObject = { [key: string]: unknown };

/** Any JSON value: what a client may send as a payload, and what a reply may answer with. */
export type JsonValue = string | number | boolean | null | readonly unknown[] | JsonObject;

/**
 * What the server pushes and broadcasts: a JSON object, or raw bytes (Uint8Array, including Buffer) for
 * binary frames. Clients built like the official one read every pushed payload as an object.
 */
export type Payload = JsonObject | Uint8Array;

/** What a client message or a reply carries: any JSON value, or raw bytes for binary frames. */
export type AnyPayload = JsonValue | Uint8Array;

/**
 * A ref or join ref as the client sent it: a string (what the official clients send) or a number (some
 * third-party clients). The server echoes it back unchanged.
 */
export type WireRef = string | number;

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
 * Tells whether a value can travel as a payload: bytes, or a JSON value (`null`, a boolean, a finite number,
 * a string, an array or an object). It does not walk arrays and objects.
 *
 * @example
 * ```ts
 * isAnyPayload("hi");       // true
 * isAnyPayload(undefined);  // false
 * ```
 */
export function isAnyPayload(value: unknown): value is AnyPayload {
  switch (typeof value) {
    case "string":
    case "boolean":
    case "object":
      return true;
    case "number":
      return Number.isFinite(value);
    default:
      return false;
  }
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
  readonly joinRef: WireRef | null;
  /** The sender's id for this push, or null. */
  readonly ref: WireRef | null;
  /** The topic of the channel, e.g. `"room:42"`, or `"phoenix"` for socket-level events. */
  readonly topic: string;
  /** The event name, e.g. `"phx_join"` or an application event. */
  readonly event: string;
  /** Any JSON value from a client (a JSON object from the server), or bytes for a binary frame. */
  readonly payload: AnyPayload;
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
  readonly joinRef: WireRef | null;
  /** The ref of the push being answered. */
  readonly ref: WireRef | null;
  /** The topic of the push being answered. */
  readonly topic: string;
  /** The outcome, usually `"ok"` or `"error"`; any string is allowed. */
  readonly status: string;
  /** The response body: any JSON value (usually an object), or bytes for a binary frame. */
  readonly response: AnyPayload;
}

/**
 * A message to every subscriber of a topic.
 *
 * @remarks
 * A broadcast has no join ref: it is encoded once and the same frame goes to every socket. Its ref is null,
 * except on a topic with history, where it carries the broadcast's position as `"<epoch>:<offset>"`.
 */
export interface Broadcast {
  /** The topic broadcast to. */
  readonly topic: string;
  /** The event name. */
  readonly event: string;
  /** A JSON object, or bytes for a binary frame. */
  readonly payload: Payload;
  /** Where the broadcast sits in its topic's history (topics with history only); written into the ref. */
  readonly position?: StreamPosition;
}

/**
 * Checks the five fields read from a decoded frame and returns them as a {@link Message}.
 *
 * @remarks
 * As liberal as Phoenix: `joinRef` and `ref` may be strings, numbers or null (echoed back as received), and
 * the payload any JSON value or bytes. A `topic` or `event` that is not a string cannot be routed: the
 * connection answers it like an unmatched topic. Used by every serializer's `decode`, so all of them report
 * the same errors.
 *
 * @throws {@link ProtocolError} `FENIX_ERR_PROTOCOL_BAD_FIELD` for a ref that is neither a string, a number
 * nor null (the connection is closed); {@link UnroutableMessageError} for a topic or event that is not a
 * string (it is not).
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
  if (joinRef !== null && !isRef(joinRef)) throw badRef("join_ref", joinRef);
  if (ref !== null && !isRef(ref)) throw badRef("ref", ref);
  if (typeof topic !== "string" || typeof event !== "string") {
    const field = typeof topic !== "string" ? "topic" : "event";
    throw new UnroutableMessageError(
      joinRef,
      ref,
      topic,
      `Expected ${field} to be a string, received ${describeValue(field === "topic" ? topic : event)}; answered "unmatched topic".`,
    );
  }
  if (payload === undefined) {
    throw new ProtocolError(ProtocolErrorCode.BAD_FIELD, "Expected a payload (any JSON value), received nothing.");
  }
  return { joinRef, ref, topic, event, payload: payload as AnyPayload };
}

function isRef(value: unknown): value is WireRef {
  return typeof value === "string" || (typeof value === "number" && Number.isFinite(value));
}

function badRef(field: string, received: unknown): ProtocolError {
  return new ProtocolError(
    ProtocolErrorCode.BAD_FIELD,
    `Expected ${field} to be a string, a number or null, received ${describeValue(received)}.`,
  );
}
