/**
 * Reads Erlang External Term Format bytes into JS values (see etf-term.ts for the mapping). Hardened for
 * bytes nobody vouches for: every length is checked against the bytes left before anything is allocated,
 * nesting, term count and inflated size are bounded, and the only error it throws is `UNREADABLE_TERM`.
 */
import { inflateSync } from "node:zlib";
import { ServerError, ServerErrorCode } from "../errors.js";
import { atomValue, ErlangAtom, ErlangTuple, MAX_ATOM_CHARS, Tag, UNSUPPORTED_TAGS, type ErlangObject, type ErlangTerm } from "./etf-term.js";

/** Limits of {@link readTerm}. */
export interface ReadLimits {
  readonly maxDepth: number;
  readonly maxBytes: number;
  readonly maxTerms: number;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Thrown for unreadable input; the public codec turns any other failure into one too. */
export function unreadable(message: string, cause?: unknown): ServerError {
  return new ServerError(ServerErrorCode.UNREADABLE_TERM, `Cannot read the Erlang term: ${message}.`, cause === undefined ? undefined : { cause });
}

/** Reads one whole encoded term: the version byte, then a term (possibly compressed), and nothing after it. */
export function readTerm(bytes: Uint8Array, limits: ReadLimits): ErlangTerm {
  if (bytes.length > limits.maxBytes) throw unreadable(`${bytes.length} bytes is more than maxBytes (${limits.maxBytes})`);
  if (bytes.length < 2) throw unreadable("it is shorter than 2 bytes");
  if (bytes[0] !== Tag.VERSION) throw unreadable(`it starts with ${bytes[0]}, not the version byte 131`);
  if (bytes[1] === Tag.COMPRESSED) return new TermReader(inflate(bytes, limits), 0, limits).readAll();
  return new TermReader(bytes, 1, limits).readAll();
}

/** The body of a compressed term: 131, 80, the uncompressed size (4 bytes), zlib data. */
function inflate(bytes: Uint8Array, limits: ReadLimits): Uint8Array {
  if (bytes.length < 6) throw unreadable("a compressed term is cut short");
  const size = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(2);
  if (size > limits.maxBytes) throw unreadable(`a compressed term of ${size} bytes is more than maxBytes (${limits.maxBytes})`);
  let inflated: Buffer;
  try {
    inflated = inflateSync(bytes.subarray(6), { maxOutputLength: Math.max(size, 1) });
  } catch (err) {
    throw unreadable("a compressed term does not inflate to its stated size", err);
  }
  if (inflated.length !== size) throw unreadable(`a compressed term inflates to ${inflated.length} bytes, not the stated ${size}`);
  return inflated;
}

class TermReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #limits: ReadLimits;
  #pos: number;
  #terms = 0;

  constructor(bytes: Uint8Array, start: number, limits: ReadLimits) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#pos = start;
    this.#limits = limits;
  }

  readAll(): ErlangTerm {
    const term = this.#term(1);
    if (this.#pos !== this.#bytes.length) throw this.#fail(`${this.#bytes.length - this.#pos} bytes follow the term`);
    return term;
  }

  #term(depth: number): ErlangTerm {
    if (depth > this.#limits.maxDepth) throw this.#fail(`terms nest deeper than maxDepth (${this.#limits.maxDepth})`);
    if (++this.#terms > this.#limits.maxTerms) throw this.#fail(`more than maxTerms (${this.#limits.maxTerms}) terms`);
    const tag = this.#u8();
    switch (tag) {
      case Tag.SMALL_INTEGER:
        return this.#u8();
      case Tag.INTEGER:
        return this.#take(4, (at) => this.#view.getInt32(at));
      case Tag.SMALL_BIG:
        return this.#big(this.#u8());
      case Tag.LARGE_BIG:
        return this.#big(this.#u32());
      case Tag.NEW_FLOAT:
        return this.#finite(this.#take(8, (at) => this.#view.getFloat64(at)));
      case Tag.FLOAT:
        return this.#oldFloat();
      case Tag.ATOM:
        return this.#latin1Atom(this.#u16());
      case Tag.SMALL_ATOM:
        return this.#latin1Atom(this.#u8());
      case Tag.ATOM_UTF8:
        return this.#utf8Atom(this.#u16());
      case Tag.SMALL_ATOM_UTF8:
        return this.#utf8Atom(this.#u8());
      case Tag.BINARY:
        return this.#binary(this.#u32());
      case Tag.NIL:
        return [];
      case Tag.STRING:
        return Array.from(this.#slice(this.#u16()));
      case Tag.LIST:
        return this.#list(this.#u32(), depth);
      case Tag.SMALL_TUPLE:
        return new ErlangTuple(this.#elements(this.#u8(), depth));
      case Tag.LARGE_TUPLE:
        return new ErlangTuple(this.#elements(this.#u32(), depth));
      case Tag.MAP:
        return this.#map(this.#u32(), depth);
      case Tag.COMPRESSED:
        throw this.#fail("a compressed term may only be the whole term", 1);
      default: {
        const kind = UNSUPPORTED_TAGS.get(tag);
        throw this.#fail(kind === undefined ? `unknown tag ${tag}` : `${kind} (tag ${tag}) is not supported`, 1);
      }
    }
  }

  #big(n: number): number | bigint {
    const sign = this.#u8();
    if (sign > 1) throw this.#fail(`a big integer has sign byte ${sign}`, 1);
    const digits = this.#slice(n);
    let hex = "";
    for (let i = digits.length - 1; i >= 0; i--) hex += digits[i]!.toString(16).padStart(2, "0");
    const magnitude = hex === "" ? 0n : BigInt(`0x${hex}`);
    const value = sign === 1 ? -magnitude : magnitude;
    return magnitude <= MAX_SAFE ? Number(value) : value;
  }

  /** FLOAT_EXT: the float printed with `%.20e` in 31 bytes, padded with NULs (written before OTP R11). */
  #oldFloat(): number {
    const raw = this.#slice(31);
    const end = raw.indexOf(0);
    const text = Buffer.from(raw.subarray(0, end === -1 ? raw.length : end)).toString("latin1");
    if (!/^[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?$/.test(text)) throw this.#fail("an old-style float is not a number", 31);
    return this.#finite(Number(text));
  }

  #finite(value: number): number {
    if (!Number.isFinite(value)) throw this.#fail("a float is not finite", 8);
    return value;
  }

  #latin1Atom(length: number): boolean | null | ErlangAtom {
    if (length > MAX_ATOM_CHARS) throw this.#fail(`an atom of ${length} characters is longer than ${MAX_ATOM_CHARS}`);
    return atomValue(Buffer.from(this.#slice(length)).toString("latin1"));
  }

  #utf8Atom(length: number): boolean | null | ErlangAtom {
    const name = this.#text(this.#slice(length));
    if (name === undefined) throw this.#fail("an atom is not valid UTF-8", length);
    if (length > MAX_ATOM_CHARS && [...name].length > MAX_ATOM_CHARS) throw this.#fail(`an atom is longer than ${MAX_ATOM_CHARS} characters`, length);
    return atomValue(name);
  }

  #binary(length: number): string | Uint8Array {
    const bytes = this.#slice(length);
    return this.#text(bytes) ?? Uint8Array.from(bytes);
  }

  #list(length: number, depth: number): ErlangTerm[] {
    const elements = this.#elements(length, depth);
    if (this.#u8() !== Tag.NIL) throw this.#fail("an improper list (its tail is not []) is not supported", 1);
    return elements;
  }

  #elements(count: number, depth: number): ErlangTerm[] {
    this.#need(count, "elements");
    const elements: ErlangTerm[] = [];
    for (let i = 0; i < count; i++) elements.push(this.#term(depth + 1));
    return elements;
  }

  /** A map becomes a plain object when its keys are binaries or atoms with distinct names, else a `Map`. */
  #map(arity: number, depth: number): ErlangObject | Map<ErlangTerm, ErlangTerm> {
    this.#need(arity * 2, "keys and values");
    const keys: ErlangTerm[] = [];
    const values: ErlangTerm[] = [];
    const seen = new Set<unknown>();
    let named = true;
    const names = new Set<string>();
    for (let i = 0; i < arity; i++) {
      const start = this.#pos;
      const key = this.#term(depth + 1);
      const identity = identityOf(key);
      if (identity !== undefined) {
        if (seen.has(identity)) throw this.#fail("two keys of a map are the same value", this.#pos - start);
        seen.add(identity);
      }
      const name = typeof key === "string" ? key : key instanceof ErlangAtom ? key.name : undefined;
      if (name === undefined || names.has(name)) named = false;
      else names.add(name);
      keys.push(key);
      values.push(this.#term(depth + 1));
    }
    if (!named) return new Map(keys.map((key, i) => [key, values[i]!]));
    const object: Record<string, ErlangTerm> = {};
    keys.forEach((key, i) => {
      // defineProperty, so a key named __proto__ is an ordinary property and not the prototype.
      Object.defineProperty(object, typeof key === "string" ? key : (key as ErlangAtom).name, { value: values[i]!, enumerable: true, writable: true, configurable: true });
    });
    return object;
  }

  #text(bytes: Uint8Array): string | undefined {
    try {
      return utf8.decode(bytes);
    } catch {
      return undefined;
    }
  }

  #need(count: number, what: string): void {
    if (count > this.#bytes.length - this.#pos) throw this.#fail(`${count} ${what} announced, ${this.#bytes.length - this.#pos} bytes left`);
  }

  #slice(length: number): Uint8Array {
    this.#need(length, "bytes");
    const slice = this.#bytes.subarray(this.#pos, this.#pos + length);
    this.#pos += length;
    return slice;
  }

  #take<T>(length: number, read: (at: number) => T): T {
    this.#need(length, "bytes");
    const value = read(this.#pos);
    this.#pos += length;
    return value;
  }

  #u8(): number {
    return this.#take(1, (at) => this.#view.getUint8(at));
  }

  #u16(): number {
    return this.#take(2, (at) => this.#view.getUint16(at));
  }

  #u32(): number {
    return this.#take(4, (at) => this.#view.getUint32(at));
  }

  #fail(message: string, back = 0): ServerError {
    return unreadable(`${message} (at byte ${this.#pos - back})`);
  }
}

/** A key's identity for duplicate detection: scalars by kind and value; lists, tuples, maps are not checked. */
function identityOf(key: ErlangTerm): unknown {
  if (typeof key === "string") return `b:${key}`;
  if (key instanceof ErlangAtom) return `a:${key.name}`;
  if (typeof key === "number" || typeof key === "bigint") return `n:${String(key)}`;
  if (key === null || typeof key === "boolean") return `a:${String(key ?? "nil")}`;
  return undefined;
}
