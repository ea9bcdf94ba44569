/**
 * The body of a LongPoll POST: ndjson, one frame per line — text frames start with `[` (V2) or `{` (V1),
 * anything else is a binary frame in standard base64. Only the first 100 lines count, as in Phoenix.
 */

/** Most lines handled per POST; the client sends bigger queues in several POSTs. */
export const MAX_LINES_PER_POST = 100;

/** One inbound frame, decoded from its line. */
export interface InboundLine {
  readonly data: string | Uint8Array;
  readonly binary: boolean;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Splits a POST body into its frames: on `\n` or `\r\n` when it is ndjson (empty lines skipped, lines
 * past the 100th dropped), else the whole body is one text frame.
 */
export function splitBatch(body: string, ndjson: boolean): string[] {
  if (!ndjson) return body.length === 0 ? [] : [body];
  const lines: string[] = [];
  for (const line of body.split(/\r?\n/)) {
    if (line.length === 0) continue;
    lines.push(line);
    if (lines.length === MAX_LINES_PER_POST) break;
  }
  return lines;
}

/**
 * Decodes one line into a frame, or `null` if it is neither a text frame nor valid base64. Text frames
 * are V2 arrays (`[`) or V1 objects (`{`); neither character is base64, so the two never clash.
 */
export function decodeLine(line: string): InboundLine | null {
  if (line.startsWith("[") || line.startsWith("{")) return { data: line, binary: false };
  if (line.length % 4 !== 0 || !BASE64.test(line)) return null;
  const bytes = Buffer.from(line, "base64");
  return { data: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), binary: true };
}
