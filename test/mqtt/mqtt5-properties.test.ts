/**
 * MQTT 5 PUBLISH properties through the broker: user properties (repeated keys included), content type,
 * response topic, correlation data and payload format indicator reach subscribers unchanged (a 3.1.1
 * subscriber gets the bare message); the topic alias does not travel. Message Expiry Interval: a message
 * queued for an offline session longer than its expiry is not delivered, one delivered later carries the
 * remaining interval, and a live delivery carries it too. Request Problem Information 0 keeps reason
 * strings out of acknowledgements.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { IPubackPacket } from "mqtt-packet";
import { Channel, ok, reply, Socket, type ChannelRoute } from "../../src/index.js";
import { clientId, Harness, persistent, sleep, startHarness, until } from "../support/mqtt-conformance.js";
import { startBroker } from "../support/mqtt.js";

/** A channel that refuses every client event with a reason (PUBACK 0x83 and that reason string). */
class RefusingChannel extends Channel {
  override join() {
    return ok({});
  }

  override handleIn() {
    return reply("error", { reason: "never" });
  }
}

class RefusingSocket extends Socket {
  static override channels: readonly ChannelRoute[] = [["strict:*", RefusingChannel]];

  override connect() {
    return true;
  }
}

describe("MQTT 5 properties", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  it("forwards user properties, content type, response topic, correlation data and payload format indicator", async () => {
    const subscriber = await h.connect({ protocolVersion: 5 });
    await subscriber.client.subscribeAsync("rpc/#", { qos: 2 });
    const legacy = await h.connect({ protocolVersion: 4 });
    await legacy.client.subscribeAsync("rpc/#", { qos: 2 });
    const publisher = await h.connect({ protocolVersion: 5 });
    for (const qos of [0, 1, 2] as const) {
      await publisher.client.publishAsync("rpc/request", `{"n":${qos}}`, {
        qos,
        properties: {
          userProperties: { trace: "abc", tag: ["one", "two"] },
          contentType: "application/json",
          responseTopic: "rpc/reply/42",
          correlationData: Buffer.from([0xde, 0xad, 0xbe, 0xef]),
          payloadFormatIndicator: true,
        },
      });
      const m = await subscriber.inbox.one();
      expect(m).toMatchObject({ topic: "rpc/request", payload: `{"n":${qos}}`, qos });
      expect(m.properties).toEqual({
        userProperties: { trace: "abc", tag: ["one", "two"] },
        contentType: "application/json",
        responseTopic: "rpc/reply/42",
        correlationData: Buffer.from([0xde, 0xad, 0xbe, 0xef]),
        payloadFormatIndicator: true,
      });
      expect(await legacy.inbox.one()).toMatchObject({ topic: "rpc/request", payload: `{"n":${qos}}`, qos, properties: undefined });
    }
  });

  it("forwards the properties of a 5.0 PUBLISH sent with a topic alias, without the alias", async () => {
    const subscriber = await h.connect({ protocolVersion: 5 });
    await subscriber.client.subscribeAsync("alias/+", { qos: 1 });
    const { raw } = await h.rawConnected(5);
    raw.send({ cmd: "publish", topic: "alias/x", payload: Buffer.from("1"), qos: 1, messageId: 1, properties: { topicAlias: 3, contentType: "text/plain" } });
    raw.send({ cmd: "publish", topic: "", payload: Buffer.from("2"), qos: 1, messageId: 2, properties: { topicAlias: 3, userProperties: { k: "v" } } });
    const [first, second] = await subscriber.inbox.take(2);
    expect(first).toMatchObject({ topic: "alias/x", payload: "1", properties: { contentType: "text/plain" } });
    expect(second).toMatchObject({ topic: "alias/x", payload: "2", properties: { userProperties: { k: "v" } } });
    expect(first!.properties?.topicAlias).toBeUndefined();
    expect(second!.properties?.topicAlias).toBeUndefined();
  });

  it("leaves reason strings out of acknowledgements when the client set Request Problem Information to 0", async () => {
    await h.stop();
    h = new Harness(
      await startBroker({ socket: RefusingSocket, unrouted: "broker" }, {}, (endpoint) => {
        endpoint.socket("/socket", RefusingSocket);
      }),
    );
    const publishRefused = async (fields: Record<string, unknown>): Promise<IPubackPacket> => {
      const { raw } = await h.rawConnected(5, fields);
      raw.send({ cmd: "publish", topic: "strict/x", payload: Buffer.from("{}"), qos: 1, messageId: 5, retain: false, dup: false });
      return (await raw.next("puback")) as IPubackPacket;
    };
    const told = await publishRefused({});
    expect(told).toMatchObject({ messageId: 5, reasonCode: 0x83, properties: { reasonString: "never" } });
    const quiet = await publishRefused({ properties: { requestProblemInformation: false } });
    expect(quiet).toMatchObject({ messageId: 5, reasonCode: 0x83 });
    expect(quiet.properties?.reasonString).toBeUndefined();
  });

  describe("Message Expiry Interval", () => {
    async function awaySubscriber(id: string): Promise<void> {
      const subscriber = await h.connect(persistent(5, id));
      await subscriber.client.subscribeAsync("expiry/#", { qos: 1 });
      await subscriber.client.endAsync(false);
      await until(() => h.broker.mqtt.stats().connections === 0, "the subscriber to leave");
    }

    it("drops a queued message whose expiry passed before its session's client came back", async () => {
      const id = clientId("expired");
      await awaySubscriber(id);
      const publisher = await h.connect({ protocolVersion: 5 });
      await publisher.client.publishAsync("expiry/short", "stale", { qos: 1, properties: { messageExpiryInterval: 1 } });
      await publisher.client.publishAsync("expiry/long", "fresh", { qos: 1, properties: { messageExpiryInterval: 60 } });
      await publisher.client.publishAsync("expiry/none", "forever", { qos: 1 });
      await sleep(1_100);
      const back = await h.connect(persistent(5, id));
      expect(back.connack.sessionPresent).toBe(true);
      const got = await back.inbox.take(2);
      expect(got.map((m) => m.payload)).toEqual(["fresh", "forever"]);
      expect(got[0]!.properties?.messageExpiryInterval).toBeLessThanOrEqual(59);
      expect(got[0]!.properties?.messageExpiryInterval).toBeGreaterThanOrEqual(58);
      expect(got[1]!.properties?.messageExpiryInterval).toBeUndefined();
      expect(await back.inbox.quiet()).toEqual([]);
    });

    it("counts the remaining interval down for a message delivered late", async () => {
      const id = clientId("remaining");
      await awaySubscriber(id);
      const publisher = await h.connect({ protocolVersion: 5 });
      await publisher.client.publishAsync("expiry/a", "late", { qos: 1, properties: { messageExpiryInterval: 3 } });
      await sleep(1_100);
      const back = await h.connect(persistent(5, id));
      const m = await back.inbox.one();
      expect(m.payload).toBe("late");
      // 3 s minus the 1.1 s and more it waited, rounded up.
      expect(m.properties?.messageExpiryInterval).toBe(2);
    });

    it("sends the interval with a live delivery", async () => {
      const subscriber = await h.connect({ protocolVersion: 5 });
      await subscriber.client.subscribeAsync("expiry/live", { qos: 1 });
      const publisher = await h.connect({ protocolVersion: 5 });
      await publisher.client.publishAsync("expiry/live", "now", { qos: 1, properties: { messageExpiryInterval: 30 } });
      const m = await subscriber.inbox.one();
      expect(m.properties?.messageExpiryInterval).toBeGreaterThanOrEqual(29);
      expect(m.properties?.messageExpiryInterval).toBeLessThanOrEqual(30);
    });

    it("stops sending an expired retained message", async () => {
      const publisher = await h.connect({ protocolVersion: 5 });
      await publisher.client.publishAsync("expiry/retained", "soon gone", { qos: 1, retain: true, properties: { messageExpiryInterval: 1 } });
      const early = await h.connect({ protocolVersion: 5 });
      await early.client.subscribeAsync("expiry/retained", { qos: 1 });
      expect(await early.inbox.one()).toMatchObject({ payload: "soon gone", retain: true });
      await sleep(1_100);
      const late = await h.connect({ protocolVersion: 5 });
      await late.client.subscribeAsync("expiry/retained", { qos: 1 });
      expect(await late.inbox.quiet()).toEqual([]);
    });
  });
});
