// Heartbeats sent with socket.ping by the official phoenix client, over each transport: round trips
// answered promptly, also while a slow join or a slow handler runs on the same socket. Periodic heartbeats
// and the idle timeout are WebSocket matters (the LongPoll client sends none): see
// test/integration/websocket/official-client.test.ts.
import { describe, expect, it } from "vitest";
import { useTestEndpoint, connectSocket, join, ping, push, Recorder } from "../../support/phoenix-client.js";

const server = useTestEndpoint();

describe("heartbeat", () => {
  it("answers socket.ping with a round trip", async () => {
    const socket = await connectSocket(server.socketUrl);

    const latency = await ping(socket);

    expect(latency).toBeGreaterThanOrEqual(0);
    expect(latency).toBeLessThan(1_000);
  });

  it("keeps answering pings for as long as a slow join runs on the same socket", async () => {
    const socket = await connectSocket(server.socketUrl);
    const closes = new Recorder<CloseEvent>();
    socket.onClose(closes.record);
    const channel = socket.channel("slow:x", { ms: 500 });

    const joined = join(channel, 5_000);
    let answered = false;
    void joined.then(() => (answered = true));
    // One round trip after another until the join is answered: none of them waits for the join.
    const latencies: number[] = [];
    const states: string[] = [];
    while (!answered) {
      latencies.push(await ping(socket));
      states.push(channel.state);
    }

    expect(latencies.length).toBeGreaterThanOrEqual(3);
    for (const latency of latencies) expect(latency).toBeLessThan(250);
    // All but the last round trip (which may have crossed the join reply) finished while the join ran.
    expect(states.slice(0, -1).every((state) => state === "joining")).toBe(true);
    expect(await joined).toEqual({ status: "ok", response: { slow: true } });
    expect(closes.count).toBe(0);
  });

  it("answers pings and serves other channels while one channel handles a slow event", async () => {
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
