// The chat demo with MQTT on (`MQTT_PORT`): an MQTT client whose username is `ada` publishing the UTF-8
// text `hello` to `room/lobby` appears in the lobby as new_msg {name: "ada", body: "hello", at} for the
// official client, under the same length rules; an MQTT subscriber of `room/lobby` receives every chat
// message as the JSON {"name", "body", "at"}; MQTT clients' messages are kept in the room's history like
// any other; MQTT clients are in the room's presence; MQTT over WebSocket works the same.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import mqtt, { type MqttClient } from "mqtt";
import { silentLogger } from "../../../src/index.js";
import { startChatServer, type ChatServer } from "../../../examples/chat/server.js";
import { MAX_BODY_LENGTH } from "../../../examples/chat/chat-message.js";
import { closeAllClients, connectSocket, join, push, recordEvent, Recorder } from "../../support/phoenix-client.js";

let chat: ChatServer;
const clients: MqttClient[] = [];

beforeAll(async () => {
  chat = await startChatServer({ port: 0, host: "127.0.0.1", logger: silentLogger, mqtt: { port: 0 } });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await closeAllClients();
  await chat.stop();
});

async function mqttClient(username: string, options: { protocolVersion?: 4 | 5; websocket?: boolean } = {}): Promise<MqttClient> {
  const url = options.websocket === true ? `${chat.url.replace(/^http/, "ws")}/mqtt` : `mqtt://127.0.0.1:${chat.mqtt!.port}`;
  const client = await mqtt.connectAsync(url, { username, protocolVersion: options.protocolVersion ?? 4, reconnectPeriod: 0 });
  clients.push(client);
  return client;
}

function mqttMessages(client: MqttClient): Recorder<{ topic: string; json: unknown }> {
  const recorder = new Recorder<{ topic: string; json: unknown }>();
  client.on("message", (topic, payload) => recorder.record({ topic, json: JSON.parse(payload.toString()) }));
  return recorder;
}

const socketUrl = () => `${chat.url.replace(/^http/, "ws")}/socket`;

describe("the chat over MQTT", () => {
  it("an MQTT client's PUBLISH of `hello` to room/lobby is new_msg {name: \"ada\", body: \"hello\", at} in the lobby", async () => {
    const grace = (await connectSocket(socketUrl())).channel("room:mqtt-lobby", { name: "grace" });
    await join(grace);
    const graceSees = recordEvent(grace, "new_msg");
    const ada = await mqttClient("ada");
    const before = Date.now();
    await ada.publishAsync("room/mqtt-lobby", "hello", { qos: 1 });
    const [message] = (await graceSees.waitFor(1)) as Array<{ name: string; body: string; at: number; id: string }>;
    expect(message).toMatchObject({ name: "ada", body: "hello" });
    expect(message!.at).toBeGreaterThanOrEqual(before);
  });

  it("keeps an MQTT client's message in the room's history: a client joining later has it in its join reply", async () => {
    const grace = (await connectSocket(socketUrl())).channel("room:mqtt-history", { name: "grace" });
    await join(grace);
    const graceSees = recordEvent(grace, "new_msg");
    const ada = await mqttClient("ada");
    await ada.publishAsync("room/mqtt-history", "kept for later", { qos: 1 });
    const [sent] = await graceSees.waitFor(1);
    const later = await join((await connectSocket(socketUrl())).channel("room:mqtt-history", { name: "hal" }));
    expect(later).toMatchObject({ status: "ok", response: { messages: [sent] } });
    expect(sent).toMatchObject({ name: "ada", body: "kept for later" });
  });

  it("an MQTT subscriber receives every chat message as the JSON {name, body, at}", async () => {
    const bob = await mqttClient("bob", { protocolVersion: 5 });
    const bobSees = mqttMessages(bob);
    await bob.subscribeAsync("room/mqtt-sub", { qos: 1 });
    const grace = (await connectSocket(socketUrl())).channel("room:mqtt-sub", { name: "grace" });
    await join(grace);
    expect((await push(grace, "new_msg", { body: "hi bob" })).status).toBe("ok");
    const ada = await mqttClient("ada");
    await ada.publishAsync("room/mqtt-sub", "hi from ada", { qos: 0 });
    const got = await bobSees.waitFor(2);
    expect(got.map((m) => m.topic)).toEqual(["room/mqtt-sub", "room/mqtt-sub"]);
    const [first, second] = got.map((m) => m.json as Record<string, unknown>);
    expect(Object.keys(first!).sort()).toEqual(["at", "body", "name"]);
    expect(first).toMatchObject({ name: "grace", body: "hi bob" });
    expect(second).toMatchObject({ name: "ada", body: "hi from ada" });
  });

  it("applies the same length rules: an MQTT 5 client's too-long message gets PUBACK 0x83 with the reason, and nobody sees it", async () => {
    const grace = (await connectSocket(socketUrl())).channel("room:mqtt-rules", { name: "grace" });
    await join(grace);
    const graceSees = recordEvent(grace, "new_msg");
    const ada = await mqttClient("ada", { protocolVersion: 5 });
    const acks = new Recorder<{ code: number; reason: unknown }>();
    ada.on("packetreceive", (packet) => {
      if (packet.cmd === "puback") acks.record({ code: packet.reasonCode ?? 0, reason: packet.properties?.reasonString });
    });
    await ada.publishAsync("room/mqtt-rules", "x".repeat(MAX_BODY_LENGTH + 1), { qos: 1 }).catch(() => {});
    await ada.publishAsync("room/mqtt-rules", "   ", { qos: 1 }).catch(() => {});
    await ada.publishAsync("room/mqtt-rules", "fine", { qos: 1 });
    expect(await acks.waitFor(3)).toEqual([
      { code: 0x83, reason: `message longer than ${MAX_BODY_LENGTH} characters` },
      { code: 0x83, reason: "empty message" },
      { code: 0, reason: undefined },
    ]);
    expect(((await graceSees.waitFor(1)) as Array<{ body: string }>).map((m) => m.body)).toEqual(["fine"]);
  });

  it("MQTT clients appear in the room's presence under their username, and leave it when they disconnect", async () => {
    const grace = (await connectSocket(socketUrl())).channel("room:mqtt-presence", { name: "grace" });
    await join(grace);
    const diffs = recordEvent(grace, "presence_diff");
    const ada = await mqttClient("ada");
    await ada.subscribeAsync("room/mqtt-presence", { qos: 0 });
    await diffs.waitForValue((d) => Object.keys((d as { joins: object }).joins).includes("ada"));
    expect(Object.keys(chat.presence.list("room:mqtt-presence")).sort()).toEqual(["ada", "grace"]);
    await ada.endAsync();
    await diffs.waitForValue((d) => Object.keys((d as { leaves: object }).leaves).includes("ada"));
    expect(Object.keys(chat.presence.list("room:mqtt-presence"))).toEqual(["grace"]);
  });

  it("works over MQTT over WebSocket at /mqtt", async () => {
    const ws = await mqttClient("wendy", { websocket: true, protocolVersion: 5 });
    const sees = mqttMessages(ws);
    await ws.subscribeAsync("room/mqtt-ws", { qos: 1 });
    await ws.publishAsync("room/mqtt-ws", "over websocket", { qos: 1 });
    const [message] = await sees.waitFor(1);
    expect(message!.json).toMatchObject({ name: "wendy", body: "over websocket" });
  });
});
