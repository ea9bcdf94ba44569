// A V1 client (the official phoenix client with vsn "1.0.0" and the legacy object encoding): joins,
// pushes and replies, server pushes, heartbeats, broadcasts shared with V2 clients on one topic, and binary
// broadcasts it cannot receive. WebSocket only: over LongPoll the official client ignores its `encode` and
// `decode` options (it always speaks V2 there), so it cannot act as a V1 client.
import { beforeEach, describe, expect, it } from "vitest";
import type { Socket } from "phoenix";
import { WEBSOCKET } from "../../support/client-transport.js";
import {
  useTestEndpoint,
  connectSocket as connectAnySocket,
  join,
  ping,
  push,
  Recorder,
  recordEvent,
  type ClientOptions,
} from "../../support/phoenix-client.js";

const server = useTestEndpoint();

/** Connects an official client over WebSocket, whatever transport the run uses. */
const connectSocket = (url: string, options: ClientOptions = {}): Promise<Socket> =>
  connectAnySocket(url, { ...WEBSOCKET.clientOptions, ...options });

/** Every text frame a V1 client received, parsed. */
let v1Frames: unknown[] = [];

/** How phoenix.js 1.3 and earlier spoke: each message one JSON object, no arrays, no binary frames. */
const V1_OPTIONS: ClientOptions = {
  vsn: "1.0.0",
  encode: (message, callback) => callback(JSON.stringify(message)),
  decode: (raw, callback) => {
    const frame: unknown = JSON.parse(raw);
    v1Frames.push(frame);
    callback(frame);
  },
};

beforeEach(() => {
  v1Frames = [];
});

describe("V1 clients", () => {
  it("join and receive object frames without join_ref", async () => {
    const socket = await connectSocket(server.socketUrl, V1_OPTIONS);

    expect(await join(socket.channel("echo:v1"))).toEqual({ status: "ok", response: { joined: "echo:v1", user: null } });

    expect(v1Frames).toEqual([
      { topic: "echo:v1", event: "phx_reply", payload: { status: "ok", response: { joined: "echo:v1", user: null } }, ref: expect.any(String) },
    ]);
  });

  it("push and get ok and error replies", async () => {
    const socket = await connectSocket(server.socketUrl, V1_OPTIONS);
    const channel = socket.channel("echo:v1-push");
    await join(channel);

    expect(await push(channel, "ping", { v: 1 })).toEqual({ status: "ok", response: { v: 1 } });
    expect(await push(channel, "status", { status: "error", response: { why: "asked" } })).toEqual({
      status: "error",
      response: { why: "asked" },
    });
  });

  it("receive a push made right after the join", async () => {
    const socket = await connectSocket(server.socketUrl, V1_OPTIONS);
    const channel = socket.channel("echo:v1-welcome", { after_join: true });
    const welcome = recordEvent(channel, "welcome");

    await join(channel);

    expect(await welcome.waitFor(1)).toEqual([{ topic: "echo:v1-welcome" }]);
  });

  it("get heartbeat replies", async () => {
    const socket = await connectSocket(server.socketUrl, V1_OPTIONS);

    expect(await ping(socket)).toBeGreaterThanOrEqual(0);
  });

  it("share broadcasts with V2 clients on the same topic, in both directions", async () => {
    const v1 = await connectSocket(server.socketUrl, V1_OPTIONS);
    const v2 = await connectSocket(server.socketUrl);
    const v1Channel = v1.channel("echo:mixed");
    const v2Channel = v2.channel("echo:mixed");
    await join(v1Channel);
    await join(v2Channel);
    const v1News = recordEvent(v1Channel, "news");
    const v2News = recordEvent(v2Channel, "news");

    await push(v1Channel, "broadcast", { event: "news", payload: { from: "v1" } });
    await push(v2Channel, "broadcast", { event: "news", payload: { from: "v2" } });

    expect(await v1News.waitFor(2)).toEqual([{ from: "v1" }, { from: "v2" }]);
    expect(await v2News.waitFor(2)).toEqual([{ from: "v1" }, { from: "v2" }]);
    expect(v1Frames).toContainEqual({ topic: "echo:mixed", event: "news", payload: { from: "v2" }, ref: null });
  });

  it("are skipped by a binary broadcast, which V2 clients on the same topic still receive", async () => {
    const v1 = await connectSocket(server.socketUrl, V1_OPTIONS);
    const v2 = await connectSocket(server.socketUrl);
    const v1Channel = v1.channel("echo:bytes");
    const v2Channel = v2.channel("echo:bytes");
    await join(v1Channel);
    await join(v2Channel);
    const v1Bytes = recordEvent(v1Channel, "binary_broadcast");
    const v2Bytes = recordEvent(v2Channel, "binary_broadcast");

    expect((await push(v2Channel, "binary", Uint8Array.from([1, 2]).buffer)).status).toBe("ok");

    // V1 has no binary frames: its copy cannot be encoded, and nothing else breaks.
    expect(v2Bytes.count).toBe(1);
    await ping(v1);
    expect(v1Bytes.count).toBe(0);
    expect(v1.isConnected()).toBe(true);
    expect(await push(v1Channel, "ping", { still: "fine" })).toEqual({ status: "ok", response: { still: "fine" } });
  });

  it("work without join_ref at all, as clients before 1.3 sent them: pushes, crash and rejoin", async () => {
    const socket = await connectSocket(server.socketUrl, {
      ...V1_OPTIONS,
      encode: (message, callback) => {
        const { topic, event, payload, ref } = message as { topic: string; event: string; payload: unknown; ref: string };
        callback(JSON.stringify({ topic, event, payload, ref }));
      },
    });
    const channel = socket.channel("echo:v1-legacy");
    const joins = new Recorder<unknown>();
    const errors = new Recorder<unknown>();
    channel.onError(errors.record);
    channel.join().receive("ok", joins.record);
    await joins.waitFor(1);

    expect(await push(channel, "ping", { legacy: true })).toEqual({ status: "ok", response: { legacy: true } });
    void push(channel, "crash", {}, { timeout: 200 });

    expect(await errors.waitFor(1)).toEqual([{ reason: "channel_crash" }]);
    await joins.waitFor(2);
    expect(await push(channel, "ping", {})).toMatchObject({ status: "ok" });
  });
});
