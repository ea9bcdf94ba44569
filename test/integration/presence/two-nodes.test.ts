// Presence across two endpoints (two nodes on one memory bus) with the official client: a client on one
// node sees, through presence_diff, the people who join and leave on the other node.
import { Presence as ClientPresence } from "phoenix";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MemoryBus } from "../../../src/pubsub/index.js";
import { startPresenceEndpoint } from "../../support/presence-endpoint.js";
import { closeAllClients, connectSocket, join, Recorder } from "../../support/phoenix-client.js";

const stops: Array<() => Promise<void>> = [];

afterEach(async () => {
  await closeAllClients();
  for (const stop of stops.splice(0)) await stop();
});

/** A node: its own runtime, a PubSub on the shared bus, an endpoint with a presence-tracking room channel. */
async function startNode(bus: MemoryBus, name: string): Promise<string> {
  const node = await startPresenceEndpoint({ bus, node: name, broadcastPeriodMs: 50 });
  stops.push(() => node.stop());
  return node.socketUrl;
}

async function enter(url: string, user: string) {
  const socket = await connectSocket(url, { params: { user } });
  const channel = socket.channel("room:shared");
  const presence = new ClientPresence(channel);
  const syncs = new Recorder();
  presence.onSync(() => syncs.record());
  await join(channel);
  await syncs.waitFor(1);
  const seen = () => presence.list((key: string, { metas }: { metas: Array<{ node: string }> }) => `${key}@${metas.map((m) => m.node).join("+")}`).sort();
  return { channel, seen };
}

/** Waits for `check` to hold (the client applies diffs as they arrive). */
const until = (check: () => boolean, what: string) =>
  vi.waitUntil(check, { timeout: 3_000, interval: 10 }).catch(() => {
    throw new Error(`timed out waiting for ${what}`);
  });

describe("Presence on two nodes", () => {
  it("shows a client the joins and leaves of clients connected to the other node", async () => {
    const bus = new MemoryBus();
    const [urlA, urlB] = [await startNode(bus, "a"), await startNode(bus, "b")];
    const ann = await enter(urlA, "ann");
    const bob = await enter(urlB, "bob");
    await until(() => ann.seen().join() === "ann@a,bob@b", "ann (on a) to see bob (on b)");
    await until(() => bob.seen().join() === "ann@a,bob@b", "bob (on b) to see ann (on a)");

    // ann opens a second tab on node b: one key, a meta per node.
    const annTab2 = await enter(urlB, "ann");
    await until(() => ann.seen().some((s) => s === "ann@a+b" || s === "ann@b+a"), "ann's two tabs");
    annTab2.channel.leave();
    bob.channel.leave();
    await until(() => ann.seen().join() === "ann@a", "the leaves from node b");
    expect(ann.seen()).toEqual(["ann@a"]);
  });
});
