/**
 * Retained messages at 3.1.1 and 5.0: set, replaced by a newer one, cleared by an empty retained payload;
 * delivered on SUBSCRIBE with RETAIN=1 at min(retained QoS, subscription QoS), every match of a wildcard
 * filter; live deliveries to existing subscribers carry RETAIN=0; and the MQTT 5 properties stored with
 * a retained message go out with it. (Retain As Published and Retain Handling: subscription-options.test.ts.)
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { label, startHarness, VERSIONS, type Harness } from "../support/mqtt-conformance.js";

describe("MQTT retained messages", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  for (const protocolVersion of VERSIONS) {
    describe(label(protocolVersion), () => {
      it("sets, replaces and clears the retained message of a topic", async () => {
        const publisher = await h.connect({ protocolVersion });
        await publisher.client.publishAsync("door/front", "open", { qos: 1, retain: true });
        const early = await h.connect({ protocolVersion });
        await early.client.subscribeAsync("door/front", { qos: 1 });
        expect(await early.inbox.one()).toMatchObject({ topic: "door/front", payload: "open", retain: true, qos: 1 });

        await publisher.client.publishAsync("door/front", "closed", { qos: 1, retain: true });
        // The existing subscriber gets the new message live, so without the retain flag.
        expect(await early.inbox.one()).toMatchObject({ payload: "closed", retain: false });
        const later = await h.connect({ protocolVersion });
        await later.client.subscribeAsync("door/front", { qos: 1 });
        expect(await later.inbox.one()).toMatchObject({ payload: "closed", retain: true });
        expect(await later.inbox.quiet()).toEqual([]);
        expect(h.broker.mqtt.stats().retained).toBe(1);

        // An empty retained payload clears the topic (and is itself delivered to current subscribers).
        await publisher.client.publishAsync("door/front", "", { qos: 1, retain: true });
        expect(await early.inbox.one()).toMatchObject({ payload: "", retain: false });
        const last = await h.connect({ protocolVersion });
        await last.client.subscribeAsync("door/front", { qos: 1 });
        expect(await last.inbox.quiet()).toEqual([]);
        expect(h.broker.mqtt.stats().retained).toBe(0);
      });

      it("delivers retained messages at the lower of their QoS and the subscription's", async () => {
        const publisher = await h.connect({ protocolVersion });
        await publisher.client.publishAsync("levels/q0", "zero", { qos: 0, retain: true });
        await publisher.client.publishAsync("levels/q1", "one", { qos: 1, retain: true });
        await publisher.client.publishAsync("levels/q2", "two", { qos: 2, retain: true });
        const got = async (qos: 0 | 1 | 2): Promise<Record<string, number>> => {
          const subscriber = await h.connect({ protocolVersion });
          await subscriber.client.subscribeAsync("levels/+", { qos });
          const messages = await subscriber.inbox.take(3);
          expect(messages.every((m) => m.retain)).toBe(true);
          return Object.fromEntries(messages.map((m) => [m.payload, m.qos]));
        };
        expect(await got(0)).toEqual({ zero: 0, one: 0, two: 0 });
        expect(await got(1)).toEqual({ zero: 0, one: 1, two: 1 });
        expect(await got(2)).toEqual({ zero: 0, one: 1, two: 2 });
      });

      it("sends the retained messages again on every SUBSCRIBE by default, and none for non-matching filters", async () => {
        const publisher = await h.connect({ protocolVersion });
        await publisher.client.publishAsync("rooms/a/temp", "20", { qos: 1, retain: true });
        await publisher.client.publishAsync("rooms/b/temp", "21", { qos: 1, retain: true });
        const subscriber = await h.connect({ protocolVersion });
        await subscriber.client.subscribeAsync("rooms/+/humidity", { qos: 1 });
        expect(await subscriber.inbox.quiet()).toEqual([]);
        await subscriber.client.subscribeAsync("rooms/#", { qos: 1 });
        expect((await subscriber.inbox.take(2)).map((m) => m.payload).sort()).toEqual(["20", "21"]);
        await subscriber.client.subscribeAsync("rooms/#", { qos: 1 });
        expect((await subscriber.inbox.take(2)).map((m) => m.payload).sort()).toEqual(["20", "21"]);
      });
    });
  }

  it("keeps the MQTT 5 properties of a retained message", async () => {
    const publisher = await h.connect({ protocolVersion: 5 });
    await publisher.client.publishAsync("meta/x", '{"v":1}', {
      qos: 1,
      retain: true,
      properties: { contentType: "application/json", userProperties: { origin: "sensor-1" }, responseTopic: "meta/reply", payloadFormatIndicator: true },
    });
    const subscriber = await h.connect({ protocolVersion: 5 });
    await subscriber.client.subscribeAsync("meta/#", { qos: 1 });
    const m = await subscriber.inbox.one();
    expect(m).toMatchObject({ payload: '{"v":1}', retain: true });
    expect(m.properties).toMatchObject({ contentType: "application/json", userProperties: { origin: "sensor-1" }, responseTopic: "meta/reply", payloadFormatIndicator: true });
  });

  it("shares retained messages between 3.1.1 and 5.0 clients", async () => {
    const v3 = await h.connect({ protocolVersion: 4 });
    await v3.client.publishAsync("mixed/a", "from 3.1.1", { qos: 1, retain: true });
    const v5 = await h.connect({ protocolVersion: 5 });
    await v5.client.publishAsync("mixed/b", "from 5.0", { qos: 1, retain: true });
    const readers = await Promise.all([h.connect({ protocolVersion: 4 }), h.connect({ protocolVersion: 5 })]);
    for (const reader of readers) {
      await reader.client.subscribeAsync("mixed/+", { qos: 1 });
      expect((await reader.inbox.take(2)).map((m) => `${m.topic}=${m.payload}`).sort()).toEqual(["mixed/a=from 3.1.1", "mixed/b=from 5.0"]);
    }
  });
});
