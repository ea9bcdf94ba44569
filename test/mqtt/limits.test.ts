/**
 * Size and count limits: an inbound packet above `maxPacketBytes` closes the connection (MQTT 5: DISCONNECT
 * 0x95 first; CONNACK announces Maximum Packet Size); outbound, a 5.0 client that announced a Maximum Packet
 * Size never gets a larger PUBLISH (it is dropped for that client only, without blocking what follows) while
 * other clients get it; a client with more unacknowledged QoS 2 PUBLISHes than the server's Receive Maximum
 * is disconnected with 0x93; `maxQueued` bounds what waits for an absent client; `retained.maxMessages`
 * bounds the retained store; a client reading too slowly is disconnected with 0x97 (`maxBufferedBytes`);
 * `maxQos` and `retained: false` are announced and enforced.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { IConnackPacket } from "mqtt-packet";
import { clientId, label, persistent, rawClosed, rawCollect, rawPublish, rawSubscribe, startHarness, until, VERSIONS, type Harness } from "../support/mqtt-conformance.js";

describe("MQTT limits", () => {
  let h: Harness;
  afterEach(async () => {
    await h.stop();
  });

  describe("maxPacketBytes (inbound)", () => {
    for (const protocolVersion of VERSIONS) {
      it(`closes the connection of a client that sends a larger packet (${label(protocolVersion)})`, async () => {
        h = await startHarness({ maxPacketBytes: 1024 });
        const subscriber = await h.connect({ protocolVersion });
        await subscriber.client.subscribeAsync("big/#", { qos: 1 });
        const { raw, connack } = await h.rawConnected(protocolVersion);
        if (protocolVersion === 5) expect(connack.properties?.maximumPacketSize).toBe(1024);
        // Fits: 1 000 payload bytes plus the headers stay under 1 024.
        raw.send({ cmd: "publish", topic: "big/ok", payload: Buffer.alloc(1000, 1), qos: 1, messageId: 1, retain: false, dup: false });
        expect(await raw.next("puback")).toMatchObject({ messageId: 1 });
        raw.send({ cmd: "publish", topic: "big/no", payload: Buffer.alloc(1100, 2), qos: 1, messageId: 2, retain: false, dup: false });
        const disconnect = await rawClosed(raw);
        if (protocolVersion === 5) expect(disconnect).toMatchObject({ cmd: "disconnect", reasonCode: 0x95 });
        else expect(disconnect).toBeUndefined();
        expect(raw.packets.filter((p) => p.cmd === "puback")).toEqual([]);
        expect((await subscriber.inbox.one()).topic).toBe("big/ok");
        expect(await subscriber.inbox.quiet()).toEqual([]);
      });
    }
  });

  describe("the client's Maximum Packet Size (outbound, MQTT 5.0)", () => {
    it("never sends a client a PUBLISH larger than it announced; other clients still get it", async () => {
      h = await startHarness();
      const small = await h.connect({ protocolVersion: 5, properties: { maximumPacketSize: 200 } });
      const large = await h.connect({ protocolVersion: 5 });
      const legacy = await h.connect({ protocolVersion: 4 });
      for (const { client } of [small, large, legacy]) await client.subscribeAsync("size/#", { qos: 1 });
      const publisher = await h.connect({ protocolVersion: 5 });
      for (const qos of [0, 1] as const) {
        await publisher.client.publishAsync("size/big", Buffer.alloc(500, 7), { qos });
        await publisher.client.publishAsync("size/small", `tiny-${qos}`, { qos });
      }
      expect((await small.inbox.take(2)).map((m) => m.payload)).toEqual(["tiny-0", "tiny-1"]);
      expect(await small.inbox.quiet()).toEqual([]);
      expect(small.client.connected).toBe(true);
      for (const other of [large, legacy]) expect((await other.inbox.take(4)).map((m) => m.topic)).toEqual(["size/big", "size/small", "size/big", "size/small"]);
    });

    it("does not let dropped QoS 1 messages hold the in-flight window", async () => {
      h = await startHarness();
      const { raw } = await h.rawConnected(5, { properties: { maximumPacketSize: 100, receiveMaximum: 1 } });
      await rawSubscribe(raw, [{ topic: "window/#", qos: 1 }]);
      const publisher = await h.connect({ protocolVersion: 5 });
      for (let i = 0; i < 3; i++) await publisher.client.publishAsync("window/big", Buffer.alloc(300), { qos: 1 });
      await publisher.client.publishAsync("window/small", "fits", { qos: 1 });
      expect((await rawPublish(raw)).payload.toString()).toBe("fits");
      expect(await rawCollect(raw, "publish")).toEqual([]);
    });
  });

  it("disconnects with 0x93 a client exceeding the server's Receive Maximum of QoS 2 PUBLISHes (MQTT 5.0)", async () => {
    h = await startHarness({ receiveMaximum: 2 });
    const { raw, connack } = await h.rawConnected(5);
    expect(connack.properties?.receiveMaximum).toBe(2);
    for (let id = 1; id <= 2; id++) {
      raw.send({ cmd: "publish", topic: "rm/x", payload: Buffer.from("x"), qos: 2, messageId: id, retain: false, dup: false });
      expect(await raw.next("pubrec")).toMatchObject({ messageId: id });
    }
    // Completing one frees its slot.
    raw.send({ cmd: "pubrel", messageId: 1 });
    expect(await raw.next("pubcomp")).toMatchObject({ messageId: 1 });
    raw.send({ cmd: "publish", topic: "rm/x", payload: Buffer.from("x"), qos: 2, messageId: 3, retain: false, dup: false });
    expect(await raw.next("pubrec")).toMatchObject({ messageId: 3 });
    raw.send({ cmd: "publish", topic: "rm/x", payload: Buffer.from("x"), qos: 2, messageId: 4, retain: false, dup: false });
    expect(await rawClosed(raw)).toMatchObject({ cmd: "disconnect", reasonCode: 0x93 });
  });

  for (const protocolVersion of VERSIONS) {
    it(`queues at most maxQueued messages for an absent client (${label(protocolVersion)})`, async () => {
      h = await startHarness({ maxQueued: 2 });
      const id = clientId("queue");
      const first = await h.connect(persistent(protocolVersion, id));
      await first.client.subscribeAsync("queue/#", { qos: 1 });
      await first.client.endAsync(false);
      await until(() => h.broker.mqtt.stats().connections === 0, "the subscriber to leave");
      const publisher = await h.connect({ protocolVersion });
      for (let i = 1; i <= 5; i++) await publisher.client.publishAsync("queue/x", `m${i}`, { qos: 1 });
      const back = await h.connect(persistent(protocolVersion, id));
      expect((await back.inbox.take(2)).map((m) => m.payload)).toEqual(["m1", "m2"]);
      expect(await back.inbox.quiet()).toEqual([]);
    });
  }

  it("keeps at most retained.maxMessages retained messages, still delivering the others live", async () => {
    h = await startHarness({ retained: { maxMessages: 2 } });
    const subscriber = await h.connect({ protocolVersion: 5 });
    await subscriber.client.subscribeAsync("full/#", { qos: 1 });
    const publisher = await h.connect({ protocolVersion: 5 });
    for (const topic of ["full/a", "full/b", "full/c"]) await publisher.client.publishAsync(topic, topic, { qos: 1, retain: true });
    expect((await subscriber.inbox.take(3)).map((m) => m.topic)).toEqual(["full/a", "full/b", "full/c"]);
    expect(h.broker.mqtt.stats().retained).toBe(2);
    // Replacing a kept topic still works; a late subscriber gets the two kept.
    await publisher.client.publishAsync("full/a", "a2", { qos: 1, retain: true });
    const late = await h.connect({ protocolVersion: 5 });
    await late.client.subscribeAsync("full/#", { qos: 1 });
    expect((await late.inbox.take(2)).map((m) => `${m.topic}=${m.payload}`).sort()).toEqual(["full/a=a2", "full/b=full/b"]);
    expect(await late.inbox.quiet()).toEqual([]);
  });

  it("disconnects with 0x97 a client that reads too slowly (maxBufferedBytes)", async () => {
    h = await startHarness({ maxBufferedBytes: 256 * 1024 });
    const { raw } = await h.rawConnected(5);
    await rawSubscribe(raw, [{ topic: "flood", qos: 0 }]);
    raw.socket.pause();
    const publisher = await h.connect({ protocolVersion: 5 });
    const chunk = Buffer.alloc(512 * 1024, 3);
    let sent = 0;
    while (h.broker.mqtt.stats().connections === 2 && sent < 200) {
      await publisher.client.publishAsync("flood", chunk, { qos: 1 });
      sent++;
    }
    expect(h.broker.mqtt.stats().connections).toBe(1);
    raw.socket.resume();
    expect(await rawClosed(raw, 5_000)).toMatchObject({ cmd: "disconnect", reasonCode: 0x97 });
    expect(raw.packets.filter((p) => p.cmd === "disconnect")).toHaveLength(1);
  });

  it("does not take a client that reads in time for a slow one when one turn writes more than maxBufferedBytes", async () => {
    h = await startHarness({ maxBufferedBytes: 16 * 1024 });
    const subscriber = await h.connect({ protocolVersion: 5 });
    await subscriber.client.subscribeAsync("burst", { qos: 0 });
    // One synchronous burst of 8 × 4 KiB = 32 KiB, written in one turn of the event loop: more than
    // maxBufferedBytes, but what the socket takes at once.
    for (let i = 0; i < 8; i++) h.broker.mqtt.publish("burst", Buffer.alloc(4 * 1024, i));
    expect(await subscriber.inbox.take(8)).toHaveLength(8);
    expect(subscriber.client.connected).toBe(true);
  });

  it("announces and enforces maxQos", async () => {
    h = await startHarness({ maxQos: 1 });
    const v5 = await h.connect({ protocolVersion: 5 });
    expect((v5.connack as IConnackPacket).properties?.maximumQoS).toBe(1);
    expect((await v5.client.subscribeAsync("mq/#", { qos: 2 }))[0]!.qos).toBe(1);
    const { raw } = await h.rawConnected(5);
    raw.send({ cmd: "publish", topic: "mq/x", payload: Buffer.from("x"), qos: 2, messageId: 1, retain: false, dup: false });
    expect(await rawClosed(raw)).toMatchObject({ reasonCode: 0x9b });
    expect(await v5.inbox.quiet()).toEqual([]);
  });

  it("announces and enforces retained: false", async () => {
    h = await startHarness({ retained: false });
    const { raw, connack } = await h.rawConnected(5);
    expect(connack.properties?.retainAvailable).toBe(false);
    raw.send({ cmd: "publish", topic: "r/x", payload: Buffer.from("x"), qos: 0, retain: true, dup: false });
    expect(await rawClosed(raw)).toMatchObject({ reasonCode: 0x9a });
    expect(h.broker.mqtt.stats().retained).toBe(0);
  });
});
