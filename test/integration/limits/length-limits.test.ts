// maxTopicLength and maxEventLength (255 UTF-8 bytes by default): a longer topic or event is answered
// with an error reply ("topic too long", "event too long"), counted and reported; the connection stays.
import { describe, expect, it } from "vitest";
import { ServerErrorCode } from "../../../src/index.js";
import { connectSocket, join, ping, push } from "../../support/phoenix-client.js";
import { recordClientErrors, recordLimited, serve } from "./serve.js";

describe("maxTopicLength", () => {
  it("refuses a join to a topic longer than 255 bytes by default, and accepts one of 255", async () => {
    const server = await serve();
    const limited = recordLimited(server);
    const errors = recordClientErrors(server);
    const socket = await connectSocket(server.socketUrl);
    const longest = `echo:${"a".repeat(250)}`;
    expect(longest).toHaveLength(255);
    expect(await join(socket.channel(longest))).toMatchObject({ status: "ok" });
    expect(await join(socket.channel(`${longest}b`))).toEqual({ status: "error", response: { reason: "topic too long" } });
    expect(limited.map((event) => event.limit)).toEqual(["topic_length"]);
    expect(errors.find((error) => error.code === ServerErrorCode.TOPIC_TOO_LONG)).toMatchObject({ status: undefined });
    expect(socket.isConnected()).toBe(true);
    await ping(socket);
  });

  it("counts UTF-8 bytes, not characters", async () => {
    const server = await serve();
    const socket = await connectSocket(server.socketUrl);
    const topic = `echo:${"é".repeat(126)}`; // 131 characters, 257 bytes
    expect(await join(socket.channel(topic))).toEqual({ status: "error", response: { reason: "topic too long" } });
    expect(await join(socket.channel(`echo:${"é".repeat(125)}`))).toMatchObject({ status: "ok" });
  });

  it("takes a chosen limit", async () => {
    const server = await serve({ maxTopicLength: 10 });
    const socket = await connectSocket(server.socketUrl);
    expect(await join(socket.channel("echo:12345"))).toMatchObject({ status: "ok" });
    expect(await join(socket.channel("echo:123456"))).toEqual({ status: "error", response: { reason: "topic too long" } });
  });
});

describe("maxEventLength", () => {
  it("answers an event longer than 255 bytes with 'event too long' and keeps the channel", async () => {
    const server = await serve();
    const limited = recordLimited(server);
    const errors = recordClientErrors(server);
    const socket = await connectSocket(server.socketUrl);
    const channel = socket.channel("echo:events");
    await join(channel);
    expect(await push(channel, "e".repeat(256), {})).toEqual({ status: "error", response: { reason: "event too long" } });
    // 255 bytes is fine: it reaches the channel (which does not know the event).
    expect(await push(channel, "e".repeat(255), {})).toEqual({ status: "error", response: { reason: `unknown event ${"e".repeat(255)}` } });
    expect(await push(channel, "ping", { fine: true })).toEqual({ status: "ok", response: { fine: true } });
    expect(limited.map((event) => event.limit)).toEqual(["event_length"]);
    expect(errors.some((error) => error.code === ServerErrorCode.EVENT_TOO_LONG)).toBe(true);
  });

  it("takes a chosen limit", async () => {
    const server = await serve({ maxEventLength: 4 });
    const socket = await connectSocket(server.socketUrl);
    const channel = socket.channel("echo:short");
    // The protocol's own events (phx_join, phx_leave) are never too long.
    expect(await join(channel)).toMatchObject({ status: "ok" });
    expect(await push(channel, "ping", {})).toMatchObject({ status: "ok" });
    expect(await push(channel, "pings", {})).toEqual({ status: "error", response: { reason: "event too long" } });
  });
});
