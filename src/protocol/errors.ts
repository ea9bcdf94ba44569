/**
 * Typed errors of the protocol layer: frames that cannot be decoded, values that cannot be encoded, and a
 * refused serializer version. Each code maps to the WebSocket close code the server should use.
 */
import { FenixError } from "../errors/fenix-error.js";

/** Stable codes of {@link ProtocolError}. Each is documented in docs/errors.md. */
export const ProtocolErrorCode = {
  /** A text frame is not valid UTF-8 or not valid JSON. Closes with 1007. */
  MALFORMED_JSON: "FENIX_ERR_PROTOCOL_MALFORMED_JSON",
  /** A binary frame is truncated (its header or meta lengths run past its end), has an unknown kind byte, or its meta is not UTF-8. Closes with 1007. */
  MALFORMED_BINARY: "FENIX_ERR_PROTOCOL_MALFORMED_BINARY",
  /** A V2 frame is not an array of at least five elements, or a V1 frame is not an object with topic, event, payload and ref. Closes with 1008. */
  BAD_SHAPE: "FENIX_ERR_PROTOCOL_BAD_SHAPE",
  /** join_ref or ref is not a string, a number or null, or a V1 payload is missing. Closes with 1008. */
  BAD_FIELD: "FENIX_ERR_PROTOCOL_BAD_FIELD",
  /** A topic or event is not a string. Not closed: answered like an unmatched topic. */
  UNROUTABLE: "FENIX_ERR_PROTOCOL_UNROUTABLE",
  /** A binary encoder was given a JSON payload instead of bytes. Closes with 1008. */
  PAYLOAD_NOT_BINARY: "FENIX_ERR_PROTOCOL_PAYLOAD_NOT_BINARY",
  /** A binary frame or bytes payload met the V1 serializer, which has no binary form. Closes with 1003. */
  BINARY_UNSUPPORTED: "FENIX_ERR_PROTOCOL_BINARY_UNSUPPORTED",
  /** A binary meta field (join_ref, ref, topic, event or status) is longer than 255 UTF-8 bytes. Closes with 1008. */
  META_TOO_LONG: "FENIX_ERR_PROTOCOL_META_TOO_LONG",
} as const;

/** One of the {@link ProtocolErrorCode} values. */
export type ProtocolErrorCode = (typeof ProtocolErrorCode)[keyof typeof ProtocolErrorCode];

/**
 * WebSocket close code (RFC 6455 §7.4.1) for each protocol error: 1007 for bytes that are not what the frame
 * type promises, 1003 for a data type the connection cannot accept, 1008 for anything else that breaks the
 * protocol's rules.
 */
const closeCodes: { readonly [C in ProtocolErrorCode]: number } = {
  FENIX_ERR_PROTOCOL_MALFORMED_JSON: 1007,
  FENIX_ERR_PROTOCOL_MALFORMED_BINARY: 1007,
  FENIX_ERR_PROTOCOL_BAD_SHAPE: 1008,
  FENIX_ERR_PROTOCOL_BAD_FIELD: 1008,
  FENIX_ERR_PROTOCOL_UNROUTABLE: 1008,
  FENIX_ERR_PROTOCOL_PAYLOAD_NOT_BINARY: 1008,
  FENIX_ERR_PROTOCOL_BINARY_UNSUPPORTED: 1003,
  FENIX_ERR_PROTOCOL_META_TOO_LONG: 1008,
};

/**
 * An error raised while decoding or encoding frames, or negotiating a serializer.
 *
 * @remarks
 * `closeCode` is the WebSocket close code the server should close the connection with when this error comes
 * from a client frame; it follows from `code` alone.
 *
 * @example
 * ```ts
 * try { serializer.decode(data, isBinary); }
 * catch (err) { if (err instanceof ProtocolError) ws.close(err.closeCode, err.code); }
 * ```
 */
export class ProtocolError extends FenixError {
  declare readonly code: ProtocolErrorCode;
  /** The WebSocket close code that matches {@link ProtocolError.code}. */
  readonly closeCode: number;

  constructor(code: ProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.closeCode = closeCodes[code];
  }
}

/**
 * A client message whose topic or event is not a string: it cannot be routed. The connection is kept and
 * the message answered like one for an unmatched topic (`{reason: "unmatched topic"}`), echoing its refs
 * and topic as received, as Phoenix does.
 */
export class UnroutableMessageError extends ProtocolError {
  constructor(
    /** The message's join ref as received (a string, a number or null). */
    readonly joinRef: string | number | null,
    /** The message's ref as received. */
    readonly ref: string | number | null,
    /** The topic as received: any JSON value. */
    readonly topic: unknown,
    message: string,
  ) {
    super(ProtocolErrorCode.UNROUTABLE, message);
  }
}
