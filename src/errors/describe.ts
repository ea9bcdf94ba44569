/**
 * How error messages show a value they received: one short, readable form shared by every layer, so
 * "received …" reads the same whether the runtime, the protocol or the server wrote it.
 */

/** The length {@link describeValue} and {@link truncate} cut to when no other is given. */
export const DESCRIBE_MAX_CHARS = 80;

/**
 * Cuts a text to at most `maxChars` characters for an error message, marking the cut with "…".
 *
 * @remarks
 * A cut text is `maxChars - 1` characters of the original plus "…"; a cut never splits a surrogate pair.
 *
 * @param maxChars - The longest result, at least 1. @defaultValue 80
 *
 * @example
 * ```ts
 * truncate("x".repeat(100)).length; // 80
 * truncate("abcdef", 4); // "abc…"
 * ```
 */
export function truncate(text: string, maxChars: number = DESCRIBE_MAX_CHARS): string {
  const max = limit(maxChars);
  if (text.length <= max) return text;
  return `${cutAt(text, max - 1)}…`;
}

/**
 * Describes any value for an error message, in at most `maxChars` characters.
 *
 * @remarks
 * - strings as JSON (`"hi"`), cut inside the quotes;
 * - numbers, booleans and `null` as written (`7`, `true`, `null`); bigints with their `n` (`10n`);
 *   `undefined` as `nothing`;
 * - bytes (`Uint8Array`, `ArrayBuffer`) as their length (`3 bytes`); other typed arrays and views as
 *   `a Float64Array of 16 bytes`;
 * - arrays and plain objects as JSON (`[1,"a"]`, `{"a":1}`), or `an array of 2 items` / `an object`
 *   when they have no JSON form (a cycle, a bigint inside);
 * - functions as `the function name` (`the class Name` for a class), `a function` when anonymous;
 * - errors as `Name [CODE]: message`;
 * - instances of a class with its own `toString` (a Pid, a Ref) as that string; a `Date` by its ISO
 *   time; a `Map` or `Set` by its size; other instances as `a ClassName`, followed by their JSON when it
 *   says more than `{}`.
 *
 * Never throws: a value that cannot even be inspected is `an unreadable value`.
 *
 * @param maxChars - The longest result, at least 1. @defaultValue 80
 *
 * @example
 * ```ts
 * describeValue("get");                 // "\"get\""
 * describeValue(undefined);             // "nothing"
 * describeValue(new Uint8Array(3));     // "3 bytes"
 * describeValue({ op: "inc" });         // "{\"op\":\"inc\"}"
 * describeValue(new Map([[1, 2]]));     // "a Map of 1 entry"
 * describeValue(function handler() {}); // "the function handler"
 * ```
 */
export function describeValue(value: unknown, maxChars: number = DESCRIBE_MAX_CHARS): string {
  const max = limit(maxChars);
  let text: string;
  try {
    text = describeWhole(value, max);
  } catch {
    text = "an unreadable value";
  }
  return truncate(text, max);
}

function describeWhole(value: unknown, max: number): string {
  switch (typeof value) {
    case "undefined":
      return "nothing";
    case "string":
      return quote(value, max);
    case "number":
    case "boolean":
      return String(value);
    case "bigint":
      return `${value}n`;
    case "symbol":
      return value.toString();
    case "function":
      return describeFunction(value);
  }
  if (value === null) return "null";
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) return count(value.byteLength, "byte", "bytes");
  if (value instanceof Error) return describeError(value);
  if (Array.isArray(value)) return toJson(value) ?? `an array of ${count(value.length, "item", "items")}`;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) return toJson(value) ?? "an object";
  return describeInstance(value as object);
}

function describeFunction(fn: object): string {
  const own = (fn as { name?: unknown }).name;
  const name = typeof own === "string" ? own : "";
  let isClass = false;
  try {
    isClass = /^class[\s{]/.test(Function.prototype.toString.call(fn));
  } catch {
    // A proxy or exotic function: describe it as a function.
  }
  if (isClass) return name === "" ? "an anonymous class" : `the class ${name}`;
  return name === "" ? "a function" : `the function ${name}`;
}

function describeError(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? `${error.name} [${code}]: ${error.message}` : `${error.name}: ${error.message}`;
}

function describeInstance(value: object): string {
  const named = withArticle(className(value));
  if (ArrayBuffer.isView(value)) return `${named} of ${count(value.byteLength, "byte", "bytes")}`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "an invalid Date" : `a Date ${value.toISOString()}`;
  if (value instanceof Map) return `${named} of ${count(value.size, "entry", "entries")}`;
  if (value instanceof Set) return `${named} of ${count(value.size, "item", "items")}`;
  if (hasOwnToString(value)) {
    const text = ownText(value);
    if (text !== "") return text;
  }
  const json = toJson(value);
  return json === undefined || json === "{}" ? named : `${named} ${json}`;
}

/** The name of the class `value` was built by, or "" when it has none. */
function className(value: object): string {
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === "string" ? name : "";
}

function withArticle(name: string): string {
  if (name === "" || name === "Object") return "an object";
  return /^[aeiou]/i.test(name) ? `an ${name}` : `a ${name}`;
}

/** Whether some class in the chain of `value` defines `toString` (plain Object's does not count). */
function hasOwnToString(value: object): boolean {
  const toString = (value as { toString?: unknown }).toString;
  return typeof toString === "function" && toString !== Object.prototype.toString;
}

/** What the class's own `toString` writes, or "" when it throws or writes nothing useful. */
function ownText(value: object): string {
  try {
    return String(value);
  } catch {
    return "";
  }
}

function toJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/** A string as JSON in at most `max` characters, cut inside the quotes so they stay balanced. */
function quote(text: string, max: number): string {
  const whole = JSON.stringify(text);
  if (whole.length <= max) return whole;
  const budget = max - 3; // the two quotes and "…"
  let used = 0;
  let kept = "";
  for (const char of text) {
    const width = JSON.stringify(char).length - 2;
    if (used + width > budget) break;
    used += width;
    kept += char;
  }
  return JSON.stringify(`${kept}…`);
}

/** The first `end` characters of `text`, one fewer when the last would be half of a surrogate pair. */
function cutAt(text: string, end: number): string {
  if (end <= 0) return "";
  const last = text.charCodeAt(end - 1);
  return last >= 0xd800 && last <= 0xdbff ? text.slice(0, end - 1) : text.slice(0, end);
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function limit(maxChars: number): number {
  return Number.isFinite(maxChars) ? Math.max(1, Math.floor(maxChars)) : Number.MAX_SAFE_INTEGER;
}
