/**
 * The JavaScript side of Erlang terms: which JS value stands for which term, the two classes for terms
 * JS has no value for (atoms, tuples), and the tags of the External Term Format that the codec reads and
 * writes. Shared by the writer (etf.ts) and the reader (etf-reader.ts).
 */

/**
 * An Erlang atom other than `true`, `false` and `nil` (which are `true`, `false` and `null`).
 *
 * @remarks
 * Atoms are not interned: two atoms of the same name are equal by `name`, not by `===`. `toJSON` and
 * `toString` give the name, so `JSON.stringify` writes atoms as strings.
 *
 * @example
 * ```ts
 * const role = new ErlangAtom("admin");
 * role.name; // "admin"
 * ```
 */
export class ErlangAtom {
  /** The atom's text (at most 255 characters to be encodable). */
  readonly name: string;

  constructor(name: string) {
    this.name = String(name);
    Object.freeze(this);
  }

  toString(): string {
    return this.name;
  }

  toJSON(): string {
    return this.name;
  }
}

/**
 * An Erlang tuple, such as `{:user, 42}` (Elixir) or `{user, 42}` (Erlang). JS arrays are Erlang lists.
 *
 * @example
 * ```ts
 * const user = new ErlangTuple([new ErlangAtom("user"), 42]);
 * user.elements[1]; // 42
 * ```
 */
export class ErlangTuple {
  /** The elements, in order (frozen). */
  readonly elements: readonly ErlangTerm[];

  constructor(elements: readonly ErlangTerm[]) {
    this.elements = Object.freeze([...elements]);
    Object.freeze(this);
  }
}

/** An Erlang map whose keys are all binaries or atoms with distinct names, as a plain object. */
export interface ErlangObject {
  readonly [key: string]: ErlangTerm;
}

/** An Erlang map with other keys (integers, tuples…, or an atom and a binary of the same name). */
export type ErlangMap = ReadonlyMap<ErlangTerm, ErlangTerm>;

/**
 * A term as the codec reads it (and the values it writes).
 *
 * | Erlang | JavaScript |
 * | --- | --- |
 * | integer | `number`, or `bigint` beyond ±2^53 |
 * | float | `number` (whole numbers are written as integers) |
 * | binary | `string` when it is valid UTF-8, else `Uint8Array` |
 * | atom `true`, `false`, `nil` | `true`, `false`, `null` |
 * | other atom | {@link ErlangAtom} |
 * | list (charlists too) | array |
 * | tuple | {@link ErlangTuple} |
 * | map with binary or atom keys | plain object ({@link ErlangObject}) |
 * | other map | `Map` ({@link ErlangMap}) |
 */
export type ErlangTerm =
  | number
  | bigint
  | string
  | boolean
  | null
  | Uint8Array
  | ErlangAtom
  | ErlangTuple
  | readonly ErlangTerm[]
  | ErlangObject
  | ErlangMap;

/** The tags of the External Term Format (version 131) that the codec deals with. */
export const Tag = {
  VERSION: 131,
  COMPRESSED: 80,
  NEW_FLOAT: 70,
  SMALL_INTEGER: 97,
  INTEGER: 98,
  FLOAT: 99,
  ATOM: 100,
  SMALL_TUPLE: 104,
  LARGE_TUPLE: 105,
  NIL: 106,
  STRING: 107,
  LIST: 108,
  BINARY: 109,
  SMALL_BIG: 110,
  LARGE_BIG: 111,
  SMALL_ATOM: 115,
  MAP: 116,
  ATOM_UTF8: 118,
  SMALL_ATOM_UTF8: 119,
} as const;

/** Tags of terms the codec does not carry, named for error messages. */
export const UNSUPPORTED_TAGS: ReadonlyMap<number, string> = new Map([
  [68, "a distribution header"],
  [77, "a bitstring (BIT_BINARY_EXT)"],
  [82, "an atom cache reference"],
  [88, "a pid"],
  [89, "a port"],
  [90, "a reference"],
  [101, "a reference"],
  [102, "a port"],
  [103, "a pid"],
  [112, "a fun"],
  [113, "an external fun"],
  [114, "a reference"],
  [117, "a fun"],
  [120, "a port"],
  [121, "a node-local term (LOCAL_EXT)"],
]);

/** The longest atom Erlang accepts, in characters. */
export const MAX_ATOM_CHARS = 255;

/** Turns an atom's text into its JS value: `true`, `false`, `null` for `nil`, else an {@link ErlangAtom}. */
export function atomValue(name: string): boolean | null | ErlangAtom {
  if (name === "true") return true;
  if (name === "false") return false;
  if (name === "nil") return null;
  return new ErlangAtom(name);
}
