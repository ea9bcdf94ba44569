/**
 * History and recovery on the wire, with a raw V2 client: positions in the ref of every kept broadcast,
 * the join reply's `recovered` and `position`, missed messages before live ones without duplicates,
 * markers for what a client is not sent, `fenix_recover`, and the limits.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { enableMetrics } from "../../../src/metrics/index.js";
import { onTelemetry, TelemetryEvent, type ChannelRecovered } from "../../../src/index.js";
import { parseExposition, valueOf } from "../metrics/exposition.js";
import { RawClient } from "../../support/raw-client.js";
import { startHistoryEndpoint, type HistoryEndpoint } from "../../support/history-endpoint.js";

type Frame = [string | null, string | null, string, string, Record<string, unknown>];

let server: HistoryEndpoint;
const clients: RawClient[] = [];

beforeEach(async () => {
  server = await startHistoryEndpoint();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await server.stop();
});

async function connect(): Promise<RawClient> {
  const client = await RawClient.connect(server.websocketUrl);
  clients.push(client);
  return client;
}

async function next(client: RawClient): Promise<Frame> {
  return JSON.parse(await client.nextText()) as Frame;
}

async function join(client: RawClient, topic: string, ref: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  client.send([ref, ref, topic, "phx_join", params]);
  let frame = await next(client);
  // A rejoin on the same connection: the replaced incarnation's phx_close follows its reply.
  while (frame[3] === "phx_close") frame = await next(client);
  expect(frame.slice(0, 4)).toEqual([ref, ref, topic, "phx_reply"]);
  const payload = frame[4] as { status: string; response: Record<string, unknown> };
  expect(payload.status).toBe("ok");
  return payload.response;
}

describe("positions", () => {
  it("carries each kept broadcast's position in its ref, offsets counting up from 1", async () => {
    const client = await connect();
    const reply = await join(client, "feed:a", "1");
    expect(reply).toMatchObject({ hello: true, recovered: false, position: { offset: 0 } });
    const epoch = (reply.position as { epoch: string }).epoch;
    expect(epoch).toMatch(/^[A-Za-z0-9_-]{8}$/);
    for (let i = 1; i <= 3; i++) server.endpoint.broadcast("feed:a", "msg", { n: i });
    for (let i = 1; i <= 3; i++) expect(await next(client)).toEqual([null, `${epoch}:${i}`, "feed:a", "msg", { n: i }]);
  });

  it("leaves the ref of broadcasts on routes without history null", async () => {
    const client = await connect();
    const reply = await join(client, "plain:a", "1");
    expect(reply).toEqual({ hello: true });
    server.endpoint.broadcast("plain:a", "msg", { n: 1 });
    expect(await next(client)).toEqual([null, null, "plain:a", "msg", { n: 1 }]);
  });

  it("refuses binary payloads on a topic with history, naming the reason", () => {
    expect(() => server.endpoint.broadcast("feed:a", "msg", new Uint8Array([1]))).toThrow(
      expect.objectContaining({ code: "FENIX_ERR_SERVER_BAD_PAYLOAD", message: expect.stringContaining("history") }),
    );
  });
});

describe("recovery on rejoin", () => {
  it("sends what was missed after `since`, in order, before live messages, with no duplicate", async () => {
    const first = await connect();
    const reply = await join(first, "feed:r", "1");
    const epoch = (reply.position as { epoch: string }).epoch;
    server.endpoint.broadcast("feed:r", "msg", { n: 1 });
    expect((await next(first))[1]).toBe(`${epoch}:1`);
    await first.close();
    for (let i = 2; i <= 5; i++) server.endpoint.broadcast("feed:r", "msg", { n: i });

    const again = await connect();
    again.send(["3", "3", "feed:r", "phx_join", { since: `${epoch}:1` }]);
    // Broadcast while the join is read from the history: held, and sent after the missed ones.
    server.endpoint.broadcast("feed:r", "msg", { n: 6 });
    const answer = await next(again);
    expect(answer[3]).toBe("phx_reply");
    expect(answer[4]).toEqual({ status: "ok", response: { hello: true, recovered: true, position: { epoch, offset: 6 } } });
    const seen: unknown[] = [];
    for (let i = 2; i <= 6; i++) {
      const frame = await next(again);
      expect(frame[1]).toBe(`${epoch}:${i}`);
      seen.push(frame[4].n);
    }
    expect(seen).toEqual([2, 3, 4, 5, 6]);
    server.endpoint.broadcast("feed:r", "msg", { n: 7 });
    expect(await next(again)).toEqual([null, `${epoch}:7`, "feed:r", "msg", { n: 7 }]);
  });

  it("accepts `since` as an object too, and answers recovered: true with nothing to send when nothing was missed", async () => {
    const client = await connect();
    const reply = await join(client, "feed:o", "1");
    const position = reply.position as { epoch: string; offset: number };
    const again = await connect();
    expect(await join(again, "feed:o", "1", { since: position })).toEqual({ hello: true, recovered: true, position });
    await again.expectSilence();
  });

  it("answers recovered: false and sends nothing when the gap is larger than maxRecovery", async () => {
    const client = await connect();
    const epoch = ((await join(client, "feed:big", "1")).position as { epoch: string }).epoch;
    await client.close();
    for (let i = 1; i <= 60; i++) server.endpoint.broadcast("feed:big", "msg", { n: i });
    const again = await connect();
    expect(await join(again, "feed:big", "2", { since: `${epoch}:0` })).toEqual({ hello: true, recovered: false, position: { epoch, offset: 60 } });
    server.endpoint.broadcast("feed:big", "msg", { n: 61 });
    expect(await next(again)).toEqual([null, `${epoch}:61`, "feed:big", "msg", { n: 61 }]);
  });

  it("answers recovered: false for another epoch or a malformed position", async () => {
    const client = await connect();
    const position = (await join(client, "feed:e", "1")).position;
    expect(await join(client, "feed:e", "2", { since: "other:0" })).toEqual({ hello: true, recovered: false, position });
    expect(await join(client, "feed:e", "3", { since: "nonsense" })).toEqual({ hello: true, recovered: false, position });
    expect(await join(client, "feed:e", "4", { since: { epoch: 5, offset: "x" } })).toEqual({ hello: true, recovered: false, position });
  });

  it("recovers from a position read by `join` itself (the recent messages in the reply), without a gap", async () => {
    for (let i = 1; i <= 7; i++) server.endpoint.broadcast("recent:x", "msg", { n: i });
    const client = await connect();
    const reply = await join(client, "recent:x", "1");
    expect(reply.recent).toEqual([{ n: 3 }, { n: 4 }, { n: 5 }, { n: 6 }, { n: 7 }]);
    expect(reply).toMatchObject({ recovered: false, position: { offset: 7 }, read: { offset: 7 } });
    server.endpoint.broadcast("recent:x", "msg", { n: 8 });
    expect((await next(client))[4]).toEqual({ n: 8 });
    // A `since` it cannot recover from: recovered false, and what `join` read is the client's new start.
    const again = await connect();
    expect(await join(again, "recent:x", "1", { since: "another-epoch:3" })).toMatchObject({ recent: [{ n: 4 }, { n: 5 }, { n: 6 }, { n: 7 }, { n: 8 }], recovered: false, position: { offset: 8 } });
    server.endpoint.broadcast("recent:x", "msg", { n: 9 });
    expect((await next(again))[4]).toEqual({ n: 9 });
  });

  it("sends what was broadcast after join's own read, once, after the reply that stands at that read", async () => {
    for (let i = 1; i <= 3; i++) server.endpoint.broadcast("recent:p", "msg", { n: i });
    const client = await connect();
    client.send(["1", "1", "recent:p", "phx_join", { pause: 100 }]);
    await new Promise((resolve) => setTimeout(resolve, 30));
    server.endpoint.broadcast("recent:p", "msg", { n: 4 });
    const reply = await next(client);
    expect(reply[4]).toMatchObject({ status: "ok", response: { recent: [{ n: 1 }, { n: 2 }, { n: 3 }], recovered: false, position: { offset: 3 } } });
    expect((await next(client))[4]).toEqual({ n: 4 });
    await client.expectSilence();
  });
});

describe("markers and fenix_recover", () => {
  it("sends broadcastFrom's sender a position marker in place of the message", async () => {
    const sender = await connect();
    const other = await connect();
    const epoch = ((await join(sender, "feed:f", "1")).position as { epoch: string }).epoch;
    await join(other, "feed:f", "1");
    sender.send(["1", "9", "feed:f", "say_from", { body: "hi" }]);
    const frames = [await next(sender), await next(sender)].sort((a) => (a[3] === "phx_reply" ? -1 : 1));
    expect(frames[1]).toEqual([null, `${epoch}:1`, "feed:f", "fenix_position", {}]);
    expect(await next(other)).toEqual([null, `${epoch}:1`, "feed:f", "msg", { body: "hi" }]);
  });

  it("gives handleOut's push the broadcast's position, and a marker when handleOut drops it", async () => {
    const client = await connect();
    const epoch = ((await join(client, "feed:h", "1")).position as { epoch: string }).epoch;
    server.endpoint.broadcast("feed:h", "secret", { hide: false });
    server.endpoint.broadcast("feed:h", "secret", { hide: true });
    expect(await next(client)).toEqual(["1", `${epoch}:1`, "feed:h", "secret", { hide: false }]);
    expect(await next(client)).toEqual([null, `${epoch}:2`, "feed:h", "fenix_position", {}]);
  });

  it("answers fenix_recover with the messages after `since`, without a rejoin", async () => {
    const client = await connect();
    const epoch = ((await join(client, "feed:g", "1")).position as { epoch: string }).epoch;
    for (let i = 1; i <= 3; i++) server.endpoint.broadcast("feed:g", "msg", { n: i });
    for (let i = 1; i <= 3; i++) await next(client);
    client.send(["1", "5", "feed:g", "fenix_recover", { since: `${epoch}:1` }]);
    expect(await next(client)).toEqual(["1", "5", "feed:g", "phx_reply", { status: "ok", response: { recovered: true, position: { epoch, offset: 3 } } }]);
    expect(await next(client)).toEqual([null, `${epoch}:2`, "feed:g", "msg", { n: 2 }]);
    expect(await next(client)).toEqual([null, `${epoch}:3`, "feed:g", "msg", { n: 3 }]);
    client.send(["1", "6", "feed:g", "fenix_recover", {}]);
    expect(await next(client)).toEqual(["1", "6", "feed:g", "phx_reply", { status: "error", response: { reason: "since must be a position" } }]);
  });
});

describe("endpoint.history", () => {
  it("reads the newest kept messages of a topic, and refuses topics without history", async () => {
    for (let i = 1; i <= 3; i++) server.endpoint.broadcast("feed:e2", "msg", { n: i });
    const history = await server.endpoint.history("feed:e2", { limit: 2 });
    expect(history.messages.map((m) => [m.event, m.payload, m.position.offset])).toEqual([
      ["msg", { n: 2 }, 2],
      ["msg", { n: 3 }, 3],
    ]);
    await expect(server.endpoint.history("plain:x")).rejects.toMatchObject({ code: "FENIX_ERR_SERVER_NO_HISTORY" });
  });
});

describe("telemetry and metrics", () => {
  it("publishes every catch-up (join with since, fenix_recover) and counts it in fenix_recoveries_total", async () => {
    const metrics = enableMetrics(server.endpoint);
    const events: ChannelRecovered[] = [];
    const off = onTelemetry(TelemetryEvent.CHANNEL_RECOVER, (e) => events.push(e));
    try {
      const client = await connect();
      const epoch = ((await join(client, "feed:t", "1")).position as { epoch: string }).epoch;
      expect(events).toEqual([]); // a first join without since is no recovery
      for (let i = 1; i <= 3; i++) server.endpoint.broadcast("feed:t", "msg", { n: i });
      for (let i = 1; i <= 3; i++) await next(client);
      await join(client, "feed:t", "2", { since: `${epoch}:1` });
      // The missed messages, and the replaced join's phx_close (written by the connection, in its own turn).
      const after: Frame[] = [];
      while (after.length < 3) after.push(await next(client));
      expect(after.filter((f) => f[3] === "msg").map((f) => f[1])).toEqual([`${epoch}:2`, `${epoch}:3`]);
      expect(after.filter((f) => f[3] === "phx_close").map((f) => f[0])).toEqual(["1"]);
      client.send(["2", "7", "feed:t", "fenix_recover", { since: "old-epoch:1" }]);
      expect((await next(client))[4]).toMatchObject({ status: "ok", response: { recovered: false } });
      expect(events.map((e) => [e.reason, e.recovered, e.messages, e.topic, e.route])).toEqual([
        ["join", true, 2, "feed:t", "feed:*"],
        ["gap", false, 0, "feed:t", "feed:*"],
      ]);
      const samples = parseExposition(await metrics.scrape());
      expect(valueOf(samples, "fenix_recoveries_total", { route: "feed:*", reason: "join", result: "recovered" })).toBe(1);
      expect(valueOf(samples, "fenix_recoveries_total", { route: "feed:*", reason: "gap", result: "not_recovered" })).toBe(1);
      expect(valueOf(samples, "fenix_recovered_messages_total", { route: "feed:*" })).toBe(2);
    } finally {
      off();
      metrics.stop();
    }
  });
});
