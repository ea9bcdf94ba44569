/**
 * The conformance suite every PubSub adapter runs: the same behaviours over a cluster of nodes, whatever
 * carries the messages between them. Call `describeAdapterConformance` from the adapter's own test file.
 */
import { afterEach, describe, expect, it } from "vitest";
import { PubSub, Runtime, type PubSubAdapter } from "../../../src/index.js";
import { Collector, settle } from "../../support/collector.js";

/** Creates the adapter of one node; `cluster` is shared by the nodes of one test. */
export type AdapterFactory<C> = { newCluster(): C | Promise<C>; adapter(cluster: C, node: string): PubSubAdapter; dispose?(cluster: C): Promise<void> };

interface Node {
  readonly runtime: Runtime;
  readonly pubsub: PubSub;
  collector(): Collector;
}

/** Runs the shared adapter behaviours against `factory`. */
export function describeAdapterConformance<C>(name: string, factory: AdapterFactory<C>): void {
  describe(`PubSub adapter conformance: ${name}`, () => {
    const started: PubSub[] = [];
    let clusters: C[] = [];

    afterEach(async () => {
      await Promise.all(started.splice(0).map((p) => p.stop()));
      if (factory.dispose) await Promise.all(clusters.map((c) => factory.dispose!(c)));
      clusters = [];
    });

    async function cluster(...names: string[]): Promise<Node[]> {
      const c = await factory.newCluster();
      clusters.push(c);
      const nodes: Node[] = [];
      for (const node of names) {
        const runtime = new Runtime({ node });
        const pubsub = new PubSub({ runtime, adapter: factory.adapter(c, node) });
        await pubsub.start();
        started.push(pubsub);
        nodes.push({ runtime, pubsub, collector: () => new Collector(runtime) });
      }
      return nodes;
    }

    it("delivers a broadcast once to every subscriber on every node", async () => {
      const [a, b, c] = await cluster("a", "b", "c");
      const subs = [a!, a!, b!, c!].map((n) => {
        const col = n.collector();
        n.pubsub.subscribe("room:1", col.pid);
        return col;
      });
      a!.pubsub.broadcast("room:1", { n: 1 });
      for (const s of subs) expect(await s.waitFor(1)).toEqual([{ n: 1 }]);
      await settle();
      for (const s of subs) expect(s.messages).toHaveLength(1);
    });

    it("skips the sender on broadcastFrom but still reaches remote subscribers", async () => {
      const [a, b] = await cluster("a", "b");
      const sender = a!.collector();
      const local = a!.collector();
      const remote = b!.collector();
      for (const col of [sender, local]) a!.pubsub.subscribe("t", col.pid);
      b!.pubsub.subscribe("t", remote.pid);
      a!.pubsub.broadcastFrom(sender.pid, "t", "hello");
      await local.waitFor(1);
      await remote.waitFor(1);
      await settle();
      expect(sender.messages).toEqual([]);
    });

    it("keeps localBroadcast on its own node", async () => {
      const [a, b] = await cluster("a", "b");
      const local = a!.collector();
      const remote = b!.collector();
      a!.pubsub.subscribe("t", local.pid);
      b!.pubsub.subscribe("t", remote.pid);
      a!.pubsub.localBroadcast("t", "only here");
      a!.pubsub.broadcast("t", "everywhere");
      await local.waitFor(2);
      await remote.waitFor(1);
      expect(remote.messages).toEqual(["everywhere"]);
    });

    it("sends directBroadcast to the named node only", async () => {
      const [a, b, c] = await cluster("a", "b", "c");
      const cols = [a!, b!, c!].map((n) => {
        const col = n.collector();
        n.pubsub.subscribe("t", col.pid);
        return col;
      });
      a!.pubsub.directBroadcast("c", "t", "to c");
      await cols[2]!.waitFor(1);
      a!.pubsub.broadcast("t", "marker");
      await cols[1]!.waitFor(1);
      await cols[0]!.waitFor(1);
      await cols[2]!.waitFor(2);
      expect(cols[1]!.messages).toEqual(["marker"]);
      expect(cols[0]!.messages).toEqual(["marker"]);
      expect(cols[2]!.messages).toEqual(["to c", "marker"]);
    });

    it("keeps the order of one sender's broadcasts on every node", async () => {
      const [a, b] = await cluster("a", "b");
      const remote = b!.collector();
      b!.pubsub.subscribe("t", remote.pid);
      for (let i = 0; i < 500; i++) a!.pubsub.broadcast("t", i);
      await remote.waitFor(500);
      expect(remote.messages).toEqual(Array.from({ length: 500 }, (_, i) => i));
    });

    it("stops delivering after unsubscribe and after the subscriber exits", async () => {
      const [a, b] = await cluster("a", "b");
      const leaver = b!.collector();
      const dier = b!.collector();
      const stayer = b!.collector();
      for (const col of [leaver, dier, stayer]) b!.pubsub.subscribe("t", col.pid);
      b!.pubsub.unsubscribe("t", leaver.pid);
      dier.kill();
      await settle();
      expect(b!.pubsub.subscriberCount("t")).toBe(1);
      a!.pubsub.broadcast("t", "after");
      await stayer.waitFor(1);
      await settle();
      expect(leaver.messages).toEqual([]);
      expect(dier.messages).toEqual([]);
    });

    it("carries JSON objects and byte payloads intact between nodes", async () => {
      const [a, b] = await cluster("a", "b");
      const remote = b!.collector();
      b!.pubsub.subscribe("t", remote.pid);
      const message = { topic: "t", event: "bin", payload: new Uint8Array([0, 1, 254, 255]) };
      a!.pubsub.broadcast("t", { nested: { list: [1, "two", null], ok: true } });
      a!.pubsub.broadcast("t", message);
      const [first, second] = await remote.waitFor(2);
      expect(first).toEqual({ nested: { list: [1, "two", null], ok: true } });
      expect((second as typeof message).payload).toBeInstanceOf(Uint8Array);
      expect([...(second as typeof message).payload]).toEqual([0, 1, 254, 255]);
    });

    it("lists the nodes of the cluster", async () => {
      const [a] = await cluster("a", "b");
      expect([...a!.pubsub.nodes()].sort()).toEqual(["a", "b"]);
    });
  });
}
