// Presence with the official phoenix client's Presence over real sockets: the state on join, joins and
// leaves of other clients, one key with a meta per tab, updates, and a fresh state after a reconnect.
import { Presence as ClientPresence, type Channel as ClientChannel } from "phoenix";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Endpoint, Presence } from "../../../src/index.js";
import { startPresenceEndpoint, type PresenceEndpoint } from "../../support/presence-endpoint.js";
import { closeAllClients, connectSocket, join, push, Recorder } from "../../support/phoenix-client.js";

let server: PresenceEndpoint;
let endpoint: Endpoint;
let presence: Presence;
let socketUrl: string;

beforeEach(async () => {
  server = await startPresenceEndpoint();
  ({ endpoint, presence, socketUrl } = server);
});
afterEach(async () => {
  await closeAllClients();
  await server.stop();
});

interface Watcher {
  readonly channel: ClientChannel;
  readonly presence: ClientPresence;
  readonly syncs: Recorder;
}

/** Connects as `user`, joins `topic` with a client Presence; resolves after the first sync. */
async function enter(user: string, topic = "room:lobby"): Promise<Watcher> {
  const socket = await connectSocket(socketUrl, { params: { user } });
  const channel = socket.channel(topic);
  const clientPresence = new ClientPresence(channel);
  const syncs = new Recorder();
  clientPresence.onSync(() => syncs.record());
  await join(channel);
  await syncs.waitFor(1);
  return { channel, presence: clientPresence, syncs };
}

/** What a client Presence shows: key → number of metas. */
function seen(watcher: Watcher): Record<string, number> {
  const out: Record<string, number> = {};
  watcher.presence.list((key: string, { metas }: { metas: unknown[] }) => (out[key] = metas.length));
  return out;
}

/** Waits for `check` to hold (the client applies diffs as they arrive). */
const until = (check: () => boolean, what: string) =>
  vi.waitUntil(check, { timeout: 3_000, interval: 10 }).catch(() => {
    throw new Error(`timed out waiting for ${what}`);
  });

describe("Presence with the official client", () => {
  it("syncs the state on join, then the joins and leaves of other clients", async () => {
    const ann = await enter("ann");
    expect(seen(ann)).toEqual({ ann: 1 });
    const bob = await enter("bob");
    expect(seen(bob)).toEqual({ ann: 1, bob: 1 });
    await until(() => seen(ann).bob === 1, "ann to see bob");

    await push(bob.channel, "noop");
    bob.channel.leave();
    await until(() => seen(ann).bob === undefined, "ann to see bob leave");
    expect(seen(ann)).toEqual({ ann: 1 });
  });

  it("shows one key with a meta per tab, and drops only the tab that closes", async () => {
    const tab1 = await enter("cy");
    const tab2 = await enter("cy");
    const watcher = await enter("dee");
    expect(seen(watcher)).toEqual({ cy: 2, dee: 1 });
    tab1.channel.leave();
    await until(() => seen(watcher).cy === 1, "one of cy's metas to go");
    expect(seen(tab2)).toMatchObject({ cy: 1 });
  });

  it("sends an update as a new meta (with phx_ref_prev) replacing the old one", async () => {
    const eve = await enter("eve");
    const watcher = await enter("fay");
    const before = watcher.presence.list((key: string, p: { metas: Array<{ phx_ref: string }> }) => (key === "eve" ? p.metas[0]!.phx_ref : null)).find((r: unknown) => r !== null);
    expect(await push(eve.channel, "away", { away: true })).toMatchObject({ status: "ok" });
    await until(() => {
      const metas = watcher.presence.list((key: string, p: { metas: Array<Record<string, unknown>> }) => (key === "eve" ? p.metas : null)).find((m: unknown) => m !== null) as Array<Record<string, unknown>>;
      return metas?.length === 1 && metas[0]!.away === true;
    }, "the update");
    const metas = presence.list("room:lobby").eve!.metas;
    expect(metas).toEqual([{ node: "nonode", online_at: 1, away: true, phx_ref: expect.any(String) as string, phx_ref_prev: before }]);
  });

  it("gets a fresh state after a reconnect and rejoin", async () => {
    const gil = await enter("gil");
    await enter("hal");
    endpoint.disconnect("user:gil");
    // The rejoin pushes a new presence_state: the client syncs again and sees both.
    await gil.syncs.waitFor(2);
    await until(() => seen(gil).gil === 1 && seen(gil).hal === 1, "gil to see both after the rejoin");
  });
});
