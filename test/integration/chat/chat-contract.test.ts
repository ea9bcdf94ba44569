// The chat demo's channel contract, which other programs rely on, driven by the official phoenix client:
// `room:*` topics, a 1–32 character name to join (one person's per room: see room-names.test.ts),
// `new_msg` pushes of 1–2000 characters broadcast as {id, name, body, at} to everyone in the room, the
// sender included. The join reply carries the serving `node` and the room's last 50 `messages`, with the
// history's `recovered` and `position` (room-history.test.ts covers the history). The page checks the same
// limits (chat-limits.js) before sending; the server still does.
import { describe, expect, it } from "vitest";
import { useChatServer } from "../../support/chat-server.js";
import { connectSocket, join, push, recordEvent } from "../../support/phoenix-client.js";

const chat = useChatServer();

describe("the chat channel", () => {
  it.each([
    ["an empty name", ""],
    ["a blank name", "   "],
    ["a 33-character name", "x".repeat(33)],
    ["a name that is not a string", 42],
  ])("refuses %s with {reason: \"invalid name\"}", async (_what, name) => {
    const socket = await connectSocket(chat.socketUrl);
    const reply = await join(socket.channel("room:contract-names", { name }));
    expect(reply).toEqual({ status: "error", response: { reason: "invalid name" } });
  });

  it("accepts 1 and 32 character names", async () => {
    const socket = await connectSocket(chat.socketUrl);
    expect((await join(socket.channel("room:contract-a", { name: "a" }))).status).toBe("ok");
    expect((await join(socket.channel("room:contract-b", { name: "é".repeat(32) }))).status).toBe("ok");
  });

  it("answers a join with {node, messages, recovered, position}", async () => {
    const socket = await connectSocket(chat.socketUrl);
    const reply = await join(socket.channel("room:contract-reply", { name: "rita" }));
    expect(reply).toEqual({
      status: "ok",
      response: { node: chat.server.endpoint.pubsub.nodeName, messages: [], recovered: false, position: { epoch: expect.any(String), offset: 0 } },
    });
  });

  it("broadcasts new_msg {id, name, body, at} to everyone in the room, the sender included, and replies ok", async () => {
    const alice = (await connectSocket(chat.socketUrl)).channel("room:contract-talk", { name: "alice" });
    const bob = (await connectSocket(chat.socketUrl)).channel("room:contract-talk", { name: "bob" });
    const elsewhere = (await connectSocket(chat.socketUrl)).channel("room:contract-elsewhere", { name: "carol" });
    await Promise.all([join(alice), join(bob), join(elsewhere)]);
    const aliceSees = recordEvent(alice, "new_msg");
    const bobSees = recordEvent(bob, "new_msg");
    const elsewhereSees = recordEvent(elsewhere, "new_msg");

    const before = Date.now();
    expect(await push(alice, "new_msg", { body: "hello room" })).toEqual({ status: "ok", response: {} });
    const [toBob] = await bobSees.waitFor(1);
    const [toAlice] = await aliceSees.waitFor(1);
    expect(toAlice).toEqual(toBob);
    expect(toBob).toMatchObject({ id: expect.any(String), name: "alice", body: "hello room" });
    const at = (toBob as { at: number }).at;
    expect(at).toBeGreaterThanOrEqual(before - 1);
    expect(at).toBeLessThanOrEqual(Date.now());
    expect(await push(elsewhere, "new_msg", { body: "marker" })).toMatchObject({ status: "ok" });
    await elsewhereSees.waitFor(1);
    expect(elsewhereSees.values).toEqual([expect.objectContaining({ body: "marker" })]);
  });

  it.each([
    ["an empty body", { body: "" }],
    ["a body that is not a string", { body: 7 }],
    ["a 2001-character body", { body: "y".repeat(2001) }],
  ])("answers %s with an error reply that has a reason, and broadcasts nothing", async (_what, payload) => {
    const channel = (await connectSocket(chat.socketUrl)).channel("room:contract-bad", { name: "dave" });
    await join(channel);
    const seen = recordEvent(channel, "new_msg");
    const reply = await push(channel, "new_msg", payload);
    expect(reply.status).toBe("error");
    expect((reply.response as { reason?: unknown }).reason).toEqual(expect.any(String));
    expect(await push(channel, "new_msg", { body: "z".repeat(2000) })).toMatchObject({ status: "ok" });
    await seen.waitFor(1);
    expect(seen.values).toHaveLength(1);
  });
});
