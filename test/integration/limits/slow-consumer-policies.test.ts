// Slow-consumer policies per route, with real sockets: a client that stops reading keeps its connection on
// a `dropOldest` route (the oldest queued broadcasts go, the newest arrive in order once it reads again)
// and on a `keepLatest` route (only the latest of each event waits), while a `disconnect` route closes it
// with 1013 as before. Every broadcast is either delivered or counted as dropped; replies still flow; a
// reading client on the same topic loses nothing; LongPoll sessions follow the same policies.
import { afterEach, describe, expect, it } from "vitest";
import {
  Channel,
  Endpoint,
  ok,
  onTelemetry,
  ServerErrorCode,
  silentLogger,
  Socket,
  TelemetryEvent,
  type ChannelRoute,
  type OutboundDropped,
  type SlowConsumerPolicy,
} from "../../../src/index.js";
import { enableMetrics } from "../../../src/metrics/index.js";
import { parseExposition, valueOf } from "../metrics/exposition.js";
import { closeRawResources, RawClient } from "../../support/raw-client.js";
import { frame, longpoll, openSession, pollFrames, type DecodedFrame } from "../../support/longpoll-client.js";

const KiB = 1024;
const BUDGET = 256 * KiB;
const LONGPOLL_BUDGET = 64 * KiB;

class PlainChannel extends Channel {
  override join() {
    return ok();
  }
}

class ChatChannel extends Channel {
  static override slowConsumer: SlowConsumerPolicy = "dropOldest";
  override join() {
    return ok();
  }
}

class PolicySocket extends Socket {
  static override channels: readonly ChannelRoute[] = [
    ["feed:*", PlainChannel, { slowConsumer: "keepLatest" }],
    ["chat:*", ChatChannel],
    ["strict:*", PlainChannel],
    // The route's option wins over the class's policy.
    ["chat-strict:*", ChatChannel, { slowConsumer: "disconnect" }],
  ];
}

const endpoints: Endpoint[] = [];
const unsubscribes: Array<() => void> = [];

afterEach(async () => {
  for (const off of unsubscribes.splice(0)) off();
  await closeRawResources();
  await Promise.all(endpoints.splice(0).map((e) => e.stop()));
});

async function start() {
  const endpoint = new Endpoint({ port: 0, host: "127.0.0.1", logger: silentLogger });
  endpoint.socket("/socket", PolicySocket, { maxBufferedBytes: BUDGET, longpoll: { windowMs: 1_000, maxBufferedBytes: LONGPOLL_BUDGET } });
  await endpoint.start();
  endpoints.push(endpoint);
  const errors: string[] = [];
  endpoint.on("clientError", (error) => errors.push(error.code));
  const dropped: OutboundDropped[] = [];
  unsubscribes.push(onTelemetry(TelemetryEvent.OUTBOUND_DROPPED, (e) => e.source === endpoint && dropped.push(e)));
  const ws = `${endpoint.url.replace(/^http/, "ws")}/socket/websocket`;
  return { endpoint, errors, dropped, ws, http: `${endpoint.url}/socket` };
}

async function joined(url: string, ...topics: string[]): Promise<RawClient> {
  const client = await RawClient.connect(url);
  for (const [i, topic] of topics.entries()) {
    client.send(JSON.stringify([`${i + 1}`, `${i + 1}`, topic, "phx_join", {}]));
    expect(JSON.parse(await client.nextText())).toEqual([`${i + 1}`, `${i + 1}`, topic, "phx_reply", { status: "ok", response: {} }]);
  }
  return client;
}

type Seq = { seq: number };

/** Reads a paused-then-resumed client's frames until the broadcast numbered `last` arrives. */
async function readUntil(client: RawClient, last: number): Promise<Array<[string, number]>> {
  const got: Array<[string, number]> = [];
  for (;;) {
    const [, , , event, payload] = JSON.parse(await client.nextText()) as [null, null, string, string, Seq];
    got.push([event, payload.seq]);
    if (payload.seq === last) return got;
  }
}

describe("slow-consumer policies over WebSocket", () => {
  it("dropOldest: the slow client stays connected, gets the newest broadcasts in order, and every other one is counted as dropped", async () => {
    const { endpoint, errors, dropped, ws } = await start();
    const metrics = enableMetrics(endpoint);
    unsubscribes.push(() => metrics.stop());
    const reader = await joined(ws, "chat:a");
    const slow = await joined(ws, "chat:a");
    slow.pause();

    const body = "x".repeat(16 * KiB);
    let sent = 0;
    let largest = 0;
    // The kernel's buffers fill first (a few MiB); broadcast until the policy has dropped a good number.
    while (dropped.length < 100 && sent < 4_000) {
      endpoint.broadcast("chat:a", "msg", { seq: sent, body });
      // Lockstep with the reader, so that only the paused client falls behind.
      expect((JSON.parse(await reader.nextText()) as [null, null, string, string, Seq])[4].seq).toBe(sent);
      sent++;
      if (sent % 16 === 0) for (const c of endpoint.connections()) largest = Math.max(largest, c.bufferedBytes);
    }
    expect(dropped.length).toBeGreaterThanOrEqual(100);
    expect(errors).toEqual([]);
    // What the server holds for the client stays within the budget (plus the frame being added).
    expect(largest).toBeLessThanOrEqual(BUDGET + 17 * KiB);
    expect(dropped.every((d) => d.topic === "chat:a" && d.event === "msg" && d.policy === "dropOldest" && d.transport === "websocket")).toBe(true);

    slow.resume();
    const got = await readUntil(slow, sent - 1);
    const seqs = got.map(([, seq]) => seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs.length + dropped.length).toBe(sent);
    // The newest broadcasts survived: the tail is gapless up to the last one.
    expect(seqs.slice(-8)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => sent - 8 + i));

    // Replies still flow, and the connection is as it was.
    slow.send('[null,"hb","phoenix","heartbeat",{}]');
    expect(await slow.nextText()).toBe('[null,"hb","phoenix","phx_reply",{"status":"ok","response":{}}]');
    expect(slow.isOpen).toBe(true);
    const samples = parseExposition(await metrics.scrape());
    expect(valueOf(samples, "fenix_dropped_messages_total", { path: "/socket", transport: "websocket", policy: "dropOldest" })).toBe(dropped.length);
    expect(valueOf(samples, "fenix_slow_consumers_total", { path: "/socket", transport: "websocket" })).toBe(0);
  });

  it("keepLatest: while the client is behind only the latest of each event waits; it ends with the latest of every event", async () => {
    const { endpoint, errors, dropped, ws } = await start();
    const reader = await joined(ws, "feed:a");
    const slow = await joined(ws, "feed:a");
    slow.pause();

    const body = "y".repeat(16 * KiB);
    const events = ["cpu", "mem", "disk"];
    let sent = 0;
    while (dropped.length < 100 && sent < 4_000) {
      endpoint.broadcast("feed:a", events[sent % 3]!, { seq: sent, body });
      expect((JSON.parse(await reader.nextText()) as [null, null, string, string, Seq])[4].seq).toBe(sent);
      sent++;
    }
    expect(dropped.length).toBeGreaterThanOrEqual(100);
    expect(errors).toEqual([]);
    expect(dropped.every((d) => d.policy === "keepLatest")).toBe(true);

    slow.resume();
    const got = await readUntil(slow, sent - 1);
    const seqs = got.map(([, seq]) => seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(seqs.length + dropped.length).toBe(sent);
    // The last broadcast of each event arrived, and last of all.
    expect(got.slice(-3)).toEqual([sent - 3, sent - 2, sent - 1].map((seq) => [events[seq % 3], seq]));
  });

  it("disconnect (the default, and a route option over a class policy): a client that stops reading is closed with 1013", async () => {
    for (const topic of ["strict:a", "chat-strict:a"]) {
      const { endpoint, errors, dropped, ws } = await start();
      // Joined to a dropOldest route too: its connection holds frames back, but the strict topic's may not be dropped.
      const slow = await joined(ws, "chat:other", topic);
      slow.pause();
      const body = "z".repeat(64 * KiB);
      for (let i = 0; errors.length === 0 && i < 1_024; i++) {
        endpoint.broadcast(topic, "msg", { seq: i, body });
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(errors).toEqual([ServerErrorCode.SLOW_CONSUMER]);
      expect(dropped).toEqual([]);
      slow.resume();
      const received: number[] = [];
      for (;;) {
        const text = await slow.nextText().catch(() => null);
        if (text === null) break;
        received.push((JSON.parse(text) as [null, null, string, string, Seq])[4].seq);
      }
      expect(await slow.closed()).toEqual({ code: 1013, reason: ServerErrorCode.SLOW_CONSUMER });
      // What arrived before the close is a gapless prefix.
      expect(received).toEqual(received.map((_, i) => i));
    }
  });

  it("presence events are never dropped, even on a dropOldest route", async () => {
    const { endpoint, errors, dropped, ws } = await start();
    const slow = await joined(ws, "chat:p");
    slow.pause();
    const body = "p".repeat(16 * KiB);
    let sent = 0;
    // Fill the client's queue with droppable messages, then a presence diff, then more messages.
    while (dropped.length < 20 && sent < 4_000) {
      endpoint.broadcast("chat:p", "msg", { seq: sent++, body });
      await new Promise((resolve) => setImmediate(resolve));
    }
    endpoint.broadcast("chat:p", "presence_diff", { joins: { alice: { metas: [{ phx_ref: "1" }] } }, leaves: {}, seq: sent++ });
    for (let i = 0; i < 64; i++) endpoint.broadcast("chat:p", "msg", { seq: sent++, body });
    expect(errors).toEqual([]);
    expect(dropped.every((d) => d.event === "msg")).toBe(true);
    slow.resume();
    const got = await readUntil(slow, sent - 1);
    expect(got.filter(([event]) => event === "presence_diff")).toHaveLength(1);
  });
});

describe("slow-consumer policies over LongPoll", () => {
  it("dropOldest: a session that does not poll keeps its newest broadcasts within longpoll.maxBufferedBytes and is not closed", async () => {
    const { endpoint, errors, dropped, http } = await start();
    const token = await openSession(http);
    expect((await longpoll(http, { token, body: [frame("1", "1", "chat:lp", "phx_join")] })).body?.status).toBe(200);
    const [reply] = await pollFrames(http, token, 1);
    expect(reply).toEqual(["1", "1", "chat:lp", "phx_reply", { status: "ok", response: {} }]);

    const body = "l".repeat(2 * KiB);
    const total = 200;
    for (let seq = 0; seq < total; seq++) endpoint.broadcast("chat:lp", "msg", { seq, body });
    expect(errors).toEqual([]);
    expect(dropped.length).toBeGreaterThan(0);
    expect(dropped.every((d) => d.transport === "longpoll" && d.policy === "dropOldest")).toBe(true);

    const frames: DecodedFrame[] = [];
    while (frames.length + dropped.length < total) frames.push(...(await pollFrames(http, token, 1)));
    const seqs = frames.map((f) => (f[4] as Seq).seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(seqs.at(-1)).toBe(total - 1);
    expect(seqs.length + dropped.length).toBe(total);
    // The session lives on: a heartbeat is answered.
    expect((await longpoll(http, { token, body: [frame(null, "hb", "phoenix", "heartbeat")] })).body?.status).toBe(200);
    expect(await pollFrames(http, token, 1)).toEqual([[null, "hb", "phoenix", "phx_reply", { status: "ok", response: {} }]]);
  });
});

describe("route options", () => {
  it("an unknown slowConsumer policy is refused when the socket is mounted", () => {
    class BadSocket extends Socket {
      static override channels: readonly ChannelRoute[] = [["x:*", PlainChannel, { slowConsumer: "dropNewest" as SlowConsumerPolicy }]];
    }
    const endpoint = new Endpoint({ port: 0, logger: silentLogger });
    expect(() => endpoint.socket("/socket", BadSocket)).toThrow(expect.objectContaining({ code: ServerErrorCode.BAD_OPTION }));
  });
});
