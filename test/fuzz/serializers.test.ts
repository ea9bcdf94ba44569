/**
 * A fuzzer for the protocol serializers (src/protocol): V1 JSON, V2 JSON and the V2 binary format.
 *
 * - `decode` of every serializer, on arbitrary strings and bytes (as text or binary frames), on arbitrary JSON
 *   values, on frames of almost the right shape (five-element arrays, four-key objects with values of any
 *   type) and on valid client frames mutated byte by byte (bit flips, byte sets, truncation, insertion,
 *   duplication, splices), either returns a well-formed Message or throws a `ProtocolError` whose close code
 *   matches its code (1003, 1007 or 1008) — never anything else — and returns within a time bound.
 * - `decodeServerFrame` (the client's decoder of server binary frames) obeys the same rule on any bytes.
 * - Round trips: a generated client→server frame (V1 object, V2 array, V2 binary push via
 *   `encodeClientPush`) decodes to the message it was built from; what the server encodes (`encodePush`,
 *   `encodeReply`, `encodeBroadcast`, text and binary) decodes back (text frames with the same serializer's
 *   `decode`, binary frames with `decodeServerFrame`); binary meta over 255 UTF-8 bytes is refused with
 *   `FENIX_ERR_PROTOCOL_META_TOO_LONG`, never written truncated.
 *
 * `npm test` runs a few hundred runs per property from a fixed seed; `npm run fuzz` runs FUZZ_RUNS per property
 * from a random seed. Set FUZZ_RUNS, FUZZ_SEED (and FUZZ_PATH) to reproduce a failure.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  decodeServerFrame,
  isAnyPayload,
  encodeClientPush,
  ProtocolError,
  ProtocolErrorCode,
  V1JsonSerializer,
  V2JsonSerializer,
  type JsonObject,
  type Message,
  type Serializer,
} from "../../src/protocol/index.js";
import { FUZZ_PATH, fuzzRuns, fuzzSeed, testTimeoutMs, timeLimitMs } from "./fuzz-config.js";

const RUNS = fuzzRuns(1_000);
const SEED = fuzzSeed(20_261_204);
/** Longest one decode may take: generous for a 2-core CI machine; inputs stay below ~1 MB. */
const DECODE_MS = 1_000;
const SERIALIZERS: readonly Serializer[] = [V1JsonSerializer, V2JsonSerializer];
const CLOSE_CODES: Record<string, number> = {
  [ProtocolErrorCode.MALFORMED_JSON]: 1007,
  [ProtocolErrorCode.MALFORMED_BINARY]: 1007,
  [ProtocolErrorCode.BAD_SHAPE]: 1008,
  [ProtocolErrorCode.BAD_FIELD]: 1008,
  [ProtocolErrorCode.UNROUTABLE]: 1008,
  [ProtocolErrorCode.PAYLOAD_NOT_BINARY]: 1008,
  [ProtocolErrorCode.BINARY_UNSUPPORTED]: 1003,
  [ProtocolErrorCode.META_TOO_LONG]: 1008,
};

const params = (runs = RUNS) => ({ numRuns: runs, seed: SEED, path: FUZZ_PATH, interruptAfterTimeLimit: timeLimitMs(4_000) });

/** Checks one decode: a well-formed message, or a coded ProtocolError; and in time. */
function checkDecode(decode: () => unknown, what: string, isMessage = true): "ok" | string {
  const started = performance.now();
  let outcome: "ok" | string;
  try {
    const result = decode();
    if (!isMessage) return "ok";
    const message = result as Message;
    const isRef = (r: unknown) => r === null || typeof r === "string" || (typeof r === "number" && Number.isFinite(r));
    expect(isRef(message.joinRef), `${what}: joinRef`).toBe(true);
    expect(isRef(message.ref), `${what}: ref`).toBe(true);
    expect(typeof message.topic === "string", `${what}: topic`).toBe(true);
    expect(typeof message.event === "string", `${what}: event`).toBe(true);
    // Any JSON value or bytes, never undefined.
    expect(isAnyPayload(message.payload), `${what}: payload`).toBe(true);
    outcome = "ok";
  } catch (error) {
    if (!(error instanceof ProtocolError)) {
      throw new Error(`${what}: threw something other than a ProtocolError: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
    expect(error.closeCode, `${what}: close code of ${error.code}`).toBe(CLOSE_CODES[error.code]);
    outcome = error.code;
  }
  const took = performance.now() - started;
  if (took > DECODE_MS) throw new Error(`${what}: took ${Math.round(took)} ms`);
  return outcome;
}

/** Decodes `data` with every serializer, as a text and as a binary frame, as a string and as bytes. */
function decodeEverywhere(data: string | Uint8Array, counts: Record<string, number>): void {
  const forms: Array<string | Uint8Array> = typeof data === "string" ? [data, Buffer.from(data, "utf8")] : [data, Buffer.from(data).toString("latin1")];
  for (const serializer of SERIALIZERS) {
    for (const form of forms) {
      for (const binary of [false, true]) {
        const outcome = checkDecode(() => serializer.decode(form, binary), `${serializer.vsn} decode(${typeof form}, binary=${binary})`);
        counts[outcome] = (counts[outcome] ?? 0) + 1;
      }
    }
  }
  if (typeof data !== "string") checkDecode(() => decodeServerFrame(data), "decodeServerFrame", false);
}

// ## Arbitraries

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
/** Any string: mostly short, sometimes full Unicode, lone surrogates, control characters. */
const anyText = (maxLength: number): fc.Arbitrary<string> =>
  fc.oneof(
    { arbitrary: fc.string({ maxLength }), weight: 3 },
    { arbitrary: fc.string({ unit: "binary", maxLength }), weight: 2 },
    { arbitrary: fc.string({ unit: fc.oneof(fc.string({ unit: "binary", minLength: 1, maxLength: 1 }), loneSurrogate, fc.constantFrom("\u0000", "\n", "\r", "\ufeff", '"', "\\")), maxLength }), weight: 1 },
  );
/** A string valid as a binary meta field when short (no lone surrogates: TextEncoder would replace them). */
const wellFormed = (maxLength: number): fc.Arbitrary<string> => fc.oneof({ arbitrary: fc.string({ maxLength }), weight: 3 }, { arbitrary: fc.string({ unit: "binary", maxLength }), weight: 1 });
const nonEmpty = (arb: fc.Arbitrary<string>): fc.Arbitrary<string> => arb.map((s) => (s === "" ? "x" : s));
const ref = fc.option(fc.oneof(fc.constantFrom("1", "22", "", "0"), anyText(12)), { nil: null });
const topic = nonEmpty(fc.oneof(fc.constantFrom("phoenix", "room:42", "echo:a", "t:é"), anyText(24)));
const event = nonEmpty(fc.oneof(fc.constantFrom("phx_join", "phx_leave", "heartbeat", "new_msg", "phx_reply"), anyText(16)));
const jsonPayload: fc.Arbitrary<JsonObject> = fc.dictionary(anyText(8), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }) as fc.Arbitrary<JsonObject>;
const bytesPayload = fc.uint8Array({ maxLength: 64 });
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(null, true, 0, -1, 1.5, "", "x", [], {}, [null], { a: 1 }),
  anyText(8),
);

/** Big or pathological frames, each once in a while. */
const monster: fc.Arbitrary<string> = fc.constantFrom(
  "[".repeat(100_000) + "]".repeat(100_000),
  "[null,null,\"t\",\"e\"," + "{\"a\":".repeat(50_000) + "{}" + "}".repeat(50_000) + "]",
  "{\"topic\":\"t\",\"event\":\"e\",\"ref\":null,\"payload\":" + "[".repeat(50_000) + "]".repeat(50_000) + "}",
  "[null,null," + JSON.stringify("x".repeat(500_000)) + ",\"e\",{}]",
  JSON.stringify([null, null, "t", "e", { big: "y".repeat(500_000) }]),
  "[" + "1,".repeat(100_000) + "1]",
  "\"" + "\\u0000".repeat(50_000) + "\"",
  "",
  " ",
  "\ufeff[null,null,\"t\",\"e\",{}]",
  "[null,null,\"t\",\"e\",{}]\u0000",
  '{"__proto__":{"topic":"t"},"topic":"t","event":"e","payload":{},"ref":null}',
  '{"topic":"t","event":"e","payload":{"__proto__":null},"ref":null,"join_ref":{}}',
  '[{"toString":1},null,"t","e",{}]',
);

/** A valid client→server frame, with the message it encodes. */
type ClientFrame = { readonly vsn: "1.0.0" | "2.0.0"; readonly binary: boolean; readonly data: string | Uint8Array; readonly message: Message };

const v1Frame: fc.Arbitrary<ClientFrame> = fc.record({ joinRef: ref, ref, topic, event, payload: jsonPayload, withJoinRef: fc.boolean() }).map(({ withJoinRef, ...m }) => {
  const object: Record<string, unknown> = { topic: m.topic, event: m.event, payload: m.payload, ref: m.ref };
  if (withJoinRef) object.join_ref = m.joinRef;
  return { vsn: "1.0.0", binary: false, data: JSON.stringify(object), message: { ...m, joinRef: withJoinRef ? m.joinRef : null } };
});
const v2TextFrame: fc.Arbitrary<ClientFrame> = fc.record({ joinRef: ref, ref, topic, event, payload: jsonPayload, extra: fc.array(anyValue, { maxLength: 2 }) }).map(({ extra, ...m }) => ({
  vsn: "2.0.0",
  binary: false,
  data: JSON.stringify([m.joinRef, m.ref, m.topic, m.event, m.payload, ...extra]),
  message: m,
}));
const v2BinaryFrame: fc.Arbitrary<ClientFrame> = fc
  .record({
    joinRef: fc.option(wellFormed(12), { nil: null }),
    ref: fc.option(wellFormed(12), { nil: null }),
    topic: nonEmpty(wellFormed(40)),
    event: nonEmpty(wellFormed(20)),
    payload: bytesPayload,
  })
  .map((m) => ({ vsn: "2.0.0", binary: true, data: encodeClientPush(m), message: { ...m, joinRef: m.joinRef || null, ref: m.ref || null } }));
const clientFrame = fc.oneof(v1Frame, v2TextFrame, v2BinaryFrame);

type Mutation =
  | { readonly kind: "flip"; readonly at: number; readonly bit: number }
  | { readonly kind: "set"; readonly at: number; readonly value: number }
  | { readonly kind: "truncate"; readonly at: number }
  | { readonly kind: "insert"; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: "duplicate"; readonly at: number; readonly length: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.oneof(fc.constantFrom(0x00, 0x22, 0x5b, 0x5d, 0x7b, 0x7d, 0x80, 0xc0, 0xed, 0xff), fc.integer({ min: 0, max: 255 })) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.constantFrom(...['"', ",", "null", "[", "]", "{}", "\\", "\\u", "\\ud800"].map((s) => new TextEncoder().encode(s)))) }),
  fc.record({ kind: fc.constant("duplicate" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 32 }) }),
);

function mutate(input: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let b = Buffer.from(input);
  for (const m of mutations) {
    const at = b.length === 0 ? 0 : m.at % (b.length + 1);
    switch (m.kind) {
      case "flip":
        if (at < b.length) b[at] = b[at]! ^ (1 << m.bit);
        break;
      case "set":
        if (at < b.length) b[at] = m.value;
        break;
      case "truncate":
        b = b.subarray(0, at);
        break;
      case "insert":
        b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
        break;
      case "duplicate":
        b = Buffer.concat([b.subarray(0, at + m.length), b.subarray(at)]);
        break;
    }
  }
  return b;
}

/** What JSON makes of a value (-0 becomes 0, and so on). */
const viaJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

// ## Properties

describe("serializer fuzzing", () => {
  const timeout = testTimeoutMs(30_000);

  it(`decodes arbitrary strings and bytes without throwing anything but a ProtocolError (${RUNS} runs, seed ${SEED})`, () => {
    const counts: Record<string, number> = {};
    const input = fc.oneof(
      { arbitrary: anyText(200), weight: 4 },
      { arbitrary: fc.uint8Array({ maxLength: 200 }), weight: 4 },
      // Binary frames whose kind byte is 0, 1 or 2, so that they get past the first check.
      { arbitrary: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.uint8Array({ maxLength: 80 })).map(([k, rest]) => Uint8Array.of(k, ...rest)), weight: 4 },
      { arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)), weight: 3 },
      { arbitrary: monster, weight: 1 },
    );
    fc.assert(fc.property(input, (data) => decodeEverywhere(data, counts)), params());
    console.log(`fuzz serializers/arbitrary: seed ${SEED}, outcomes ${JSON.stringify(counts)}`);
  }, timeout);

  it(`decodes frames of almost the right shape without throwing anything but a ProtocolError (${RUNS} runs, seed ${SEED})`, () => {
    const counts: Record<string, number> = {};
    const v2 = fc.array(anyValue, { minLength: 0, maxLength: 7 }).map((a) => JSON.stringify(a));
    const v2Fields = fc.tuple(fc.oneof(ref, anyValue), fc.oneof(ref, anyValue), fc.oneof(topic, anyValue), fc.oneof(event, anyValue), fc.oneof(jsonPayload, anyValue)).map((a) => JSON.stringify(a));
    const v1 = fc
      .record({ topic: fc.oneof(topic, anyValue), event: fc.oneof(event, anyValue), payload: fc.oneof(jsonPayload, anyValue), ref: fc.oneof(ref, anyValue), join_ref: fc.oneof(ref, anyValue) }, { requiredKeys: [] })
      .map((o) => JSON.stringify(o));
    fc.assert(fc.property(fc.oneof(v2, v2Fields, v1), (data) => decodeEverywhere(data, counts)), params());
    console.log(`fuzz serializers/shapes: seed ${SEED}, outcomes ${JSON.stringify(counts)}`);
  }, timeout);

  it(`decodes mutated valid frames without throwing anything but a ProtocolError (${RUNS} runs, seed ${SEED})`, () => {
    const counts: Record<string, number> = {};
    const property = fc.property(clientFrame, fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.array(clientFrame, { maxLength: 1 }), (frame, mutations, [other]) => {
      const bytes = typeof frame.data === "string" ? Buffer.from(frame.data, "utf8") : frame.data;
      // Sometimes two frames glued together, then mutated.
      const glued = other === undefined ? bytes : Buffer.concat([bytes, typeof other.data === "string" ? Buffer.from(other.data, "utf8") : other.data]);
      const mutated = mutate(glued, mutations);
      decodeEverywhere(mutated, counts);
      decodeEverywhere(Buffer.from(mutated).toString("utf8"), counts);
    });
    fc.assert(property, params());
    console.log(`fuzz serializers/mutated: seed ${SEED}, outcomes ${JSON.stringify(counts)}`);
  }, timeout);

  it(`round-trips generated client→server frames through decode (${RUNS} runs, seed ${SEED})`, () => {
    fc.assert(
      fc.property(clientFrame, (frame) => {
        const serializer = frame.vsn === "1.0.0" ? V1JsonSerializer : V2JsonSerializer;
        const forms = typeof frame.data === "string" ? [frame.data, Buffer.from(frame.data, "utf8")] : [frame.data];
        for (const form of forms) {
          const decoded = serializer.decode(form, frame.binary);
          if (frame.binary) {
            expect({ ...decoded, payload: Array.from(decoded.payload as Uint8Array) }).toEqual({ ...frame.message, payload: Array.from(frame.message.payload as Uint8Array) });
          } else {
            expect(decoded).toEqual(viaJson(frame.message));
          }
        }
      }),
      params(),
    );
  }, timeout);

  it(`round-trips what the server encodes (${RUNS} runs, seed ${SEED})`, () => {
    const longMeta = fc.oneof({ arbitrary: wellFormed(40), weight: 8 }, { arbitrary: fc.constantFrom("é".repeat(127), "é".repeat(128), "x".repeat(255), "x".repeat(256), "😀".repeat(64)), weight: 1 });
    const message = fc.record({
      joinRef: fc.option(wellFormed(12), { nil: null }),
      ref: fc.option(wellFormed(12), { nil: null }),
      topic: nonEmpty(longMeta),
      event: nonEmpty(longMeta),
      status: fc.oneof(fc.constantFrom("ok", "error"), longMeta),
      payload: fc.oneof(jsonPayload, bytesPayload),
    });
    const utf8Length = (s: string) => Buffer.byteLength(s, "utf8");
    fc.assert(
      fc.property(message, fc.constantFrom(...SERIALIZERS), (m, serializer) => {
        const { status, ...push } = m;
        const reply = { joinRef: m.joinRef, ref: m.ref, topic: m.topic, status, response: m.payload };
        const broadcast = { topic: m.topic, event: m.event, payload: m.payload };
        const binary = m.payload instanceof Uint8Array;
        const encodings: Array<[string, () => string | Uint8Array, readonly string[]]> = [
          ["push", () => serializer.encodePush(push), [m.joinRef ?? "", m.topic, m.event]],
          ["reply", () => serializer.encodeReply(reply), [m.joinRef ?? "", m.ref ?? "", m.topic, status]],
          ["broadcast", () => serializer.encodeBroadcast(broadcast), [m.topic, m.event]],
        ];
        for (const [kind, encode, meta] of encodings) {
          let frame: string | Uint8Array;
          try {
            frame = encode();
          } catch (error) {
            if (!(error instanceof ProtocolError)) throw error;
            if (binary && serializer === V1JsonSerializer) {
              expect(error.code).toBe(ProtocolErrorCode.BINARY_UNSUPPORTED);
            } else {
              expect(binary, `${kind}: only binary frames have a meta limit (${error.message})`).toBe(true);
              expect(error.code).toBe(ProtocolErrorCode.META_TOO_LONG);
              expect(meta.some((s) => utf8Length(s) > 255)).toBe(true);
            }
            continue;
          }
          if (typeof frame !== "string") {
            expect(binary && serializer === V2JsonSerializer).toBe(true);
            expect(meta.every((s) => utf8Length(s) <= 255), `${kind}: a meta field over 255 bytes was encoded`).toBe(true);
            const decoded = decodeServerFrame(frame);
            expect(decoded.kind).toBe(kind);
            expect(Array.from(decoded.payload)).toEqual(Array.from(m.payload as Uint8Array));
            expect(decoded.topic).toBe(m.topic);
            if (decoded.kind === "push") expect([decoded.joinRef, decoded.event]).toEqual([m.joinRef || null, m.event]);
            if (decoded.kind === "reply") expect([decoded.joinRef, decoded.ref, decoded.status]).toEqual([m.joinRef || null, m.ref || null, status]);
            if (decoded.kind === "broadcast") expect(decoded.event).toBe(m.event);
            continue;
          }
          expect(binary).toBe(false);
          // A server text frame has the client frame's shape: the same serializer decodes it.
          const decoded = serializer.decode(frame, false);
          const v1 = serializer === V1JsonSerializer;
          const expected =
            kind === "push"
              ? { joinRef: v1 ? null : m.joinRef, ref: m.ref, topic: m.topic, event: m.event, payload: m.payload }
              : kind === "reply"
                ? { joinRef: v1 ? null : m.joinRef, ref: m.ref, topic: m.topic, event: "phx_reply", payload: { status, response: m.payload } }
                : { joinRef: null, ref: null, topic: m.topic, event: m.event, payload: m.payload };
          expect(decoded).toEqual(viaJson(expected));
        }
      }),
      params(),
    );
  }, timeout);
});
