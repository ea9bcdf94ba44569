/**
 * Matching payloads in assertions: a deep-partial pattern (the keys it gives must match, recursively) or a
 * predicate. One rule set for pushes, replies, broadcasts and presences, with the first difference named
 * in failure messages.
 */
import { describeValue } from "./describe-value.js";

/**
 * A pattern for a value of type `T`: a predicate, or a deep-partial copy of it.
 *
 * @remarks
 * - an object matches an object that has every key the pattern gives, each value matching in turn
 *   (keys the pattern leaves out are not compared);
 * - an array matches an array of the same length whose elements match one by one;
 * - a `Uint8Array` matches bytes equal to it;
 * - a function is a predicate: it matches when it returns `true` (at the top or for any value inside a
 *   pattern, e.g. `{ at: (v) => typeof v === "number" }`);
 * - anything else matches by `Object.is` (so `NaN` matches `NaN`); a pattern value `undefined` matches a
 *   missing key.
 *
 * @example
 * ```ts
 * const pattern: Match<{ user: { name: string; at: number } }> = { user: { name: "ada", at: (at) => at > 0 } };
 * ```
 */
export type Match<T> = PartialMatch<T> | ((value: T) => boolean);

/** The deep-partial half of {@link Match}. */
export type PartialMatch<T> = T extends Uint8Array
  ? Uint8Array
  : T extends readonly (infer U)[]
    ? readonly Match<U>[]
    : T extends object
      ? { readonly [K in keyof T]?: Match<T[K]> }
      : T;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

function keyPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/**
 * The first place where `actual` does not match `pattern`, as a sentence, or `null` when it matches.
 *
 * @example
 * ```ts
 * mismatch({ a: { b: 1 } }, { a: { b: 2 } }); // 'at .a.b: expected 2, got 1'
 * mismatch({ a: 1, b: 2 }, { a: 1 });          // null
 * ```
 */
export function mismatch(actual: unknown, pattern: unknown, path = ""): string | null {
  const where = path === "" ? "" : `at ${path}: `;
  if (typeof pattern === "function") {
    let result: unknown;
    try {
      result = (pattern as (value: unknown) => unknown)(actual);
    } catch (error) {
      return `${where}${describeValue(pattern)} threw ${error instanceof Error ? error.message : describeValue(error)} for ${describeValue(actual)}`;
    }
    return result === true ? null : `${where}${describeValue(pattern)} returned ${describeValue(result)} for ${describeValue(actual)}`;
  }
  if (pattern instanceof Uint8Array) {
    if (actual instanceof Uint8Array && sameBytes(actual, pattern)) return null;
    return `${where}expected ${describeValue(pattern)}, got ${describeValue(actual)}`;
  }
  if (Array.isArray(pattern)) {
    if (!Array.isArray(actual)) return `${where}expected an array, got ${describeValue(actual)}`;
    if (actual.length !== pattern.length) {
      return `${where}expected ${pattern.length} elements, got ${actual.length}: ${describeValue(actual)}`;
    }
    for (let i = 0; i < pattern.length; i++) {
      const found = mismatch(actual[i], pattern[i], `${path}[${i}]`);
      if (found !== null) return found;
    }
    return null;
  }
  if (isRecord(pattern)) {
    if (!isRecord(actual)) return `${where}expected an object, got ${describeValue(actual)}`;
    for (const key of Object.keys(pattern)) {
      const expected = pattern[key];
      const present = Object.prototype.hasOwnProperty.call(actual, key);
      if (!present) {
        if (expected === undefined) continue;
        return `at ${keyPath(path, key)}: expected ${describeValue(expected)}, but the key is missing`;
      }
      const found = mismatch(actual[key], expected, keyPath(path, key));
      if (found !== null) return found;
    }
    return null;
  }
  return Object.is(actual, pattern) || (actual === 0 && pattern === 0)
    ? null
    : `${where}expected ${describeValue(pattern)}, got ${describeValue(actual)}`;
}

/**
 * Whether `actual` matches `pattern` (see {@link Match}); `undefined` as the pattern matches anything.
 *
 * @example
 * ```ts
 * matches({ n: 1, at: 5 }, { n: 1 }); // true
 * matches([1, 2], [1]);              // false: arrays have the same length
 * ```
 */
export function matches(actual: unknown, pattern: unknown): boolean {
  return pattern === undefined || mismatch(actual, pattern) === null;
}
