// The chat's room servers: one GenServer per room keeps the last 50 messages, started on demand under a
// DynamicSupervisor and found through a Registry; a client receives the history right after joining, and
// a crashed room server is restarted without touching the channel processes of its clients.
import { describe, expect, it } from "vitest";
import { DynamicSupervisor } from "../../../src/index.js";
import { useChatServer } from "../../support/chat-server.js";
import { HISTORY_LENGTH } from "../../../examples/chat/room-server.js";
import { connectSocket, join, push, recordEvent } from "../../support/phoenix-client.js";

const chat = useChatServer();

interface History {
  messages: Array<{ name: string; body: string; at: number }>;
}

async function joinWithHistory(room: string, name: string) {
  const channel = (await connectSocket(chat.socketUrl)).channel(`room:${room}`, { name });
  const history = recordEvent(channel, "history");
  expect((await join(channel)).status).toBe("ok");
  const [first] = await history.waitFor(1);
  return { channel, history: first as History };
}

describe("room servers", () => {
  it("send an empty history to the first client of a room, then the recent messages to later ones", async () => {
    const alice = await joinWithHistory("history-1", "alice");
    expect(alice.history).toEqual({ messages: [] });
    for (const body of ["one", "two", "three"]) expect(await push(alice.channel, "new_msg", { body })).toMatchObject({ status: "ok" });
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
    for (let i = 1; i <= HISTORY_LENGTH + 10; i++) await push(writer.channel, "new_msg", { body: `m${i}` });
    const reader = await joinWithHistory("history-cap", "reader");
    expect(reader.history.messages).toHaveLength(HISTORY_LENGTH);
    expect(reader.history.messages[0]!.body).toBe("m11");
    expect(reader.history.messages.at(-1)!.body).toBe(`m${HISTORY_LENGTH + 10}`);
  });

  it("start one server per room even when many clients join a new room at once", async () => {
    const before = (await DynamicSupervisor.countChildren(chat.server.rooms.supervisor)).active;
    await Promise.all(Array.from({ length: 8 }, (_, i) => joinWithHistory("history-race", `user${i}`)));
    expect((await DynamicSupervisor.countChildren(chat.server.rooms.supervisor)).active).toBe(before + 1);
  });

  it("restart a crashed room server while the clients' channels keep working", async () => {
    const alice = await joinWithHistory("history-crash", "alice");
    const bob = await joinWithHistory("history-crash", "bob");
    const bobSees = recordEvent(bob.channel, "new_msg");
    await push(alice.channel, "new_msg", { body: "before the crash" });
    const server = await chat.server.rooms.serverOf("history-crash");
    chat.server.endpoint.runtime.exit(server, new Error("room server crash (test)"));
    await expect.poll(async () => (await chat.server.rooms.serverOf("history-crash")) !== server).toBe(true);
    expect(await push(alice.channel, "new_msg", { body: "after the crash" })).toMatchObject({ status: "ok" });
    await bobSees.waitFor(2);
    expect(bobSees.values.map((m) => (m as { body: string }).body)).toEqual(["before the crash", "after the crash"]);
    const carol = await joinWithHistory("history-crash", "carol");
    expect(carol.history.messages.map((m) => m.body)).toEqual(["after the crash"]);
  });
});
