/**
 * MQTT 5 inbound topic aliases: CONNACK announces Topic Alias Maximum (`topicAliasMaximum`, default 32);
 * a PUBLISH with a topic and an alias sets the alias, a later one with an empty topic and the alias uses it,
 * and a new topic remaps it; aliases belong to one connection. Alias 0 or above the maximum is answered
 * with DISCONNECT 0x94 (Topic Alias invalid), an empty topic with an alias never set with 0x82. MQTT.js's
 * automatic alias assignment works against the broker.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { IConnackPacket } from "mqtt-packet";
import { rawClosed, startHarness, type Harness } from "../support/mqtt-conformance.js";
import type { RawMqtt } from "../support/mqtt.js";

describe("MQTT 5 topic aliases", () => {
  let h: Harness;
  afterEach(async () => {
    await h.stop();
  });

  function publish(raw: RawMqtt, topic: string, alias: number, payload: string, messageId: number): void {
    raw.send({ cmd: "publish", topic, payload: Buffer.from(payload), qos: 1, messageId, retain: false, dup: false, properties: { topicAlias: alias } });
  }

  it("announces the Topic Alias Maximum in CONNACK", async () => {
    h = await startHarness();
    expect((await h.rawConnected(5)).connack.properties?.topicAliasMaximum).toBe(32);
    await h.stop();
    h = await startHarness({ topicAliasMaximum: 4 });
    const { connack } = await h.connect({ protocolVersion: 5 });
    expect((connack as IConnackPacket).properties?.topicAliasMaximum).toBe(4);
  });

  it("sets, uses and remaps an alias", async () => {
    h = await startHarness();
    const subscriber = await h.connect({ protocolVersion: 5 });
    await subscriber.client.subscribeAsync("alias/#", { qos: 1 });
    const { raw } = await h.rawConnected(5);
    publish(raw, "alias/one", 1, "set", 1);
    publish(raw, "", 1, "use", 2);
    publish(raw, "alias/two", 1, "remap", 3);
    publish(raw, "", 1, "use again", 4);
    for (let id = 1; id <= 4; id++) expect(await raw.next("puback")).toMatchObject({ messageId: id });
    expect((await subscriber.inbox.take(4)).map((m) => `${m.topic}=${m.payload}`)).toEqual(["alias/one=set", "alias/one=use", "alias/two=remap", "alias/two=use again"]);
  });

  it("keeps aliases to their connection", async () => {
    h = await startHarness();
    const first = await h.rawConnected(5);
    publish(first.raw, "alias/mine", 2, "set", 1);
    await first.raw.next("puback");
    const second = await h.rawConnected(5);
    publish(second.raw, "", 2, "borrowed", 1);
    expect(await rawClosed(second.raw)).toMatchObject({ reasonCode: 0x82 });
    expect(first.raw.closed).toBe(false);
  });

  it.each([
    ["alias 0", "alias/x", 0],
    ["an alias above the maximum", "alias/x", 5],
    ["an alias above the maximum with an empty topic", "", 5],
  ])("disconnects with 0x94 for %s", async (_name, topic, alias) => {
    h = await startHarness({ topicAliasMaximum: 4 });
    const { raw } = await h.rawConnected(5);
    publish(raw, topic, alias, "bad", 1);
    expect(await rawClosed(raw)).toMatchObject({ cmd: "disconnect", reasonCode: 0x94 });
  });

  it("disconnects with 0x82 for an empty topic whose alias was never set", async () => {
    h = await startHarness();
    const { raw } = await h.rawConnected(5);
    publish(raw, "", 7, "unknown", 1);
    expect(await rawClosed(raw)).toMatchObject({ cmd: "disconnect", reasonCode: 0x82 });
  });

  it("works with MQTT.js's automatic topic aliases", async () => {
    h = await startHarness();
    const subscriber = await h.connect({ protocolVersion: 5 });
    await subscriber.client.subscribeAsync("auto/#", { qos: 1 });
    const publisher = await h.connect({ protocolVersion: 5, autoAssignTopicAlias: true });
    const sent: Array<{ topic: string; alias: number | undefined }> = [];
    publisher.client.on("packetsend", (packet) => {
      if (packet.cmd === "publish") sent.push({ topic: packet.topic, alias: packet.properties?.topicAlias });
    });
    for (let i = 0; i < 3; i++) await publisher.client.publishAsync("auto/long/topic/name", `n${i}`, { qos: 1 });
    expect(sent).toHaveLength(3);
    expect(sent[0]!.alias).toBeDefined();
    expect(sent.slice(1).every((p) => p.topic === "" && p.alias !== undefined)).toBe(true);
    expect((await subscriber.inbox.take(3)).map((m) => `${m.topic}=${m.payload}`)).toEqual(["auto/long/topic/name=n0", "auto/long/topic/name=n1", "auto/long/topic/name=n2"]);
  });
});
