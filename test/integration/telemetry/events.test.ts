/**
 * The telemetry events, as a subscriber of `node:diagnostics_channel` sees them for real traffic over a
 * real endpoint: connects and refusals, joins (ok, refused, crashed), handled events with their results
 * and durations, crashes in handleIn, leaves, disconnects with their reasons, broadcasts with their
 * subscribers and bytes, the frame trace, presence diffs, supervisor restarts; and the endpoint's logger,
 * a subscriber like any other, writing only its own endpoint's events.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  DynamicSupervisor,
  Presence,
  PubSub,
  Runtime,
  Supervisor,
  TelemetryEvent,
  onTelemetry,
  shutdown,
  type Logger,
  type TelemetryEventName,
  type TelemetryPayloads,
} from "../../../src/index.js";
import { Socket as ClientSocket } from "../../../src/client/index.js";
import { startTestEndpoint, type TestEndpoint } from "../../support/test-endpoint.js";

let server: TestEndpoint;
const clients: ClientSocket[] = [];
const stops: Array<() => void> = [];

beforeAll(async () => {
  server = await startTestEndpoint();
});
afterAll(() => server.stop());
afterEach(async () => {
  for (const stop of stops.splice(0)) stop();
  await Promise.all(clients.splice(0).map((c) => c.disconnect()));
});

/** Records the events of `name` published by this test's endpoint (or its PubSub and runtime). */
function record<K extends TelemetryEventName>(name: K): TelemetryPayloads[K][] {
  const seen: TelemetryPayloads[K][] = [];
  const { endpoint } = server;
  stops.push(
    onTelemetry(name, (event) => {
      if (event.source === endpoint || event.source === endpoint.pubsub || event.source === endpoint.runtime) seen.push(event);
    }),
  );
  return seen;
}

function connect(params: Record<string, string> = {}): ClientSocket {
  const client = new ClientSocket(server.socketUrl, { params, reconnectAfterMs: () => 60_000 });
  clients.push(client);
  client.connect();
  return client;
}

describe("telemetry events", () => {
  it("connect: ok with the socket id, refused when connect returns false; disconnect with its reason", async () => {
    const connects = record(TelemetryEvent.SOCKET_CONNECT);
    const disconnects = record(TelemetryEvent.SOCKET_DISCONNECT);
    const client = connect({ user: "ada" });
    await client.channel("echo:1").join();
    const refused = connect({ token: "bad" });
    await expect.poll(() => connects.map((e) => e.result)).toEqual(["ok", "refused"]);
    expect(connects[0]).toMatchObject({ path: "/socket", transport: "websocket", socketId: "user_socket:ada", address: "127.0.0.1", node: server.endpoint.node });
    expect(connects[0]!.durationMs).toBeGreaterThanOrEqual(0);
    await refused.disconnect();
    await client.disconnect();
    await expect.poll(() => disconnects.length).toBe(1);
    // The address was read at connect (someone listened for disconnects): it survives the TCP socket.
    expect(disconnects[0]).toMatchObject({ transport: "websocket", socketId: "user_socket:ada", reason: "closed", address: "127.0.0.1" });
    expect(disconnects[0]!.durationMs).toBeGreaterThan(0);
  });

  it("join: ok, error (refused) and crash, with route, channel class and duration", async () => {
    const joins = record(TelemetryEvent.CHANNEL_JOIN);
    const crashes = record(TelemetryEvent.CHANNEL_CRASH);
    const client = connect();
    await client.channel("echo:join").join();
    await expect(client.channel("auth:x", { token: "nope" }).join()).rejects.toMatchObject({ code: "FENIX_ERR_CLIENT_JOIN_REFUSED" });
    await expect(client.channel("crashy:x").join()).rejects.toMatchObject({ code: "FENIX_ERR_CLIENT_JOIN_REFUSED" });
    expect(joins.map((e) => [e.topic, e.route, e.channel, e.result])).toEqual([
      ["echo:join", "echo:*", "EchoChannel", "ok"],
      ["auth:x", "auth:*", "AuthChannel", "error"],
      ["crashy:x", "crashy:*", "CrashyChannel", "crash"],
    ]);
    expect(crashes).toEqual([expect.objectContaining({ topic: "crashy:x", during: "join", reason: expect.stringContaining("join exploded") })]);
  });

  it("handle_in: each result with its status, bytes and duration; a crash in handleIn; leave", async () => {
    const handled = record(TelemetryEvent.CHANNEL_HANDLE_IN);
    const crashes = record(TelemetryEvent.CHANNEL_CRASH);
    const leaves = record(TelemetryEvent.CHANNEL_LEAVE);
    const client = connect();
    const channel = client.channel("echo:in");
    await channel.join();
    await channel.push("ping", { n: 1 });
    await expect(channel.push("status", { status: "error", response: { why: "x" } })).rejects.toMatchObject({ status: "error" });
    void channel.push("noreply", {}).catch(() => {});
    const errored = new Promise<void>((resolve) => channel.onError(() => resolve()));
    void channel.push("crash", {}).catch(() => {});
    await errored;
    await expect.poll(() => handled.length).toBe(4);
    expect(handled.map((e) => [e.event, e.result, e.status])).toEqual([
      ["ping", "reply", "ok"],
      ["status", "reply", "error"],
      ["noreply", "noreply", undefined],
      ["crash", "crash", undefined],
    ]);
    expect(handled[0]!.bytes).toBe(JSON.stringify({ n: 1 }).length);
    for (const e of handled) expect(e.durationMs).toBeGreaterThanOrEqual(0);
    expect(crashes).toEqual([expect.objectContaining({ topic: "echo:in", during: "handleIn", reason: expect.stringContaining("boom") })]);

    const other = client.channel("echo:leave");
    await other.join();
    await other.leave();
    await expect.poll(() => leaves.map((e) => [e.topic, e.reason])).toEqual([["echo:leave", expect.stringContaining("left")]]);
  });

  it("broadcast: the subscribers reached on this node and the bytes written; frames traced both ways", async () => {
    const broadcasts = record(TelemetryEvent.BROADCAST);
    const frames = record(TelemetryEvent.FRAME);
    const a = connect();
    const b = connect();
    const ca = a.channel("echo:bc");
    const cb = b.channel("echo:bc");
    await Promise.all([ca.join(), cb.join()]);
    const heard = new Promise((resolve) => cb.on("hello", resolve));
    await ca.push("broadcast", { event: "hello", payload: { to: "all" } });
    await heard;
    await expect.poll(() => broadcasts.filter((e) => e.event === "hello").length).toBe(1);
    const hello = broadcasts.find((e) => e.event === "hello")!;
    expect(hello).toMatchObject({ topic: "echo:bc", subscribers: 2, remote: false });
    expect(hello.bytes).toBe(2 * JSON.stringify([null, null, "echo:bc", "hello", { to: "all" }]).length);
    expect(frames.some((f) => f.direction === "in" && f.text?.includes('"broadcast"'))).toBe(true);
    expect(frames.some((f) => f.direction === "out" && f.text?.includes('"hello"'))).toBe(true);
  });

  it("presence diffs and supervisor restarts", async () => {
    const runtime = new Runtime({ node: "telemetry-node" });
    const pubsub = new PubSub({ runtime });
    const presence = new Presence(pubsub);
    const diffs: TelemetryPayloads["fenix:presence:diff"][] = [];
    const restarts: TelemetryPayloads["fenix:supervisor:restart"][] = [];
    stops.push(onTelemetry(TelemetryEvent.PRESENCE_DIFF, (e) => e.source === presence && diffs.push(e)));
    stops.push(onTelemetry(TelemetryEvent.SUPERVISOR_RESTART, (e) => e.source === runtime && restarts.push(e)));
    const top = await Supervisor.start({
      runtime,
      strategy: "oneForOne",
      children: [pubsub.childSpec(), presence.childSpec(), { id: "worker-pool", type: "supervisor", start: (parent) => DynamicSupervisor.startLink(parent, {}) }],
    });
    try {
      const pool = (await Supervisor.whichChildren(top)).find((c) => c.id === "worker-pool")!.pid!;
      presence.tracker.track(pool, "room:t", "ada", { at: 1 });
      await expect.poll(() => diffs.length).toBe(1);
      expect(diffs[0]).toMatchObject({ topic: "room:t", joins: 1, leaves: 0, size: 1, node: "telemetry-node" });
      runtime.exit(pool, new Error("pool crash (test)"));
      await expect.poll(() => restarts.length).toBe(1);
      expect(restarts[0]).toMatchObject({ child: "worker-pool", pid: pool.toString(), reason: expect.stringContaining("pool crash") });
      await expect.poll(() => diffs.length).toBe(2);
      expect(diffs[1]).toMatchObject({ joins: 0, leaves: 1, size: 0 });
    } finally {
      await Supervisor.stop(top, shutdown("test over"));
    }
  });

  it("the endpoint's logger writes its own endpoint's events only", async () => {
    const lines: string[] = [];
    const capture = (level: string) => (message: string) => lines.push(`${level} ${message}`);
    const logger: Logger = { debug: capture("debug"), info: capture("info"), warn: capture("warn"), error: capture("error") };
    const own = await startTestEndpoint({ logger });
    try {
      const mine = new ClientSocket(own.socketUrl, { reconnectAfterMs: () => 60_000 });
      clients.push(mine);
      mine.connect();
      await expect(mine.channel("crashy:mine").join()).rejects.toBeDefined();
      // The same failure on the other endpoint is not this logger's business.
      await expect(connect().channel("crashy:theirs").join()).rejects.toBeDefined();
      await expect.poll(() => lines).toContain("error join of crashy:mine crashed");
      expect(lines.join("\n")).not.toContain("crashy:theirs");
    } finally {
      await own.stop();
    }
  });
});
