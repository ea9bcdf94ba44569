// The life of the chat's room servers: a room server stops once its room has had no client on this node
// for `idleMs`, leaving its last messages to the directory's archive (bounded by `archivedRooms`), from
// which the room's next server serves them. In process (fenix/testing) on a virtual clock, with the
// demo's own room directory and presence.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DynamicSupervisor } from "../../../src/index.js";
import { useChatRooms, type History } from "../../support/chat-rooms.js";

const IDLE_MS = 1_000;
const ARCHIVED_ROOMS = 20;

const chat = useChatRooms({ idleMs: IDLE_MS, archivedRooms: ARCHIVED_ROOMS });
const { joinWithHistory, say } = chat;
const activeRooms = async () => (await DynamicSupervisor.countChildren(chat.rooms.supervisor)).active;
const bodies = (history: History) => history.messages.map((m) => m.body);

describe("room server lifecycle", () => {
  it("stops the servers of rooms left empty, and keeps the histories of the last rooms only", async () => {
    const baseline = await activeRooms();
    const socket = await chat.kit.connect();
    const names = Array.from({ length: 200 }, (_, i) => `random-${i}-${randomUUID()}`);
    for (const room of names) {
      const channel = await socket.join(`room:${room}`, { name: "walker" });
      await channel.assertPush("history");
      await say(channel, `in ${room}`);
      await channel.leave();
    }
    expect(await activeRooms()).toBe(baseline + names.length);

    await chat.kit.advance(IDLE_MS);
    expect(await activeRooms()).toBe(baseline);
    expect(chat.rooms.archivedRooms).toBe(ARCHIVED_ROOMS);

    // The most recently stopped rooms keep their history; older ones lost theirs (the documented bound).
    const recent = await joinWithHistory(names.at(-1)!, "reader");
    expect(bodies(recent.history)).toEqual([`in ${names.at(-1)}`]);
    const old = await joinWithHistory(names[0]!, "reader");
    expect(old.history).toEqual({ messages: [] });
    await recent.channel.leave();
    await old.channel.leave();
    await chat.kit.advance(IDLE_MS);
    expect(await activeRooms()).toBe(baseline);
    expect(chat.rooms.archivedRooms).toBeLessThanOrEqual(ARCHIVED_ROOMS);
  });

  it("never stops the server of a room with a client joined, even after a restart", async () => {
    const alice = await joinWithHistory("occupied", "alice");
    const server = await chat.rooms.serverOf("occupied");
    await chat.kit.advance(IDLE_MS * 5);
    expect(chat.kit.runtime.isAlive(server)).toBe(true);

    // A restarted server does not know who joined before; it counts the room's subscribers instead.
    chat.kit.runtime.exit(server, new Error("room server crash (test)"));
    await chat.kit.settle();
    const restarted = await chat.rooms.serverOf("occupied");
    await chat.kit.advance(IDLE_MS * 5);
    expect(chat.kit.runtime.isAlive(restarted)).toBe(true);

    await alice.channel.leave();
    await chat.kit.advance(IDLE_MS);
    expect(chat.kit.runtime.isAlive(restarted)).toBe(false);
  });

  it("counts the idle time from the last client's leave", async () => {
    const alice = await joinWithHistory("counted", "alice");
    const server = await chat.rooms.serverOf("counted");
    await chat.kit.advance(IDLE_MS * 0.9);
    await alice.channel.leave();
    await chat.kit.advance(IDLE_MS * 0.5);
    expect(chat.kit.runtime.isAlive(server)).toBe(true);
    await chat.kit.advance(IDLE_MS * 0.5);
    expect(chat.kit.runtime.isAlive(server)).toBe(false);
  });

  it("serves the last messages of a room stopped idle to its next client", async () => {
    const alice = await joinWithHistory("stopped", "alice");
    for (const body of ["one", "two", "three"]) await say(alice.channel, body);
    const server = await chat.rooms.serverOf("stopped");
    await alice.channel.leave();
    await chat.kit.advance(IDLE_MS);
    expect(chat.kit.runtime.isAlive(server)).toBe(false);

    const bob = await joinWithHistory("stopped", "bob");
    expect(bodies(bob.history)).toEqual(["one", "two", "three"]);
    expect(await chat.rooms.serverOf("stopped")).not.toBe(server);
    // The new server holds them now, and records what follows.
    await say(bob.channel, "four");
    await bob.channel.leave();
    await chat.kit.advance(IDLE_MS);
    const carol = await joinWithHistory("stopped", "carol");
    expect(bodies(carol.history)).toEqual(["one", "two", "three", "four"]);
  });
});
