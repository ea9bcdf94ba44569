// Broadcasts with the official phoenix client, over each transport: to every subscriber (sender
// included), broadcastFrom (sender excluded), endpoint broadcasts, and intercepted events rewritten or
// dropped by handleOut.
import { describe, expect, it } from "vitest";
import type { Channel, Socket } from "phoenix";
import {
  useTestEndpoint,
  connectSocket,
  join,
  ping,
  push,
  recordEvent,
  type Recorder,
} from "../../support/phoenix-client.js";

const server = useTestEndpoint();

interface Member {
  readonly socket: Socket;
  readonly channel: Channel;
  readonly received: Recorder<unknown>;
}

/** Connects `count` clients, each on its own socket, joined to `topic` and recording `event`. */
async function joinMany(count: number, topic: string, event: string): Promise<Member[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const socket = await connectSocket(server.socketUrl);
      const channel = socket.channel(topic);
      const received = recordEvent(channel, event);
      expect(await join(channel)).toMatchObject({ status: "ok" });
      return { socket, channel, received };
    }),
  );
}

describe("broadcast", () => {
  it("reaches every client joined to the topic, the sender included", async () => {
    const members = await joinMany(20, "echo:crowd", "news");
    const [sender] = members as [Member, ...Member[]];

    expect(await push(sender.channel, "broadcast", { event: "news", payload: { body: "hello all" } })).toEqual({
      status: "ok",
      response: {},
    });

    // The sender's copy is written before its reply; the others arrive on their own connections.
    expect(sender.received.values).toEqual([{ body: "hello all" }]);
    for (const member of members) expect(await member.received.waitFor(1)).toEqual([{ body: "hello all" }]);
  });

  it("does not reach clients joined to another topic", async () => {
    const [inside] = (await joinMany(1, "echo:inside", "news")) as [Member];
    const [outside] = (await joinMany(1, "echo:outside", "news")) as [Member];

    await push(inside.channel, "broadcast", { event: "news", payload: {} });
    // A copy for the outsider would have been written during the dispatch, before its ping reply.
    await ping(outside.socket);

    expect(inside.received.count).toBe(1);
    expect(outside.received.count).toBe(0);
  });

  it("delivers endpoint.broadcast to the clients of the topic", async () => {
    const members = await joinMany(3, "echo:announce", "announcement");

    server.endpoint.broadcast("echo:announce", "announcement", { from: "server" });

    for (const member of members) expect(await member.received.waitFor(1)).toEqual([{ from: "server" }]);
  });
});

describe("broadcastFrom", () => {
  it("reaches the other clients but not the sender", async () => {
    const members = await joinMany(4, "echo:from", "news");
    const [sender, ...others] = members as [Member, ...Member[]];

    expect(await push(sender.channel, "broadcast_from", { event: "news", payload: { n: 1 } })).toMatchObject({ status: "ok" });

    // The dispatch writes every copy before the reply, so the sender would already hold its own.
    expect(sender.received.count).toBe(0);
    for (const other of others) expect(await other.received.waitFor(1)).toEqual([{ n: 1 }]);
  });
});

describe("intercept and handleOut", () => {
  it("rewrites an intercepted event for each client", async () => {
    const members = await joinMany(3, "intercept:room", "shout");
    const [sender] = members as [Member, ...Member[]];

    await push(sender.channel, "shout", { msg: "hi" });

    for (const member of members) expect(await member.received.waitFor(1)).toEqual([{ msg: "hi", intercepted: true }]);
  });

  it("drops an intercepted event for everybody when handleOut pushes nothing", async () => {
    const members = await joinMany(3, "intercept:drops", "shout");
    const [sender] = members as [Member, ...Member[]];

    await push(sender.channel, "shout", { msg: "dropped", drop: true });
    await push(sender.channel, "shout", { msg: "kept" });

    // Each channel handles intercepted broadcasts in order, so the dropped one would have come first.
    for (const member of members) expect(await member.received.waitFor(1)).toEqual([{ msg: "kept", intercepted: true }]);
  });

  it("sends events that are not intercepted unchanged", async () => {
    const members = await joinMany(2, "intercept:plain", "talk");
    const [sender] = members as [Member, ...Member[]];

    await push(sender.channel, "talk", { msg: "as is" });

    for (const member of members) expect(await member.received.waitFor(1)).toEqual([{ msg: "as is" }]);
  });
});
