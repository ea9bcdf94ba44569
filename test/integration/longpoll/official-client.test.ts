// The official phoenix client over LongPoll: connect, join, push and reply, broadcasts, and a LongPoll
// client and a WebSocket client in the same topic seeing each other's broadcasts.
import { LongPoll } from "phoenix";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { closeAllClients, connectSocket, join, push, recordEvent, Recorder } from "../../support/phoenix-client.js";
import { startTestEndpoint, type TestEndpoint } from "../../support/test-endpoint.js";

let server: TestEndpoint;

beforeEach(async () => {
  server = await startTestEndpoint({}, { longpoll: { windowMs: 200 } });
});
afterEach(async () => {
  await closeAllClients();
  await server.stop();
});

const overLongPoll = { transport: LongPoll } as const;

describe("the official client over LongPoll", () => {
  it("connects, joins, and gets replies to its pushes", async () => {
    const socket = await connectSocket(server.socketUrl, { ...overLongPoll, params: { user: "lp" } });
    expect(server.endpoint.connectionCount).toBe(1);
    const channel = socket.channel("echo:official", {});
    expect(await join(channel)).toEqual({ status: "ok", response: { joined: "echo:official", user: "lp" } });
    expect(await push(channel, "ping", { hello: "lp" })).toEqual({ status: "ok", response: { hello: "lp" } });
    expect(await push(channel, "status", { status: "error", response: { reason: "nope" } })).toEqual({
      status: "error",
      response: { reason: "nope" },
    });
  });

  it("sends a burst of pushes in batches and gets every reply in order", async () => {
    const socket = await connectSocket(server.socketUrl, overLongPoll);
    const channel = socket.channel("echo:burst", {});
    await join(channel);
    const replies = await Promise.all(Array.from({ length: 150 }, (_, i) => push(channel, "ping", { i })));
    expect(replies.map((r) => (r.response as { i: number }).i)).toEqual(Array.from({ length: 150 }, (_, i) => i));
  });

  it("receives broadcasts, and shares a topic with WebSocket clients both ways", async () => {
    const lpSocket = await connectSocket(server.socketUrl, overLongPoll);
    const wsSocket = await connectSocket(server.socketUrl);
    const lpChannel = lpSocket.channel("echo:mixed", {});
    const wsChannel = wsSocket.channel("echo:mixed", {});
    const lpNews = recordEvent(lpChannel, "news");
    const wsNews = recordEvent(wsChannel, "news");
    await join(lpChannel);
    await join(wsChannel);

    await push(wsChannel, "broadcast", { event: "news", payload: { from: "ws" } });
    await push(lpChannel, "broadcast", { event: "news", payload: { from: "lp" } });
    server.endpoint.broadcast("echo:mixed", "news", { from: "endpoint" });

    const expected = [{ from: "ws" }, { from: "lp" }, { from: "endpoint" }];
    expect(await lpNews.waitFor(3)).toEqual(expected);
    expect(await wsNews.waitFor(3)).toEqual(expected);
  });

  it("reconnects with a new session and rejoins after a forced disconnect", async () => {
    const socket = await connectSocket(server.socketUrl, { ...overLongPoll, params: { user: "again" } });
    const channel = socket.channel("echo:again", {});
    const joins = new Recorder<unknown>();
    channel.on("phx_reply", joins.record);
    await join(channel);
    server.endpoint.disconnect("user_socket:again");
    // The next poll learns the session is gone (410): the client reconnects and rejoins.
    await joins.waitFor(2);
    expect(await push(channel, "ping", { back: true })).toEqual({ status: "ok", response: { back: true } });
  });
});
