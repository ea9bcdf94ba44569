// Heartbeats with the official phoenix client: answered promptly (also during slow joins and slow
// handlers on the same socket), socket.ping round trips, and the server's idle timeout.
import { describe, expect, it, onTestFinished } from "vitest";
import {
  useTestEndpoint,
  connectSocket,
  join,
  ping,
  push,
  Recorder,
  recordMessages,
} from "../../support/phoenix-client.js";
import { startTestEndpoint } from "../../support/test-endpoint.js";

const server = useTestEndpoint();

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

  it("answers socket.ping with a round trip", async () => {
    const socket = await connectSocket(server.socketUrl);

    const latency = await ping(socket);

    expect(latency).toBeGreaterThanOrEqual(0);
    expect(latency).toBeLessThan(1_000);
  });

  it("answers heartbeats and pings while a slow join runs on the same socket", async () => {
    const socket = await connectSocket(server.socketUrl, { heartbeatIntervalMs: HEARTBEAT_MS });
    const heartbeatReplies = recordMessages(socket, (m) => m.topic === "phoenix" && m.event === "phx_reply");
    const closes = new Recorder<CloseEvent>();
    socket.onClose(closes.record);
    const channel = socket.channel("slow:x", { ms: 1500 });

    const joined = join(channel, 5_000);
    const seenBefore = heartbeatReplies.count;
    const latency = await ping(socket);
    // Several heartbeat intervals pass while the join still runs: each heartbeat was answered in time.
    await heartbeatReplies.waitFor(seenBefore + 5);

    expect(channel.state).toBe("joining");
    expect(latency).toBeLessThan(250);
    expect(await joined).toEqual({ status: "ok", response: { slow: true } });
    expect(closes.count).toBe(0);
  });

  it("answers heartbeats and serves other channels while one channel handles a slow event", async () => {
    const socket = await connectSocket(server.socketUrl);
    const slow = socket.channel("echo:slow-handler");
    const quick = socket.channel("echo:quick");
    await join(slow);
    await join(quick);

    const slowReply = push(slow, "slow", { ms: 300 });
    const latency = await ping(socket);
    const quickReply = await push(quick, "ping", { quick: true });

    expect(latency).toBeLessThan(250);
    expect(quickReply).toEqual({ status: "ok", response: { quick: true } });
    expect(await slowReply).toEqual({ status: "ok", response: { slept: 300 } });
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
