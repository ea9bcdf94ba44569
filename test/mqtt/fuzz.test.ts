/**
 * A fuzzer for the MQTT listener. fast-check generates valid client packets (every client packet type and a
 * few server-only ones, MQTT 3.1.1 and 5.0, random properties, some of them repeated), encodes them with
 * mqtt-packet's `generate`, mutates the bytes (bit flips, byte sets, truncation, insertion, duplication, two
 * packets spliced into one) and sends them, in random chunks, over 1 to 3 raw TCP connections at once to one
 * broker. Each run must leave:
 *
 * - every fuzzed connection either closed by the server or still serving: after the fuzzed bytes (and the
 *   bytes that complete a packet left half-sent) it answers a PINGREQ, or closes, within 2 s — no hang;
 * - no crashed process in the endpoint's runtime (bad input is refused with a coded error, never by a
 *   handler throwing), and no uncaught exception or unhandled rejection in Node;
 * - the bystander (an MQTT 5.0 and an MQTT 3.1.1 MQTT.js client) still publishing to each other and
 *   receiving every message, while the fuzzed connections are still open.
 *
 * `npm test` runs 200 runs from a fixed seed. `npm run fuzz` runs 20,000 from a random seed; set FUZZ_RUNS
 * and FUZZ_SEED to choose (a failure prints its seed and path; rerun with FUZZ_SEED and FUZZ_PATH).
 */
import { connect as netConnect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import mqttPacket, { type Packet } from "mqtt-packet";
import { Bystander, startGuardedBroker, type GuardedBroker } from "../support/mqtt-bystander.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
const LONG = process.env.FUZZ_RUNS !== undefined;
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : LONG ? Date.now() % 2 ** 31 : 20_240_611;
const PATH = process.env.FUZZ_PATH;
/** Keeps `npm test` bounded: a run that takes longer stops early (a failure found so far is still reported). */
const TIME_LIMIT_MS = LONG ? 24 * 3600_000 : 15_000;
const MAX_PACKET_BYTES = 16 * 1024;
const ANSWER_TIMEOUT_MS = 2_000;

// ## Arbitraries

type Version = 4 | 5;
type Fields = Record<string, unknown>;

/** Once, or (rarely) twice: mqtt-packet writes an array property once per element (a repeated property). */
const maybeTwice = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | [T, T]> => fc.oneof({ arbitrary: arb, weight: 6 }, { arbitrary: fc.tuple(arb, arb), weight: 1 });

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const text = (maxLength: number): fc.Arbitrary<string> =>
  fc.oneof({ arbitrary: fc.string({ maxLength }), weight: 4 }, { arbitrary: fc.string({ unit: fc.oneof(fc.string({ unit: "binary", minLength: 1, maxLength: 1 }), loneSurrogate), maxLength }), weight: 1 });

const names = ["a", "a/b", "fuzz/x", "fuzz/y/z", "$SYS/x", "/", "//", "é/ü"];
const wildcards = ["+", "#", "a/+", "a/#", "+/#", "$share/g/a", "$share/g/#"];
const weird = fc.oneof(fc.constantFrom("", "a/#/b", "a+", "$share//a", "$share/g", "a\u0000b"), text(12));
/** A topic name: mostly valid, sometimes a filter or something invalid. */
const topic = fc.oneof({ arbitrary: fc.constantFrom(...names), weight: 10 }, { arbitrary: fc.constantFrom(...wildcards), weight: 1 }, { arbitrary: weird, weight: 1 });
/** A topic filter: mostly valid, sometimes invalid. */
const filter = fc.oneof({ arbitrary: fc.constantFrom(...names, ...wildcards), weight: 10 }, { arbitrary: weird, weight: 1 });
const bytes = (maxLength: number): fc.Arbitrary<Buffer> => fc.uint8Array({ maxLength }).map((b) => Buffer.from(b));
const payload = fc.oneof(bytes(64), fc.string({ maxLength: 32 }));
const qos = fc.constantFrom(0, 1, 2);
const edge = (max: number): fc.Arbitrary<number> => fc.oneof(fc.constantFrom(0, 1, max), fc.integer({ min: 0, max }));
const u16 = edge(0xffff);
const u32 = edge(0xffffffff);
const varInt = edge(268_435_455);
const packetId = fc.oneof({ arbitrary: fc.integer({ min: 1, max: 0xffff }), weight: 8 }, { arbitrary: fc.constantFrom(0, 1, 0xffff), weight: 1 });
const userProperties = fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.string({ maxLength: 6 }), fc.array(fc.string({ maxLength: 4 }), { minLength: 1, maxLength: 3 })), { maxKeys: 3 });
const props = <T extends Record<string, fc.Arbitrary<unknown>>>(model: T) => fc.option(fc.record(model, { requiredKeys: [] }), { nil: undefined });
const reasonString = text(16);

const willProperties = props({
  willDelayInterval: maybeTwice(u32),
  payloadFormatIndicator: fc.boolean(),
  messageExpiryInterval: maybeTwice(u32),
  contentType: maybeTwice(text(8)),
  responseTopic: topic,
  correlationData: bytes(8),
  userProperties,
});

function connectPacket(version: Version): fc.Arbitrary<Fields> {
  return fc
    .record(
      {
        cmd: fc.constant("connect"),
        protocolId: fc.oneof({ arbitrary: fc.constant("MQTT"), weight: 20 }, { arbitrary: fc.constant("MQIsdp"), weight: 1 }),
        protocolVersion: fc.oneof({ arbitrary: fc.constant(version), weight: 20 }, { arbitrary: fc.constantFrom(3, 4, 5), weight: 1 }),
        clientId: fc.oneof({ arbitrary: fc.constantFrom("", "fuzz-a", "fuzz-b", "fuzz-c"), weight: 8 }, { arbitrary: text(24), weight: 1 }),
        clean: fc.boolean(),
        keepalive: fc.constantFrom(0, 1, 60, 0xffff),
        username: fc.option(text(8), { nil: undefined }),
        password: fc.option(bytes(8), { nil: undefined }),
        will: fc.option(fc.record({ topic, payload, qos, retain: fc.boolean(), properties: version === 5 ? willProperties : fc.constant(undefined) }), { nil: undefined, freq: 3 }),
        properties:
          version === 5
            ? props({
                sessionExpiryInterval: maybeTwice(u32),
                receiveMaximum: maybeTwice(u16),
                maximumPacketSize: maybeTwice(edge(0xffffffff)),
                topicAliasMaximum: maybeTwice(u16),
                requestResponseInformation: fc.boolean(),
                requestProblemInformation: fc.boolean(),
                userProperties,
                authenticationData: bytes(8),
              })
            : fc.constant(undefined),
        // Enhanced authentication is refused at once: rarely asked for.
        authenticate: fc.oneof({ arbitrary: fc.constant(false), weight: 30 }, { arbitrary: fc.constant(true), weight: 1 }),
      },
      { requiredKeys: ["cmd", "protocolId", "protocolVersion", "clientId", "clean", "keepalive", "authenticate"] },
    )
    .map(({ authenticate, ...c }): Fields => {
      // What mqtt-packet refuses to encode is made encodable (a mutation may still break it).
      const fixed: Fields = { ...c };
      if (fixed.password !== undefined && fixed.username === undefined) fixed.username = "user";
      if (fixed.clientId === "") fixed.clean = true;
      if (fixed.clientId === "" && fixed.protocolVersion === 3) fixed.clientId = "fuzz-3";
      const will = fixed.will as Fields | undefined;
      if (will !== undefined && will.topic === "") fixed.will = { ...will, topic: "fuzz/will" };
      if (authenticate && version === 5) fixed.properties = { ...(fixed.properties as Fields | undefined), authenticationMethod: "SCRAM-SHA-1" };
      return fixed;
    });
}

function clientPacket(version: Version): fc.Arbitrary<Fields> {
  const v5 = version === 5;
  const publish = fc
    .record({
      cmd: fc.constant("publish"),
      topic,
      payload,
      qos,
      retain: fc.boolean(),
      dup: fc.boolean(),
      messageId: packetId,
      properties: v5
        ? props({
            payloadFormatIndicator: fc.boolean(),
            messageExpiryInterval: maybeTwice(u32),
            topicAlias: maybeTwice(edge(40)),
            responseTopic: maybeTwice(topic),
            correlationData: bytes(8),
            userProperties,
            subscriptionIdentifier: varInt,
            contentType: maybeTwice(text(8)),
          })
        : fc.constant(undefined),
    })
    .map((p) => (p.qos === 0 ? { ...p, messageId: undefined } : p));
  const ack = fc.record({
    cmd: fc.constantFrom("puback", "pubrec", "pubrel", "pubcomp"),
    messageId: packetId,
    reasonCode: v5 ? fc.constantFrom(0, 0x10, 0x80, 0x92, 0x97) : fc.constant(undefined),
    properties: v5 ? props({ reasonString, userProperties }) : fc.constant(undefined),
  });
  const subscribe = fc.record({
    cmd: fc.constant("subscribe"),
    messageId: packetId,
    subscriptions: fc.array(fc.record({ topic: filter, qos, nl: fc.boolean(), rap: fc.boolean(), rh: fc.constantFrom(0, 1, 2) }), { minLength: 1, maxLength: 3 }),
    properties: v5 ? props({ subscriptionIdentifier: maybeTwice(varInt), userProperties }) : fc.constant(undefined),
  });
  const unsubscribe = fc.record({
    cmd: fc.constant("unsubscribe"),
    messageId: packetId,
    unsubscriptions: fc.array(filter, { minLength: 1, maxLength: 3 }),
    properties: v5 ? props({ userProperties }) : fc.constant(undefined),
  });
  const disconnect = fc.record({
    cmd: fc.constant("disconnect"),
    reasonCode: fc.constantFrom(0, 4, 0x80, 0x82),
    properties: v5 ? props({ sessionExpiryInterval: maybeTwice(u32), reasonString, userProperties }) : fc.constant(undefined),
  });
  const auth = fc.record({ cmd: fc.constant("auth"), reasonCode: fc.constantFrom(0, 0x18, 0x19), properties: props({ authenticationMethod: text(8), authenticationData: bytes(8), reasonString }) });
  const serverOnly = fc.oneof(
    fc.record({ cmd: fc.constant("connack"), sessionPresent: fc.boolean(), returnCode: fc.constant(0), reasonCode: fc.constant(0) }),
    fc.record({ cmd: fc.constant("suback"), messageId: packetId, granted: fc.array(fc.constantFrom(0, 1, 2, 0x80), { minLength: 1, maxLength: 3 }) }),
    fc.constant({ cmd: "pingresp" }),
  );
  const kinds: Array<{ arbitrary: fc.Arbitrary<Fields>; weight: number }> = [
    { arbitrary: publish, weight: 6 },
    { arbitrary: ack, weight: 2 },
    { arbitrary: subscribe, weight: 4 },
    { arbitrary: unsubscribe, weight: 2 },
    { arbitrary: fc.constant({ cmd: "pingreq" }), weight: 2 },
    { arbitrary: disconnect, weight: 1 },
    { arbitrary: connectPacket(version), weight: 1 },
    { arbitrary: serverOnly, weight: 1 },
  ];
  if (v5) kinds.push({ arbitrary: auth, weight: 1 });
  return fc.oneof(...kinds);
}

/** A change to the encoded packets; `which` picks a packet (modulo their count), `at` a byte in it. */
type Mutation =
  | { readonly kind: "flip"; readonly which: number; readonly at: number; readonly bit: number }
  | { readonly kind: "set"; readonly which: number; readonly at: number; readonly value: number }
  | { readonly kind: "truncate"; readonly which: number; readonly at: number }
  | { readonly kind: "insert"; readonly which: number; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: "duplicate"; readonly which: number; readonly at: number; readonly length: number }
  | { readonly kind: "splice"; readonly which: number; readonly at: number; readonly other: number; readonly from: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), which: fc.nat(), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("set" as const), which: fc.nat(), at: fc.nat(), value: fc.oneof(fc.constantFrom(0x00, 0x7f, 0x80, 0xff), fc.integer({ min: 0, max: 255 })) }),
  fc.record({ kind: fc.constant("truncate" as const), which: fc.nat(), at: fc.nat() }),
  fc.record({ kind: fc.constant("insert" as const), which: fc.nat(), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant("duplicate" as const), which: fc.nat(), at: fc.nat(), length: fc.integer({ min: 1, max: 32 }) }),
  fc.record({ kind: fc.constant("splice" as const), which: fc.nat(), at: fc.nat(), other: fc.nat(), from: fc.nat() }),
);

/** What one fuzzed connection sends. */
interface Script {
  readonly version: Version;
  /** A CONNECT first (most scripts), so later packets reach the connected state. */
  readonly connect: Fields | null;
  readonly packets: Fields[];
  readonly mutations: Mutation[];
  /** Sizes of the chunks the bytes are written in (the rest goes in one last chunk). */
  readonly chunks: number[];
}

const script: fc.Arbitrary<Script> = fc.constantFrom<Version>(4, 5).chain((version) =>
  fc.record({
    version: fc.constant(version),
    connect: fc.option(connectPacket(version), { nil: null, freq: 8 }),
    packets: fc.array(clientPacket(version), { maxLength: 8 }),
    mutations: fc.oneof({ arbitrary: fc.constant<Mutation[]>([]), weight: 1 }, { arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }), weight: 2 }),
    chunks: fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 6 }),
  }),
);

// ## Encoding and framing

/** The bytes of a script: each packet encoded (those mqtt-packet refuses to encode are left out), then mutated. */
function encode(s: Script): Buffer {
  const packets: Buffer[] = [];
  for (const fields of s.connect === null ? s.packets : [s.connect, ...s.packets]) {
    try {
      packets.push(mqttPacket.generate(fields as unknown as Packet, { protocolVersion: s.version }));
    } catch {
      // an invalid combination of fields: skipped
    }
  }
  // Most mutations spare the CONNECT, so that the connection gets past it.
  const spareConnect = s.connect !== null && packets.length > 1;
  for (const m of s.mutations) {
    if (packets.length === 0) break;
    const i = spareConnect && m.which % 4 !== 0 ? 1 + (m.which % (packets.length - 1)) : m.which % packets.length;
    const p = packets[i]!;
    const at = p.length === 0 ? 0 : m.at % (p.length + 1);
    switch (m.kind) {
      case "flip":
        if (at < p.length) p[at] = p[at]! ^ (1 << m.bit);
        break;
      case "set":
        if (at < p.length) p[at] = m.value;
        break;
      case "truncate":
        packets[i] = p.subarray(0, at);
        break;
      case "insert":
        packets[i] = Buffer.concat([p.subarray(0, at), m.bytes, p.subarray(at)]);
        break;
      case "duplicate":
        packets[i] = Buffer.concat([p.subarray(0, at + m.length), p.subarray(at)]);
        break;
      case "splice": {
        const other = packets[m.other % packets.length]!;
        packets[i] = Buffer.concat([p.subarray(0, at), other.subarray(other.length === 0 ? 0 : m.from % other.length)]);
        break;
      }
    }
  }
  return Buffer.concat(packets);
}

/**
 * Frames `stream` as the server's reader does (type byte, remaining length, body): the type byte of each
 * frame, and the bytes that complete the last one if it is cut short (zeros), so that a PINGREQ sent after
 * them is read as a packet of its own. `refused` when the server must close (a length of more than 4 bytes,
 * or a frame larger than the limit).
 */
function frame(stream: Uint8Array): { types: number[]; completion: Buffer; refused: boolean } {
  const types: number[] = [];
  let i = 0;
  while (i < stream.length) {
    let length = 0;
    let multiplier = 1;
    let j = i + 1;
    for (;;) {
      if (j >= stream.length) {
        // The remaining length is cut short: a zero byte ends it; then the body it announced.
        const total = j - i + 1 + length;
        types.push(stream[i]!);
        if (total > MAX_PACKET_BYTES) return { types, completion: Buffer.from([0]), refused: true };
        return { types, completion: Buffer.alloc(1 + length), refused: false };
      }
      const byte = stream[j++]!;
      length += (byte & 0x7f) * multiplier;
      multiplier *= 128;
      if ((byte & 0x80) === 0) break;
      if (j - i - 1 >= 4) return { types, completion: Buffer.alloc(0), refused: true };
    }
    const total = j - i + length;
    if (total > MAX_PACKET_BYTES) return { types, completion: Buffer.alloc(0), refused: true };
    types.push(stream[i]!);
    if (i + total > stream.length) return { types, completion: Buffer.alloc(i + total - stream.length), refused: false };
    i += total;
  }
  return { types, completion: Buffer.alloc(0), refused: false };
}

// ## Running a script

const PINGREQ = Buffer.from([0xc0, 0x00]);

/** How a fuzzed connection ended up. */
interface Outcome {
  readonly closed: boolean;
  readonly pingresps: number;
  readonly expectedPingresps: number;
  readonly sent: number;
  readonly received: Buffer;
}

/** A raw TCP connection that counts the PINGRESPs the server writes. */
class FuzzConnection {
  readonly socket: Socket;
  #received: Buffer[] = [];
  #pingresps = 0;
  #pending = Buffer.alloc(0);
  #closed = false;
  #wake: (() => void) | null = null;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => {
      this.#received.push(chunk);
      // Server output is framed the same way: count the PINGRESP frames (0xd0).
      let pending = Buffer.concat([this.#pending, chunk]);
      for (;;) {
        const length = completeFrameLength(pending);
        if (length === null) break;
        if (pending[0] === 0xd0) this.#pingresps++;
        pending = pending.subarray(length);
      }
      this.#pending = pending;
      this.#wake?.();
    });
    socket.on("close", () => {
      this.#closed = true;
      this.#wake?.();
    });
    socket.on("error", () => {});
  }

  static open(port: number): Promise<FuzzConnection> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: "127.0.0.1", port }, () => resolve(new FuzzConnection(socket)));
      socket.setNoDelay(true);
      socket.once("error", reject);
    });
  }

  /** Writes `s`'s bytes in its chunks, then what completes a cut packet, then a PINGREQ; waits for the answer. */
  async run(s: Script): Promise<Outcome> {
    const stream = encode(s);
    const { completion } = frame(stream);
    const all = Buffer.concat([stream, completion, PINGREQ]);
    const expectedPingresps = frame(all).types.filter((t) => t === 0xc0).length;
    let at = 0;
    for (const size of s.chunks) {
      if (at >= stream.length || this.#closed) break;
      this.socket.write(stream.subarray(at, at + size));
      at = Math.min(at + size, stream.length);
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (!this.#closed) this.socket.write(all.subarray(at));
    const deadline = Date.now() + ANSWER_TIMEOUT_MS;
    while (!this.#closed && this.#pingresps < expectedPingresps && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
    return { closed: this.#closed, pingresps: this.#pingresps, expectedPingresps, sent: all.length, received: Buffer.concat(this.#received) };
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** The length of the frame at the start of `buffer`, or null while it is incomplete. */
function completeFrameLength(buffer: Uint8Array): number | null {
  let length = 0;
  let multiplier = 1;
  let j = 1;
  for (;;) {
    if (j >= buffer.length) return null;
    const byte = buffer[j++]!;
    length += (byte & 0x7f) * multiplier;
    multiplier *= 128;
    if ((byte & 0x80) === 0) break;
  }
  return j + length <= buffer.length ? j + length : null;
}

const hex = (b: Uint8Array, max = 96): string => Buffer.from(b.subarray(0, max)).toString("hex") + (b.length > max ? "…" : "");

// ## The property

describe("MQTT fuzzing", () => {
  let broker: GuardedBroker;
  let bystander: Bystander;
  const escaped: string[] = [];
  const onException = (error: unknown): void => {
    escaped.push(`uncaughtException: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  };
  const onRejection = (reason: unknown): void => {
    escaped.push(`unhandledRejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
  };

  beforeAll(async () => {
    process.on("uncaughtException", onException);
    process.on("unhandledRejection", onRejection);
    broker = await startGuardedBroker({ maxPacketBytes: MAX_PACKET_BYTES, connectTimeoutMs: 1_000, maxSessionExpirySec: 1 });
    bystander = await Bystander.start(broker);
  });

  afterAll(async () => {
    process.off("uncaughtException", onException);
    process.off("unhandledRejection", onRejection);
    await broker?.stop();
  });

  it(
    `survives ${RUNS} runs of mutated packet sequences (seed ${SEED})`,
    async () => {
      const stats = { runs: 0, connections: 0, closed: 0, open: 0, bytes: 0 };
      const property = fc.asyncProperty(fc.array(script, { minLength: 1, maxLength: 3 }), async (scripts) => {
        stats.runs++;
        const crashesBefore = broker.crashes.length;
        const escapedBefore = escaped.length;
        // Earlier runs may have leaked a connection (then they failed): compare with the count before this run.
        const connectionsBefore = broker.mqtt.stats().connections;
        const connections = await Promise.all(scripts.map(() => FuzzConnection.open(broker.port)));
        try {
          const outcomes = await Promise.all(connections.map((c, i) => c.run(scripts[i]!)));
          outcomes.forEach((o, i) => {
            stats.connections++;
            stats.bytes += o.sent;
            if (o.closed) stats.closed++;
            else stats.open++;
            if (!o.closed && o.pingresps < o.expectedPingresps) {
              throw new Error(
                `connection ${i} hung: neither closed nor answered its PINGREQs within ${ANSWER_TIMEOUT_MS} ms ` +
                  `(${o.pingresps} of ${o.expectedPingresps} PINGRESPs); sent ${hex(encode(scripts[i]!))}; received ${hex(o.received)} ` +
                  "(if the server wrote a packet shorter than its remaining length, that packet swallowed the PINGRESP)",
              );
            }
          });
          const report = await bystander.roundTrip(3, ANSWER_TIMEOUT_MS);
          if (report.problems.length > 0) throw new Error(`the bystander was disturbed: ${report.problems.join("; ")}`);
        } finally {
          for (const c of connections) c.destroy();
        }
        // Let the server see the closes (a crash while a connection ends is reported as it ends).
        const settled = Date.now() + 1_000;
        while (broker.mqtt.stats().connections > connectionsBefore && broker.crashes.length === crashesBefore && Date.now() < settled) await new Promise((resolve) => setTimeout(resolve, 2));
        const crashes = broker.crashes.slice(crashesBefore);
        if (crashes.length > 0) throw new Error(`a process crashed: ${crashes.join("; ")}`);
        const left = broker.mqtt.stats().connections - connectionsBefore;
        if (left > 0) throw new Error(`${left} closed connection(s) still counted by the server 1 s after the close`);
        const errors = escaped.slice(escapedBefore);
        if (errors.length > 0) throw new Error(`escaped errors: ${errors.join("; ")}`);
      });
      const started = Date.now();
      try {
        await fc.assert(property, { numRuns: RUNS, seed: SEED, path: PATH, interruptAfterTimeLimit: TIME_LIMIT_MS, endOnFailure: false });
      } finally {
        const codes: Record<string, number> = {};
        for (const { error } of broker.errors) codes[error.code] = (codes[error.code] ?? 0) + 1;
        console.log(
          `fuzz: seed ${SEED}, ${stats.runs} runs in ${Date.now() - started} ms, ${stats.connections} connections ` +
            `(${stats.closed} closed by the server, ${stats.open} still open), ${stats.bytes} bytes sent; client errors: ${JSON.stringify(codes)}`,
        );
      }

      // After the run: the endpoint still serves; every fuzzed connection is gone.
      const report = await bystander.roundTrip(6);
      expect(report.problems).toEqual([]);
      const deadline = Date.now() + 5_000;
      while (broker.mqtt.stats().connections > 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(broker.mqtt.stats().connections, "only the bystander's two connections are left").toBe(2);
      expect(broker.crashes).toEqual([]);
      expect(escaped).toEqual([]);
    },
    LONG ? 24 * 3600_000 : 60_000,
  );
});
