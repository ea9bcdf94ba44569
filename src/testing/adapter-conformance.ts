/**
 * The conformance suite of PubSub adapters (`fenix/testing/adapter`): the behaviours every adapter must
 * show over a cluster of real PubSub nodes, whatever carries the frames between them. Fenix runs it
 * against its memory, Redis and cluster-IPC adapters; a third-party adapter runs it from its own tests.
 * It depends on no test framework: each case is a named async function that throws on failure.
 */
import assert from "node:assert/strict";
import type { PubSubAdapter } from "../pubsub/adapter.js";
import { PubSub } from "../pubsub/pubsub.js";
import { Runtime } from "../runtime/process/runtime.js";
import { Inbox } from "./inbox.js";

/** One cluster of the suite: the nodes of one case share it. */
export interface AdapterCluster {
  /** The adapter of the node named `node` (each name is used once per cluster). */
  adapter(node: string): PubSubAdapter;
  /** Frees what the cluster holds (connections, keys); called after the case, its nodes stopped. */
  dispose?(): void | Promise<void>;
}

/** What the suite needs to know about the adapter under test. */
export interface AdapterConformanceOptions {
  /** A fresh, isolated cluster (its own bus, Redis prefix…), one per case. */
  newCluster(): AdapterCluster | Promise<AdapterCluster>;
  /** How long a case waits for a delivery or for the node list to settle (ms). @defaultValue 5000 */
  timeoutMs?: number;
  /**
   * Whether the adapter keeps topic history (`PubSubAdapter.history`): adds the cases of the history
   * store (one order of positions on every node, reads from any node, bounded streams).
   * @defaultValue false
   */
  history?: boolean;
}

/** What the history cases' dispatcher hands each subscriber: the message and its position. */
interface Positioned {
  readonly message: unknown;
  readonly epoch: string;
  readonly offset: number;
}

const POSITIONS = "conformance-positions";

/** One behaviour: `run` resolves when the adapter shows it, and throws (an AssertionError) when not. */
export interface ConformanceCase {
  readonly name: string;
  run(): Promise<void>;
}

interface Node {
  readonly name: string;
  readonly pubsub: PubSub;
  inbox(topic?: string): Inbox;
}

/**
 * The cases of the suite for one adapter. Run each with your test framework.
 *
 * @example
 * ```ts
 * import { adapterConformance } from "fenix/testing/adapter";
 * import { describe, it } from "vitest";
 *
 * describe("my adapter", () => {
 *   for (const c of adapterConformance({ newCluster: () => new MyCluster() })) it(c.name, c.run);
 * });
 * ```
 */
export function adapterConformance(options: AdapterConformanceOptions): ConformanceCase[] {
  const timeoutMs = options.timeoutMs ?? 5_000;

  /** Runs `body` on a started cluster of `names`, and stops everything afterwards, passed or failed. */
  const withCluster = (names: string[], body: (...nodes: Node[]) => Promise<void>) => async (): Promise<void> => {
    const cluster = await options.newCluster();
    const nodes: Node[] = [];
    try {
      for (const name of names) {
        const runtime = new Runtime({ node: name });
        const pubsub = new PubSub({ runtime, adapter: cluster.adapter(name) });
        pubsub.registerDispatcher(POSITIONS, (subscribers, _from, message, { runtime: rt }, position) => {
          for (const sub of subscribers) rt.send(sub.pid, { message, epoch: position?.epoch ?? "", offset: position?.offset ?? -1 } satisfies Positioned);
        });
        await pubsub.start();
        nodes.push({
          name,
          pubsub,
          inbox: (topic) => {
            const inbox = new Inbox(runtime);
            if (topic !== undefined) pubsub.subscribe(topic, inbox.pid);
            return inbox;
          },
        });
      }
      // Every node must know every other before frames can be expected to reach them.
      await waitUntil(() => nodes.every((n) => names.every((name) => n.pubsub.nodes().includes(name))), timeoutMs, () =>
        `the nodes did not all see each other: ${nodes.map((n) => `${n.name} sees [${[...n.pubsub.nodes()].sort().join(", ")}]`).join("; ")}`,
      );
      await body(...nodes);
    } finally {
      await Promise.all(nodes.map((n) => n.pubsub.stop()));
      await cluster.dispose?.();
    }
  };

  const KEEP = { size: 1_000, ttlMs: 60_000 };
  const keep = (node: Node, topic: string, message: unknown, size = KEEP.size) =>
    node.pubsub.broadcast(topic, message, { dispatcher: POSITIONS, history: { ...KEEP, size } });

  const historyCases: ConformanceCase[] = [
    {
      name: "history: numbers broadcasts from every node in one order, the same on every node, the sender's included",
      run: withCluster(["a", "b"], async (a, b) => {
        const [onA, onB] = [a!.inbox("h"), b!.inbox("h")];
        for (let i = 0; i < 100; i++) keep(i % 2 === 0 ? a! : b!, "h", i);
        const seenA = (await onA.waitFor(100, timeoutMs)) as Positioned[];
        const seenB = (await onB.waitFor(100, timeoutMs)) as Positioned[];
        assert.deepEqual(seenA.map((p) => p.offset), Array.from({ length: 100 }, (_, i) => i + 1), "offsets 1…100 in order");
        assert.equal(new Set(seenA.map((p) => p.epoch)).size, 1, "one epoch");
        assert.deepEqual(seenB, seenA, "the same sequence on both nodes");
        const fromA = seenA.filter((p) => (p.message as number) % 2 === 0).map((p) => p.message);
        assert.deepEqual(fromA, [...fromA].sort((x, y) => (x as number) - (y as number)), "each sender's order kept");
      }),
    },
    {
      name: "history: any node reads what another appended (after an offset, the newest, nothing past the limit)",
      run: withCluster(["a", "b"], async (a, b) => {
        const onA = a!.inbox("r");
        for (let i = 1; i <= 10; i++) keep(a!, "r", { n: i });
        const seen = (await onA.waitFor(10, timeoutMs)) as Positioned[];
        const epoch = seen[0]!.epoch;
        const after = await b!.pubsub.history("r", { after: 4, limit: 10 }, KEEP);
        assert.deepEqual(after.position, { epoch, offset: 10 });
        assert.deepEqual(after.messages.map((m) => [m.offset, m.message]), [5, 6, 7, 8, 9, 10].map((n) => [n, { n }]));
        const newest = await b!.pubsub.history("r", { limit: 3 }, KEEP);
        assert.deepEqual(newest.messages.map((m) => m.offset), [8, 9, 10]);
        assert.deepEqual((await b!.pubsub.history("r", { after: 0, limit: 5 }, KEEP)).messages, [], "more missing than the limit");
        assert.deepEqual((await b!.pubsub.history("r", { after: 11, limit: 5 }, KEEP)).messages, [], "after past the last offset");
      }),
    },
    {
      name: "history: a read creates the epoch the next broadcasts continue; streams keep at most size messages",
      run: withCluster(["a", "b"], async (a, b) => {
        const created = await b!.pubsub.history("s", { limit: 5 }, KEEP);
        assert.equal(created.position.offset, 0);
        const onA = a!.inbox("s");
        for (let i = 1; i <= 8; i++) keep(a!, "s", i, 5);
        const seen = (await onA.waitFor(8, timeoutMs)) as Positioned[];
        assert.equal(seen[0]!.epoch, created.position.epoch, "the epoch the read created");
        const kept = await b!.pubsub.history("s", { limit: 100 }, { ...KEEP, size: 5 });
        assert.deepEqual(kept.messages.map((m) => m.message), [4, 5, 6, 7, 8]);
      }),
    },
  ];

  return [
    ...(options.history === true ? historyCases : []),
    {
      name: "delivers a broadcast once to every subscriber on every node",
      run: withCluster(["a", "b", "c"], async (a, b, c) => {
        const inboxes = [a!.inbox("room:1"), a!.inbox("room:1"), b!.inbox("room:1"), c!.inbox("room:1")];
        a!.pubsub.broadcast("room:1", { n: 1 });
        a!.pubsub.broadcast("room:1", "end");
        for (const inbox of inboxes) assert.deepEqual(await inbox.waitForMessage("end", timeoutMs), [{ n: 1 }, "end"]);
      }),
    },
    {
      name: "skips the sender on broadcastFrom but still reaches the others, local and remote",
      run: withCluster(["a", "b"], async (a, b) => {
        const sender = a!.inbox("t");
        const local = a!.inbox("t");
        const remote = b!.inbox("t");
        a!.pubsub.broadcastFrom(sender.pid, "t", "hello");
        a!.pubsub.broadcast("t", "end");
        assert.deepEqual(await local.waitForMessage("end", timeoutMs), ["hello", "end"]);
        assert.deepEqual(await remote.waitForMessage("end", timeoutMs), ["hello", "end"]);
        assert.deepEqual(await sender.waitForMessage("end", timeoutMs), ["end"]);
      }),
    },
    {
      name: "keeps localBroadcast on its own node",
      run: withCluster(["a", "b"], async (a, b) => {
        const local = a!.inbox("t");
        const remote = b!.inbox("t");
        a!.pubsub.localBroadcast("t", "only here");
        a!.pubsub.broadcast("t", "everywhere");
        assert.deepEqual(await local.waitFor(2, timeoutMs), ["only here", "everywhere"]);
        assert.deepEqual(await remote.waitForMessage("everywhere", timeoutMs), ["everywhere"]);
      }),
    },
    {
      name: "sends directBroadcast to the named node only, in order with broadcasts",
      run: withCluster(["a", "b", "c"], async (a, b, c) => {
        const [onA, onB, onC] = [a!.inbox("t"), b!.inbox("t"), c!.inbox("t")];
        a!.pubsub.directBroadcast("c", "t", "to c");
        a!.pubsub.directBroadcast("a", "t", "to a");
        a!.pubsub.broadcast("t", "marker");
        assert.deepEqual(await onC!.waitForMessage("marker", timeoutMs), ["to c", "marker"]);
        assert.deepEqual(await onB!.waitForMessage("marker", timeoutMs), ["marker"]);
        assert.deepEqual(await onA!.waitForMessage("marker", timeoutMs), ["to a", "marker"]);
      }),
    },
    {
      name: "keeps the order of one sender's broadcasts, across topics, on every node",
      run: withCluster(["a", "b"], async (a, b) => {
        const remote = b!.inbox();
        b!.pubsub.subscribe("x", remote.pid);
        b!.pubsub.subscribe("y", remote.pid);
        const sent = Array.from({ length: 500 }, (_, i) => i);
        for (const i of sent) a!.pubsub.broadcast(i % 3 === 0 ? "y" : "x", i);
        assert.deepEqual(await remote.waitFor(500, timeoutMs), sent);
      }),
    },
    {
      name: "delivers nothing to a subscriber that unsubscribed or exited",
      run: withCluster(["a", "b"], async (a, b) => {
        const leaver = b!.inbox("t");
        const dier = b!.inbox("t");
        const stayer = b!.inbox("t");
        b!.pubsub.unsubscribe("t", leaver.pid);
        dier.close();
        await waitUntil(() => b!.pubsub.subscriberCount("t") === 1, timeoutMs, () => "the exited subscriber was not removed");
        a!.pubsub.broadcast("t", "after");
        await stayer.waitFor(1, timeoutMs);
        assert.deepEqual(leaver.messages, []);
        assert.deepEqual(dier.messages, []);
      }),
    },
    {
      name: "carries JSON values and bytes intact between nodes, bytes anywhere in the message",
      run: withCluster(["a", "b"], async (a, b) => {
        const remote = b!.inbox("t");
        const every = new Uint8Array(256).map((_, i) => i);
        const messages: unknown[] = [
          { nested: { list: [1, "two", null, true, -0.5], text: "é ✓ \u0000 \"quoted\"" } },
          { topic: "t", event: "bin", payload: every },
          [new Uint8Array([1]), { deep: { bytes: new Uint8Array(0) } }],
          every,
          "plain string",
          42,
          null,
        ];
        for (const message of messages) a!.pubsub.broadcast("t", message);
        const received = await remote.waitFor(messages.length, timeoutMs);
        assert.deepEqual(received, messages.map((m) => normalise(m)));
        assert.ok((received[1] as { payload: unknown }).payload instanceof Uint8Array, "bytes arrive as a Uint8Array");
      }),
    },
    {
      name: "carries a large message (1 MiB of bytes) intact",
      run: withCluster(["a", "b"], async (a, b) => {
        const remote = b!.inbox("t");
        const big = new Uint8Array(1024 * 1024).map((_, i) => (i * 31) & 0xff);
        a!.pubsub.broadcast("t", { big });
        const [received] = await remote.waitFor(1, timeoutMs);
        assert.ok(Buffer.from((received as { big: Uint8Array }).big).equals(Buffer.from(big)), "the bytes differ");
      }),
    },
    {
      name: "lists the nodes of the cluster and reports itself up",
      run: withCluster(["a", "b"], async (a, b) => {
        assert.deepEqual([...a!.pubsub.nodes()].sort(), ["a", "b"]);
        assert.deepEqual([...b!.pubsub.nodes()].sort(), ["a", "b"]);
        assert.equal(a!.pubsub.status, "up");
      }),
    },
    {
      name: "forgets a node that stopped, and it receives nothing more",
      run: withCluster(["a", "b", "c"], async (a, b, c) => {
        const onC = c!.inbox("t");
        const onB = b!.inbox("t");
        await c!.pubsub.stop();
        await waitUntil(() => !a!.pubsub.nodes().includes("c"), timeoutMs, () => `a still lists [${a!.pubsub.nodes().join(", ")}]`);
        a!.pubsub.broadcast("t", "after c left");
        await onB.waitFor(1, timeoutMs);
        assert.deepEqual(onC.messages, []);
      }),
    },
  ];
}

/** What a message looks like after a trip through JSON (bytes kept as bytes). */
function normalise(value: unknown): unknown {
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) return value.map(normalise);
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v)]));
  return value;
}

async function waitUntil(done: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new assert.AssertionError({ message: describe() });
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
