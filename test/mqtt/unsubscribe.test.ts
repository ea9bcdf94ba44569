/**
 * UNSUBSCRIBE at 3.1.1 and 5.0: deliveries stop for the filter removed (others stay); the MQTT 5 UNSUBACK
 * carries a reason code per filter — 0x00 success, 0x11 no subscription existed — while the 3.1.1 UNSUBACK
 * has none. A filter is matched as subscribed: unsubscribing `a/+` leaves `a/#`.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { IUnsubackPacket } from "mqtt-packet";
import { label, rawSubscribe, startHarness, VERSIONS, type Harness } from "../support/mqtt-conformance.js";

describe("MQTT UNSUBSCRIBE", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  for (const protocolVersion of VERSIONS) {
    it(`stops the deliveries of the filter removed only (${label(protocolVersion)})`, async () => {
      const subscriber = await h.connect({ protocolVersion });
      await subscriber.client.subscribeAsync(["unsub/+", "unsub/#"], { qos: 1 });
      const publisher = await h.connect({ protocolVersion });
      await subscriber.client.unsubscribeAsync("unsub/+");
      await publisher.client.publishAsync("unsub/a/b", "deep", { qos: 1 });
      await publisher.client.publishAsync("unsub/a", "shallow", { qos: 1 });
      // `unsub/#` still matches both.
      expect((await subscriber.inbox.take(2)).map((m) => m.payload)).toEqual(["deep", "shallow"]);
      await subscriber.client.unsubscribeAsync("unsub/#");
      await publisher.client.publishAsync("unsub/a", "after", { qos: 1 });
      expect(await subscriber.inbox.quiet()).toEqual([]);
      expect(h.broker.mqtt.stats().subscriptions).toBe(0);
    });
  }

  it("answers UNSUBACK with reason codes 0x00 and 0x11 (MQTT 5.0)", async () => {
    const subscriber = await h.connect({ protocolVersion: 5 });
    await subscriber.client.subscribeAsync("codes/a", { qos: 0 });
    const unsuback = (await subscriber.client.unsubscribeAsync(["codes/a", "codes/never"])) as IUnsubackPacket | undefined;
    expect((unsuback as unknown as { granted: number[] }).granted).toEqual([0x00, 0x11]);

    const { raw } = await h.rawConnected(5);
    await rawSubscribe(raw, [{ topic: "codes/b", qos: 1 }]);
    raw.send({ cmd: "unsubscribe", messageId: 9, unsubscriptions: ["codes/b", "codes/b", "codes/+"] });
    expect(await raw.next("unsuback")).toMatchObject({ messageId: 9, granted: [0x00, 0x11, 0x11] });
  });

  it("answers a 3.1.1 UNSUBACK without reason codes, whether or not the subscription existed", async () => {
    const { raw } = await h.rawConnected(4);
    await rawSubscribe(raw, [{ topic: "v3/a", qos: 1 }]);
    raw.send({ cmd: "unsubscribe", messageId: 11, unsubscriptions: ["v3/a", "v3/never"] });
    const unsuback = await raw.next("unsuback");
    expect(unsuback).toMatchObject({ cmd: "unsuback", messageId: 11 });
    expect((unsuback as unknown as { granted?: number[] }).granted).toBeUndefined();
  });
});
