/**
 * The channel bridge: MQTT clients pass the same socket `connect`, channel `join` and `handleIn` as the
 * official `phoenix` client, and meet it on the same topics both ways — SUBSCRIBE joins (SUBACK 0x87 when
 * `join` refuses), PUBLISH is a client event acknowledged once handled (PUBACK carries the reply's
 * error), pushes and broadcasts arrive as PUBLISH, a crashed channel is rejoined, `endpoint.disconnect`
 * reaches MQTT clients, and topics no route matches are refused.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { MqttClient } from "mqtt";
import { Channel, error, noReply, ok, reply, Socket, type ChannelRoute, type JsonObject, type Params, type Payload } from "../../src/index.js";
import { closeAllClients, connectSocket, join, recordEvent, Recorder } from "../support/phoenix-client.js";
import { startBroker, type TestBroker } from "../support/mqtt.js";

const textDecoder = new TextDecoder();

class SensorChannel extends Channel<{ user: string }> {
  override join(topic: string) {
    if (topic === "sensor:forbidden") return error({ reason: "unauthorized" });
    return ok({});
  }

  override handleIn(event: string, payload: Payload) {
    if (event !== "publish") return reply("error", { reason: `unknown event ${event}` });
    if (payload instanceof Uint8Array) {
      this.broadcast("reading", { from: this.assigns.user, text: textDecoder.decode(payload) });
      return reply("ok");
    }
    const p = payload as JsonObject;
    if (p.crash === true) throw new Error("sensor crash (test)");
    if (p.refuse === true) return reply("error", { reason: "bad value" });
    if (p.silent === true) return noReply();
    this.broadcast("reading", { from: this.assigns.user, ...p });
    return reply("ok");
  }
}

class ChatChannel extends Channel {
  override join() {
    return ok({});
  }

  override handleIn(event: string, payload: Payload) {
    this.broadcast(event, payload as JsonObject);
    return reply("ok");
  }
}

/** On a topic with history: `echo_others` broadcasts to everyone but the sender. */
class LogChannel extends Channel {
  override join() {
    return ok({});
  }

  override handleIn(_event: string, payload: Payload) {
    this.broadcastFrom("entry", payload as JsonObject);
    return reply("ok");
  }
}

class DeviceSocket extends Socket<{ user: string }> {
  static override channels: readonly ChannelRoute[] = [
    ["sensor:*", SensorChannel],
    ["chat:*", ChatChannel],
    ["log:*", LogChannel, { history: { size: 10, ttlMs: 60_000 } }],
  ];

  override connect(params: Params) {
    if (params.password !== "secret" || typeof params.username !== "string") return false;
    this.assigns.user = params.username;
    return true;
  }

  override id() {
    return `device:${this.assigns.user}`;
  }
}

/** The SUBACK codes of a subscription, refused ones included (MQTT.js rejects when one is refused). */
async function subackCodes(client: MqttClient, filters: string | string[], qos: 0 | 1 | 2): Promise<number[]> {
  try {
    return (await client.subscribeAsync(filters, { qos })).map((g) => g.qos);
  } catch (err) {
    const packet = (err as { packet?: { granted?: number[] } }).packet;
    if (packet?.granted === undefined) throw err;
    return packet.granted;
  }
}

function messages(client: MqttClient): Recorder<{ topic: string; payload: string; qos: number; event: unknown }> {
  const recorder = new Recorder<{ topic: string; payload: string; qos: number; event: unknown }>();
  client.on("message", (topic, payload, packet) => {
    const event = (packet.properties?.userProperties as Record<string, unknown> | undefined)?.event;
    recorder.record({ topic, payload: payload.toString(), qos: packet.qos, event });
  });
  return recorder;
}

describe("MQTT ↔ channel bridge", () => {
  let broker: TestBroker;
  let socketUrl: string;
  beforeEach(async () => {
    broker = await startBroker({ socket: DeviceSocket, bridge: { "chat:*": { outbound: ["shout"] } } }, {}, (endpoint) => endpoint.socket("/socket", DeviceSocket));
    socketUrl = `${broker.endpoint.url.replace(/^http/, "ws")}/socket`;
  });
  afterEach(async () => {
    await closeAllClients();
    await broker.stop();
  });

  const device = (username: string, protocolVersion: 4 | 5 = 5) => broker.client({ username, password: "secret", protocolVersion });
  const browser = async (topic: string) => {
    const socket = await connectSocket(socketUrl, { params: { username: "browser", password: "secret" } });
    const channel = socket.channel(topic, {});
    expect((await join(channel)).status).toBe("ok");
    return channel;
  };

  it("runs the socket's connect: a wrong password is refused (MQTT 5 0x86, MQTT 3.1.1 return code 4)", async () => {
    await expect(broker.client({ username: "ada", password: "wrong", protocolVersion: 5 })).rejects.toMatchObject({ code: 0x86 });
    await expect(broker.client({ username: "ada", password: "wrong", protocolVersion: 4 })).rejects.toMatchObject({ code: 4 });
    const client = await device("ada");
    expect(client.connected).toBe(true);
  });

  it("on a topic with history, MQTT clients get the broadcasts without positions, and no marker for what they sent", async () => {
    const sender = await device("ada");
    const other = await device("bob");
    const [fromSender, fromOther] = [messages(sender), messages(other)];
    expect(await subackCodes(sender, "log/a", 1)).toEqual([1]);
    expect(await subackCodes(other, "log/a", 1)).toEqual([1]);
    await sender.publishAsync("log/a", JSON.stringify({ n: 1 }), { qos: 1 });
    const [entry] = await fromOther.waitFor(1);
    expect(entry).toEqual({ topic: "log/a", payload: JSON.stringify({ n: 1 }), qos: 1, event: "entry" });
    broker.endpoint.broadcast("log:a", "entry", { n: 2 });
    await fromSender.waitFor(1);
    expect(fromSender.values.map((m) => [m.event, m.payload])).toEqual([["entry", JSON.stringify({ n: 2 })]]);
  });

  it("SUBSCRIBE runs join: refused topics get 0x87, joined ones receive broadcasts with the event as a user property", async () => {
    const client = await device("ada");
    const received = messages(client);
    expect(await subackCodes(client, ["sensor/kitchen", "sensor/forbidden"], 1)).toEqual([1, 0x87]);
    broker.endpoint.broadcast("sensor:kitchen", "reading", { celsius: 21.5 });
    const [first] = await received.waitFor(1);
    expect(first).toEqual({ topic: "sensor/kitchen", payload: JSON.stringify({ celsius: 21.5 }), qos: 1, event: "reading" });
  });

  it("a PUBLISH reaches handleIn and browsers; the PUBACK waits for the reply and carries its error", async () => {
    const channel = await browser("sensor:kitchen");
    const readings = recordEvent(channel, "reading");
    const client = await device("ada");
    const acks: Array<{ reasonCode: number | undefined; reason: unknown }> = [];
    client.on("packetreceive", (packet) => {
      if (packet.cmd === "puback") acks.push({ reasonCode: packet.reasonCode, reason: packet.properties?.reasonString });
    });
    await client.publishAsync("sensor/kitchen", JSON.stringify({ celsius: 22 }), { qos: 1 });
    await client.publishAsync("sensor/kitchen", "raw bytes", { qos: 1 });
    await client.publishAsync("sensor/kitchen", JSON.stringify({ silent: true }), { qos: 1 });
    await client.publishAsync("sensor/kitchen", JSON.stringify({ refuse: true }), { qos: 1 }).catch(() => {});
    expect(await readings.waitFor(2)).toEqual([
      { from: "ada", celsius: 22 },
      { from: "ada", text: "raw bytes" },
    ]);
    expect(acks.map((a) => a.reasonCode ?? 0)).toEqual([0, 0, 0, 0x83]);
    expect(acks[3]!.reason).toBe("bad value");
  });

  it("a browser's push reaches MQTT subscribers, and an MQTT PUBLISH reaches browsers (QoS 0 and 2, MQTT 3.1.1)", async () => {
    const channel = await browser("chat:lobby");
    const shouts = recordEvent(channel, "shout");
    const client = await device("ada", 4);
    const received = messages(client);
    await client.subscribeAsync("chat/lobby", { qos: 2 });
    channel.push("shout", { text: "hi from the browser" });
    channel.push("whisper", { text: "not bridged out" });
    channel.push("shout", { text: "again" });
    const got = await received.waitFor(2);
    expect(got.map((m) => [m.topic, JSON.parse(m.payload), m.qos])).toEqual([
      ["chat/lobby", { text: "hi from the browser" }, 2],
      ["chat/lobby", { text: "again" }, 2],
    ]);
    await client.publishAsync("chat/lobby", JSON.stringify({ text: "hi from MQTT" }), { qos: 2 });
    // The default inbound mapping names the event "publish"; the channel rebroadcasts it under that name.
    const published = recordEvent(channel, "publish");
    await client.publishAsync("chat/lobby", JSON.stringify({ text: "second" }), { qos: 0 });
    expect(await published.waitFor(1)).toEqual([{ text: "second" }]);
    expect(shouts.values).toEqual([{ text: "hi from the browser" }, { text: "again" }]);
  });

  it("a crash in handleIn fails that PUBLISH (0x83) and the subscription is joined again", async () => {
    const client = await device("ada");
    const received = messages(client);
    await client.subscribeAsync("sensor/hall", { qos: 1 });
    const acks = new Recorder<number>();
    client.on("packetreceive", (packet) => {
      if (packet.cmd === "puback") acks.record(packet.reasonCode ?? 0);
    });
    await client.publishAsync("sensor/hall", JSON.stringify({ crash: true }), { qos: 1 }).catch(() => {});
    expect(await acks.waitFor(1)).toEqual([0x83]);
    // Rejoined about a second later: broadcasts flow again.
    const deadline = Date.now() + 3_000;
    while (received.count === 0 && Date.now() < deadline) {
      broker.endpoint.broadcast("sensor:hall", "reading", { n: 1 });
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(received.count).toBeGreaterThan(0);
  });

  it("endpoint.disconnect(socket id) disconnects MQTT clients too (MQTT 5: DISCONNECT 0x98)", async () => {
    const client = await device("ada");
    const disconnected = new Recorder<number | undefined>();
    client.on("disconnect", (packet) => disconnected.record(packet.reasonCode));
    broker.endpoint.disconnect("device:ada");
    expect(await disconnected.waitFor(1)).toEqual([0x98]);
  });

  it("refuses topics no channel route matches when a socket is bridged (unrouted: refuse)", async () => {
    const client = await device("ada");
    expect(await subackCodes(client, "plain/topic", 1)).toEqual([0x87]);
    const acks = new Recorder<number>();
    client.on("packetreceive", (packet) => {
      if (packet.cmd === "puback") acks.record(packet.reasonCode ?? 0);
    });
    await client.publishAsync("plain/topic", "x", { qos: 1 }).catch(() => {});
    expect(await acks.waitFor(1)).toEqual([0x87]);
  });

  it("lists bridged MQTT clients in endpoint.connections() with their joined channels", async () => {
    const client = await device("ada");
    await client.subscribeAsync("sensor/kitchen", { qos: 0 });
    const mqtt = broker.endpoint.connections().filter((c) => c.transport === "mqtt");
    expect(mqtt).toHaveLength(1);
    expect(mqtt[0]).toMatchObject({ socketId: "device:ada", channels: [{ topic: "sensor:kitchen", route: "sensor:*", channel: "SensorChannel" }] });
  });
});
