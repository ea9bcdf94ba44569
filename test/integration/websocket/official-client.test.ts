// The official phoenix client over WebSocket, where that transport differs from LongPoll: binary payloads
// (V2 binary frames, received as ArrayBuffers), the close codes of an endpoint shutdown (1012) and of a
// frame larger than maxFrameBytes (1009), periodic heartbeats, and the idle timeout (1001). The LongPoll
// counterparts are in test/integration/longpoll/official-client.test.ts; what both transports share is
// the channel suite in test/integration/channels.
import { describe, expect, it, onTestFinished } from "vitest";
import type { Socket } from "phoenix";
import { WEBSOCKET } from "../../support/client-transport.js";
import { useTestEndpoint, connectSocket as connectAnySocket, join, push, Recorder, recordEvent, recordMessages, type ClientOptions, joinRecording } from "../../support/phoenix-client.js";
import { startTestEndpoint } from "../../support/test-endpoint.js";

const server = useTestEndpoint();

/** Connects an official client over WebSocket, whatever transport the run uses. */
const connectSocket = (url: string, options: ClientOptions = {}): Promise<Socket> =>
  connectAnySocket(url, { ...WEBSOCKET.clientOptions, ...options });

const bytesOf = (value: unknown): number[] => {
  expect(value).toBeInstanceOf(ArrayBuffer);
  return [...new Uint8Array(value as ArrayBuffer)];
};

describe("binary payloads", () => {
  it("answers an ArrayBuffer push with a binary reply holding the reversed bytes", async () => {
    const socket = await connectSocket(server.socketUrl);
    const channel = socket.channel("echo:bytes");
    await join(channel);

    const reply = await push(channel, "binary", Uint8Array.from([1, 2, 3, 250, 0]).buffer);

    expect(reply.status).toBe("ok");
    expect(bytesOf(reply.response)).toEqual([0, 250, 3, 2, 1]);
  });

  it("delivers a binary push and a binary broadcast as ArrayBuffers, to the sender and other clients", async () => {
    const sender = await connectSocket(server.socketUrl);
    const other = await connectSocket(server.socketUrl);
    const senderChannel = sender.channel("echo:bytes-room");
    const otherChannel = other.channel("echo:bytes-room");
    await join(senderChannel);
    await join(otherChannel);
    const pushed = recordEvent(senderChannel, "binary_push");
    const senderBroadcasts = recordEvent(senderChannel, "binary_broadcast");
    const otherBroadcasts = recordEvent(otherChannel, "binary_broadcast");
    const otherPushes = recordEvent(otherChannel, "binary_push");

    const bytes = Uint8Array.from({ length: 300 }, (_, i) => i % 256);
    expect((await push(senderChannel, "binary", bytes.buffer)).status).toBe("ok");

    const reversed = [...bytes].reverse();
    // The push and the broadcast to the sender were written before the reply.
    expect(bytesOf(pushed.values[0])).toEqual(reversed);
    expect(bytesOf(senderBroadcasts.values[0])).toEqual(reversed);
    const [broadcast] = await otherBroadcasts.waitFor(1);
    expect(bytesOf(broadcast)).toEqual(reversed);
    expect(otherPushes.count).toBe(0);
  });

  it("handles binary frames on a topic with non-ASCII characters (UTF-8 meta lengths)", async () => {
    const sender = await connectSocket(server.socketUrl);
    const other = await connectSocket(server.socketUrl);
    const topic = "echo:café-🎉-ünï";
    const senderChannel = sender.channel(topic);
    const otherChannel = other.channel(topic);
    await join(senderChannel);
    await join(otherChannel);
    const broadcasts = recordEvent(otherChannel, "binary_broadcast");

    const reply = await push(senderChannel, "binary", Uint8Array.from([1, 2, 3]).buffer);

    expect(reply.status).toBe("ok");
    expect(bytesOf(reply.response)).toEqual([3, 2, 1]);
    const [broadcast] = await broadcasts.waitFor(1);
    expect(bytesOf(broadcast)).toEqual([3, 2, 1]);
  });

  it("keeps JSON and binary traffic on one socket apart", async () => {
    const socket = await connectSocket(server.socketUrl);
    const channel = socket.channel("echo:mixed");
    await join(channel);

    const [json, binary] = await Promise.all([
      push(channel, "ping", { json: true }),
      push(channel, "binary", Uint8Array.from([9, 8]).buffer),
    ]);

    expect(json).toEqual({ status: "ok", response: { json: true } });
    expect(bytesOf(binary.response)).toEqual([8, 9]);
  });
});

describe("close codes", () => {
  it("closes client connections with 1012, not 1000, on endpoint shutdown, and the client tries to reconnect", async () => {
    const socket = await connectSocket(server.socketUrl);
    const closes = new Recorder<CloseEvent>();
    const errors = new Recorder<unknown>();
    socket.onClose(closes.record);
    socket.onError(errors.record);

    await server.stop();

    const [close] = await closes.waitFor(1);
    expect(close?.code).toBe(1012);
    expect(close?.code).not.toBe(1000);
    // The endpoint is gone, so each reconnect attempt the client makes fails with an error.
    await errors.waitFor(1);
    expect(socket.isConnected()).toBe(false);
  });

  it("closes the connection with 1009 on a frame larger than maxFrameBytes; the client reconnects and rejoins", async () => {
    const small = await startTestEndpoint({ maxFrameBytes: 10_000 });
    onTestFinished(() => small.stop());
    const socket = await connectSocket(small.socketUrl);
    const closes = new Recorder<CloseEvent>();
    const opens = new Recorder();
    socket.onClose(closes.record);
    socket.onOpen(opens.record);
    const big = socket.channel("echo:big");
    const joins = await joinRecording(big);

    void push(big, "ping", { body: "x".repeat(20_000) }, { timeout: 200 });

    const [close] = await closes.waitFor(1);
    expect(close?.code).toBe(1009);
    await opens.waitFor(1);
    await joins.waitFor(2);
    expect(await push(big, "ping", { small: true })).toEqual({ status: "ok", response: { small: true } });
  });
});

const HEARTBEAT_MS = 50;

describe("heartbeat", () => {
  it("answers every heartbeat, so the connection stays up over many intervals", async () => {
    const socket = await connectSocket(server.socketUrl, { heartbeatIntervalMs: HEARTBEAT_MS });
    const closes = new Recorder<CloseEvent>();
    const errors = new Recorder<unknown>();
    socket.onClose(closes.record);
    socket.onError(errors.record);
    const heartbeatReplies = recordMessages(socket, (m) => m.topic === "phoenix" && m.event === "phx_reply");

    const replies = await heartbeatReplies.waitFor(6);

    for (const reply of replies) {
      expect(reply).toMatchObject({ join_ref: null, topic: "phoenix", payload: { status: "ok", response: {} } });
    }
    expect(closes.count).toBe(0);
    expect(errors.count).toBe(0);
    expect(socket.isConnected()).toBe(true);
  });
});

describe("idle timeout", () => {
  it("keeps a connection whose heartbeats arrive more often than idleTimeoutMs", async () => {
    // Client and server share one event loop: the idle timeout leaves room for a stalled loop.
    const idle = await startTestEndpoint({}, { idleTimeoutMs: 300 });
    onTestFinished(() => idle.stop());
    const socket = await connectSocket(idle.socketUrl, { heartbeatIntervalMs: 30 });
    const closes = new Recorder<CloseEvent>();
    socket.onClose(closes.record);
    const heartbeatReplies = recordMessages(socket, (m) => m.topic === "phoenix" && m.event === "phx_reply");

    // Fifteen intervals of 30 ms or more: well past the idle timeout.
    await heartbeatReplies.waitFor(15);

    expect(closes.count).toBe(0);
    expect(socket.isConnected()).toBe(true);
  });

  it("closes a silent connection with 1001 after idleTimeoutMs, and the client reconnects", async () => {
    const idle = await startTestEndpoint({}, { idleTimeoutMs: 150 });
    onTestFinished(() => idle.stop());
    const socket = await connectSocket(idle.socketUrl);
    const closes = new Recorder<CloseEvent>();
    const opens = new Recorder();
    socket.onClose(closes.record);
    socket.onOpen(opens.record);

    const [close] = await closes.waitFor(1);

    expect(close?.code).toBe(1001);
    await opens.waitFor(1);
  });
});
