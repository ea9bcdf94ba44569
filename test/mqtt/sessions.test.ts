/**
 * Sessions at 3.1.1 (clean session) and 5.0 (clean start + Session Expiry Interval): a persistent session
 * keeps its subscriptions across connections (CONNACK session present = 1) and the QoS 1 and 2 messages
 * published while its client was away (QoS 0 ones are dropped); a clean session / clean start discards it;
 * MQTT 5 sessions expire after their interval (then session present = 0 and the subscriptions are gone), end
 * with the connection when the interval is 0, and take the interval a DISCONNECT sets.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { clientId, label, persistent, startHarness, until, VERSIONS, type Harness } from "../support/mqtt-conformance.js";

describe("MQTT sessions", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  for (const protocolVersion of VERSIONS) {
    describe(label(protocolVersion), () => {
      it("resumes a persistent session: subscriptions kept, QoS 1 and 2 queued while away, QoS 0 dropped", async () => {
        const id = clientId("persist");
        const first = await h.connect(persistent(protocolVersion, id));
        expect(first.connack.sessionPresent).toBe(false);
        await first.client.subscribeAsync("inbox/#", { qos: 2 });
        await first.client.endAsync(false);
        await until(() => h.broker.mqtt.stats().connections === 0, "the subscriber's connection to close");

        const publisher = await h.connect({ protocolVersion });
        await publisher.client.publishAsync("inbox/a", "lost", { qos: 0 });
        await publisher.client.publishAsync("inbox/a", "kept-1", { qos: 1 });
        await publisher.client.publishAsync("inbox/b", "kept-2", { qos: 2 });
        expect(h.broker.mqtt.stats().sessions).toBe(2);

        const second = await h.connect(persistent(protocolVersion, id));
        expect(second.connack.sessionPresent).toBe(true);
        expect((await second.inbox.take(2)).map((m) => `${m.topic}=${m.payload}@${m.qos}`)).toEqual(["inbox/a=kept-1@1", "inbox/b=kept-2@2"]);
        expect(await second.inbox.quiet()).toEqual([]);
        // The subscription is live without subscribing again.
        await publisher.client.publishAsync("inbox/c", "live", { qos: 0 });
        expect(await second.inbox.one()).toMatchObject({ topic: "inbox/c", payload: "live" });
      });

      it("discards the session on a clean session / clean start", async () => {
        const id = clientId("clean");
        const first = await h.connect(persistent(protocolVersion, id));
        await first.client.subscribeAsync("clean/#", { qos: 1 });
        await first.client.endAsync(false);
        await until(() => h.broker.mqtt.stats().connections === 0, "the first connection to close");
        const publisher = await h.connect({ protocolVersion });
        await publisher.client.publishAsync("clean/a", "queued", { qos: 1 });

        const second = await h.connect({ ...persistent(protocolVersion, id), clean: true });
        expect(second.connack.sessionPresent).toBe(false);
        await publisher.client.publishAsync("clean/a", "after", { qos: 1 });
        expect(await second.inbox.quiet()).toEqual([]);
      });

      it("answers session present = 0 to a first persistent connection", async () => {
        const first = await h.connect(persistent(protocolVersion, clientId("fresh")));
        expect(first.connack.sessionPresent).toBe(false);
      });
    });
  }

  it("ends a 3.1.1 clean session with its connection", async () => {
    const id = clientId("v3-clean");
    const first = await h.connect({ protocolVersion: 4, clientId: id, clean: true });
    await first.client.subscribeAsync("gone/#", { qos: 1 });
    await first.client.endAsync(false);
    await until(() => h.broker.mqtt.stats().sessions === 0, "the session to end");
    const second = await h.connect({ protocolVersion: 4, clientId: id, clean: false });
    expect(second.connack.sessionPresent).toBe(false);
  });

  describe("MQTT 5.0 session expiry", () => {
    it("keeps the session for its expiry interval, then ends it", async () => {
      const id = clientId("expiry");
      const first = await h.connect(persistent(5, id, 1));
      await first.client.subscribeAsync("exp/#", { qos: 1 });
      await first.client.endAsync(false);
      await until(() => h.broker.mqtt.stats().connections === 0, "the first connection to close");

      const within = await h.connect(persistent(5, id, 1));
      expect(within.connack.sessionPresent).toBe(true);
      await within.client.endAsync(false);
      const left = Date.now();
      await until(() => h.broker.mqtt.stats().sessions === 0, "the session to expire", 3_000);
      expect(Date.now() - left).toBeGreaterThanOrEqual(900);

      const after = await h.connect(persistent(5, id, 1));
      expect(after.connack.sessionPresent).toBe(false);
      const publisher = await h.connect({ protocolVersion: 5 });
      await publisher.client.publishAsync("exp/a", "x", { qos: 1 });
      expect(await after.inbox.quiet()).toEqual([]);
    });

    it("ends the session with the connection when the expiry is 0 (the default)", async () => {
      const id = clientId("zero");
      const first = await h.connect({ protocolVersion: 5, clientId: id, clean: false });
      await first.client.subscribeAsync("zero/#", { qos: 1 });
      await first.client.endAsync(false);
      await until(() => h.broker.mqtt.stats().connections === 0, "the first connection to close");
      const second = await h.connect({ protocolVersion: 5, clientId: id, clean: false });
      expect(second.connack.sessionPresent).toBe(false);
      const publisher = await h.connect({ protocolVersion: 5 });
      await publisher.client.publishAsync("zero/a", "x", { qos: 1 });
      expect(await second.inbox.quiet()).toEqual([]);
    });

    it("takes the expiry a DISCONNECT sets", async () => {
      const id = clientId("disc");
      const first = await h.connect(persistent(5, id, 60));
      await first.client.subscribeAsync("disc/#", { qos: 1 });
      await first.client.endAsync(false, { properties: { sessionExpiryInterval: 0 } });
      await until(() => h.broker.mqtt.stats().sessions === 0, "the session to end");
      const second = await h.connect(persistent(5, id, 60));
      expect(second.connack.sessionPresent).toBe(false);
    });

    it("tells the client the expiry it granted when it asked for more than maxSessionExpirySec", async () => {
      await h.stop();
      h = await startHarness({ maxSessionExpirySec: 1 });
      const id = clientId("capped");
      const first = await h.connect(persistent(5, id, 3600));
      expect(first.connack.properties?.sessionExpiryInterval).toBe(1);
      await first.client.endAsync(false);
      const left = Date.now();
      await until(() => h.broker.mqtt.stats().sessions === 0, "the capped session to expire");
      expect(Date.now() - left).toBeGreaterThanOrEqual(900);
    });
  });
});
