/**
 * The meta strings of binary frames (join_ref, ref, topic, event, status): their UTF-8 byte length, checked
 * against the one-byte length limit, and writing and reading them with a fast path for all-ASCII strings.
 */
import { describeValue } from "../errors/describe.js";
import { ProtocolError, ProtocolErrorCode } from "./errors.js";
import { BINARY_META_MAX_BYTES } from "./reserved.js";

const encoder = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF as part of the string instead of dropping it.
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Below this many bytes, building an ASCII string by hand beats a TextDecoder call. */
const SHORT_META_BYTES = 16;

/**
 * Measures a meta string in UTF-8 bytes, exactly as TextEncoder will write it.
 *
 * @remarks
 * Counts without allocating. A lone surrogate counts 3 bytes, as TextEncoder replaces it with U+FFFD.
 * The result equals `value.length` exactly when the string is all ASCII, which {@link writeMeta} relies on.
 *
 * @throws {@link ProtocolError} `FENIX_ERR_PROTOCOL_META_TOO_LONG` above 255 bytes; `field` names the field
 * in the message.
 *
 * @example
 * ```ts
 * metaLength("t:é", "topic"); // 4
 * ```
 */
export function metaLength(value: string, field: string): number {
  let length = value.length;
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    if (unit < 0x80) continue;
    if (unit < 0x800) {
      length += 1;
      continue;
    }
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        // A surrogate pair: two code units, four bytes.
        length += 2;
        i++;
        continue;
      }
    }
    // Three bytes, including a lone surrogate.
    length += 2;
  }
  if (length > BINARY_META_MAX_BYTES) {
    throw new ProtocolError(
      ProtocolErrorCode.META_TOO_LONG,
      `Expected ${field} to be at most ${BINARY_META_MAX_BYTES} UTF-8 bytes to fit a binary frame, received ` +
        `${length} bytes: ${describeValue(value)}.`,
    );
  }
  return length;
}

/**
 * Writes a meta string at `offset` and returns the offset just after it.
 *
 * @remarks
 * `byteLength` must come from {@link metaLength}; all-ASCII strings are copied unit by unit, others go
 * through TextEncoder.
 *
 * @example
 * ```ts
 * const out = new Uint8Array(4);
 * writeMeta("t:é", 4, out, 0); // 4; out is 74 3a c3 a9
 * ```
 */
export function writeMeta(value: string, byteLength: number, out: Uint8Array, offset: number): number {
  if (byteLength === value.length) {
    for (let i = 0; i < byteLength; i++) out[offset + i] = value.charCodeAt(i);
  } else {
    encoder.encodeInto(value, out.subarray(offset, offset + byteLength));
  }
  return offset + byteLength;
}

/**
 * Reads the meta string stored in `bytes[start, end)`.
 *
 * @remarks
 * Short ASCII strings (refs, most event names) are built by hand, several times faster than a TextDecoder
 * call; anything else goes through the decoder.
 *
 * @throws {@link ProtocolError} `FENIX_ERR_PROTOCOL_MALFORMED_BINARY` when the bytes are not UTF-8.
 *
 * @example
 * ```ts
 * readMeta(new Uint8Array([0x31, 0x32]), 0, 2); // "12"
 * ```
 */
export function readMeta(bytes: Uint8Array, start: number, end: number): string {
  if (end - start > SHORT_META_BYTES) return decodeMeta(bytes, start, end);
  let text = "";
  for (let i = start; i < end; i++) {
    const byte = bytes[i] as number;
    if (byte >= 0x80) return decodeMeta(bytes, start, end);
    text += String.fromCharCode(byte);
  }
  return text;
}

function decodeMeta(bytes: Uint8Array, start: number, end: number): string {
  try {
    return decoder.decode(bytes.subarray(start, end));
  } catch (cause) {
    throw new ProtocolError(
      ProtocolErrorCode.MALFORMED_BINARY,
      `Expected the meta strings of a binary frame to be UTF-8, received invalid bytes at offsets ${start}–${end - 1}.`,
      { cause },
    );
  }
}
