import { afterEach, describe, expect, it } from "vitest";
import { PubSub, Runtime, VirtualClock } from "../../../src/index.js";
import { TestingErrorCode, channelTest } from "../../../src/testing/index.js";
import { presenceApp } from "./fixtures.js";

const stops: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  for (const test of stops.splice(0)) await test.stop();
});

async function presenceTest() {
  const pubsub = new PubSub({ runtime: new Runtime({ clock: new VirtualClock() }) });
  const { presence, LobbySocket } = presenceApp(pubsub);
  const test = await channelTest(LobbySocket, { pubsub, children: [pubsub.childSpec(), presence.childSpec()] });
  stops.push(test);
  return { test, presence };
}

describe("channelTest: presence", () => {
  it("keeps the presence list from presence_state and presence_diff, as a client does", async () => {
    const { test, presence } = await presenceTest();
    const ada = await (await test.socketFor({ user: "ada" })).join("lobby:1");
    await ada.assertPresence("ada", { metas: [{ online_at: 1 }] });
    await ada.assertPush("presence_state");

    const bobSocket = await test.socketFor({ user: "bob" });
    const bob = await bobSocket.join("lobby:1");
    await ada.assertPresence("bob");
    await bob.assertPresence("ada");
    expect(Object.keys(ada.presence()).sort()).toEqual(["ada", "bob"]);
    expect(ada.presence()).toEqual(presence.list("lobby:1"));

    await bob.push("away").assertReply("ok");
    await ada.assertPresence("bob", { metas: [{ away: true }] });

    await bobSocket.close();
    await ada.refutePresence("bob");
    expect(Object.keys(ada.presence())).toEqual(["ada"]);
  });

  it("fails assertPresence with what the list holds", async () => {
    const { test } = await presenceTest();
    const ada = await (await test.socketFor({ user: "ada" })).join("lobby:1");
    const error = await ada.assertPresence("zoe").catch((e: unknown) => e as { code: string; message: string });
    expect(error.code).toBe(TestingErrorCode.PRESENCE_MISMATCH);
    expect(error.message).toBe(
      'Expected presence "zoe" on "lobby:1" within 100 ms of virtual time; it is not there.\nThe presence list has: "ada".',
    );
    const mismatch = await ada.assertPresence("ada", { metas: [{ online_at: 2 }] }).catch((e: unknown) => e as { message: string });
    expect(mismatch.message).toContain("(at .metas[0].online_at: expected 2, got 1)");
  });
});
