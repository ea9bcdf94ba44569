/**
 * The hand-written parts of the MQTT codec against `mqtt-packet`: the fanout's PUBLISH encoder writes the
 * very bytes `generate` does, and the packet reader's direct path for acknowledgements and PINGREQ gives
 * the same packets, in the same order, as the general parser — whatever the chunking of the stream —
 * and still refuses a packet larger than the limit from its fixed header alone.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import mqttPacket, { type Packet } from "mqtt-packet";
import { encodePlainPublish } from "../../src/mqtt/publish-encoder.js";
import { PacketReader } from "../../src/mqtt/packet-reader.js";
import type { MqttError } from "../../src/mqtt/errors.js";

const qosArb = fc.constantFrom(0 as const, 1 as const, 2 as const);

describe("encodePlainPublish", () => {
  it("writes what mqtt-packet generates, for MQTT 3.1.1 and 5.0", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40 }).filter((t) => !/[+#\u0000]/.test(t) && !/[\ud800-\udfff]/.test(t)),
        fc.uint8Array({ maxLength: 300 }),
        qosArb,
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 65535 }),
        fc.constantFrom(4 as const, 5 as const),
        (topic, payload, qos, retain, dup, packetId, version) => {
          const ours = encodePlainPublish(topic, payload, qos, retain, dup, packetId, version === 5);
          const theirs = mqttPacket.generate(
            { cmd: "publish", topic, payload: Buffer.from(payload), qos, retain, dup, ...(qos > 0 ? { messageId: packetId } : {}) } as Packet,
            { protocolVersion: version },
          );
          expect(Buffer.from(ours).equals(theirs)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("encodes remaining lengths of 2, 3 and 4 bytes", () => {
    for (const size of [200, 20_000, 3_000_000]) {
      const ours = encodePlainPublish("big", new Uint8Array(size), 1, false, false, 7, false);
      const theirs = mqttPacket.generate({ cmd: "publish", topic: "big", payload: Buffer.alloc(size), qos: 1, retain: false, dup: false, messageId: 7 }, { protocolVersion: 4 });
      expect(Buffer.from(ours).equals(theirs)).toBe(true);
    }
  });
});

/** Reads `bytes` cut into the given chunk sizes; returns the packets and the error, if any. */
function read(bytes: Buffer, cuts: number[], version: 4 | 5, max = 1 << 20): { packets: Packet[]; error: MqttError | null } {
  const packets: Packet[] = [];
  let error: MqttError | null = null;
  const reader = new PacketReader(max, (p) => packets.push(p), (e) => (error = e));
  if (version === 5) reader.protocolVersion = 5;
  let at = 0;
  for (const cut of cuts) {
    if (at >= bytes.length) break;
    reader.feed(bytes.subarray(at, at + cut));
    at += cut;
  }
  if (at < bytes.length) reader.feed(bytes.subarray(at));
  return { packets, error };
}

const packetArb = (version: 4 | 5) =>
  fc.oneof(
    fc.record({ cmd: fc.constantFrom("puback" as const, "pubrec" as const, "pubcomp" as const), messageId: fc.integer({ min: 1, max: 65535 }) }),
    fc.record({ cmd: fc.constant("pubrel" as const), messageId: fc.integer({ min: 1, max: 65535 }) }),
    fc.constant({ cmd: "pingreq" as const }),
    fc.record({ cmd: fc.constant("publish" as const), topic: fc.constantFrom("a", "a/b", "sensors/x"), payload: fc.uint8Array({ maxLength: 50 }).map((u) => Buffer.from(u)), qos: qosArb, messageId: fc.integer({ min: 1, max: 65535 }) }).map((p) => ({ ...p, retain: false, dup: false, messageId: p.qos > 0 ? p.messageId : undefined })),
    ...(version === 5
      ? [fc.record({ cmd: fc.constantFrom("puback" as const, "pubrec" as const), messageId: fc.integer({ min: 1, max: 65535 }), reasonCode: fc.constantFrom(0x10, 0x80, 0x87) })]
      : []),
  );

describe("PacketReader", () => {
  for (const version of [4, 5] as const) {
    it(`gives the same packets as mqtt-packet's parser, however the stream is cut (MQTT ${version === 5 ? "5.0" : "3.1.1"})`, () => {
      fc.assert(
        fc.property(fc.array(packetArb(version), { minLength: 1, maxLength: 12 }), fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 30 }), (packets, cuts) => {
          const bytes = Buffer.concat(packets.map((p) => mqttPacket.generate(p as Packet, { protocolVersion: version })));
          const expected: Packet[] = [];
          const parser = mqttPacket.parser({ protocolVersion: version });
          parser.on("packet", (p: Packet) => expected.push(p));
          parser.parse(bytes);
          const { packets: got, error } = read(bytes, cuts, version);
          expect(error).toBeNull();
          const shape = (p: Packet) => {
            const q = p as Packet & { messageId?: number; reasonCode?: number; topic?: string; payload?: Buffer; qos?: number };
            return { cmd: q.cmd, messageId: q.messageId, reasonCode: q.reasonCode || undefined, topic: q.topic ?? undefined, payload: q.payload?.toString("hex"), qos: q.qos || undefined };
          };
          expect(got.map(shape)).toEqual(expected.map(shape));
        }),
        { numRuns: 300 },
      );
    });
  }

  it("refuses a packet larger than the limit from its fixed header, before its body", () => {
    const header = Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]); // PUBLISH announcing 268,435,455 bytes
    const { packets, error } = read(header, [2, 1], 4, 1024);
    expect(packets).toEqual([]);
    expect(error).toMatchObject({ code: "FENIX_ERR_MQTT_PACKET_TOO_LARGE", reasonCode: 0x95 });
  });

  it("refuses a remaining length longer than 4 bytes", () => {
    const { error } = read(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]), [6], 4);
    expect(error).toMatchObject({ code: "FENIX_ERR_MQTT_MALFORMED_PACKET", reasonCode: 0x81 });
  });
});
