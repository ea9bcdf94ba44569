// Client pushes and server replies with the official phoenix client, over each transport: ok, error and
// custom statuses, pushes left unanswered (client timeout), replies sent later through a socket ref, and
// large payloads.
import { beforeEach, describe, expect, it } from "vitest";
import type { Channel } from "phoenix";
import { useTestEndpoint, connectSocket, join, push, replyOf } from "../../support/phoenix-client.js";

const server = useTestEndpoint();
let channel: Channel;

beforeEach(async () => {
  const socket = await connectSocket(server.socketUrl);
  channel = socket.channel("echo:replies");
  await join(channel);
});

describe("push and reply", () => {
  it("delivers an ok reply with the response to .receive('ok')", async () => {
    expect(await push(channel, "ping", { body: "hi", nested: { n: [1, 2] } })).toEqual({
      status: "ok",
      response: { body: "hi", nested: { n: [1, 2] } },
    });
  });

  it("delivers an error reply to .receive('error')", async () => {
    expect(await push(channel, "status", { status: "error", response: { reason: "nope" } })).toEqual({
      status: "error",
      response: { reason: "nope" },
    });
  });

  it("delivers a custom status to .receive with that status", async () => {
    const created = await new Promise<unknown>((resolve, reject) => {
      const pushed = channel.push("status", { status: "created", response: { id: 7 } });
      // The published types list only ok/error/timeout; the client matches any status string.
      (pushed as unknown as { receive(status: string, cb: (response: unknown) => void): unknown }).receive("created", resolve);
      pushed.receive("ok", () => reject(new Error("got ok instead of created")));
      pushed.receive("timeout", () => reject(new Error("timed out")));
    });

    expect(created).toEqual({ id: 7 });
  });

  it("resolves the push wrapper with a custom status when asked to listen for it", async () => {
    expect(await push(channel, "status", { status: "created", response: {} }, { statuses: ["created"] })).toEqual({
      status: "created",
      response: {},
    });
  });

  it("answers an unknown event with the channel's error reply", async () => {
    expect(await push(channel, "what", {})).toEqual({ status: "error", response: { reason: "unknown event what" } });
  });

  it("lets a push the channel does not answer time out on the client", async () => {
    expect(await push(channel, "noreply", {}, { timeout: 150 })).toEqual({ status: "timeout", response: {} });
    // The channel is still fine after a timed-out push.
    expect(await push(channel, "ping", { after: true })).toEqual({ status: "ok", response: { after: true } });
  });

  it("delivers a reply sent later through a socket ref to the push it answers", async () => {
    const later = push(channel, "async_reply", { ms: 30 });
    // Other pushes are answered meanwhile: the channel is not blocked by the pending reply.
    expect(await push(channel, "ping", { meanwhile: true })).toEqual({ status: "ok", response: { meanwhile: true } });

    expect(await later).toEqual({ status: "ok", response: { later: true } });
  });

  it("matches concurrent replies to their pushes by ref", async () => {
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => push(channel, "ping", { i })));

    expect(replies).toEqual(Array.from({ length: 20 }, (_, i) => ({ status: "ok", response: { i } })));
  });

  it("echoes a large payload", async () => {
    const body = "é".repeat(200_000);

    expect(await push(channel, "ping", { body })).toEqual({ status: "ok", response: { body } });
  });

  it("sends the leave reply to .receive('ok') of the leave push", async () => {
    expect(await replyOf(channel.leave())).toEqual({ status: "ok", response: {} });
  });
});
