/**
 * Reads the JSON value out of a text frame, shared by the V1 and V2 JSON serializers. The frame may arrive as
 * a string or as its UTF-8 bytes (ws hands Buffers even for text frames); bytes are decoded without copying.
 */
import { describeValue } from "../errors/describe.js";
import { ProtocolError, ProtocolErrorCode } from "./errors.js";

// fatal: invalid UTF-8 is an error, not silently replaced; ws normally rejects it first.
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Parses one text frame as JSON.
 *
 * @throws {@link ProtocolError} `FENIX_ERR_PROTOCOL_MALFORMED_JSON` when the bytes are not UTF-8 or the text
 * is not JSON.
 *
 * @example
 * ```ts
 * parseTextFrame('[null,"6","phoenix","heartbeat",{}]'); // [null, "6", "phoenix", "heartbeat", {}]
 * ```
 */
export function parseTextFrame(data: Uint8Array | string): unknown {
  let text: string;
  if (typeof data === "string") {
    text = data;
  } else {
    try {
      text = utf8.decode(data);
    } catch (cause) {
      throw new ProtocolError(
        ProtocolErrorCode.MALFORMED_JSON,
        `Expected a text frame of UTF-8 encoded JSON, received ${data.length} bytes that are not valid UTF-8.`,
        { cause },
      );
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new ProtocolError(
      ProtocolErrorCode.MALFORMED_JSON,
      `Expected a text frame holding JSON, received ${describeValue(text)}` +
        (cause instanceof Error ? ` (${cause.message}).` : "."),
      { cause },
    );
  }
}
