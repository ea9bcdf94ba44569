// How the official phoenix client reacts, over each transport, when a channel ends on the server: a crash
// or an abnormal stop (phx_error: the client rejoins by itself) versus a normal or shutdown stop
// (phx_close: closed for good).
import { beforeEach, describe, expect, it } from "vitest";
import type { Channel, Socket } from "phoenix";
import {
  useTestEndpoint,
  connectSocket,
  push,
  quietPeriod,
  Recorder,
  type Reply,
} from "../../support/phoenix-client.js";

const server = useTestEndpoint();
let socket: Socket;

beforeEach(async () => {
  socket = await connectSocket(server.socketUrl);
});

interface Watched {
  readonly channel: Channel;
  /** Responses of every ok join reply (the first join and each rejoin). */
  readonly joins: Recorder<unknown>;
  readonly errors: Recorder<unknown>;
  readonly closes: Recorder<unknown>;
}

/** Joins `topic` and records its join replies, errors and closes. */
async function joinWatched(topic: string): Promise<Watched> {
  const channel = socket.channel(topic);
  const watched = { channel, joins: new Recorder<unknown>(), errors: new Recorder<unknown>(), closes: new Recorder<unknown>() };
  channel.onError(watched.errors.record);
  channel.onClose(watched.closes.record);
  channel.join().receive("ok", watched.joins.record);
  await watched.joins.waitFor(1);
  return watched;
}

describe("channel crash", () => {
  it("sends the client an error, after which the client rejoins by itself", async () => {
    const crashing = await joinWatched("echo:crash");

    const crashPush = push(crashing.channel, "crash", {}, { timeout: 200 });

    expect(await crashing.errors.waitFor(1)).toEqual([{ reason: "channel_crash" }]);
    await crashing.joins.waitFor(2);
    expect(crashing.channel.state).toBe("joined");
    expect(await push(crashing.channel, "ping", { back: true })).toEqual({ status: "ok", response: { back: true } });
    // The crashed push itself never gets a reply.
    expect(await crashPush).toEqual({ status: "timeout", response: {} });
    expect(crashing.closes.count).toBe(0);
  });

  it("leaves the other channels of the socket working while the crashed one is errored and rejoining", async () => {
    const bystander = await joinWatched("echo:bystander");
    const crashing = await joinWatched("echo:crash2");
    const during: Promise<Reply>[] = [];
    crashing.channel.onError(() => {
      during.push(push(bystander.channel, "ping", { state: crashing.channel.state }));
    });

    void push(crashing.channel, "crash", {}, { timeout: 200 });
    await crashing.joins.waitFor(2);

    expect(await Promise.all(during)).toEqual([{ status: "ok", response: { state: "errored" } }]);
    expect(bystander.errors.count).toBe(0);
    expect(bystander.joins.count).toBe(1);
    expect(await push(bystander.channel, "ping", {})).toMatchObject({ status: "ok" });
  });
});

describe("channel stop", () => {
  it.each(["normal", "shutdown"])("closes the channel for good when it stops with reason %s: no error, no rejoin", async (reason) => {
    const stopping = await joinWatched(`echo:stop-${reason}`);

    void push(stopping.channel, "stop", { reason }, { timeout: 200 });

    await stopping.closes.waitFor(1);
    expect(stopping.channel.state).toBe("closed");
    // Rejoins would come every 50 ms; none may follow a close.
    await quietPeriod(200);
    expect(stopping.joins.count).toBe(1);
    expect(stopping.errors.count).toBe(0);
  });

  it("delivers the reply of a stop-with-reply before closing the channel", async () => {
    const stopping = await joinWatched("echo:stop-reply");

    expect(await push(stopping.channel, "stop_reply", {})).toEqual({ status: "ok", response: { bye: true } });

    await stopping.closes.waitFor(1);
    expect(stopping.channel.state).toBe("closed");
    expect(stopping.errors.count).toBe(0);
  });

  it("sends an error when the channel stops with an abnormal reason, and the client rejoins", async () => {
    const stopping = await joinWatched("echo:stop-abnormal");

    void push(stopping.channel, "stop", { reason: "something_broke" }, { timeout: 200 });

    expect(await stopping.errors.waitFor(1)).toEqual([{ reason: "channel_crash" }]);
    await stopping.joins.waitFor(2);
    expect(stopping.closes.count).toBe(0);
    expect(await push(stopping.channel, "ping", {})).toMatchObject({ status: "ok" });
  });
});
