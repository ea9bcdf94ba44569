// The chat's room history: `room:*` keeps a history (ROOM_HISTORY: 500 messages, 24 hours), the join reply
// carries the room's last 50 messages (`messages`, oldest first) next to `node`, and a client that rejoins
// with `since` gets `recovered: true` and every message it missed, in order, once. Driven over the wire
// by the official phoenix client, which sends `since` only when given it (fenix/client does it by itself).
import { describe, expect, it } from "vitest";
import { RECENT_MESSAGES, ROOM_HISTORY } from "../../../examples/chat/chat-message.js";
import { useChatServer } from "../../support/chat-server.js";
import { connectSocket, join, ping, push, recordEvent, type Reply } from "../../support/phoenix-client.js";

const chat = useChatServer();

interface ChatJoinReply {
  node: string;
  messages: { id: string; name: string; body: string; at: number }[];
  recovered: boolean;
  position: { epoch: string; offset: number };
}

/** Joins `room:<room>` as `name` (with more join params) on a new connection, recording its new_msg. */
async function joinRoom(room: string, name: string, params: object = {}) {
  const socket = await connectSocket(chat.socketUrl);
  const channel = socket.channel(`room:${room}`, { ...params, name });
  const received = recordEvent(channel, "new_msg");
  const reply = await join(channel);
  expect(reply.status).toBe("ok");
  const said = () => received.values.map((m) => (m as { body: string }).body);
  return { socket, channel, received, said, reply: reply.response as ChatJoinReply };
}

async function say(channel: Parameters<typeof push>[0], body: string): Promise<void> {
  expect(await push(channel, "new_msg", { body })).toMatchObject<Partial<Reply>>({ status: "ok" });
}

const bodies = (reply: ChatJoinReply) => reply.messages.map((m) => m.body);

describe("the room history", () => {
  it("is kept for every room:* topic: 500 messages for 24 hours; the join reply carries 50", () => {
    expect(ROOM_HISTORY).toEqual({ size: 500, ttlMs: 24 * 60 * 60 * 1000 });
    expect(RECENT_MESSAGES).toBe(50);
  });

  it("gives the first client of a room no messages, and later ones the room's messages in the join reply, with the node", async () => {
    const node = chat.server.endpoint.pubsub.nodeName;
    const alice = await joinRoom("history-1", "alice");
    expect(alice.reply).toEqual({ node, messages: [], recovered: false, position: { epoch: expect.any(String), offset: 0 } });
    for (const body of ["one", "two", "three"]) await say(alice.channel, body);
    const bob = await joinRoom("history-1", "bob");
    expect(bob.reply.node).toBe(node);
    expect(bob.reply.messages).toEqual(
      ["one", "two", "three"].map((body) => ({ id: expect.any(String), name: "alice", body, at: expect.any(Number) })),
    );
    // Each message as it was broadcast: the same id and time as alice received it.
    await alice.received.waitFor(3);
    expect(bob.reply.messages).toEqual(alice.received.values);
    expect((await joinRoom("history-other", "carol")).reply.messages).toEqual([]);
  });

  it(`carries the last ${RECENT_MESSAGES} messages only`, async () => {
    const writer = await joinRoom("history-cap", "writer");
    for (let i = 1; i <= RECENT_MESSAGES + 10; i++) await say(writer.channel, `m${i}`);
    const reader = await joinRoom("history-cap", "reader");
    expect(bodies(reader.reply)).toEqual(Array.from({ length: RECENT_MESSAGES }, (_, i) => `m${i + 11}`));
  });

  it("sends a client that rejoins with `since` every message it missed, after a reply with recovered: true", async () => {
    const alice = await joinRoom("history-rejoin", "alice");
    await say(alice.channel, "before");
    const bob = await joinRoom("history-rejoin", "bob");
    expect(bodies(bob.reply)).toEqual(["before"]);
    bob.socket.disconnect();
    // More than the join reply's 50: what a rejoin recovers is bounded by the history's size.
    const missed = Array.from({ length: RECENT_MESSAGES + 20 }, (_, i) => `missed ${i + 1}`);
    for (const body of missed) await say(alice.channel, body);

    // `since` as fenix/client sends it: "<epoch>:<offset>".
    const { epoch, offset } = bob.reply.position;
    const back = await joinRoom("history-rejoin", "bob", { since: `${epoch}:${offset}` });
    expect(back.reply).toMatchObject({ node: chat.server.endpoint.pubsub.nodeName, recovered: true });
    await say(alice.channel, "live");
    await back.received.waitFor(missed.length + 1);
    await ping(back.socket);
    expect(back.said()).toEqual([...missed, "live"]);
  });

  it("answers a `since` it cannot recover with recovered: false and the last messages, then continues from them", async () => {
    const alice = await joinRoom("history-lost", "alice");
    for (const body of ["one", "two"]) await say(alice.channel, body);
    const stranger = await joinRoom("history-lost", "bob", { since: "another-epoch:7" });
    expect(stranger.reply).toMatchObject({ recovered: false });
    expect(bodies(stranger.reply)).toEqual(["one", "two"]);
    await say(alice.channel, "three");
    await stranger.received.waitFor(1);
    await ping(stranger.socket);
    expect(stranger.said()).toEqual(["three"]);
  });
});
