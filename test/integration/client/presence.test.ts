// fenix/client's Presence against a real endpoint with server-side Presence: the state on join, other
// clients coming and going, and a fresh state after the connection drops and the channel rejoins (diffs
// held back until it arrives, nothing lost or doubled).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Presence as ClientPresence } from "../../../src/client/index.js";
import { startPresenceEndpoint, type PresenceEndpoint } from "../../support/presence-endpoint.js";
import { advanceBackoff, closeAll, createSocket } from "./helpers.js";

let server: PresenceEndpoint;

beforeEach(async () => {
  server = await startPresenceEndpoint();
});
afterEach(async () => {
  await closeAll();
  await server.stop();
});

async function enter(user: string) {
  const socket = createSocket(server.socketUrl, { params: { user } });
  socket.connect();
  const channel = socket.channel("room:lobby");
  const presence = new ClientPresence(channel);
  let syncs = 0;
  presence.onSync(() => syncs++);
  await channel.join();
  await vi.waitUntil(() => syncs > 0, { timeout: 3_000 });
  const seen = () => presence.list((key, { metas }) => `${key}×${metas.length}`).sort();
  return { channel, presence, seen, syncs: () => syncs };
}

describe("fenix/client Presence", () => {
  it("syncs on join and follows other clients joining and leaving", async () => {
    const ann = await enter("ann");
    expect(ann.seen()).toEqual(["ann×1"]);
    const bob = await enter("bob");
    expect(bob.seen()).toEqual(["ann×1", "bob×1"]);
    await vi.waitUntil(() => ann.seen().join() === "ann×1,bob×1", { timeout: 3_000 });
    await bob.channel.leave();
    await vi.waitUntil(() => ann.seen().join() === "ann×1", { timeout: 3_000 });
  });

  it("gets a fresh state after a reconnect, then keeps applying diffs", async () => {
    const ann = await enter("ann");
    await enter("bob");
    await vi.waitUntil(() => ann.seen().join() === "ann×1,bob×1", { timeout: 3_000 });
    const syncsBefore = ann.syncs();

    server.endpoint.disconnect("user:ann");
    await advanceBackoff();
    // The channel rejoins by itself; the new presence_state is synced (diffs before it are held back).
    await vi.waitUntil(() => ann.syncs() > syncsBefore && ann.channel.state === "joined", { timeout: 3_000 });
    await vi.waitUntil(() => ann.seen().join() === "ann×1,bob×1", { timeout: 3_000 });

    await enter("cy");
    await vi.waitUntil(() => ann.seen().join() === "ann×1,bob×1,cy×1", { timeout: 3_000 });
  });
});
