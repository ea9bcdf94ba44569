/**
 * The room channel's tests, with fenix/testing: sockets and channels run in process, on the
 * application's own PubSub and supervised children, and no port is opened. `npm test` runs them.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { channelTest, type ChannelTest } from "fenix/testing";
{{#if mqtt}}
import type { MqttClientInfo } from "fenix/mqtt";
import { roomMqtt } from "../src/channels/room-channel.js";
{{/if}}
import { children } from "../src/endpoint.js";
import { pubsub } from "../src/pubsub.js";
import { UserSocket } from "../src/user-socket.js";

let kit: ChannelTest;

before(async () => {
  kit = await channelTest(UserSocket, { pubsub, children });
});
after(() => kit.stop());

describe("RoomChannel", () => {
  it("joins with a name", async () => {
    const socket = await kit.connect();
    const room = await socket.join("room:lobby", { name: "ada" });
    assert.deepEqual(room.joinResponse, { name: "ada" });
  });

  it("refuses a join without a name", async () => {
    const socket = await kit.connect();
    const refused = await socket.tryJoin("room:lobby", {});
    assert.equal(refused.status, "error");
    assert.match(String((refused.response as { reason?: unknown }).reason), /name/);
  });

  it("answers ping", async () => {
    const room = await (await kit.connect()).join("room:lobby", { name: "ada" });
    await room.push("ping", { at: 1 }).assertReply("ok", { pong: 1 });
  });

  it("broadcasts a new message to everyone in the room", async () => {
    const ada = await (await kit.connect()).join("room:tea", { name: "ada" });
    const bob = await (await kit.connect()).join("room:tea", { name: "bob" });
    await ada.push("new_msg", { body: "hello" }).assertReply("ok");
    await bob.assertPush("new_msg", { name: "ada", body: "hello" });
    await ada.assertPush("new_msg", { name: "ada", body: "hello" });
    await ada.assertBroadcast("new_msg", { body: "hello" });
  });

  it("refuses an empty message, and broadcasts nothing", async () => {
    const ada = await (await kit.connect()).join("room:quiet", { name: "ada" });
    await ada.push("new_msg", { body: "  " }).assertReply("error");
    await ada.refuteBroadcast("new_msg");
  });
});
{{#if mqtt}}

// What the MQTT bridge hands the channel (see `roomMqtt`): an MQTT client's join params and PUBLISHes
// reach the same `join` and `handleIn` as a browser's.
describe("RoomChannel over MQTT", () => {
  const client: MqttClientInfo = { clientId: "sensor-1", username: "ada", protocolVersion: 5, transport: "mqtt", address: undefined, assigns: {} };
  const publish = (text: string | Uint8Array) => ({
    topic: "room/lobby",
    payload: typeof text === "string" ? new TextEncoder().encode(text) : text,
    qos: 1 as const,
    userProperties: undefined,
    contentType: undefined,
    client,
  });

  it("joins with the username as the name, or the client id without one", async () => {
    const room = await (await kit.connect()).join("room:lobby", roomMqtt.join(client));
    assert.deepEqual(room.joinResponse, { name: "ada" });
    assert.deepEqual(roomMqtt.join({ ...client, username: undefined }), { name: "sensor-1" });
  });

  it("turns a UTF-8 PUBLISH into new_msg, broadcast to the room, and refuses other bytes", async () => {
    const room = await (await kit.connect()).join("room:mqtt", roomMqtt.join(client));
    const message = roomMqtt.inbound(publish("hello"));
    assert.deepEqual(message, { event: "new_msg", payload: { body: "hello" } });
    await room.push(message!.event, message!.payload).assertReply("ok");
    await room.assertBroadcast("new_msg", { name: "ada", body: "hello" });
    assert.equal(roomMqtt.inbound(publish(new Uint8Array([0xff, 0xfe]))), null);
    assert.deepEqual(roomMqtt.outbound, ["new_msg"]);
  });
});
{{/if}}
