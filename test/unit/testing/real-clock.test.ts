// The application's own PubSub, as generated apps have it: module level, on defaultRuntime and the real
// clock, with a Presence built on it. Several channel tests in a row use it; none starts or stops it.
import { describe, expect, it } from "vitest";
import { PubSub } from "../../../src/index.js";
import { TestingErrorCode, channelTest } from "../../../src/testing/index.js";
import { UserSocket, presenceApp } from "./fixtures.js";

const pubsub = new PubSub();
const { presence, LobbySocket } = presenceApp(pubsub);

describe("channelTest with an existing PubSub on the real clock", () => {
  it("runs on the PubSub's runtime and waits in real time", async () => {
    const test = await channelTest(LobbySocket, { pubsub, children: [presence.childSpec()] });
    try {
      expect(test.virtual).toBe(false);
      expect(test.runtime).toBe(pubsub.runtime);
      const ada = await (await test.socketFor({ user: "ada" })).join("lobby:real");
      const bob = await (await test.socketFor({ user: "bob" })).join("lobby:real");
      await ada.assertPresence("bob");
      await bob.assertPresence("ada");
      const started = Date.now();
      await ada.refutePush("nothing", undefined, { withinMs: 30 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(29);
      await expect(test.advance(10)).rejects.toMatchObject({ code: TestingErrorCode.BAD_STATE });
    } finally {
      await test.stop();
    }
  });

  it("can run again on the same PubSub and Presence after a test stopped", async () => {
    const test = await channelTest(LobbySocket, { pubsub, children: [presence.childSpec()] });
    try {
      const eve = await (await test.socketFor({ user: "eve" })).join("lobby:real");
      await eve.assertPresence("eve");
      expect(Object.keys(eve.presence())).toEqual(["eve"]);
    } finally {
      await test.stop();
    }
  });

  it("asserts replies, pushes and broadcasts in real time", async () => {
    const test = await channelTest(UserSocket, { pubsub });
    try {
      const room = await (await test.connect({ token: "ada-token" })).join("room:real");
      await room.push("slow").assertReply("ok", { slow: true });
      await room.push("shout", { text: "hey" }).assertReply("ok");
      await room.assertBroadcast("shout", { text: "hey" });
      await room.assertPush("shout", { mine: true });
      await expect(room.assertPush("never", undefined, { timeoutMs: 20 })).rejects.toThrow(
        /^Expected a push "never" on "room:real" within 20 ms; none arrived\./,
      );
    } finally {
      await test.stop();
    }
  });
});
