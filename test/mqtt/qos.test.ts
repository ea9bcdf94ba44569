/**
 * Quality of service end to end, at 3.1.1 and 5.0: QoS 0, 1 and 2 delivered at min(published, subscribed);
 * exactly-once for inbound QoS 2 (a resent PUBLISH with the same packet id before PUBREL is not forwarded
 * twice, also across a reconnect of a persistent session); the outbound in-flight window (the client's Receive Maximum on 5.0, `maxInflight` on 3.1.1); and,
 * with the raw client that withholds acknowledgements, redelivery on reconnect of a persistent session —
 * PUBLISH with DUP=1 for unacknowledged QoS 1 and 2, PUBREL for QoS 2 already PUBRECed.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { IPublishPacket } from "mqtt-packet";
import {
  clientId,
  label,
  rawCollect,
  rawPersistent,
  rawPublish,
  rawSubscribe,
  rawTake,
  startHarness,
  VERSIONS,
  type Harness,
} from "../support/mqtt-conformance.js";

describe("MQTT QoS", () => {
  let h: Harness;
  afterEach(async () => {
    await h.stop();
  });

  for (const protocolVersion of VERSIONS) {
    describe(label(protocolVersion), () => {
      it("delivers every QoS at the lower of the published and the subscribed QoS", async () => {
        h = await startHarness();
        const subscribers = await Promise.all([0, 1, 2].map(() => h.connect({ protocolVersion })));
        const granted = await Promise.all(subscribers.map(({ client }, qos) => client.subscribeAsync("q/t", { qos: qos as 0 | 1 | 2 })));
        expect(granted.map((g) => g[0]!.qos)).toEqual([0, 1, 2]);
        const publisher = await h.connect({ protocolVersion });
        for (const qos of [0, 1, 2] as const) await publisher.client.publishAsync("q/t", `p${qos}`, { qos });
        const received = await Promise.all(subscribers.map(({ inbox }) => inbox.take(3)));
        expect(received.map((list) => list.map((m) => `${m.payload}@${m.qos}`))).toEqual([
          ["p0@0", "p1@0", "p2@0"],
          ["p0@0", "p1@1", "p2@1"],
          ["p0@0", "p1@1", "p2@2"],
        ]);
        expect(received.flat().every((m) => !m.dup && !m.retain)).toBe(true);
      });

      it("forwards a QoS 2 PUBLISH resent before PUBREL only once", async () => {
        h = await startHarness();
        const subscriber = await h.connect({ protocolVersion });
        await subscriber.client.subscribeAsync("once/t", { qos: 2 });
        const { raw } = await h.rawConnected(protocolVersion);
        raw.send({ cmd: "publish", topic: "once/t", payload: Buffer.from("exactly"), qos: 2, messageId: 7, dup: false, retain: false });
        expect(await raw.next("pubrec")).toMatchObject({ messageId: 7 });
        raw.send({ cmd: "publish", topic: "once/t", payload: Buffer.from("exactly"), qos: 2, messageId: 7, dup: true, retain: false });
        expect(await raw.next("pubrec")).toMatchObject({ messageId: 7 });
        raw.send({ cmd: "pubrel", messageId: 7 });
        expect(await raw.next("pubcomp")).toMatchObject({ messageId: 7 });
        expect(await subscriber.inbox.one()).toMatchObject({ topic: "once/t", payload: "exactly", qos: 2 });
        expect(await subscriber.inbox.quiet()).toEqual([]);
        // After PUBCOMP the packet id is free: the same id now carries a new message.
        raw.send({ cmd: "publish", topic: "once/t", payload: Buffer.from("again"), qos: 2, messageId: 7, dup: false, retain: false });
        expect(await raw.next("pubrec")).toMatchObject({ messageId: 7 });
        expect(await subscriber.inbox.one()).toMatchObject({ payload: "again" });
        raw.send({ cmd: "pubrel", messageId: 7 });
        expect(await raw.next("pubcomp")).toMatchObject({ messageId: 7 });
      });

      it("keeps an inbound QoS 2 exactly once across a reconnect of a persistent session", async () => {
        h = await startHarness();
        const subscriber = await h.connect({ protocolVersion });
        await subscriber.client.subscribeAsync("once/resumed", { qos: 2 });
        const id = clientId("qos2-in");
        const first = await h.rawConnected(protocolVersion, rawPersistent(protocolVersion, id));
        first.raw.send({ cmd: "publish", topic: "once/resumed", payload: Buffer.from("one"), qos: 2, messageId: 21, dup: false, retain: false });
        expect(await first.raw.next("pubrec")).toMatchObject({ messageId: 21 });
        first.raw.destroy();
        await first.raw.whenClosed();
        // The PUBREC was lost with the connection, so the client sends the PUBLISH again.
        const second = await h.rawConnected(protocolVersion, rawPersistent(protocolVersion, id));
        expect(second.connack.sessionPresent).toBe(true);
        second.raw.send({ cmd: "publish", topic: "once/resumed", payload: Buffer.from("one"), qos: 2, messageId: 21, dup: true, retain: false });
        expect(await second.raw.next("pubrec")).toMatchObject({ messageId: 21 });
        second.raw.send({ cmd: "pubrel", messageId: 21 });
        expect(await second.raw.next("pubcomp")).toMatchObject({ messageId: 21 });
        expect(await subscriber.inbox.one()).toMatchObject({ payload: "one" });
        expect(await subscriber.inbox.quiet()).toEqual([]);
      });

      it("resends unacknowledged QoS 1 messages with DUP=1, in order, when a persistent session resumes", async () => {
        h = await startHarness();
        const id = clientId("qos1");
        const first = await h.rawConnected(protocolVersion, rawPersistent(protocolVersion, id));
        expect(first.connack.sessionPresent).toBe(false);
        await rawSubscribe(first.raw, [{ topic: "redeliver/1", qos: 1 }]);
        const publisher = await h.connect({ protocolVersion });
        await publisher.client.publishAsync("redeliver/1", "m1", { qos: 1 });
        await publisher.client.publishAsync("redeliver/1", "m2", { qos: 1 });
        const sent = [await rawPublish(first.raw), await rawPublish(first.raw)];
        expect(sent.map((p) => [p.payload.toString(), p.qos, p.dup])).toEqual([
          ["m1", 1, false],
          ["m2", 1, false],
        ]);
        // Acknowledge the second only, then lose the connection.
        first.raw.send({ cmd: "puback", messageId: sent[1]!.messageId });
        // Packets are handled in order: the PINGRESP says the PUBACK was.
        first.raw.send({ cmd: "pingreq" });
        await first.raw.next("pingresp");
        first.raw.destroy();
        await first.raw.whenClosed();

        const second = await h.rawConnected(protocolVersion, rawPersistent(protocolVersion, id));
        expect(second.connack.sessionPresent).toBe(true);
        const again = await rawPublish(second.raw);
        expect(again).toMatchObject({ topic: "redeliver/1", qos: 1, dup: true, messageId: sent[0]!.messageId });
        expect(again.payload.toString()).toBe("m1");
        second.raw.send({ cmd: "puback", messageId: again.messageId });
        expect(await rawCollect(second.raw, "publish")).toEqual([]);
        // The subscription survived: a new message flows, not marked DUP.
        await publisher.client.publishAsync("redeliver/1", "m3", { qos: 1 });
        expect(await rawPublish(second.raw)).toMatchObject({ dup: false, payload: Buffer.from("m3") });
      });

      it("resends an unacknowledged QoS 2 PUBLISH with DUP=1, then the PUBREL of one PUBRECed but not completed", async () => {
        h = await startHarness();
        const id = clientId("qos2");
        const first = await h.rawConnected(protocolVersion, rawPersistent(protocolVersion, id));
        await rawSubscribe(first.raw, [{ topic: "redeliver/2", qos: 2 }]);
        const publisher = await h.connect({ protocolVersion });
        await publisher.client.publishAsync("redeliver/2", "exactly-once", { qos: 2 });
        const original = await rawPublish(first.raw);
        expect(original).toMatchObject({ qos: 2, dup: false });
        first.raw.destroy();
        await first.raw.whenClosed();

        // Back without having sent PUBREC: the PUBLISH comes again with DUP.
        const second = await h.rawConnected(protocolVersion, rawPersistent(protocolVersion, id));
        expect(second.connack.sessionPresent).toBe(true);
        const resent = await rawPublish(second.raw);
        expect(resent).toMatchObject({ qos: 2, dup: true, messageId: original.messageId });
        expect(resent.payload.toString()).toBe("exactly-once");
        second.raw.send({ cmd: "pubrec", messageId: resent.messageId });
        expect(await second.raw.next("pubrel")).toMatchObject({ messageId: resent.messageId });
        second.raw.destroy();
        await second.raw.whenClosed();

        // Back without having sent PUBCOMP: only the PUBREL comes again.
        const third = await h.rawConnected(protocolVersion, rawPersistent(protocolVersion, id));
        expect(third.connack.sessionPresent).toBe(true);
        expect(await third.raw.next("pubrel")).toMatchObject({ messageId: original.messageId });
        third.raw.send({ cmd: "pubcomp", messageId: original.messageId });
        expect(await rawCollect(third.raw, "publish")).toEqual([]);
        third.raw.destroy();
        await third.raw.whenClosed();

        // Completed: nothing is owed any more.
        const fourth = await h.rawConnected(protocolVersion, rawPersistent(protocolVersion, id));
        expect(fourth.connack.sessionPresent).toBe(true);
        expect(await rawCollect(fourth.raw, "publish")).toEqual([]);
        expect(fourth.raw.packets.filter((p) => p.cmd === "pubrel")).toEqual([]);
      });
    });
  }

  it("keeps at most the client's Receive Maximum of QoS 1 and 2 PUBLISHes unacknowledged (MQTT 5.0)", async () => {
    h = await startHarness();
    const { raw, connack } = await h.rawConnected(5, { properties: { receiveMaximum: 2 } });
    expect(connack).toMatchObject({ reasonCode: 0 });
    await rawSubscribe(raw, [{ topic: "window/+", qos: 2 }]);
    const publisher = await h.connect({ protocolVersion: 5 });
    for (let i = 1; i <= 3; i++) await publisher.client.publishAsync("window/1", `a${i}`, { qos: 1 });
    for (let i = 1; i <= 2; i++) await publisher.client.publishAsync("window/2", `b${i}`, { qos: 2 });
    const payloads = (packets: IPublishPacket[]): string[] => packets.map((p) => p.payload.toString());

    const take = async (count: number): Promise<IPublishPacket[]> => {
      const taken = (await rawTake(raw, "publish", count)) as IPublishPacket[];
      // …and no more than that while the window is full.
      expect(await rawCollect(raw, "publish")).toEqual([]);
      return taken;
    };
    const firstTwo = await take(2);
    expect(payloads(firstTwo)).toEqual(["a1", "a2"]);
    raw.send({ cmd: "puback", messageId: firstTwo[0]!.messageId });
    const third = await take(1);
    expect(payloads(third)).toEqual(["a3"]);
    raw.send({ cmd: "puback", messageId: firstTwo[1]!.messageId });
    raw.send({ cmd: "puback", messageId: third[0]!.messageId });
    const qos2 = await take(2);
    expect(payloads(qos2)).toEqual(["b1", "b2"]);
    expect(qos2.map((p) => p.qos)).toEqual([2, 2]);
    // A QoS 2 message holds its slot until PUBCOMP, not PUBREC.
    await publisher.client.publishAsync("window/1", "a4", { qos: 1 });
    raw.send({ cmd: "pubrec", messageId: qos2[0]!.messageId });
    expect(await raw.next("pubrel")).toMatchObject({ messageId: qos2[0]!.messageId });
    expect(await rawCollect(raw, "publish")).toEqual([]);
    raw.send({ cmd: "pubcomp", messageId: qos2[0]!.messageId });
    expect(payloads(await take(1))).toEqual(["a4"]);
  });

  it("answers a PUBREC for a packet id not in flight with PUBREL 0x92 (MQTT 5.0), and a 3.1.1 one with PUBREL", async () => {
    h = await startHarness();
    const v5 = await h.rawConnected(5);
    v5.raw.send({ cmd: "pubrec", messageId: 999 });
    expect(await v5.raw.next("pubrel")).toMatchObject({ messageId: 999, reasonCode: 0x92 });
    // A refusing PUBREC (0x80 and above) ends the exchange: no PUBREL.
    v5.raw.send({ cmd: "pubrec", messageId: 998, reasonCode: 0x80 });
    expect(await rawCollect(v5.raw, "pubrel")).toEqual([]);
    const v3 = await h.rawConnected(4);
    v3.raw.send({ cmd: "pubrec", messageId: 999 });
    expect(await v3.raw.next("pubrel")).toMatchObject({ messageId: 999 });
    expect(v5.raw.closed || v3.raw.closed).toBe(false);
  });

  it("limits the messages in flight to maxInflight (MQTT 3.1.1, which has no Receive Maximum)", async () => {
    h = await startHarness({ maxInflight: 2 });
    const { raw } = await h.rawConnected(4);
    await rawSubscribe(raw, [{ topic: "window", qos: 1 }]);
    const publisher = await h.connect({ protocolVersion: 4 });
    for (let i = 1; i <= 4; i++) await publisher.client.publishAsync("window", `m${i}`, { qos: 1 });
    const firstTwo = (await rawTake(raw, "publish", 2)) as IPublishPacket[];
    expect(firstTwo.map((p) => p.payload.toString())).toEqual(["m1", "m2"]);
    expect(await rawCollect(raw, "publish")).toEqual([]);
    for (const p of firstTwo) raw.send({ cmd: "puback", messageId: p.messageId });
    const rest = (await rawTake(raw, "publish", 2)) as IPublishPacket[];
    expect(rest.map((p) => p.payload.toString())).toEqual(["m3", "m4"]);
  });
});
