/**
 * CONNECT and CONNACK: an MQTT 5 client with an empty client id gets an Assigned Client Identifier (and a
 * 3.1.1 one with a clean session is accepted); an empty client id with a 3.1.1 persistent session is refused
 * with return code 2; an unknown protocol level gets CONNACK return code 1 and the connection closes; an MQTT 5
 * CONNACK announces the server's capabilities and limits; MQTT 3.1 (`MQIsdp`, level 3) is served like 3.1.1.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { IConnackPacket } from "mqtt-packet";
import { rawClosed, startHarness, type Harness } from "../support/mqtt-conformance.js";

/** A CONNECT packet with protocol name "MQTT", any protocol level and clean flag, as bytes (mqtt-packet refuses to encode some). */
function connectBytes(level: number, clientId = "x", clean = true): Buffer {
  const id = Buffer.from(clientId);
  const body = Buffer.concat([Buffer.from([0, 4]), Buffer.from("MQTT"), Buffer.from([level, clean ? 0x02 : 0x00, 0, 60]), Buffer.from([0, id.length]), id]);
  return Buffer.concat([Buffer.from([0x10, body.length]), body]);
}

describe("MQTT CONNECT and CONNACK", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  it("assigns a client identifier to an MQTT 5 client that sent an empty one", async () => {
    const { connack } = await h.rawConnected(5, { clientId: "" });
    const assigned = connack.properties?.assignedClientIdentifier;
    expect(connack.reasonCode).toBe(0);
    expect(typeof assigned).toBe("string");
    expect(assigned!.length).toBeGreaterThan(0);
    const other = await h.rawConnected(5, { clientId: "" });
    expect(other.connack.properties?.assignedClientIdentifier).not.toBe(assigned);
    // MQTT.js picks the assigned id up.
    const client = await h.connect({ protocolVersion: 5, clientId: "" });
    expect(client.connack.properties?.assignedClientIdentifier).toMatch(/.+/);
  });

  it("does not send an Assigned Client Identifier for a client id given", async () => {
    const { connack } = await h.rawConnected(5, { clientId: "given" });
    expect(connack.properties?.assignedClientIdentifier).toBeUndefined();
  });

  it("accepts an empty client id with a clean session (MQTT 3.1.1)", async () => {
    const { raw, connack } = await h.rawConnected(4, { clientId: "", clean: true });
    expect(connack).toMatchObject({ returnCode: 0, sessionPresent: false });
    raw.send({ cmd: "pingreq" });
    expect(await raw.next("pingresp")).toMatchObject({ cmd: "pingresp" });
  });

  it("refuses an empty client id with a persistent session: return code 2 (MQTT 3.1.1)", async () => {
    const raw = await h.raw(4);
    raw.write(connectBytes(4, "", false));
    expect(await raw.next("connack")).toMatchObject({ returnCode: 2, sessionPresent: false });
    await rawClosed(raw);
  });

  it.each([0, 2, 6, 7, 255])("answers an unknown protocol level %i with return code 1 and closes", async (level) => {
    const raw = await h.raw(4);
    raw.write(connectBytes(level));
    const connack = await raw.next("connack");
    expect(connack).toMatchObject({ returnCode: 1, sessionPresent: false });
    await rawClosed(raw);
  });

  it("announces the server's limits and capabilities to MQTT 5 clients", async () => {
    await h.stop();
    h = await startHarness({ receiveMaximum: 10, maxPacketBytes: 4096, topicAliasMaximum: 3 });
    const { connack } = await h.connect({ protocolVersion: 5 });
    expect((connack as IConnackPacket).properties).toMatchObject({
      receiveMaximum: 10,
      maximumPacketSize: 4096,
      topicAliasMaximum: 3,
      wildcardSubscriptionAvailable: true,
      subscriptionIdentifiersAvailable: true,
      sharedSubscriptionAvailable: true,
      retainAvailable: true,
    });
    expect(connack.properties?.maximumQoS).toBeUndefined();
    const legacy = await h.connect({ protocolVersion: 4 });
    expect(legacy.connack).toMatchObject({ returnCode: 0, sessionPresent: false });
  });

  it("accepts MQTT 3.1 (MQIsdp, level 3) like 3.1.1", async () => {
    const legacy = await h.connect({ protocolVersion: 3, protocolId: "MQIsdp" });
    expect(legacy.connack.returnCode).toBe(0);
    await legacy.client.subscribeAsync("old/+", { qos: 1 });
    const modern = await h.connect({ protocolVersion: 5 });
    await modern.client.publishAsync("old/x", "hello 3.1", { qos: 1 });
    expect(await legacy.inbox.one()).toMatchObject({ topic: "old/x", payload: "hello 3.1", qos: 1 });
  });

  it("refuses a second CONNECT on one connection", async () => {
    const { raw } = await h.rawConnected(5);
    raw.send({ cmd: "connect", protocolId: "MQTT", protocolVersion: 5, clientId: "again", clean: true, keepalive: 60 });
    expect(await rawClosed(raw)).toMatchObject({ reasonCode: 0x82 });
  });
});
