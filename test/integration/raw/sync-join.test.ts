// Joins answered in the connection's own turn: a channel whose `join` returns synchronously is joined before
// the connection handles its next frame; an async `join` still runs as the channel's own handler. Both must
// look the same on the wire — replies, the order of a push sent right behind the join, refusals and
// crashes — and report the same telemetry.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  Channel,
  Endpoint,
  TelemetryEvent,
  error,
  ok,
  onTelemetry,
  reply,
  silentLogger,
  Socket,
  type ChannelRoute,
  type JsonObject,
  type Payload,
  type TelemetryPayloads,
} from "../../../src/index.js";
import { JoinCommand, JoinOutcome } from "../../../src/server/channel/channel-server.js";
import { closeRawResources, RawClient } from "../../support/raw-client.js";

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What every test channel answers to a push: whether its join had run, and what it was sent. */
abstract class Answering extends Channel<{ joined?: boolean }> {
  override handleIn(event: string, payload: Payload) {
    if (event === "crash") throw new Error("handleIn exploded (test)");
    return reply("ok", { event, joined: this.assigns.joined ?? false, payload: payload as JsonObject });
  }

  override handleInfo(message: unknown) {
    if ((message as { welcome?: boolean }).welcome === true) this.push("welcome", { joined: this.assigns.joined ?? false });
  }
}

/** `sync:*` — joins synchronously; `{welcome: true}` sends itself a message from `join`. */
class SyncChannel extends Answering {
  override join(topic: string, payload: JsonObject) {
    this.assigns.joined = true;
    if (payload.welcome === true) this.send({ welcome: true });
    return ok({ sync: topic });
  }
}

/** `async:*` — joins after a timer. */
class AsyncChannel extends Answering {
  override async join(topic: string) {
    await delay(20);
    this.assigns.joined = true;
    return ok({ async: topic });
  }
}

/** `refuse:*` and `refuse_async:*` — refuse every join without `{allow: true}`. */
class RefuseChannel extends Answering {
  override join(topic: string, payload: JsonObject) {
    if (payload.allow !== true) return error({ reason: "nope" });
    this.assigns.joined = true;
    return ok({ allowed: topic });
  }
}
class RefuseAsyncChannel extends Answering {
  override async join(topic: string, payload: JsonObject) {
    await delay(5);
    if (payload.allow !== true) return error({ reason: "nope" });
    this.assigns.joined = true;
    return ok({ allowed: topic });
  }
}

/** `throw:*` and `throw_async:*` — their join throws (or rejects). */
class ThrowChannel extends Answering {
  override join(): never {
    throw new Error("join exploded (test)");
  }
}
class ThrowAsyncChannel extends Answering {
  override async join(): Promise<never> {
    await delay(5);
    throw new Error("join exploded (test)");
  }
}

class JoinSocket extends Socket {
  static override channels: readonly ChannelRoute[] = [
    ["sync:*", SyncChannel],
    ["async:*", AsyncChannel],
    ["refuse:*", RefuseChannel],
    ["refuse_async:*", RefuseAsyncChannel],
    ["throw:*", ThrowChannel],
    ["throw_async:*", ThrowAsyncChannel],
  ];
}

let endpoint: Endpoint;
let url: string;
const joins: TelemetryPayloads[typeof TelemetryEvent.CHANNEL_JOIN][] = [];
const crashes: TelemetryPayloads[typeof TelemetryEvent.CHANNEL_CRASH][] = [];
const offs: Array<() => void> = [];

beforeAll(async () => {
  endpoint = new Endpoint({ port: 0, host: "127.0.0.1", logger: silentLogger });
  endpoint.socket("/socket", JoinSocket);
  await endpoint.start();
  url = `${endpoint.url.replace(/^http/, "ws")}/socket/websocket`;
  offs.push(
    onTelemetry(TelemetryEvent.CHANNEL_JOIN, (event) => {
      if (event.source === endpoint) joins.push(event);
    }),
    onTelemetry(TelemetryEvent.CHANNEL_CRASH, (event) => {
      if (event.source === endpoint) crashes.push(event);
    }),
  );
});
afterEach(closeRawResources);
afterAll(async () => {
  for (const off of offs.splice(0)) off();
  await endpoint.stop();
});

const frame = (...parts: unknown[]) => JSON.stringify(parts);
const replyFrame = (joinRef: string | null, ref: string, topic: string, status: string, response: unknown) =>
  frame(joinRef, ref, topic, "phx_reply", { status, response });

/** The channels the endpoint reports as joined on its only connection. */
function joinedTopics(): string[] {
  const [connection] = endpoint.connections();
  return connection === undefined ? [] : connection.channels.map((channel) => channel.topic);
}

/** Waits until the endpoint's only connection reports `topics` joined (an EXIT may still be on its way). */
async function expectJoined(topics: string[]): Promise<void> {
  await expect.poll(joinedTopics).toEqual(topics);
}

describe("a join answered at once or later", () => {
  it.each(["sync", "async"])("replies ok (%s join), and a push sent right behind the join is handled after it", async (kind) => {
    const client = await RawClient.connect(url);
    const topic = `${kind}:a`;

    client.send(["1", "1", topic, "phx_join", {}]);
    client.send(["1", "2", topic, "ping", { n: 1 }]);

    expect(await client.nextText()).toBe(replyFrame("1", "1", topic, "ok", { [kind]: topic }));
    expect(await client.nextText()).toBe(replyFrame("1", "2", topic, "ok", { event: "ping", joined: true, payload: { n: 1 } }));
    await expectJoined([topic]);
    expect(joins.filter((j) => j.topic === topic).map((j) => j.result)).toEqual(["ok"]);
  });
});

describe("a join answered synchronously", () => {
  it("handles what join sent the channel itself after the reply, before the next push", async () => {
    const client = await RawClient.connect(url);

    client.send(["1", "1", "sync:welcome", "phx_join", { welcome: true }]);
    client.send(["1", "2", "sync:welcome", "ping", {}]);

    expect(await client.nextText()).toBe(replyFrame("1", "1", "sync:welcome", "ok", { sync: "sync:welcome" }));
    expect(await client.nextText()).toBe(frame("1", null, "sync:welcome", "welcome", { joined: true }));
    expect(await client.nextText()).toBe(replyFrame("1", "2", "sync:welcome", "ok", { event: "ping", joined: true, payload: {} }));
  });

  it("answers many joins of one frame batch in order, each push after its own join", async () => {
    const client = await RawClient.connect(url);
    const topics = ["sync:m1", "sync:m2", "sync:m3"];

    topics.forEach((topic, i) => {
      client.send([String(i + 1), "j", topic, "phx_join", {}]);
      client.send([String(i + 1), "p", topic, "ping", {}]);
    });

    const frames: string[] = [];
    for (let i = 0; i < topics.length * 2; i++) frames.push(await client.nextText());
    // The joins are answered in the connection's turn, the pushes in their channels' (as before, when they
    // waited for the join outcomes): the order that matters is per topic.
    const joinReplies = topics.map((topic, i) => replyFrame(String(i + 1), "j", topic, "ok", { sync: topic }));
    const pushReplies = topics.map((topic, i) => replyFrame(String(i + 1), "p", topic, "ok", { event: "ping", joined: true, payload: {} }));
    expect(frames.filter((f) => f.includes('"j"'))).toEqual(joinReplies);
    expect(frames.filter((f) => f.includes('"p"'))).toEqual(pushReplies);
    for (const [i] of topics.entries()) expect(frames.indexOf(joinReplies[i]!)).toBeLessThan(frames.indexOf(pushReplies[i]!));
    await client.expectSilence();
    await expectJoined(topics);
  });

  it("replaces a joined channel: the new reply, then the old channel's phx_close, and nothing more", async () => {
    const client = await RawClient.connect(url);
    client.send(["1", "1", "sync:dup", "phx_join", {}]);
    expect(await client.nextText()).toBe(replyFrame("1", "1", "sync:dup", "ok", { sync: "sync:dup" }));

    client.send(["2", "2", "sync:dup", "phx_join", {}]);
    client.send(["2", "3", "sync:dup", "ping", {}]);

    expect(await client.nextText()).toBe(replyFrame("2", "2", "sync:dup", "ok", { sync: "sync:dup" }));
    expect(await client.nextText()).toBe(frame("1", "1", "sync:dup", "phx_close", {}));
    expect(await client.nextText()).toBe(replyFrame("2", "3", "sync:dup", "ok", { event: "ping", joined: true, payload: {} }));
    await client.expectSilence();
    await expectJoined(["sync:dup"]);
  });

  it("reports a crash after the join as phx_error, as before", async () => {
    const client = await RawClient.connect(url);
    client.send(["1", "1", "sync:crash", "phx_join", {}]);
    client.send(["1", "2", "sync:crash", "crash", {}]);

    expect(await client.nextText()).toBe(replyFrame("1", "1", "sync:crash", "ok", { sync: "sync:crash" }));
    expect(await client.nextText()).toBe(frame("1", "1", "sync:crash", "phx_error", { reason: "channel_crash" }));
    await client.expectSilence();
    await expectJoined([]);
  });
});

describe("the mailbox round trip", () => {
  it("is skipped for a sync join (no JoinCommand, no JoinOutcome) and kept for an async one", async () => {
    const runtime = endpoint.runtime;
    const sent: string[] = [];
    const send = runtime.send;
    // Observes the messages the runtime carries; the delivery itself is untouched.
    runtime.send = function (this: typeof runtime, pid, message) {
      if (message instanceof JoinCommand) sent.push(`JoinCommand ${message.message.topic}`);
      if (message instanceof JoinOutcome) sent.push(`JoinOutcome ${message.channel.topic}`);
      return send.call(this, pid, message);
    };
    try {
      const client = await RawClient.connect(url);
      client.send(["1", "1", "sync:trip", "phx_join", {}]);
      expect(await client.nextText()).toBe(replyFrame("1", "1", "sync:trip", "ok", { sync: "sync:trip" }));
      client.send(["2", "2", "async:trip", "phx_join", {}]);
      expect(await client.nextText()).toBe(replyFrame("2", "2", "async:trip", "ok", { async: "async:trip" }));
      client.send(["3", "3", "refuse:trip", "phx_join", {}]);
      expect(await client.nextText()).toBe(replyFrame("3", "3", "refuse:trip", "error", { reason: "nope" }));
      await expectJoined(["sync:trip", "async:trip"]);
    } finally {
      runtime.send = send;
    }
    expect(sent).toEqual(["JoinOutcome async:trip"]);
  });
});

describe("a join answered asynchronously", () => {
  it("keeps a sync and an async join of the same batch apart, each answered once", async () => {
    const client = await RawClient.connect(url);

    client.send(["1", "1", "async:mix", "phx_join", {}]);
    client.send(["2", "2", "sync:mix", "phx_join", {}]);
    client.send(["1", "3", "async:mix", "ping", {}]);
    client.send(["2", "4", "sync:mix", "ping", {}]);

    // The sync join and its push are answered while the async join still waits for its timer.
    expect(await client.nextText()).toBe(replyFrame("2", "2", "sync:mix", "ok", { sync: "sync:mix" }));
    expect(await client.nextText()).toBe(replyFrame("2", "4", "sync:mix", "ok", { event: "ping", joined: true, payload: {} }));
    expect(await client.nextText()).toBe(replyFrame("1", "1", "async:mix", "ok", { async: "async:mix" }));
    expect(await client.nextText()).toBe(replyFrame("1", "3", "async:mix", "ok", { event: "ping", joined: true, payload: {} }));
    await client.expectSilence();
    await expectJoined(["async:mix", "sync:mix"]);
  });
});

describe.each([
  ["sync", "refuse"],
  ["async", "refuse_async"],
])("a refused join (%s)", (_kind, prefix) => {
  it("replies the error, answers a push behind it as unmatched, closes nothing and keeps no entry", async () => {
    const client = await RawClient.connect(url);
    const topic = `${prefix}:a`;

    client.send(["1", "1", topic, "phx_join", {}]);
    client.send(["1", "2", topic, "ping", {}]);

    expect(await client.nextText()).toBe(replyFrame("1", "1", topic, "error", { reason: "nope" }));
    expect(await client.nextText()).toBe(replyFrame(null, "2", topic, "error", { reason: "unmatched topic" }));
    await client.expectSilence();
    expect(joinedTopics()).toEqual([]);

    // Refused again: nothing was left behind by the first one.
    client.send(["3", "3", topic, "phx_join", {}]);
    expect(await client.nextText()).toBe(replyFrame("3", "3", topic, "error", { reason: "nope" }));
    await client.expectSilence();
    expect(joins.filter((j) => j.topic === topic).map((j) => j.result)).toEqual(["error", "error"]);
  });

  it("closes the channel it replaced after the refusal, once, and keeps no entry", async () => {
    const client = await RawClient.connect(url);
    const topic = `${prefix}:replaced`;
    client.send(["1", "1", topic, "phx_join", { allow: true }]);
    expect(await client.nextText()).toBe(replyFrame("1", "1", topic, "ok", { allowed: topic }));
    await expectJoined([topic]);

    client.send(["2", "2", topic, "phx_join", {}]);
    client.send(["2", "3", topic, "ping", {}]);

    expect(await client.nextText()).toBe(replyFrame("2", "2", topic, "error", { reason: "nope" }));
    expect(await client.nextText()).toBe(frame("1", "1", topic, "phx_close", {}));
    expect(await client.nextText()).toBe(replyFrame(null, "3", topic, "error", { reason: "unmatched topic" }));
    await client.expectSilence();
    expect(joinedTopics()).toEqual([]);
  });
});

describe.each([
  ["sync", "throw"],
  ["async", "throw_async"],
])("a join that throws (%s)", (_kind, prefix) => {
  it("crashes only its channel: the client gets 'join crashed', no phx_error, and the connection serves on", async () => {
    const client = await RawClient.connect(url);
    client.send(["1", "1", "sync:bystander", "phx_join", {}]);
    expect(await client.nextText()).toBe(replyFrame("1", "1", "sync:bystander", "ok", { sync: "sync:bystander" }));
    const topic = `${prefix}:a`;

    client.send(["2", "2", topic, "phx_join", {}]);
    client.send(["2", "3", topic, "ping", {}]);
    client.send(["1", "4", "sync:bystander", "ping", {}]);

    const frames = [await client.nextText(), await client.nextText(), await client.nextText()];
    const mine = frames.filter((f) => f.includes(topic));
    // The crashed join's reply, then the push behind it answered as unmatched.
    expect(mine).toEqual([replyFrame("2", "2", topic, "error", { reason: "join crashed" }), replyFrame(null, "3", topic, "error", { reason: "unmatched topic" })]);
    expect(frames).toContain(replyFrame("1", "4", "sync:bystander", "ok", { event: "ping", joined: true, payload: {} }));
    await client.expectSilence();
    expect(client.isOpen).toBe(true);
    await expectJoined(["sync:bystander"]);
    expect(joins.filter((j) => j.topic === topic).map((j) => j.result)).toEqual(["crash"]);
    expect(crashes.filter((c) => c.topic === topic).map((c) => c.during)).toEqual(["join"]);
  });
});
