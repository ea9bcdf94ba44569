// Metrics of one node of a two-node cluster on a memory bus: the nodes and the link, broadcasts from the
// other node counted as remote, and the presence totals of this node's view as users come and go.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { enableMetrics, type Metrics } from "../../../src/metrics/index.js";
import { MemoryBus } from "../../../src/pubsub/index.js";
import { closeAllClients, connectSocket, join, recordEvent } from "../../support/phoenix-client.js";
import { startPresenceEndpoint, type PresenceEndpoint } from "../../support/presence-endpoint.js";
import { parseExposition, valueOf, type Sample } from "./exposition.js";
import { expectSeries } from "./support.js";

let a: PresenceEndpoint;
let b: PresenceEndpoint;
let metrics: Metrics;

beforeEach(async () => {
  const bus = new MemoryBus();
  a = await startPresenceEndpoint({ bus, node: "a" });
  b = await startPresenceEndpoint({ bus, node: "b" });
  metrics = enableMetrics(a.endpoint);
});

afterEach(async () => {
  await closeAllClients();
  metrics.stop();
  await Promise.all([a.stop(), b.stop()]);
});

const scrape = async (): Promise<Sample[]> => parseExposition(await metrics.scrape());

describe("a node of a cluster", () => {
  it("shows both nodes and the link up", async () => {
    const samples = await scrape();
    expect(valueOf(samples, "fenix_nodes")).toBe(2);
    expect(valueOf(samples, "fenix_pubsub_up")).toBe(1);
    expect(valueOf(samples, "fenix_pubsub_status", { status: "up" })).toBe(1);
    expect(samples.every((s) => s.labels.node === "a")).toBe(true);
  });

  it("counts a broadcast from the other node as remote, delivered to this node's subscribers", async () => {
    const alice = await connectSocket(a.socketUrl, { params: { user: "alice" } });
    const channel = alice.channel("room:lobby");
    const news = recordEvent(channel, "news");
    expect((await join(channel)).status).toBe("ok");
    b.endpoint.broadcast("room:lobby", "news", { n: 1 });
    await news.waitFor(1);
    await expectSeries(scrape, "fenix_broadcasts_total", { origin: "remote" }, 1);
    expect(valueOf(await scrape(), "fenix_messages_out_total", { origin: "remote" })).toBe(1);
  });

  it("keeps the presence totals of its view as users join on either node and leave", async () => {
    const alice = await connectSocket(a.socketUrl, { params: { user: "alice" } });
    const bob = await connectSocket(b.socketUrl, { params: { user: "bob" } });
    await join(alice.channel("room:lobby"));
    await join(bob.channel("room:lobby"));
    await join(bob.channel("room:kitchen"));
    await expectSeries(scrape, "fenix_presences", {}, 3);
    expect(valueOf(await scrape(), "fenix_presence_topics")).toBe(2);
    await new Promise<void>((resolve) => bob.disconnect(resolve));
    await expectSeries(scrape, "fenix_presences", {}, 1);
    const samples = await scrape();
    expect(valueOf(samples, "fenix_presence_topics")).toBe(1);
    expect(valueOf(samples, "fenix_presence_joins_total")).toBe(3);
    expect(valueOf(samples, "fenix_presence_leaves_total")).toBe(2);
  });
});
