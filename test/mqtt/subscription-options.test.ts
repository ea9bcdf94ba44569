/**
 * MQTT 5 subscription options and identifiers: No Local (a client's own messages skip its subscription),
 * Retain As Published (live deliveries keep the publisher's retain flag), Retain Handling 0 / 1 / 2 (retained
 * messages on every SUBSCRIBE / only for a new subscription / never); Subscription Identifiers echoed on
 * matching PUBLISHes, retained ones included, every matching identifier when subscriptions overlap.
 * Overlapping subscriptions of one client get one copy at the highest QoS, at 3.1.1 and 5.0 alike.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { IPublishPacket } from "mqtt-packet";
import { label, rawCollect, rawPublish, rawSubscribe, startHarness, VERSIONS, type Harness } from "../support/mqtt-conformance.js";

/** The subscription identifiers of a received PUBLISH, as a sorted list. */
function ids(properties: IPublishPacket["properties"]): number[] {
  const value = properties?.subscriptionIdentifier;
  if (value === undefined) return [];
  return (Array.isArray(value) ? [...value] : [value]).sort((a, b) => a - b);
}

describe("MQTT subscription options", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  it("No Local: skips the subscriber's own messages, not other clients'", async () => {
    const local = await h.connect({ protocolVersion: 5 });
    await local.client.subscribeAsync("chat/room", { qos: 1, nl: true });
    await local.client.subscribeAsync("chat/all/#", { qos: 1 });
    const other = await h.connect({ protocolVersion: 5 });
    await local.client.publishAsync("chat/room", "mine", { qos: 1 });
    await other.client.publishAsync("chat/room", "theirs", { qos: 1 });
    expect(await local.inbox.one()).toMatchObject({ payload: "theirs" });
    // Without No Local, the client's own message comes back.
    await local.client.publishAsync("chat/all/x", "echo", { qos: 1 });
    expect(await local.inbox.one()).toMatchObject({ payload: "echo" });
    expect(await local.inbox.quiet()).toEqual([]);
  });

  it("Retain As Published: keeps the retain flag of live deliveries only when asked", async () => {
    const asPublished = await h.connect({ protocolVersion: 5 });
    await asPublished.client.subscribeAsync("rap/x", { qos: 1, rap: true });
    const plain = await h.connect({ protocolVersion: 5 });
    await plain.client.subscribeAsync("rap/x", { qos: 1 });
    const publisher = await h.connect({ protocolVersion: 5 });
    await publisher.client.publishAsync("rap/x", "kept", { qos: 1, retain: true });
    await publisher.client.publishAsync("rap/x", "live", { qos: 1, retain: false });
    expect((await asPublished.inbox.take(2)).map((m) => [m.payload, m.retain])).toEqual([
      ["kept", true],
      ["live", false],
    ]);
    expect((await plain.inbox.take(2)).map((m) => [m.payload, m.retain])).toEqual([
      ["kept", false],
      ["live", false],
    ]);
  });

  it("Retain Handling 0, 1 and 2", async () => {
    const publisher = await h.connect({ protocolVersion: 5 });
    await publisher.client.publishAsync("rh/a", "retained", { qos: 1, retain: true });
    const subscriber = await h.connect({ protocolVersion: 5 });
    /** Subscribes and checks that the retained message comes (once) or not. */
    const subscribe = async (rh: 0 | 1 | 2, filter: string, retainedSent: boolean): Promise<void> => {
      await subscriber.client.subscribeAsync(filter, { qos: 1, rh });
      if (retainedSent) expect(await subscriber.inbox.one()).toMatchObject({ payload: "retained", retain: true });
      expect(await subscriber.inbox.quiet()).toEqual([]);
    };
    // 0: on every SUBSCRIBE, new or not.
    await subscribe(0, "rh/+", true);
    await subscribe(0, "rh/+", true);
    // 1: only when the subscription is new.
    await subscribe(1, "rh/#", true);
    await subscribe(1, "rh/#", false);
    // 2: never.
    await subscribe(2, "rh/a", false);
    // A live message still reaches every subscription — as one copy.
    await publisher.client.publishAsync("rh/a", "live", { qos: 1 });
    expect((await subscriber.inbox.take(1))[0]).toMatchObject({ payload: "live", retain: false });
    expect(await subscriber.inbox.quiet()).toEqual([]);
  });

  it("echoes the subscription identifier on live and retained messages", async () => {
    const publisher = await h.connect({ protocolVersion: 5 });
    await publisher.client.publishAsync("sid/retained", "old", { qos: 1, retain: true });
    const subscriber = await h.connect({ protocolVersion: 5 });
    await subscriber.client.subscribeAsync("sid/+", { qos: 1, properties: { subscriptionIdentifier: 42 } });
    const retained = await subscriber.inbox.one();
    expect(retained).toMatchObject({ payload: "old", retain: true });
    expect(ids(retained.properties)).toEqual([42]);
    await publisher.client.publishAsync("sid/live", "new", { qos: 1 });
    expect(ids((await subscriber.inbox.one()).properties)).toEqual([42]);
    // Subscribing again without an identifier removes it.
    await subscriber.client.subscribeAsync("sid/+", { qos: 1, rh: 2 });
    await publisher.client.publishAsync("sid/live", "bare", { qos: 1 });
    expect(ids((await subscriber.inbox.one()).properties)).toEqual([]);
  });

  it("sends one PUBLISH with every matching identifier at the highest QoS when subscriptions overlap", async () => {
    const { raw } = await h.rawConnected(5);
    await rawSubscribe(raw, [{ topic: "over/+/temp", qos: 0 }], { subscriptionIdentifier: 1 });
    await rawSubscribe(raw, [{ topic: "over/#", qos: 2 }], { subscriptionIdentifier: 2 });
    await rawSubscribe(raw, [{ topic: "over/kitchen/temp", qos: 1 }], { subscriptionIdentifier: 300_000 });
    await rawSubscribe(raw, [{ topic: "over/kitchen/+", qos: 1 }]);
    const publisher = await h.connect({ protocolVersion: 5 });
    await publisher.client.publishAsync("over/kitchen/temp", "21", { qos: 2 });
    const p = await rawPublish(raw);
    expect(p).toMatchObject({ topic: "over/kitchen/temp", qos: 2 });
    expect(ids(p.properties)).toEqual([1, 2, 300_000]);
    raw.send({ cmd: "pubrec", messageId: p.messageId });
    expect(await rawCollect(raw, "publish")).toEqual([]);
    // Only the matching ones.
    await publisher.client.publishAsync("over/hall", "x", { qos: 1 });
    const q = await rawPublish(raw);
    expect(q).toMatchObject({ topic: "over/hall", qos: 1 });
    expect(ids(q.properties)).toEqual([2]);
  });

  for (const protocolVersion of VERSIONS) {
    it(`delivers one copy at the highest matching QoS to overlapping subscriptions (${label(protocolVersion)})`, async () => {
      const subscriber = await h.connect({ protocolVersion });
      await subscriber.client.subscribeAsync({ "dup/+": { qos: 0 }, "dup/#": { qos: 1 }, "dup/x": { qos: 2 } });
      const publisher = await h.connect({ protocolVersion });
      await publisher.client.publishAsync("dup/x", "a", { qos: 2 });
      await publisher.client.publishAsync("dup/y", "b", { qos: 2 });
      expect((await subscriber.inbox.take(2)).map((m) => `${m.topic}@${m.qos}`)).toEqual(["dup/x@2", "dup/y@1"]);
      expect(await subscriber.inbox.quiet()).toEqual([]);
    });
  }
});
