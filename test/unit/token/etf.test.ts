/**
 * The Erlang External Term Format codec: bytes written equal Erlang's `term_to_binary` (vectors made by
 * `erl` at test time), bytes Erlang writes (compressed and Latin-1 atoms included) read back as documented,
 * Erlang reads what Fenix writes, every refusal is a coded error, and a fuzzer (fast-check) finds no input
 * that crashes or hangs the reader. FUZZ_RUNS and FUZZ_SEED choose the fuzzer's runs and seed.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ServerError, ServerErrorCode } from "../../../src/index.js";
import { decodeTerm, encodeTerm } from "../../../src/server/token/etf.js";
import { ErlangAtom, ErlangTuple, type ErlangTerm } from "../../../src/server/token/etf-term.js";
import { erlangBinary, requireErlang, runErlang } from "../../support/erlang.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : 20_260_317;

const atom = (name: string) => new ErlangAtom(name);
const tuple = (...elements: ErlangTerm[]) => new ErlangTuple(elements);
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex").toUpperCase();
const fromHex = (text: string) => new Uint8Array(Buffer.from(text, "hex"));
const proto = JSON.parse('{"__proto__": 1, "constructor": 2}') as Record<string, number>;

/** A JS value and the Erlang literal of the same term: written alike, read alike. */
const SAME: readonly (readonly [string, ErlangTerm, string])[] = [
  ["0", 0, "0"],
  ["255 (small integer)", 255, "255"],
  ["256 (integer)", 256, "256"],
  ["-1", -1, "-1"],
  ["2^31 - 1", 2 ** 31 - 1, "2147483647"],
  ["-2^31", -(2 ** 31), "-2147483648"],
  ["2^31 (small big)", 2 ** 31, "2147483648"],
  ["-2^31 - 1", -(2 ** 31) - 1, "-2147483649"],
  ["a millisecond timestamp", 1_700_000_000_123, "1700000000123"],
  ["2^53 - 1", Number.MAX_SAFE_INTEGER, "9007199254740991"],
  ["2^64 as bigint", 2n ** 64n, "18446744073709551616"],
  ["-2^70 as bigint", -(2n ** 70n), "-1180591620717411303424"],
  ["2^2100 (large big)", 2n ** 2100n, "1 bsl 2100"],
  ["1.5", 1.5, "1.5"],
  ["-0.1", -0.1, "-0.1"],
  ["1.5e-300", 1.5e-300, "1.5e-300"],
  ["123456.789", 123_456.789, "123456.789"],
  ["the smallest denormal", 5e-324, "5.0e-324"],
  ["an empty binary", "", '<<"">>'],
  ["a binary", "hello", '<<"hello">>'],
  ["a UTF-8 binary", "José 😀", "unicode:characters_to_binary([74,111,115,233,32,128512])"],
  ["a binary with a byte-order mark", "\uFEFFx", "<<239,187,191,120>>"],
  ["a binary that is not UTF-8", new Uint8Array([0xff, 0xfe, 0]), "<<255,254,0>>"],
  ["true", true, "true"],
  ["false", false, "false"],
  ["nil", null, "nil"],
  ["an atom", atom("ok"), "ok"],
  ["a UTF-8 atom", atom("é😀"), "binary_to_atom(unicode:characters_to_binary([233,128512]), utf8)"],
  ["an atom of 255 characters", atom("é".repeat(255)), "binary_to_atom(binary:copy(<<195,169>>, 255), utf8)"],
  ["undefined (an atom)", atom("undefined"), "undefined"],
  ["[]", [], "[]"],
  ["a list of bytes (charlist)", [1, 2, 255], "[1,2,255]"],
  ["a list", [1, 300, "a", [true]], '[1,300,<<"a">>,[true]]'],
  ["70000 bytes (too long for a charlist)", new Array<number>(70_000).fill(7), "lists:duplicate(70000, 7)"],
  ["{}", tuple(), "{}"],
  ["a tuple", tuple(atom("user"), 42), "{user,42}"],
  ["a tuple of 256 (large tuple)", new ErlangTuple(new Array<number>(256).fill(0)), "list_to_tuple(lists:duplicate(256, 0))"],
  ["an empty map", {}, "#{}"],
  ["a map, keys in byte order", { b: 1, a: "x", aa: [], "": null, é: 2 }, '#{<<"b">> => 1, <<"a">> => <<"x">>, <<"aa">> => [], <<"">> => nil, unicode:characters_to_binary([233]) => 2}'],
  ["keys named __proto__ and constructor", proto, '#{<<"__proto__">> => 1, <<"constructor">> => 2}'],
  ["a Map with other keys", new Map<ErlangTerm, ErlangTerm>([[1, "one"], [tuple(atom("a")), 2]]), '#{1 => <<"one">>, {a} => 2}'],
  ["a token envelope", tuple({ user_id: 42 }, 1_700_000_000_000, 86_400), '{#{<<"user_id">> => 42}, 1700000000000, 86400}'],
];

/** Erlang literals read into a JS value other than the one that writes them. */
const READ_ONLY: readonly (readonly [string, string, ErlangTerm])[] = [
  ["a map with atom keys (an Elixir struct-like map)", "#{user_id => 42, role => admin}", { user_id: 42, role: atom("admin") }],
  ["a map mixing atom and binary keys", '#{a => 1, <<"b">> => 2}', { a: 1, b: 2 }],
  ["an atom and a binary of the same name, as a Map", '#{a => 1, <<"a">> => 2}', new Map<ErlangTerm, ErlangTerm>([[atom("a"), 1], ["a", 2]])],
  ["a map with a nil key, as a Map", "#{nil => 1}", new Map([[null, 1]])],
  ["a whole float", "1.0", 1],
  ["a charlist", '"abc"', [97, 98, 99]],
  ["2^53 as a number", "9007199254740992", 9_007_199_254_740_992n],
];

/** Bytes written by Erlang in forms Fenix does not write: Latin-1 atoms (OTP 25's default) and compression. */
const ERLANG_FORMS: readonly (readonly [string, string, ErlangTerm])[] = [
  ["a Latin-1 atom (ATOM_EXT)", "term_to_binary(hello, [{minor_version, 1}])", atom("hello")],
  ["a Latin-1 atom above ASCII", "term_to_binary(list_to_atom([233]), [{minor_version, 1}])", atom("é")],
  ["true as ATOM_EXT", "term_to_binary({true, nil}, [{minor_version, 1}])", tuple(true, null)],
  ["a compressed term", 'term_to_binary(lists:duplicate(1000, <<"abc">>), [compressed])', new Array<string>(1000).fill("abc")],
  ["an old-style float (FLOAT_EXT)", "term_to_binary(1.25, [{minor_version, 0}])", 1.25],
];

const erlang = await requireErlang();
const vectors = erlang ? await erlangVectors() : undefined;

/** One `erl` run: the bytes of every literal above, hex-encoded, one per line. */
async function erlangVectors(): Promise<{ same: string[]; readOnly: string[]; forms: string[] }> {
  const lines = [
    ...SAME.map(([, , literal]) => `term_to_binary(${literal}, [{minor_version, 2}])`),
    ...READ_ONLY.map(([, literal]) => `term_to_binary(${literal}, [{minor_version, 2}])`),
    ...ERLANG_FORMS.map(([, expression]) => expression),
  ];
  const out = await runErlang(lines.map((expression) => `io:format("~s~n", [binary:encode_hex(${expression})])`).join(",\n"));
  const hexes = out.trim().split("\n");
  return { same: hexes.slice(0, SAME.length), readOnly: hexes.slice(SAME.length, SAME.length + READ_ONLY.length), forms: hexes.slice(SAME.length + READ_ONLY.length) };
}

describe.skipIf(!erlang)(`the codec against Erlang's term_to_binary${erlang ? "" : " (skipped: erl is not installed)"}`, () => {
  it.each(SAME.map(([label, value], i) => [label, value, i] as const))("writes %s as Erlang does, and reads it back", (_label, value, i) => {
    const erlangHex = vectors!.same[i]!;
    expect(hex(encodeTerm(value))).toBe(erlangHex);
    expect(decodeTerm(fromHex(erlangHex))).toEqual(value);
  });

  it.each(READ_ONLY.map(([label, , value], i) => [label, value, i] as const))("reads %s", (_label, value, i) => {
    expect(decodeTerm(fromHex(vectors!.readOnly[i]!))).toEqual(value);
  });

  it.each(ERLANG_FORMS.map(([label, , value], i) => [label, value, i] as const))("reads %s", (_label, value, i) => {
    expect(decodeTerm(fromHex(vectors!.forms[i]!))).toEqual(value);
  });

  it("has Erlang read back 300 random terms Fenix wrote as the same terms", async () => {
    const terms = fc.sample(term, { seed: SEED, numRuns: 300 });
    const reads = terms.map((t) => `io:format("~s~n", [binary:encode_hex(term_to_binary(binary_to_term(${erlangBinary(encodeTerm(t))}), [{minor_version, 2}]))])`);
    const out = (await runErlang(reads.join(",\n"))).trim().split("\n");
    expect(out).toHaveLength(terms.length);
    out.forEach((line, i) => expect(decodeTerm(fromHex(line))).toEqual(terms[i]));
  });
});

describe("writing", () => {
  it("leaves out object properties whose value is undefined, as JSON.stringify does", () => {
    expect(encodeTerm({ a: undefined, b: 1 })).toEqual(encodeTerm({ b: 1 }));
  });

  it("writes -0 and small bigints as the integers they equal", () => {
    expect(encodeTerm(-0)).toEqual(encodeTerm(0));
    expect(encodeTerm(5n)).toEqual(encodeTerm(5));
    expect(encodeTerm(-(2n ** 31n))).toEqual(encodeTerm(-(2 ** 31)));
  });

  it("writes whole numbers beyond 2^53 exactly, as integers, read back as bigint", () => {
    expect(decodeTerm(encodeTerm(2 ** 60))).toBe(2n ** 60n);
    expect(decodeTerm(encodeTerm(1e300))).toBe(BigInt(1e300));
  });

  it("writes a Buffer as a binary", () => {
    expect(decodeTerm(encodeTerm(Buffer.from([0xff])))).toEqual(new Uint8Array([0xff]));
  });

  const cycle: unknown[] = [];
  cycle.push(cycle);
  let deep: unknown = "core";
  for (let i = 0; i < 64; i++) deep = [deep];
  class Point {
    x = 1;
  }

  it.each([
    ["undefined", undefined],
    ["a function", () => 1],
    ["a symbol", Symbol("s")],
    ["a Date", new Date(0)],
    ["a class instance", new Point()],
    ["a Set", new Set([1])],
    ["an ArrayBuffer", new ArrayBuffer(2)],
    ["a Uint16Array", new Uint16Array(2)],
    ["NaN", NaN],
    ["Infinity", Infinity],
    ["a string with a lone surrogate", "a\ud800b"],
    ["an atom with a lone surrogate", atom("\udc00")],
    ["an atom of 256 characters", atom("a".repeat(256))],
    ["an array with a hole", [1, , 3]],
    ["undefined in a list", [undefined]],
    ["a cycle", cycle],
    ["nesting deeper than 64", deep],
  ])("refuses %s with UNENCODABLE_TERM", (_label, value) => {
    expect(() => encodeTerm(value)).toThrow(expect.objectContaining({ code: ServerErrorCode.UNENCODABLE_TERM }));
  });

  it("takes a deeper maxDepth when asked, and refuses a bad one", () => {
    expect(decodeTerm(encodeTerm(deep, { maxDepth: 65 }), { maxDepth: 65 })).toEqual(deep);
    expect(() => encodeTerm(1, { maxDepth: 0 })).toThrow(expect.objectContaining({ code: ServerErrorCode.BAD_OPTION }));
  });
});

describe("reading", () => {
  const b = (...bytes: number[]) => new Uint8Array(bytes);
  const nested = (depth: number) => b(131, ...new Array<number[]>(depth - 1).fill([108, 0, 0, 0, 1]).flat(), 106, ...new Array<number>(depth - 1).fill(106));

  it("reads nesting up to maxDepth", () => {
    expect(() => decodeTerm(nested(64))).not.toThrow();
    expect(() => decodeTerm(nested(3), { maxDepth: 3 })).not.toThrow();
  });

  it.each([
    ["no bytes", b()],
    ["the version byte alone", b(131)],
    ["another version", b(130, 97, 1)],
    ["bytes after the term", b(131, 97, 1, 0)],
    ["a cut integer", b(131, 98, 0, 0)],
    ["a list announcing 2^32 - 1 elements", b(131, 108, 255, 255, 255, 255, 97, 1, 106)],
    ["a binary announcing more bytes than follow", b(131, 109, 0, 0, 0, 9, 1, 2)],
    ["a map announcing more pairs than fit", b(131, 116, 0, 0, 1, 0, 97, 1)],
    ["an improper list [1 | 2]", b(131, 108, 0, 0, 0, 1, 97, 1, 97, 2)],
    ["a map with a duplicate key", b(131, 116, 0, 0, 0, 2, 97, 1, 97, 1, 97, 1, 97, 2)],
    ["a map with a duplicate binary key", b(131, 116, 0, 0, 0, 2, 109, 0, 0, 0, 0, 97, 1, 109, 0, 0, 0, 0, 97, 2)],
    ["an atom that is not UTF-8", b(131, 119, 1, 0xff)],
    ["a Latin-1 atom of 256 characters", b(131, 100, 1, 0, ...new Array<number>(256).fill(97))],
    ["a NaN float", b(131, 70, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0)],
    ["an infinite float", b(131, 70, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0)],
    ["an old-style float that is not a number", b(131, 99, ...new Array<number>(31).fill(120))],
    ["a big integer with sign byte 2", b(131, 110, 1, 2, 1)],
    ["a pid", b(131, 88, 119, 1, 97, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0)],
    ["a bitstring", b(131, 77, 0, 0, 0, 1, 3, 0xe0)],
    ["an unknown tag", b(131, 1)],
    ["a compressed term inside a term", b(131, 108, 0, 0, 0, 1, 80, 0, 0, 0, 1, 0, 106)],
    ["a compressed term stating more than maxBytes", b(131, 80, 0x7f, 0xff, 0xff, 0xff, 0x78, 0x9c)],
    ["a compressed term that is not zlib", b(131, 80, 0, 0, 0, 2, 1, 2, 3)],
    ["nesting deeper than maxDepth", nested(65)],
  ])("refuses %s with UNREADABLE_TERM", (_label, bytes) => {
    expect(() => decodeTerm(bytes)).toThrow(expect.objectContaining({ code: ServerErrorCode.UNREADABLE_TERM }));
  });

  it("refuses a compressed term that inflates to another size than it states", async () => {
    const { deflateSync } = await import("node:zlib");
    const body = deflateSync(Buffer.from([97, 1]));
    expect(() => decodeTerm(b(131, 80, 0, 0, 0, 3, ...body))).toThrow(expect.objectContaining({ code: ServerErrorCode.UNREADABLE_TERM }));
    expect(() => decodeTerm(b(131, 80, 0, 0, 0, 1, ...body))).toThrow(expect.objectContaining({ code: ServerErrorCode.UNREADABLE_TERM }));
    expect(decodeTerm(b(131, 80, 0, 0, 0, 2, ...body))).toBe(1);
  });

  it("holds to maxBytes and maxTerms", () => {
    const list = encodeTerm(new Array<string>(10).fill("x"));
    expect(() => decodeTerm(list, { maxTerms: 10 })).toThrow(expect.objectContaining({ code: ServerErrorCode.UNREADABLE_TERM }));
    expect(decodeTerm(list, { maxTerms: 11 })).toHaveLength(10);
    expect(() => decodeTerm(list, { maxBytes: list.length - 1 })).toThrow(expect.objectContaining({ code: ServerErrorCode.UNREADABLE_TERM }));
  });

  it("refuses input that is not a Uint8Array, and bad limits", () => {
    expect(() => decodeTerm("g2E=" as unknown as Uint8Array)).toThrow(expect.objectContaining({ code: ServerErrorCode.UNREADABLE_TERM }));
    expect(() => decodeTerm(b(131, 97, 1), { maxTerms: 1.5 })).toThrow(expect.objectContaining({ code: ServerErrorCode.BAD_OPTION }));
  });

  it("reads a key named __proto__ as an ordinary property", () => {
    const read = decodeTerm(encodeTerm(proto)) as Record<string, unknown>;
    expect(Object.getPrototypeOf(read)).toBe(Object.prototype);
    expect(Object.keys(read)).toEqual(["__proto__", "constructor"]);
  });
});

// ## Arbitraries: terms that read back as themselves.

const atomName = fc.string({ unit: "binary", maxLength: 12 }).filter((name) => !["true", "false", "nil"].includes(name));
const scalar: fc.Arbitrary<ErlangTerm> = fc.oneof(
  fc.maxSafeInteger(),
  fc.integer({ min: -300, max: 300 }),
  fc.bigInt({ min: -(2n ** 600n), max: 2n ** 600n }).filter((n) => n > BigInt(Number.MAX_SAFE_INTEGER) || n < -BigInt(Number.MAX_SAFE_INTEGER)),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Number.isInteger(x)),
  fc.string({ unit: "binary", maxLength: 16 }),
  fc.uint8Array({ maxLength: 8 }).map((bytes) => new Uint8Array([0xff, ...bytes])),
  fc.constantFrom(true, false, null),
  atomName.map(atom),
);
const { term } = fc.letrec<{ term: ErlangTerm }>((tie) => ({
  term: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(tie("term"), { maxLength: 5 }),
    fc.array(tie("term"), { maxLength: 4 }).map((elements) => new ErlangTuple(elements)),
    fc.dictionary(fc.string({ unit: "binary", maxLength: 6 }), tie("term"), { maxKeys: 4, noNullPrototype: true }),
    fc.uniqueArray(fc.integer(), { minLength: 1, maxLength: 3 }).chain((keys) => fc.tuple(...keys.map(() => tie("term"))).map((values) => new Map<ErlangTerm, ErlangTerm>(keys.map((k, i) => [k, values[i]!])))),
  ),
}));

/** Damage done to valid bytes. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 6 }) }),
  fc.record({ kind: fc.constant("drop" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 4 }) }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let out = Array.from(bytes);
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % out.length;
    if (m.kind === "set") out[at] = m.byte;
    else if (m.kind === "flip") out[at] = out[at]! ^ (1 << m.bit);
    else if (m.kind === "cut") out = out.slice(0, at);
    else if (m.kind === "insert") out.splice(at, 0, ...m.bytes);
    else out.splice(at, m.count);
  }
  return new Uint8Array(out);
}

/** Reads `bytes`: it must return a value or throw UNREADABLE_TERM, nothing else. */
function readsOrRefuses(bytes: Uint8Array): void {
  try {
    decodeTerm(bytes);
  } catch (err) {
    if (!(err instanceof ServerError) || err.code !== ServerErrorCode.UNREADABLE_TERM) throw err;
  }
}

describe("properties", () => {
  it("reads back every term it writes, as the same value and the same bytes", () => {
    fc.assert(
      fc.property(term, (t) => {
        const bytes = encodeTerm(t);
        const read = decodeTerm(bytes);
        expect(read).toEqual(t);
        expect(encodeTerm(read)).toEqual(bytes);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it("returns or throws UNREADABLE_TERM for random bytes", () => {
    const input = fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }).map((bytes) => new Uint8Array([131, ...bytes])));
    fc.assert(fc.property(input, readsOrRefuses), { numRuns: RUNS * 5, seed: SEED });
  });

  it("returns or throws UNREADABLE_TERM for damaged encodings, compressed ones too", async () => {
    const { deflateSync } = await import("node:zlib");
    const compressed = (bytes: Uint8Array): Uint8Array => {
      const size = Buffer.alloc(4);
      size.writeUInt32BE(bytes.length - 1);
      return new Uint8Array([131, 80, ...size, ...deflateSync(bytes.subarray(1))]);
    };
    const valid = fc.tuple(term, fc.boolean()).map(([t, squeeze]) => (squeeze ? compressed(encodeTerm(t)) : encodeTerm(t)));
    fc.assert(
      fc.property(valid, fc.array(mutation, { minLength: 1, maxLength: 4 }), (bytes, mutations) => readsOrRefuses(mutate(bytes, mutations))),
      { numRuns: RUNS * 3, seed: SEED },
    );
  });
});
