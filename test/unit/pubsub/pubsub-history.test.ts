/**
 * The PubSub core's history on its own (no adapter): positions given at once and in order, reads, and the
 * misuses it refuses — broadcastFrom with history, an adapter without a history store (also refused by an
 * endpoint with a history route when it starts).
 */
import { afterEach, describe, expect, it } from "vitest";
import { Channel, Endpoint, ok, PubSub, Runtime, silentLogger, Socket, VirtualClock, type ChannelRoute } from "../../../src/index.js";
import type { AdapterHost, PubSubAdapter } from "../../../src/pubsub/adapter.js";
import type { StreamPosition } from "../../../src/pubsub/history/history-store.js";
import { Inbox } from "../../../src/testing/inbox.js";

const KEEP = { size: 3, ttlMs: 1_000 };
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

/** An adapter that links nothing and keeps no history (what a third-party adapter may be). */
class NoHistoryAdapter implements PubSubAdapter {
  start(host: AdapterHost): void {
    host.reportStatus(true);
  }
  stop(): void {}
  broadcast(): void {}
  directBroadcast(): void {}
  nodes(): readonly string[] {
    return ["solo"];
  }
}

function positioned(runtime: Runtime, pubsub: PubSub, topic: string): Inbox {
  pubsub.registerDispatcher("positions", (subscribers, _from, message, { runtime: rt }, position) => {
    for (const sub of subscribers) rt.send(sub.pid, { message, position: position ?? null });
  });
  const inbox = new Inbox(runtime);
  pubsub.subscribe(topic, inbox.pid);
  return inbox;
}

describe("PubSub history on one node", () => {
  it("numbers kept broadcasts at once, in order, and reads them back within size and ttl", async () => {
    const clock = new VirtualClock();
    const runtime = new Runtime({ clock });
    const pubsub = new PubSub({ runtime });
    await pubsub.start();
    stops.push(() => pubsub.stop());
    expect(pubsub.keepsHistory).toBe(true);
    const inbox = positioned(runtime, pubsub, "t");
    for (let n = 1; n <= 4; n++) pubsub.broadcast("t", { n }, { dispatcher: "positions", history: KEEP });
    pubsub.localBroadcast("t", { local: true }, { dispatcher: "positions" });
    const received = (await inbox.waitFor(5)) as { message: unknown; position: StreamPosition | null }[];
    const epoch = received[0]!.position!.epoch;
    expect(received.map((r) => r.position?.offset ?? null)).toEqual([1, 2, 3, 4, null]);
    expect(received.every((r) => r.position === null || r.position.epoch === epoch)).toBe(true);

    const page = await pubsub.history("t", { limit: 10 }, KEEP);
    expect(page.position).toEqual({ epoch, offset: 4 });
    expect(page.messages).toEqual([2, 3, 4].map((n) => ({ offset: n, message: { n } }))); // size 3
    expect((await pubsub.history("t", { after: 2, limit: 10 }, KEEP)).messages.map((m) => m.offset)).toEqual([3, 4]);
    // What is still kept after offset 0: message 1 is gone (size 3), which tells a recovery it cannot be whole.
    expect((await pubsub.history("t", { after: 0, limit: 10 }, KEEP)).messages.map((m) => m.offset)).toEqual([2, 3, 4]);
    clock.advance(1_001);
    expect((await pubsub.history("t", { limit: 10 }, KEEP)).messages).toEqual([]); // past ttlMs
  });

  it("refuses broadcastFrom with history: the skipped subscriber would miss a position", async () => {
    const runtime = new Runtime({ clock: new VirtualClock() });
    const pubsub = new PubSub({ runtime });
    await pubsub.start();
    stops.push(() => pubsub.stop());
    const inbox = new Inbox(runtime);
    expect(() => pubsub.broadcastFrom(inbox.pid, "t", "x", { history: KEEP })).toThrow(expect.objectContaining({ code: "FENIX_ERR_PUBSUB_HISTORY_UNSUPPORTED" }));
  });
});

describe("an adapter without a history store", () => {
  it("cannot keep history: broadcasts and reads with history are refused, and so is an endpoint with a history route", async () => {
    const runtime = new Runtime({ node: "solo" });
    const pubsub = new PubSub({ runtime, adapter: new NoHistoryAdapter() });
    await pubsub.start();
    stops.push(() => pubsub.stop());
    expect(pubsub.keepsHistory).toBe(false);
    expect(() => pubsub.broadcast("t", "x", { history: KEEP })).toThrow(expect.objectContaining({ code: "FENIX_ERR_PUBSUB_HISTORY_UNSUPPORTED" }));
    await expect(pubsub.history("t", { limit: 1 }, KEEP)).rejects.toMatchObject({ code: "FENIX_ERR_PUBSUB_HISTORY_UNSUPPORTED" });

    class Feed extends Channel {
      override join() {
        return ok();
      }
    }
    class FeedSocket extends Socket {
      static override channels: readonly ChannelRoute[] = [["feed:*", Feed, { history: { size: 10, ttlMs: 1_000 } }]];
    }
    const endpoint = new Endpoint({ runtime, pubsub, port: 0, host: "127.0.0.1", logger: silentLogger });
    endpoint.socket("/socket", FeedSocket);
    await expect(endpoint.start()).rejects.toMatchObject({ code: "FENIX_ERR_PUBSUB_HISTORY_UNSUPPORTED" });
  });
});
