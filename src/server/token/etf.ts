/**
 * An Erlang External Term Format codec (version 131) for the terms tokens carry, so Fenix reads and
 * writes what `:erlang.term_to_binary/1` and `binary_to_term/2` do. The writer is here; the hardened
 * reader is etf-reader.ts; the JS side of each term is described in etf-term.ts.
 */
import { describeValue } from "../../errors/describe.js";
import { ServerError, ServerErrorCode } from "../errors.js";
import { readTerm, unreadable } from "./etf-reader.js";
import { ErlangAtom, ErlangTuple, MAX_ATOM_CHARS, Tag, type ErlangTerm } from "./etf-term.js";

/** Limits of {@link decodeTerm}; each must be a positive integer. */
export interface DecodeTermOptions {
  /** Most levels of nesting (a list in a map in a tuple is 3). @defaultValue 64 */
  readonly maxDepth?: number;
  /** Largest input, and largest size a compressed term may inflate to, in bytes. @defaultValue 1048576 (1 MiB) */
  readonly maxBytes?: number;
  /** Most terms in all (each integer, atom, binary, list, tuple, map, key and value counts one). @defaultValue 100000 */
  readonly maxTerms?: number;
}

/** Options of {@link encodeTerm}. */
export interface EncodeTermOptions {
  /** Most levels of nesting; deeper values (or a cycle) are refused. @defaultValue 64 */
  readonly maxDepth?: number;
}

const DEFAULT_MAX_DEPTH = 64;
const DEFAULT_MAX_BYTES = 1024 * 1024;
const DEFAULT_MAX_TERMS = 100_000;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const LONE_SURROGATE = /\p{Cs}/u;
const utf8 = new TextEncoder();

/**
 * Reads the bytes of `:erlang.term_to_binary/1,2` (compressed or not) into a JS value.
 *
 * @remarks
 * Reads integers, floats, atoms (UTF-8 and the Latin-1 forms older Erlang writes), binaries, proper
 * lists (charlists too), tuples and maps; see {@link ErlangTerm} for what each becomes. A binary becomes a
 * `string` when it is valid UTF-8 (a byte-order mark is kept), else a `Uint8Array`, so writing the value
 * back gives the same bytes. Pids, ports, references, funs, bitstrings and improper lists are refused, as
 * are bytes after the term, duplicate map keys and anything over the limits. Whatever the input, it
 * returns or throws a `ServerError` with code `UNREADABLE_TERM` — never another error, never a hang.
 *
 * @throws ServerError `UNREADABLE_TERM` for bytes it cannot read; `BAD_OPTION` for a bad limit.
 * @example
 * ```ts
 * decodeTerm(new Uint8Array([131, 104, 2, 100, 0, 2, 111, 107, 97, 7])); // ErlangTuple [ErlangAtom "ok", 7]
 * ```
 */
export function decodeTerm(bytes: Uint8Array, options: DecodeTermOptions = {}): ErlangTerm {
  const limits = {
    maxDepth: limit(options.maxDepth, "maxDepth", DEFAULT_MAX_DEPTH),
    maxBytes: limit(options.maxBytes, "maxBytes", DEFAULT_MAX_BYTES),
    maxTerms: limit(options.maxTerms, "maxTerms", DEFAULT_MAX_TERMS),
  };
  if (!(bytes instanceof Uint8Array)) throw unreadable(`expected a Uint8Array, got ${describeValue(bytes)}`);
  try {
    return readTerm(bytes, limits);
  } catch (err) {
    if (err instanceof ServerError && err.code === ServerErrorCode.UNREADABLE_TERM) throw err;
    throw unreadable("the reader failed", err);
  }
}

/**
 * Writes a JS value as Erlang external term bytes, as `:erlang.term_to_binary/1` reads them.
 *
 * @remarks
 * - `null`, `true`, `false` → the atoms `nil`, `true`, `false`; {@link ErlangAtom} → that atom.
 * - A whole `number` or a `bigint` → an integer; another finite `number` → a float. `NaN` and infinities
 *   are refused (Erlang has none).
 * - `string` → a UTF-8 binary (a string with a lone surrogate is refused); `Uint8Array` → a binary.
 * - An array → a list (a list of integers 0–255 is written as a charlist, as Erlang does);
 *   {@link ErlangTuple} → a tuple.
 * - A plain object → a map with binary keys, in key order (as Erlang orders small maps); properties whose
 *   value is `undefined` are left out, as `JSON.stringify` does. A `Map` → a map with those keys.
 *
 * For values made of these, the bytes equal Erlang's `term_to_binary(Term, [{minor_version, 2}])`
 * (maps of up to 32 keys). Anything else — `undefined`, functions, symbols, dates, class instances,
 * nesting deeper than `maxDepth` (or a cycle) — throws `UNENCODABLE_TERM`.
 *
 * @throws ServerError `UNENCODABLE_TERM`; `BAD_OPTION` for a bad `maxDepth`.
 * @example
 * ```ts
 * encodeTerm({ user_id: 42 }); // the bytes of %{"user_id" => 42}
 * ```
 */
export function encodeTerm(value: unknown, options: EncodeTermOptions = {}): Uint8Array {
  const writer = new TermWriter(limit(options.maxDepth, "maxDepth", DEFAULT_MAX_DEPTH));
  writer.u8(Tag.VERSION);
  writer.term(value, 1);
  return writer.result();
}

function limit(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ServerError(ServerErrorCode.BAD_OPTION, `Term codec option ${name} must be a positive integer; got ${describeValue(value)}.`);
  }
  return value;
}

function unencodable(message: string): ServerError {
  return new ServerError(ServerErrorCode.UNENCODABLE_TERM, `Cannot write an Erlang term: ${message}.`);
}

class TermWriter {
  readonly #maxDepth: number;
  #buffer = Buffer.allocUnsafe(256);
  #length = 0;

  constructor(maxDepth: number) {
    this.#maxDepth = maxDepth;
  }

  result(): Uint8Array {
    return Uint8Array.from(this.#buffer.subarray(0, this.#length));
  }

  term(value: unknown, depth: number): void {
    if (depth > this.#maxDepth) throw unencodable(`the value nests deeper than maxDepth (${this.#maxDepth}); is there a cycle?`);
    if (value === null) return this.#atom("nil");
    switch (typeof value) {
      case "boolean":
        return this.#atom(value ? "true" : "false");
      case "number":
        if (!Number.isFinite(value)) throw unencodable(`${value} is not a finite number`);
        if (Number.isSafeInteger(value)) return this.#integer(value);
        if (Number.isInteger(value)) return this.#big(BigInt(value));
        this.u8(Tag.NEW_FLOAT);
        return this.#reserve(8, (at) => this.#buffer.writeDoubleBE(value, at));
      case "bigint":
        return value >= INT32_MIN && value <= INT32_MAX ? this.#integer(Number(value)) : this.#big(value);
      case "string":
        if (LONE_SURROGATE.test(value)) throw unencodable("a string has a lone surrogate, which is not UTF-8");
        return this.#binary(utf8.encode(value));
      case "object":
        return this.#object(value, depth);
      default:
        throw unencodable(`${describeValue(value)} has no Erlang term`);
    }
  }

  #object(value: object, depth: number): void {
    if (value instanceof Uint8Array) return this.#binary(value);
    if (value instanceof ErlangAtom) return this.#atom(value.name);
    if (value instanceof ErlangTuple) return this.#tuple(value.elements, depth);
    if (Array.isArray(value)) return this.#list(value, depth);
    if (value instanceof Map) return this.#map([...(value as Map<unknown, unknown>)], depth);
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) throw unencodable(`${describeValue(value)} is not a plain object`);
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [Buffer.from(k, "utf8"), v] as const)
      .sort(([a], [b]) => Buffer.compare(a, b));
    this.#map(entries, depth);
  }

  #integer(value: number): void {
    if (value >= 0 && value <= 255) {
      this.u8(Tag.SMALL_INTEGER);
      this.u8(value);
    } else if (value >= INT32_MIN && value <= INT32_MAX) {
      this.u8(Tag.INTEGER);
      this.#reserve(4, (at) => this.#buffer.writeInt32BE(value, at));
    } else {
      this.#big(BigInt(value));
    }
  }

  #big(value: bigint): void {
    let magnitude = value < 0n ? -value : value;
    const digits: number[] = [];
    while (magnitude > 0n) {
      digits.push(Number(magnitude & 0xffn));
      magnitude >>= 8n;
    }
    if (digits.length <= 255) {
      this.u8(Tag.SMALL_BIG);
      this.u8(digits.length);
    } else {
      this.u8(Tag.LARGE_BIG);
      this.#u32(digits.length);
    }
    this.u8(value < 0n ? 1 : 0);
    this.#bytes(Uint8Array.from(digits));
  }

  #atom(name: string): void {
    if (LONE_SURROGATE.test(name)) throw unencodable("an atom has a lone surrogate, which is not UTF-8");
    const chars = [...name].length;
    if (chars > MAX_ATOM_CHARS) throw unencodable(`an atom of ${chars} characters is longer than ${MAX_ATOM_CHARS}`);
    const bytes = utf8.encode(name);
    if (bytes.length <= 255) {
      this.u8(Tag.SMALL_ATOM_UTF8);
      this.u8(bytes.length);
    } else {
      this.u8(Tag.ATOM_UTF8);
      this.#reserve(2, (at) => this.#buffer.writeUInt16BE(bytes.length, at));
    }
    this.#bytes(bytes);
  }

  #binary(bytes: Uint8Array): void {
    if (bytes.length > 0xffffffff) throw unencodable("a binary is longer than 4 GiB");
    this.u8(Tag.BINARY);
    this.#u32(bytes.length);
    this.#bytes(bytes);
  }

  #list(items: readonly unknown[], depth: number): void {
    if (items.length === 0) return this.u8(Tag.NIL);
    if (items.length <= 0xffff && allBytes(items)) {
      this.u8(Tag.STRING);
      this.#reserve(2, (at) => this.#buffer.writeUInt16BE(items.length, at));
      return this.#bytes(Uint8Array.from(items as (number | bigint)[], Number));
    }
    this.u8(Tag.LIST);
    this.#u32(items.length);
    for (let i = 0; i < items.length; i++) this.term(items[i], depth + 1);
    this.u8(Tag.NIL);
  }

  #tuple(elements: readonly unknown[], depth: number): void {
    if (elements.length <= 255) {
      this.u8(Tag.SMALL_TUPLE);
      this.u8(elements.length);
    } else {
      this.u8(Tag.LARGE_TUPLE);
      this.#u32(elements.length);
    }
    for (const element of elements) this.term(element, depth + 1);
  }

  #map(entries: readonly (readonly [unknown, unknown])[], depth: number): void {
    this.u8(Tag.MAP);
    this.#u32(entries.length);
    for (const [key, value] of entries) {
      this.term(key, depth + 1);
      this.term(value, depth + 1);
    }
  }

  u8(value: number): void {
    this.#reserve(1, (at) => this.#buffer.writeUInt8(value, at));
  }

  #u32(value: number): void {
    this.#reserve(4, (at) => this.#buffer.writeUInt32BE(value, at));
  }

  #bytes(bytes: Uint8Array): void {
    this.#reserve(bytes.length, (at) => this.#buffer.set(bytes, at));
  }

  /** Makes room for `length` bytes, lets `write` fill them at the offset it is given, and moves past them. */
  #reserve(length: number, write: (at: number) => unknown): void {
    if (this.#length + length > this.#buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, this.#length + length));
      this.#buffer.copy(grown, 0, 0, this.#length);
      this.#buffer = grown;
    }
    write(this.#length);
    this.#length += length;
  }
}

/** Whether every element (holes included) is an integer 0–255: such a list is written as a charlist. */
function allBytes(items: readonly unknown[]): boolean {
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const byte = (typeof item === "number" && Number.isInteger(item) && item >= 0 && item <= 255) || (typeof item === "bigint" && item >= 0n && item <= 255n);
    if (!byte) return false;
  }
  return true;
}

/** How token errors show a value they received: the shared {@link describeValue}. */
export { describeValue as describe };
