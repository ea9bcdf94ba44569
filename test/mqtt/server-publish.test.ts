/**
 * `mqtt.publish()`, the server publishing as a client would: subscribers at 3.1.1 and 5.0 get the message at
 * min(QoS, subscription QoS); `retain` stores it for later subscribers; content type, user properties and
 * `expirySec` reach MQTT 5 subscribers; a server message is not "local" to any client (No Local does not
 * skip it); it is queued for absent persistent sessions; an invalid topic name throws.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MqttError, MqttErrorCode } from "../../src/mqtt/index.js";
import { clientId, label, persistent, startHarness, until, VERSIONS, type Harness } from "../support/mqtt-conformance.js";

describe("mqtt.publish()", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  for (const protocolVersion of VERSIONS) {
    it(`reaches subscribers at min(QoS, subscription QoS) and retains (${label(protocolVersion)})`, async () => {
      const q1 = await h.connect({ protocolVersion });
      await q1.client.subscribeAsync("server/#", { qos: 1 });
      const q2 = await h.connect({ protocolVersion });
      await q2.client.subscribeAsync("server/#", { qos: 2 });
      h.broker.mqtt.publish("server/a", "zero");
      h.broker.mqtt.publish("server/b", Buffer.from("two"), { qos: 2 });
      h.broker.mqtt.publish("server/c", "kept", { qos: 1, retain: true });
      // Sorted: MQTT.js emits a QoS 2 message only after PUBREL, so after a QoS 1 one sent behind it.
      const received = async (inbox: typeof q1.inbox): Promise<string[]> => (await inbox.take(3)).map((m) => `${m.topic}=${m.payload}@${m.qos}`).sort();
      expect(await received(q1.inbox)).toEqual(["server/a=zero@0", "server/b=two@1", "server/c=kept@1"]);
      expect(await received(q2.inbox)).toEqual(["server/a=zero@0", "server/b=two@2", "server/c=kept@1"]);
      const later = await h.connect({ protocolVersion });
      await later.client.subscribeAsync("server/+", { qos: 2 });
      expect(await later.inbox.one()).toMatchObject({ topic: "server/c", payload: "kept", retain: true, qos: 1 });
      expect(h.broker.mqtt.stats().retained).toBe(1);
    });

    it(`queues QoS 1 server messages for an absent persistent session (${label(protocolVersion)})`, async () => {
      const id = clientId("away");
      const first = await h.connect(persistent(protocolVersion, id));
      await first.client.subscribeAsync("server/queued", { qos: 1 });
      await first.client.endAsync(false);
      await until(() => h.broker.mqtt.stats().connections === 0, "the client to leave");
      h.broker.mqtt.publish("server/queued", "while away", { qos: 1 });
      h.broker.mqtt.publish("server/queued", "dropped", { qos: 0 });
      const back = await h.connect(persistent(protocolVersion, id));
      expect(await back.inbox.one()).toMatchObject({ payload: "while away", qos: 1 });
      expect(await back.inbox.quiet()).toEqual([]);
    });
  }

  it("sends content type, user properties and the expiry to MQTT 5 subscribers", async () => {
    const subscriber = await h.connect({ protocolVersion: 5 });
    await subscriber.client.subscribeAsync("server/props", { qos: 1, nl: true });
    h.broker.mqtt.publish("server/props", '{"ok":true}', { qos: 1, contentType: "application/json", userProperties: { source: "server", tags: ["a", "b"] }, expirySec: 60 });
    const m = await subscriber.inbox.one();
    expect(m).toMatchObject({ payload: '{"ok":true}', qos: 1 });
    expect(m.properties).toMatchObject({ contentType: "application/json", userProperties: { source: "server", tags: ["a", "b"] } });
    expect(m.properties?.messageExpiryInterval).toBeGreaterThanOrEqual(59);
    expect(m.properties?.messageExpiryInterval).toBeLessThanOrEqual(60);
  });

  it("throws for an invalid topic name", () => {
    for (const topic of ["", "a/+", "a/#", "nul\u0000"]) {
      expect(() => h.broker.mqtt.publish(topic, "x")).toThrow(MqttError);
      try {
        h.broker.mqtt.publish(topic, "x");
      } catch (err) {
        expect((err as MqttError).code).toBe(MqttErrorCode.BAD_OPTION);
      }
    }
  });
});
