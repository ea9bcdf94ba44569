// The chat's room servers: one GenServer per room keeps the last 50 messages, started on demand under a
// DynamicSupervisor and found through a Registry; a client receives the history right after joining, and
// a crashed room server is restarted without touching the channel processes of its clients. The room
// servers are the point, not the wire: the chat channel runs in process (fenix/testing), on a virtual
// clock, with the demo's own room directory and presence.
import { describe, expect, it } from "vitest";
import { DynamicSupervisor } from "../../../src/index.js";
import { useChatRooms } from "../../support/chat-rooms.js";
import { HISTORY_LENGTH } from "../../../examples/chat/room-server.js";

const chat = useChatRooms();
const { joinWithHistory, say } = chat;

describe("room servers", () => {
  it("send an empty history to the first client of a room, then the recent messages to later ones", async () => {
    const alice = await joinWithHistory("history-1", "alice");
    expect(alice.history).toEqual({ messages: [] });
    for (const body of ["one", "two", "three"]) await say(alice.channel, body);
    const bob = await joinWithHistory("history-1", "bob");
    expect(bob.history.messages.map((m) => [m.name, m.body])).toEqual([
      ["alice", "one"],
      ["alice", "two"],
      ["alice", "three"],
    ]);
    expect((await joinWithHistory("history-other", "carol")).history).toEqual({ messages: [] });
  });

  it(`keep only the last ${HISTORY_LENGTH} messages`, async () => {
    const writer = await joinWithHistory("history-cap", "writer");
    for (let i = 1; i <= HISTORY_LENGTH + 10; i++) await say(writer.channel, `m${i}`);
    const reader = await joinWithHistory("history-cap", "reader");
    expect(reader.history.messages).toHaveLength(HISTORY_LENGTH);
    expect(reader.history.messages[0]!.body).toBe("m11");
    expect(reader.history.messages.at(-1)!.body).toBe(`m${HISTORY_LENGTH + 10}`);
  });

  it("start one server per room even when many clients join a new room at once", async () => {
    const before = (await DynamicSupervisor.countChildren(chat.rooms.supervisor)).active;
    await Promise.all(Array.from({ length: 8 }, (_, i) => joinWithHistory("history-race", `user${i}`)));
    expect((await DynamicSupervisor.countChildren(chat.rooms.supervisor)).active).toBe(before + 1);
  });

  it("restart a crashed room server while the clients' channels keep working", async () => {
    const alice = await joinWithHistory("history-crash", "alice");
    const bob = await joinWithHistory("history-crash", "bob");
    await say(alice.channel, "before the crash");
    await bob.channel.assertPush("new_msg", { body: "before the crash" });
    const server = await chat.rooms.serverOf("history-crash");
    chat.kit.runtime.exit(server, new Error("room server crash (test)"));
    await chat.kit.settle();
    expect(await chat.rooms.serverOf("history-crash")).not.toBe(server);
    await say(alice.channel, "after the crash");
    await bob.channel.assertPush("new_msg", { body: "after the crash" });
    const carol = await joinWithHistory("history-crash", "carol");
    expect(carol.history.messages.map((m) => m.body)).toEqual(["after the crash"]);
  });
});
