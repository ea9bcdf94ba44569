/**
 * How failure messages of `fenix/testing` show payloads and matchers: compact JSON, bytes as hex, functions
 * by name, long values cut — so a failed assertion reads well in a test report.
 */

/** Longest text of one value in a failure message. */
const MAX_CHARS = 200;
/** Bytes shown of a Uint8Array before "…". */
const MAX_BYTES = 16;

function bytes(value: Uint8Array): string {
  const shown = Array.from(value.subarray(0, MAX_BYTES), (b) => b.toString(16).padStart(2, "0")).join(" ");
  return `<${value.byteLength} bytes${value.byteLength === 0 ? "" : `: ${shown}${value.byteLength > MAX_BYTES ? " …" : ""}`}>`;
}

/**
 * A short, readable text of any value: JSON with `Uint8Array`s as `<3 bytes: 01 02 03>`, a function as
 * `a predicate (name)`, cut at 200 characters.
 *
 * @example
 * ```ts
 * describeValue({ n: 1, data: new Uint8Array([1, 2]) }); // '{"n":1,"data":<2 bytes: 01 02>}'
 * ```
 */
export function describeValue(value: unknown): string {
  if (typeof value === "function") return `a predicate${value.name === "" ? "" : ` (${value.name})`}`;
  if (value instanceof Uint8Array) return bytes(value);
  if (value === undefined) return "undefined";
  const marks: string[] = [];
  let text: string;
  try {
    text =
      JSON.stringify(value, (_key, v: unknown) => {
        if (v instanceof Uint8Array) {
          marks.push(bytes(v));
          return `\u0000${marks.length - 1}\u0000`;
        }
        if (typeof v === "bigint") return `${v.toString()}n`;
        if (typeof v === "function") return `[function ${v.name}]`;
        if (typeof v === "symbol") return v.toString();
        return v;
      }) ?? String(value);
  } catch {
    text = String(value);
  }
  text = text.replace(/"\\u0000(\d+)\\u0000"/g, (_m, i: string) => marks[Number(i)] ?? "");
  return text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS - 1)}…` : text;
}
