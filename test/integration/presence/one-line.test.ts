// Presence in one line: a channel that defines presenceKey() is tracked on the endpoint's own presence
// after every join (rejoins included) and gets presence_state right after its join reply — no PubSub,
// Presence, child specs or self-sent message to wire. The official client's Presence and fenix/client's
// see each other; a crash and rejoin tracks again; the testing kit runs the same channel.
import { Presence as PhoenixPresence } from "phoenix";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Channel, Endpoint, ok, reply, silentLogger, Socket, type ChannelRoute, type Params } from "../../../src/index.js";
import { Presence as ClientPresence, Socket as ClientSocket } from "../../../src/client/index.js";
import { channelTest } from "../../../src/testing/index.js";
import { closeAllClients, connectSocket, join, push, Recorder } from "../../support/phoenix-client.js";

class RoomChannel extends Channel<{ user: string }> {
  override join() {
    return ok();
  }

  override presenceKey() {
    return this.assigns.user;
  }

  override presenceMeta() {
    return { device: "test" };
  }

  override handleIn(event: string) {
    if (event === "crash") throw new Error("crash on purpose (test)");
    return reply("ok", { meta: this.endpoint.presence.get(this.topic, this.assigns.user)?.metas.length ?? 0 });
  }
}

/** Not opted in: no presence. */
class QuietChannel extends Channel {
  override join() {
    return ok();
  }
}

class UserSocket extends Socket<{ user: string }> {
  static override channels: readonly ChannelRoute[] = [
    ["room:*", RoomChannel],
    ["quiet:*", QuietChannel],
  ];
  override connect(params: Params) {
    this.assigns.user = String(params.user);
    return true;
  }
}

const endpoints: Endpoint[] = [];
const clients: ClientSocket[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  await closeAllClients();
  await Promise.all(endpoints.splice(0).map((e) => e.stop()));
});

async function start(): Promise<{ endpoint: Endpoint; socketUrl: string }> {
  // Nothing but the socket: the endpoint runs its presence tracker because RoomChannel tracks.
  const endpoint = new Endpoint({ port: 0, host: "127.0.0.1", logger: silentLogger, presence: { broadcastPeriodMs: 50 } });
  endpoint.socket("/socket", UserSocket);
  await endpoint.start();
  endpoints.push(endpoint);
  return { endpoint, socketUrl: `${endpoint.url.replace(/^http/, "ws")}/socket` };
}

const until = (check: () => boolean, what: string) =>
  vi.waitUntil(check, { timeout: 3_000, interval: 10 }).catch(() => {
    throw new Error(`timed out waiting for ${what}`);
  });

describe("presenceKey(): presence in one line", () => {
  it("tracks every joiner and syncs the official client's and fenix/client's Presence", async () => {
    const { endpoint, socketUrl } = await start();
    const annSocket = await connectSocket(socketUrl, { params: { user: "ann" } });
    const annChannel = annSocket.channel("room:lobby");
    const annPresence = new PhoenixPresence(annChannel);
    const syncs = new Recorder();
    annPresence.onSync(() => syncs.record());
    expect(await join(annChannel)).toEqual({ status: "ok", response: {} });
    await syncs.waitFor(1);
    const seenByAnn = () => annPresence.list((key: string, { metas }: { metas: Array<{ device: string }> }) => `${key}:${metas.map((m) => m.device).join()}`);
    expect(seenByAnn()).toEqual(["ann:test"]);

    const bob = new ClientSocket(socketUrl, { params: { user: "bob" } });
    clients.push(bob);
    bob.connect();
    const bobChannel = bob.channel("room:lobby");
    const bobPresence = new ClientPresence(bobChannel);
    await bobChannel.join();
    await until(() => bobPresence.list().length === 2, "bob to see ann and himself");
    await until(() => seenByAnn().length === 2, "ann to see bob");
    expect(seenByAnn().sort()).toEqual(["ann:test", "bob:test"]);
    expect(Object.keys(endpoint.presence.list("room:lobby")).sort()).toEqual(["ann", "bob"]);
    // The channel reads the same tracker.
    expect(await push(annChannel, "meta")).toEqual({ status: "ok", response: { meta: 1 } });

    await bobChannel.leave();
    await until(() => seenByAnn().length === 1, "ann to see bob leave");
    expect(Object.keys(endpoint.presence.list("room:lobby"))).toEqual(["ann"]);
  });

  it("a crashed channel's presence leaves, and the rejoin tracks again and pushes a fresh state", async () => {
    const { endpoint, socketUrl } = await start();
    const socket = await connectSocket(socketUrl, { params: { user: "cy" } });
    const channel = socket.channel("room:crash");
    const states = new Recorder<unknown>();
    channel.on("presence_state", states.record);
    await join(channel);
    await states.waitFor(1);
    // No reply comes: the channel crashes, the client rejoins on its own.
    channel.push("crash", {});
    await states.waitFor(2);
    expect(states.values[1]).toMatchObject({ cy: { metas: [{ device: "test" }] } });
    expect(endpoint.presence.get("room:crash", "cy")?.metas).toHaveLength(1);
  });

  it("a channel without presenceKey gets no presence_state", async () => {
    const { endpoint, socketUrl } = await start();
    const socket = await connectSocket(socketUrl, { params: { user: "dee" } });
    const channel = socket.channel("quiet:1");
    const states = new Recorder<unknown>();
    channel.on("presence_state", states.record);
    await join(channel);
    // A round trip on the same connection: anything pushed after the first join reply has arrived by now.
    expect(await join(socket.channel("quiet:2"))).toEqual({ status: "ok", response: {} });
    expect(states.values).toEqual([]);
    expect(endpoint.presence.list("quiet:1")).toEqual({});
  });

  it("works the same under the testing kit", async () => {
    const kit = await channelTest(UserSocket);
    try {
      const socket = await kit.socketFor({ user: "eve" });
      const channel = await socket.join("room:kit");
      const state = (await channel.assertPush("presence_state")) as Record<string, { metas: Array<{ device: string; phx_ref: string }> }>;
      expect(Object.keys(state)).toEqual(["eve"]);
      expect(state.eve!.metas).toEqual([{ device: "test", phx_ref: expect.any(String) }]);
    } finally {
      await kit.stop();
    }
  });
});
