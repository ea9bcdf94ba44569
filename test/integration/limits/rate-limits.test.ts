// Per-connection and per-topic rate limits with the official phoenix client: a flood beyond a limit is
// answered "rate limited" (error replies the client hands to .receive("error")), counted on telemetry and
// reported on clientError at most once a second, while other connections and topics keep flowing.
import { LongPoll } from "phoenix";
import { describe, expect, it } from "vitest";
import { ServerErrorCode } from "../../../src/index.js";
import { connectSocket, join, ping, push, type Reply } from "../../support/phoenix-client.js";
import { delay, recordClientErrors, recordLimited, serve } from "./serve.js";

const RATE_LIMITED = { reason: "rate limited" };

function isRateLimited(reply: Reply): boolean {
  const response = reply.response as { reason?: unknown; retry_after_ms?: unknown };
  return reply.status === "error" && response.reason === "rate limited" && typeof response.retry_after_ms === "number" && response.retry_after_ms > 0;
}

function count(replies: readonly Reply[], status: "ok" | "limited"): number {
  return replies.filter((reply) => (status === "ok" ? reply.status === "ok" : isRateLimited(reply))).length;
}

describe("rateLimit.messagesPerSec", () => {
  it("answers a flood beyond the limit 'rate limited' while another connection's messages all flow", async () => {
    const server = await serve({ rateLimit: { messagesPerSec: 20 } });
    const limited = recordLimited(server);
    const errors = recordClientErrors(server);
    const flooder = (await connectSocket(server.socketUrl)).channel("echo:flood");
    const calm = (await connectSocket(server.socketUrl)).channel("echo:calm");
    expect((await join(flooder)).status).toBe("ok");
    expect((await join(calm)).status).toBe("ok");
    await delay(1_100); // both buckets full again (the joins took a token each)

    const flood = Array.from({ length: 80 }, (_, i) => push(flooder, "ping", { i }));
    const steady = Array.from({ length: 15 }, (_, i) => push(calm, "ping", { i }));
    const [floodReplies, steadyReplies] = await Promise.all([Promise.all(flood), Promise.all(steady)]);

    // The bucket holds 20 and refills 20/s: about 20 get through, the rest are refused, none is lost.
    const ok = count(floodReplies, "ok");
    expect(ok).toBeGreaterThanOrEqual(20);
    expect(ok).toBeLessThan(30);
    expect(ok + count(floodReplies, "limited")).toBe(80);
    // The accepted ones were handled (echoed), in order.
    const echoed = floodReplies.filter((reply) => reply.status === "ok").map((reply) => (reply.response as { i: number }).i);
    expect(echoed).toEqual([...echoed].sort((a, b) => a - b));
    // The other connection lost nothing.
    expect(steadyReplies.map((reply) => reply.status)).toEqual(Array(15).fill("ok"));
    expect(steadyReplies.map((reply) => (reply.response as { i: number }).i)).toEqual([...Array(15).keys()]);

    // Counted on telemetry one by one; reported on clientError once (within a second), without a status.
    expect(limited.length).toBe(80 - ok);
    expect(limited.every((event) => event.limit === "messages" && event.topic === "echo:flood" && event.event === "ping")).toBe(true);
    const reports = errors.filter((error) => error.code === ServerErrorCode.RATE_LIMITED);
    expect(reports.length).toBeGreaterThanOrEqual(1);
    expect(reports.length).toBeLessThanOrEqual(2);
    expect(reports[0]!.status).toBeUndefined();
    expect(reports[0]!.message).toContain("rateLimit.messagesPerSec (20/s)");
  });

  it("keeps the connection open, and accepts messages again after retry_after_ms", async () => {
    const server = await serve({ rateLimit: { messagesPerSec: 5 } });
    const socket = await connectSocket(server.socketUrl);
    const channel = socket.channel("echo:retry");
    await join(channel);
    const replies = await Promise.all(Array.from({ length: 10 }, () => push(channel, "ping", {})));
    const refused = replies.find(isRateLimited);
    expect(refused?.response).toMatchObject(RATE_LIMITED);
    const retryAfter = (refused!.response as { retry_after_ms: number }).retry_after_ms;
    expect(retryAfter).toBeLessThanOrEqual(1_000);
    expect(socket.isConnected()).toBe(true);

    await delay(retryAfter + 20);
    expect(await push(channel, "ping", { again: true })).toEqual({ status: "ok", response: { again: true } });
  });

  it("never limits heartbeats or leaves", async () => {
    const server = await serve({ rateLimit: { messagesPerSec: 1 } });
    const socket = await connectSocket(server.socketUrl);
    const channel = socket.channel("echo:hb");
    await join(channel); // spends the only token
    expect(isRateLimited(await push(channel, "ping", {}))).toBe(true);
    for (let i = 0; i < 5; i++) await ping(socket);
    const left = await new Promise<string>((resolve) => {
      channel
        .leave()
        .receive("ok", () => resolve("ok"))
        .receive("error", () => resolve("error"))
        .receive("timeout", () => resolve("timeout"));
    });
    expect(left).toBe("ok");
  });

  it("answers LongPoll clients the same way", async () => {
    const server = await serve({ rateLimit: { messagesPerSec: 5 } });
    const socket = await connectSocket(server.socketUrl, { transport: LongPoll });
    const channel = socket.channel("echo:lp");
    await join(channel);
    await delay(1_100);
    const replies = await Promise.all(Array.from({ length: 12 }, (_, i) => push(channel, "ping", { i })));
    expect(count(replies, "ok")).toBeGreaterThanOrEqual(5);
    expect(count(replies, "limited")).toBeGreaterThanOrEqual(1);
    expect(count(replies, "ok") + count(replies, "limited")).toBe(12);
  });
});

describe("rateLimit.bytesPerSec", () => {
  it("refuses messages once the frame bytes of the second are spent", async () => {
    const server = await serve({ rateLimit: { bytesPerSec: 4_000 } });
    const limited = recordLimited(server);
    const channel = (await connectSocket(server.socketUrl)).channel("echo:bytes");
    await join(channel);
    await delay(200);
    const body = "x".repeat(900);
    const replies = await Promise.all(Array.from({ length: 10 }, () => push(channel, "ping", { body })));
    // ~950-byte frames against a 4000-byte bucket: four pass, the rest wait for the refill.
    expect(count(replies, "ok")).toBeGreaterThanOrEqual(3);
    expect(count(replies, "ok")).toBeLessThanOrEqual(5);
    expect(count(replies, "ok") + count(replies, "limited")).toBe(10);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited.every((event) => event.limit === "bytes")).toBe(true);
    // Small messages are cheap: after a short wait a few bytes are available again.
    await delay(100);
    expect((await push(channel, "ping", { small: 1 })).status).toBe("ok");
  });

  it("lets one message bigger than the whole bucket through on a full bucket, then makes the client wait", async () => {
    const server = await serve({ rateLimit: { bytesPerSec: 1_000 } });
    const channel = (await connectSocket(server.socketUrl)).channel("echo:big");
    await join(channel);
    await delay(1_100);
    expect((await push(channel, "ping", { body: "y".repeat(3_000) })).status).toBe("ok");
    const next = await push(channel, "ping", {});
    expect(isRateLimited(next)).toBe(true);
    expect((next.response as { retry_after_ms: number }).retry_after_ms).toBeGreaterThan(1_000);
  });
});

describe("rateLimit.joinsPerSec", () => {
  it("answers joins beyond the limit with a 'rate limited' join reply", async () => {
    const server = await serve({ rateLimit: { joinsPerSec: 2 } });
    const limited = recordLimited(server);
    const socket = await connectSocket(server.socketUrl);
    const channels = Array.from({ length: 5 }, (_, i) => socket.channel(`echo:j${i}`));
    const replies = await Promise.all(channels.map((channel) => join(channel)));
    expect(replies.filter((reply) => reply.status === "ok")).toHaveLength(2);
    const refused = replies.filter(isRateLimited);
    expect(refused).toHaveLength(3);
    expect(limited.filter((event) => event.limit === "joins")).toHaveLength(3);
    // Other messages are not joins: pushes on a joined channel still flow.
    const joined = channels[replies.findIndex((reply) => reply.status === "ok")]!;
    expect((await push(joined, "ping", { still: true })).status).toBe("ok");
  });
});

describe("topicRateLimit", () => {
  it("limits a flooded topic and not another topic of the same connection", async () => {
    const server = await serve({ topicRateLimit: { messagesPerSec: 5 } });
    const limited = recordLimited(server);
    const socket = await connectSocket(server.socketUrl);
    const hot = socket.channel("echo:hot");
    const cold = socket.channel("echo:cold");
    await join(hot);
    await join(cold);
    const hotReplies = await Promise.all(Array.from({ length: 20 }, () => push(hot, "ping", {})));
    const coldReplies = await Promise.all(Array.from({ length: 5 }, () => push(cold, "ping", {})));
    expect(count(hotReplies, "ok")).toBeGreaterThanOrEqual(5);
    expect(count(hotReplies, "ok")).toBeLessThan(10);
    expect(count(hotReplies, "ok") + count(hotReplies, "limited")).toBe(20);
    expect(coldReplies.map((reply) => reply.status)).toEqual(Array(5).fill("ok"));
    expect(limited.every((event) => event.limit === "topic_messages" && event.topic === "echo:hot")).toBe(true);
  });

  it("limits bytes per topic", async () => {
    const server = await serve({ topicRateLimit: { bytesPerSec: 2_000 } });
    const socket = await connectSocket(server.socketUrl);
    const hot = socket.channel("echo:hot-bytes");
    const cold = socket.channel("echo:cold-bytes");
    await join(hot);
    await join(cold);
    const body = "z".repeat(900);
    const hotReplies = await Promise.all(Array.from({ length: 6 }, () => push(hot, "ping", { body })));
    expect(count(hotReplies, "limited")).toBeGreaterThanOrEqual(3);
    expect((await push(cold, "ping", { body })).status).toBe("ok");
  });
});

describe("defaults", () => {
  it("do not limit a normal client", async () => {
    const server = await serve();
    const limited = recordLimited(server);
    const socket = await connectSocket(server.socketUrl);
    const channels = Array.from({ length: 20 }, (_, i) => socket.channel(`echo:normal${i}`));
    expect((await Promise.all(channels.map((channel) => join(channel)))).every((reply) => reply.status === "ok")).toBe(true);
    const replies = await Promise.all(Array.from({ length: 500 }, (_, i) => push(channels[i % 20]!, "ping", { i, body: "w".repeat(200) })));
    expect(replies.every((reply) => reply.status === "ok")).toBe(true);
    expect(limited).toHaveLength(0);
  });
});
