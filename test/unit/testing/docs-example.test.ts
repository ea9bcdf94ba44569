// The examples of docs/testing.md, run: the socket and channel of "A first test", its vitest test, and
// the body of its node:test test (with node:assert), so the guide stays true.
import assert from "node:assert/strict";
import { afterEach, beforeEach, expect, it } from "vitest";
import { Channel, Socket, error, ok, reply, stop, type ChannelRoute, type JsonObject, type Params, type Payload } from "../../../src/index.js";
import { channelTest, type ChannelTest } from "../../../src/testing/index.js";

class RoomChannel extends Channel<{ user: string }> {
  override join(topic: string, _payload: JsonObject) {
    if (topic === "room:secret") return error({ reason: "unauthorized" });
    this.send("after_join");
    return ok({ topic });
  }

  override handleInfo(message: unknown) {
    if (message === "after_join") this.push("welcome", { user: this.assigns.user });
  }

  override handleIn(event: string, payload: Payload) {
    if (payload instanceof Uint8Array) return reply("error", { reason: "expected JSON" });
    if (event === "new_msg") {
      this.broadcast("new_msg", { user: this.assigns.user, body: payload.body });
      return reply("ok");
    }
    if (event === "bye") return stop("normal");
    return reply("error", { reason: `unknown event ${event}` });
  }
}

class UserSocket extends Socket<{ user: string }> {
  static override channels: readonly ChannelRoute[] = [["room:*", RoomChannel]];

  override connect(params: Params) {
    if (typeof params.token !== "string" || !params.token.endsWith("-token")) return false;
    this.assigns.user = params.token.slice(0, -"-token".length);
    return true;
  }
}

let kit: ChannelTest<UserSocket>;
beforeEach(async () => {
  kit = await channelTest(UserSocket);
});
afterEach(() => kit.stop());

it("welcomes the user and broadcasts their messages", async () => {
  const socket = await kit.connect({ token: "ada-token" });
  expect(socket.socket.assigns.user).toBe("ada");

  const room = await socket.join("room:lobby");
  expect(room.joinResponse).toEqual({ topic: "room:lobby" });
  await room.assertPush("welcome", { user: "ada" });

  await room.push("new_msg", { body: "hi" }).assertReply("ok");
  await room.assertBroadcast("new_msg", { user: "ada", body: "hi" });
  await room.assertPush("new_msg", { body: "hi" });

  await room.push("nope").assertReply("error", { reason: "unknown event nope" });
});

it("refuses the secret room", async () => {
  const socket = await kit.connect({ token: "ada-token" });
  expect(await socket.tryJoin("room:secret")).toEqual({ status: "error", response: { reason: "unauthorized" } });
});

it("runs the node:test example's bodies", async () => {
  const room = await (await kit.connect({ token: "ada-token" })).join("room:lobby");
  await room.assertPush("welcome", { user: "ada" });
  await room.push("new_msg", { body: "hi" }).assertReply("ok");
  await room.assertBroadcast("new_msg", { user: "ada", body: "hi" });
  await room.refutePush("welcome");

  const socket = await kit.connect({ token: "ada-token" });
  await assert.rejects(socket.join("room:secret"), { code: "FENIX_ERR_TESTING_JOIN_REFUSED", response: { reason: "unauthorized" } });
});
