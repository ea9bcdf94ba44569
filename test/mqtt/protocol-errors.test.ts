/**
 * Bad input from one MQTT client closes that client's connection only: with the reason code the MQTT
 * specification asks for (a DISCONNECT for MQTT 5 clients past CONNECT; a plain close before CONNECT and for
 * MQTT 3.1.1), and a coded error on the endpoint's `clientError` event. Meanwhile a bystander — an MQTT 5.0 and
 * an MQTT 3.1.1 MQTT.js client publishing to each other the whole time — loses nothing, receives nothing
 * foreign, and stays connected; and no connection process crashes (a crash means the input was not
 * recognized as bad, only blew up a handler).
 *
 * A "(spec: …)" in a test name cites the MQTT clause it checks. A "Regression guard" comment says how the
 * test failed against src/ as it stood when the test was written.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import mqttPacket, { type Packet } from "mqtt-packet";
import { MqttErrorCode, ReasonCode } from "../../src/mqtt/index.js";
import { Bystander, startGuardedBroker, type GuardedBroker, type ReportedError } from "../support/mqtt-bystander.js";
import type { RawMqtt } from "../support/mqtt.js";

const MAX_PACKET_BYTES = 1024;
const CONNECT_TIMEOUT_MS = 200;

let broker: GuardedBroker;
let bystander: Bystander;

beforeEach(async () => {
  broker = await startGuardedBroker({ maxPacketBytes: MAX_PACKET_BYTES, connectTimeoutMs: CONNECT_TIMEOUT_MS });
  bystander = await Bystander.start(broker);
  bystander.start();
});

afterEach(async () => {
  const report = await bystander.verify();
  const crashes = [...broker.crashes];
  await broker.stop();
  expect(report.sent, "the bystander published while the bad client ran").toBeGreaterThan(0);
  expect(report.problems, "the bystander lost nothing and received nothing foreign").toEqual([]);
  expect(crashes, "no connection process crashed").toEqual([]);
});

// ## Helpers

/** Resolves `promise`, or rejects after `ms` naming what did not happen. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** The first reported client error with `code`, waiting up to 2 s. */
async function reported(code: string): Promise<ReportedError> {
  const deadline = Date.now() + 2_000;
  for (;;) {
    const found = broker.errors.find((e) => e.error.code === code);
    if (found !== undefined) {
      expect(found.context.transport).toBe("mqtt");
      return found;
    }
    if (Date.now() > deadline) throw new Error(`no clientError ${code}; reported: ${broker.errors.map((e) => `${e.error.code} (${e.error.message})`).join("; ") || "none"}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A raw client of `version`, connected (CONNACK received) unless `connect` is false. */
async function rawClient(version: 4 | 5, connect = true): Promise<RawMqtt> {
  const raw = await broker.raw(version);
  if (connect) {
    const connack = await raw.connect();
    expect(connack).toMatchObject(version === 5 ? { reasonCode: 0 } : { returnCode: 0 });
  }
  return raw;
}

/**
 * Expects the server to close `raw` for a client error: an MQTT 5 client past CONNECT first gets DISCONNECT
 * with `reasonCode`; anyone else is closed without a word (no CONNACK before CONNECT). Then the error was
 * reported with `code` and the same reason code.
 */
async function expectRefused(raw: RawMqtt, connected: boolean, code: string, reasonCode: number): Promise<void> {
  if (raw.protocolVersion === 5 && connected) {
    const disconnect = await raw.next("disconnect", 2_000);
    expect((disconnect as { reasonCode?: number }).reasonCode, `DISCONNECT reason code 0x${reasonCode.toString(16)}`).toBe(reasonCode);
  }
  await within(raw.whenClosed(), 2_000, "the server closes the connection");
  expect(raw.packets.map((p) => p.cmd)).toEqual([]);
  const { error } = await reported(code);
  expect(error.reasonCode).toBe(reasonCode);
}

/** Bytes of a packet for a protocol version. */
function bytes(packet: Record<string, unknown>, version: 4 | 5): Buffer {
  return mqttPacket.generate(packet as unknown as Packet, { protocolVersion: version });
}

/** A fixed header (type byte and remaining length) followed by `body`. */
function frame(typeByte: number, body: number[] | Buffer): Buffer {
  const length: number[] = [];
  let n = body.length;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    length.push(byte);
  } while (n > 0);
  return Buffer.concat([Buffer.from([typeByte, ...length]), Buffer.from(body)]);
}

/** An MQTT string: two length bytes, then the bytes. */
function str(text: string | number[]): number[] {
  const b = typeof text === "string" ? [...Buffer.from(text)] : text;
  return [b.length >> 8, b.length & 0xff, ...b];
}

/** The property-length byte MQTT 5 puts before properties (here: none). */
const noProps = (version: 4 | 5): number[] => (version === 5 ? [0] : []);

const versions = [4, 5] as const;
const label = (version: 4 | 5): string => (version === 5 ? "MQTT 5.0" : "MQTT 3.1.1");

// ## Cases

/** One bad input: what to send, and how the server must answer it. */
interface BadInput {
  readonly name: string;
  /** Whether CONNECT is done first. */
  readonly connected: boolean;
  readonly bytes: (version: 4 | 5) => Buffer;
  readonly code: string;
  readonly reasonCode: number;
  /** Only for these versions (default both). */
  readonly only?: 4 | 5;
}

const MALFORMED = { code: MqttErrorCode.MALFORMED_PACKET, reasonCode: ReasonCode.MALFORMED_PACKET };
const PROTOCOL = { code: MqttErrorCode.PROTOCOL_ERROR, reasonCode: ReasonCode.PROTOCOL_ERROR };

const malformed: BadInput[] = [
  {
    name: "a remaining length of more than 4 bytes (spec: MQTT-1.5.5, 2.1.4)",
    connected: true,
    bytes: () => Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]),
    ...MALFORMED,
  },
  {
    name: "a CONNECT whose remaining length takes more than 4 bytes",
    connected: false,
    bytes: () => Buffer.from([0x10, 0x80, 0x80, 0x80, 0x80, 0x01]),
    ...MALFORMED,
  },
  {
    name: "a PUBLISH whose topic length runs past the end of the packet",
    connected: true,
    bytes: () => frame(0x30, [0x00, 0x0a, 0x61]),
    ...MALFORMED,
  },
  {
    name: "a SUBSCRIBE whose topic filter lacks its options byte",
    connected: true,
    bytes: (v) => frame(0x82, [0x00, 0x01, ...noProps(v), ...str("a")]),
    ...MALFORMED,
  },
  {
    name: "a CONNECT cut short before its client id",
    connected: false,
    bytes: (v) => frame(0x10, [...str("MQTT"), v, 0x02, 0x00, 0x3c, ...noProps(v)]),
    ...MALFORMED,
  },
  {
    // Regression guard; when written, this failed: mqtt-packet reads the packet id past the packet (-1) and the broker carries on.
    name: "a PUBACK with a one-byte packet id (spec: MQTT 3.1.1 §3.4.1 remaining length 2, MQTT 5 §3.4.2)",
    connected: true,
    bytes: () => frame(0x40, [0x00]),
    ...MALFORMED,
  },
  ...(
    [
      ["PUBACK", 0x40],
      ["PUBREC", 0x50],
      ["PUBREL", 0x62],
      ["PUBCOMP", 0x70],
    ] as const
  ).map(
    ([name, typeByte]): BadInput => ({
      // Regression guard (found by the fuzzer); when written, this failed: PUBACK, PUBREC and PUBCOMP of length 0
      // were accepted with packet id -1 (a PUBREC was even answered with a PUBREL cut short: 62 02 and no id), and
      // PUBREL was refused as a protocol error (0x82) rather than as malformed.
      name: `a ${name} with remaining length 0 (spec: MQTT 3.1.1 §3.4-3.7 remaining length 2; MQTT 5 §3.4.2 ff.)`,
      connected: true,
      bytes: () => Buffer.from([typeByte, 0x00]),
      ...MALFORMED,
    }),
  ),
  {
    // Regression guard; when written, this failed: the message is published with packet id -1 and a truncated PUBACK is written.
    name: "a QoS 1 PUBLISH that ends before its packet id",
    connected: true,
    bytes: () => frame(0x32, [...str("t")]),
    ...MALFORMED,
  },
  {
    name: "a SUBSCRIBE with reserved flags 0000 instead of 0010 (spec: MQTT-2.2.2-2, MQTT-3.8.1-1)",
    connected: true,
    bytes: (v) => {
      const packet = bytes({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "a", qos: 0 }] }, v);
      packet[0] = 0x80;
      return packet;
    },
    ...MALFORMED,
  },
  {
    name: "a PUBREL with reserved flags 0000 instead of 0010 (spec: MQTT-3.6.1-1)",
    connected: true,
    bytes: () => frame(0x60, [0x00, 0x01]),
    ...MALFORMED,
  },
  {
    name: "a PINGREQ with a reserved flag bit set",
    connected: true,
    bytes: () => Buffer.from([0xc1, 0x00]),
    ...MALFORMED,
  },
  {
    name: "a CONNECT with a reserved flag bit set in its fixed header",
    connected: false,
    bytes: (v) => {
      const packet = bytes({ cmd: "connect", protocolId: "MQTT", protocolVersion: v, clientId: "flags", clean: true, keepalive: 0 }, v);
      packet[0] = 0x12;
      return packet;
    },
    ...MALFORMED,
  },
  {
    name: "a PUBLISH with QoS 3 (spec: MQTT-3.3.1-4)",
    connected: true,
    bytes: (v) => frame(0x36, [...str("a"), 0x00, 0x01, ...noProps(v)]),
    ...MALFORMED,
  },
  {
    // Regression guard; when written, this failed: mqtt-packet decodes the bytes with U+FFFD replacement and the topic is accepted.
    name: "a PUBLISH topic that is not valid UTF-8 (spec: MQTT-1.5.3-1 / MQTT 5 §1.5.4)",
    connected: true,
    bytes: (v) => frame(0x30, [...str([...Buffer.from("bystander/"), 0xff, 0xfe]), ...noProps(v), 0x78]),
    ...MALFORMED,
  },
  {
    // Regression guard; when written, this failed as the one above: the UTF-16 surrogate encoded in UTF-8 (ED A0 80) is replaced, not refused.
    name: "a SUBSCRIBE topic filter holding an encoded UTF-16 surrogate (spec: MQTT-1.5.3-1 / MQTT 5 §1.5.4)",
    connected: true,
    bytes: (v) => frame(0x82, [0x00, 0x01, ...noProps(v), ...str([0x61, 0xed, 0xa0, 0x80]), 0x00]),
    ...MALFORMED,
  },
  {
    name: "reserved packet type 0",
    connected: true,
    bytes: () => Buffer.from([0x00, 0x00]),
    ...MALFORMED,
  },
  {
    name: "an AUTH packet (type 15) from an MQTT 3.1.1 client, where the type is reserved",
    connected: true,
    bytes: () => Buffer.from([0xf0, 0x00]),
    only: 4,
    ...MALFORMED,
  },
];

const protocolErrors: BadInput[] = [
  {
    name: "a second CONNECT (spec: MQTT-3.1.0-2)",
    connected: true,
    bytes: (v) => bytes({ cmd: "connect", protocolId: "MQTT", protocolVersion: v, clientId: "again", clean: true, keepalive: 0 }, v),
    ...PROTOCOL,
  },
  ...(["connack", "suback", "unsuback", "pingresp"] as const).map(
    (cmd): BadInput => ({
      name: `a ${cmd.toUpperCase()}, which only a server sends`,
      connected: true,
      bytes: (v) =>
        bytes(
          cmd === "connack"
            ? { cmd, sessionPresent: false, returnCode: 0, reasonCode: 0 }
            : cmd === "suback"
              ? { cmd, messageId: 1, granted: [0] }
              : cmd === "unsuback"
                ? { cmd, messageId: 1, granted: [0] }
                : { cmd },
          v,
        ),
      ...PROTOCOL,
    }),
  ),
  {
    name: "an AUTH packet from an MQTT 5 client that asked for no authentication method (spec: MQTT-4.12.0-1 ff.)",
    connected: true,
    bytes: () => bytes({ cmd: "auth", reasonCode: 0x18 }, 5),
    only: 5,
    ...PROTOCOL,
  },
  {
    name: "a PUBLISH to a topic name with a + wildcard (spec: MQTT-3.3.2-2)",
    connected: true,
    bytes: (v) => bytes({ cmd: "publish", topic: "bystander/+", payload: "x", qos: 0 }, v),
    code: MqttErrorCode.BAD_TOPIC_NAME,
    reasonCode: ReasonCode.TOPIC_NAME_INVALID,
  },
  {
    name: "a QoS 1 PUBLISH to a topic name with a # wildcard (spec: MQTT-3.3.2-2)",
    connected: true,
    bytes: (v) => bytes({ cmd: "publish", topic: "bystander/#", payload: "x", qos: 1, messageId: 7 }, v),
    code: MqttErrorCode.BAD_TOPIC_NAME,
    reasonCode: ReasonCode.TOPIC_NAME_INVALID,
  },
  {
    name: "a SUBSCRIBE with subscription identifier 0 (spec: MQTT 5 §3.8.2.1.2)",
    connected: true,
    bytes: () => bytes({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "a", qos: 0 }], properties: { subscriptionIdentifier: 0 } }, 5),
    only: 5,
    ...PROTOCOL,
  },
  {
    // Regression guard; when written, this failed: accepted and answered with PUBACK 0 (and SUBACK 0 below); nothing checks packet ids.
    name: "a QoS 1 PUBLISH with packet id 0 (spec: MQTT-2.3.1-1 / MQTT 5 §2.2.1)",
    connected: true,
    bytes: (v) => bytes({ cmd: "publish", topic: "t", payload: "x", qos: 1, messageId: 0 }, v),
    ...PROTOCOL,
  },
  {
    name: "a SUBSCRIBE with packet id 0 (spec: MQTT-2.3.1-1 / MQTT 5 §2.2.1)",
    connected: true,
    bytes: (v) => bytes({ cmd: "subscribe", messageId: 0, subscriptions: [{ topic: "a", qos: 0 }] }, v),
    ...PROTOCOL,
  },
  {
    // Regression guard; when written, this failed: mqtt-packet passes an empty SUBSCRIBE; the SUBACK with no codes makes
    // mqtt-packet's generate throw in handleSubscribe, and the connection process crashes (no clientError).
    name: "a SUBSCRIBE without any topic filter (spec: MQTT-3.8.3-3 / MQTT 5 §3.8.3)",
    connected: true,
    bytes: (v) => frame(0x82, [0x00, 0x01, ...noProps(v)]),
    ...PROTOCOL,
  },
  {
    // Regression guard; when written, this failed as the empty SUBSCRIBE (the UNSUBACK's generate throws for MQTT 5; MQTT 3.1.1 gets an UNSUBACK).
    name: "an UNSUBSCRIBE without any topic filter (spec: MQTT-3.10.3-2 / MQTT 5 §3.10.3)",
    connected: true,
    bytes: (v) => frame(0xa2, [0x00, 0x01, ...noProps(v)]),
    ...PROTOCOL,
  },
];

// Before CONNECT the server cannot know the protocol version: these are MQTT 3.1.1 encodings.
const beforeConnect: BadInput[] = (["publish", "subscribe", "pingreq", "disconnect"] as const).map(
  (cmd): BadInput => ({
    name: `a ${cmd.toUpperCase()} before CONNECT (spec: MQTT-3.1.0-1)`,
    connected: false,
    only: 4,
    bytes: () =>
      bytes(
        cmd === "publish"
          ? { cmd, topic: "bystander/early", payload: "x", qos: 0 }
          : cmd === "subscribe"
            ? { cmd, messageId: 1, subscriptions: [{ topic: "#", qos: 0 }] }
            : { cmd },
        4,
      ),
    ...PROTOCOL,
  }),
);

function runCases(cases: BadInput[]): void {
  for (const bad of cases) {
    for (const version of versions) {
      if (bad.only !== undefined && bad.only !== version) continue;
      it(`${bad.name} (${label(version)})`, async () => {
        const raw = await rawClient(version, bad.connected);
        raw.write(bad.bytes(version));
        await expectRefused(raw, bad.connected, bad.code, bad.reasonCode);
      });
    }
  }
}

describe("MQTT protocol errors: malformed packets close the connection (0x81)", () => {
  runCases(malformed);
});

describe("MQTT protocol errors: protocol violations close the connection (0x82 unless noted)", () => {
  runCases(protocolErrors);
});

describe("MQTT protocol errors: a packet before CONNECT closes the connection without CONNACK", () => {
  runCases(beforeConnect);
});

describe("MQTT protocol errors: packets larger than maxPacketBytes (0x95)", () => {
  for (const version of versions) {
    it(`refuses a PUBLISH one byte over the limit, accepts one at the limit (${label(version)})`, async () => {
      const raw = await rawClient(version);
      const publish = (total: number): Buffer => {
        // Header (1 + 2 length bytes) + topic (2 + 1) + packet id (2) + MQTT 5 property length (1) + payload.
        const overhead = 3 + 3 + 2 + (version === 5 ? 1 : 0);
        const packet = bytes({ cmd: "publish", topic: "t", payload: Buffer.alloc(total - overhead, 0x61), qos: 1, messageId: 1 }, version);
        expect(packet.length).toBe(total);
        return packet;
      };
      raw.write(publish(MAX_PACKET_BYTES));
      expect(await raw.next("puback")).toMatchObject({ messageId: 1 });
      raw.write(publish(MAX_PACKET_BYTES + 1));
      await expectRefused(raw, true, MqttErrorCode.PACKET_TOO_LARGE, ReasonCode.PACKET_TOO_LARGE);
    });

    it(`closes at once on a fixed header announcing 100 MB, without waiting for the body (${label(version)})`, async () => {
      const raw = await rawClient(version);
      const started = Date.now();
      // 0x32 × 128³ = 104,857,600 bytes of remaining length; nothing follows.
      raw.write(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x32]));
      await expectRefused(raw, true, MqttErrorCode.PACKET_TOO_LARGE, ReasonCode.PACKET_TOO_LARGE);
      expect(Date.now() - started).toBeLessThan(1_000);
    });

    it(`closes a connection whose CONNECT is larger than the limit, without CONNACK (${label(version)})`, async () => {
      const raw = await rawClient(version, false);
      raw.write(Buffer.from([0x10, 0x80, 0x80, 0x01]));
      await expectRefused(raw, false, MqttErrorCode.PACKET_TOO_LARGE, ReasonCode.PACKET_TOO_LARGE);
    });
  }
});

describe("MQTT protocol errors: CONNECT timeout", () => {
  it(`closes a connection that sends nothing within connectTimeoutMs (${CONNECT_TIMEOUT_MS} ms)`, async () => {
    const raw = await rawClient(4, false);
    const started = Date.now();
    await within(raw.whenClosed(), 2_000, "the server closes the silent connection");
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(CONNECT_TIMEOUT_MS - 20);
    expect(elapsed).toBeLessThan(CONNECT_TIMEOUT_MS + 1_000);
    expect(raw.packets).toEqual([]);
    await reported(MqttErrorCode.CONNECT_TIMEOUT);
  });

  it("closes a connection that sends only part of its CONNECT", async () => {
    const raw = await rawClient(5, false);
    const connect = bytes({ cmd: "connect", protocolId: "MQTT", protocolVersion: 5, clientId: "slow", clean: true, keepalive: 0 }, 5);
    raw.write(connect.subarray(0, 6));
    await within(raw.whenClosed(), 2_000, "the server closes the connection with a partial CONNECT");
    expect(raw.packets).toEqual([]);
    await reported(MqttErrorCode.CONNECT_TIMEOUT);
  });
});

describe("MQTT protocol errors: MQTT 5 property rules", () => {
  it("a SUBSCRIBE with the subscription identifier twice is a protocol error, and poisons no one's delivery (spec: MQTT 5 §3.8.2.1.2)", async () => {
    // Regression guard; when written, this failed: mqtt-packet turns the repeated property into an array, the broker keeps it as the
    // subscription's identifier, and every message routed to this session makes mqtt-packet's generate throw
    // inside Broker.route, which then skips every session after it: a client that subscribed later loses
    // every message on those topics, while the publisher gets its PUBACK.
    const raw = await rawClient(5);
    const props = [0x04, 0x0b, 0x01, 0x0b, 0x02];
    raw.write(frame(0x82, [0x00, 0x01, ...props, ...str("victim/#"), 0x01]));
    raw.send({ cmd: "subscribe", messageId: 2, subscriptions: [{ topic: "victim/+", qos: 1 }], properties: { subscriptionIdentifier: 3 } });
    await raw.next("suback").catch(() => undefined);
    await raw.next("suback").catch(() => undefined);
    const victim = await broker.client({ protocolVersion: 5 });
    await victim.subscribeAsync("victim/t", { qos: 1 });
    const got: string[] = [];
    victim.on("message", (_topic, payload) => got.push(payload.toString()));
    const publisher = await broker.client({ protocolVersion: 4 });
    for (let i = 0; i < 5; i++) await publisher.publishAsync("victim/t", `m${i}`, { qos: 1 });
    const deadline = Date.now() + 2_000;
    while (got.length < 5 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(got, "a later subscriber gets every message").toEqual(["m0", "m1", "m2", "m3", "m4"]);
    expect(broker.errors.map((e) => e.error.code)).toContain(MqttErrorCode.PROTOCOL_ERROR);
  });

  it("a PUBLISH whose user property value runs past the packet is malformed, and poisons no later subscriber (spec: MQTT 5 §1.5.7, §2.2.2.2)", async () => {
    // Regression guard (found by the fuzzer); when written, this failed: mqtt-packet parses the cut value as null and the broker keeps
    // { k: null } as the message's user properties. Retained, it crashes the connection of every MQTT 5 client
    // that subscribes to it (generate throws on null.toString() in handleSubscribe's retained delivery); live,
    // it throws inside Broker.route and the sessions routed after the first MQTT 5 subscriber lose it.
    const raw = await rawClient(5);
    const topic = [...Buffer.from("poison/t")];
    // Properties: length 6, user property (0x26) "k" = a string of 5 bytes, of which only 2 ("ab", the payload) follow.
    raw.write(frame(0x31, [...str(topic), 6, 0x26, ...str("k"), 0x00, 0x05, 0x61, 0x62]));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const victim = await broker.client({ protocolVersion: 5 });
    let closed = false;
    victim.on("close", () => (closed = true));
    const got: string[] = [];
    victim.on("message", (t) => got.push(t));
    await victim.subscribeAsync("poison/#", { qos: 1 }).catch(() => undefined);
    const publisher = await broker.client({ protocolVersion: 5 });
    await publisher.publishAsync("poison/ok", "fine", { qos: 1 });
    const deadline = Date.now() + 1_000;
    while (!got.includes("poison/ok") && !closed && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect({ closed, got: got.filter((t) => t === "poison/ok") }, "a later MQTT 5 subscriber stays connected and gets the next message").toEqual({ closed: false, got: ["poison/ok"] });
    await expectRefused(raw, true, MqttErrorCode.MALFORMED_PACKET, ReasonCode.MALFORMED_PACKET);
  });

  it("a CONNECT with the session expiry interval twice is refused (spec: MQTT 5 §3.1.2.11.2)", async () => {
    // Regression guard; when written, this failed: the array becomes a NaN expiry, the CONNECT is accepted, and the session never expires.
    const raw = await rawClient(5, false);
    raw.write(bytes({ cmd: "connect", protocolId: "MQTT", protocolVersion: 5, clientId: "twice", clean: true, keepalive: 0, properties: { sessionExpiryInterval: [1, 2] } }, 5));
    await within(raw.whenClosed(), 2_000, "the server closes the connection");
    for (const packet of raw.packets) expect(packet).toMatchObject({ cmd: "connack", reasonCode: ReasonCode.PROTOCOL_ERROR });
    await reported(MqttErrorCode.PROTOCOL_ERROR);
  });

  it("a CONNECT with receive maximum 0 is refused (spec: MQTT 5 §3.1.2.11.3)", async () => {
    // Regression guard; when written, this failed: accepted; QoS 1 and 2 messages to this client then queue forever (window 0).
    const raw = await rawClient(5, false);
    raw.write(bytes({ cmd: "connect", protocolId: "MQTT", protocolVersion: 5, clientId: "rm0", clean: true, keepalive: 0, properties: { receiveMaximum: 0 } }, 5));
    await within(raw.whenClosed(), 2_000, "the server closes the connection");
    for (const packet of raw.packets) expect(packet).toMatchObject({ cmd: "connack", reasonCode: ReasonCode.PROTOCOL_ERROR });
    await reported(MqttErrorCode.PROTOCOL_ERROR);
  });
});
