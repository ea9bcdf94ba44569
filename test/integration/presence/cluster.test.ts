// The presence tracker across nodes, without infrastructure: three nodes in one process on a bus that
// drops, duplicates, delays (reorders) and partitions messages, on a virtual clock. Replicas converge
// once the network heals, every node's diffs add up to exactly what it lists, a silent node's presences
// go after downPeriodMs and come back when it does, and a restarted node replaces its old replica.
import { afterEach, describe, expect, it } from "vitest";
import { Process, PubSub, Runtime, Supervisor, VirtualClock, type Pid } from "../../../src/index.js";
import { Tracker, type TopicChanges } from "../../../src/presence/index.js";
import { FaultyBus } from "../../support/faulty-bus.js";

class Owner extends Process {
  protected handleMessage(): void {}
  leave(): void {
    this.stop();
  }
}

const PERIOD = 100;
const TOPIC = "room:cluster";

interface Node {
  readonly name: string;
  readonly runtime: Runtime;
  readonly pubsub: PubSub;
  tracker: Tracker;
  supervisor: Pid;
  /** What this node's diffs say is on TOPIC: ref → key. */
  readonly view: Map<string, string>;
  readonly problems: string[];
}

let clock: VirtualClock;
let bus: FaultyBus;
let nodes: Node[] = [];

async function startTracker(
  node: Pick<Node, "name" | "runtime" | "pubsub" | "view" | "problems">,
  options: { permdownOnShutdown?: boolean; poolSize?: number } = {},
): Promise<{ tracker: Tracker; supervisor: Pid }> {
  const tracker = new Tracker(node.pubsub, { broadcastPeriodMs: PERIOD, permdownPeriodMs: 60_000, ...options });
  tracker.onChanges((changes: TopicChanges) => {
    if (changes.topic !== TOPIC) return;
    for (const entry of changes.joins) {
      if (node.view.has(entry.ref)) node.problems.push(`${node.name}: duplicate join ${entry.ref}`);
      node.view.set(entry.ref, entry.key);
    }
    for (const entry of changes.leaves) {
      if (!node.view.delete(entry.ref)) node.problems.push(`${node.name}: leave of unseen ${entry.ref}`);
    }
  });
  const supervisor = await Supervisor.start({ runtime: node.runtime, children: [tracker.childSpec()] });
  return { tracker, supervisor };
}

async function startNode(name: string, options: { permdownOnShutdown?: boolean; poolSize?: number } = {}): Promise<Node> {
  const runtime = new Runtime({ node: name, clock });
  const pubsub = new PubSub({ runtime, adapter: bus.adapter() });
  await pubsub.start();
  const base = { name, runtime, pubsub, view: new Map<string, string>(), problems: [] as string[] };
  const { tracker, supervisor } = await startTracker(base, options);
  const node: Node = { ...base, tracker, supervisor };
  nodes.push(node);
  return node;
}

/** Lets processes and microtasks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Advances virtual time by `ms`, in small steps so heartbeats and deliveries interleave. */
async function run(ms: number, step = 20): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(step);
    await settle();
  }
}

/** The refs a node lists on TOPIC. */
const listed = (node: Node) => new Set(node.tracker.list(TOPIC).map((entry) => entry.ref));
const keys = (node: Node) => node.tracker.list(TOPIC).map((entry) => entry.key).sort();

function track(node: Node, key: string): Owner {
  const owner = new Owner(node.runtime);
  node.tracker.track(owner.pid, TOPIC, key, { from: node.name });
  return owner;
}

afterEach(async () => {
  for (const node of nodes) {
    await Supervisor.stop(node.supervisor).catch(() => {});
    await node.pubsub.stop();
  }
  nodes = [];
});

function setUp(seed: number): void {
  clock = new VirtualClock();
  bus = new FaultyBus(clock, seed);
}

describe("presence across nodes", () => {
  it.each([1, 2, 3])("converges after a lossy, reordering, duplicating network heals (seed %i)", async (seed) => {
    setUp(seed);
    const [a, b, c] = [await startNode("a"), await startNode("b"), await startNode("c")];
    bus.setFaults({ drop: 0.3, duplicate: 0.2, maxDelayMs: 3 * PERIOD });
    const owners: Array<[Node, Owner]> = [];
    for (let i = 0; i < 12; i++) {
      const node = [a, b, c][i % 3]!;
      owners.push([node, track(node, `user${i}`)]);
      await run(PERIOD / 2);
    }
    // Some leave while the network is still bad.
    for (const [, owner] of owners.slice(0, 4)) owner.leave();
    await run(10 * PERIOD);
    expect(bus.dropped).toBeGreaterThan(0);

    bus.heal();
    await run(40 * PERIOD);
    const expected = Array.from({ length: 8 }, (_, i) => `user${i + 4}`).sort();
    for (const node of [a, b, c]) {
      expect(keys(node), node.name).toEqual(expected);
      expect(new Set(node.view.keys()), `${node.name}'s diffs add up to its list`).toEqual(listed(node));
      expect(node.problems).toEqual([]);
    }
  });

  it("replicates every topic with a pool of shards per node", async () => {
    setUp(5);
    const [a, b] = [await startNode("a", { poolSize: 3 }), await startNode("b", { poolSize: 3 })];
    bus.setFaults({ drop: 0.2, maxDelayMs: 2 * PERIOD });
    for (let i = 0; i < 30; i++) {
      const node = i % 2 === 0 ? a : b;
      node.tracker.track(new Owner(node.runtime).pid, `room:${i % 10}`, `user${i}`, {});
    }
    await run(10 * PERIOD);
    bus.heal();
    await run(30 * PERIOD);
    for (let t = 0; t < 10; t++) {
      const expected = Array.from({ length: 3 }, (_, k) => `user${t + 10 * k}`).sort();
      expect(a.tracker.list(`room:${t}`).map((e) => e.key).sort()).toEqual(expected);
      expect(b.tracker.list(`room:${t}`).map((e) => e.key).sort()).toEqual(expected);
    }
  });

  it("hides a silent node's presences after downPeriodMs and shows them again when it comes back", async () => {
    setUp(7);
    const [a, b, c] = [await startNode("a"), await startNode("b"), await startNode("c")];
    track(a, "ann");
    track(c, "cy");
    await run(5 * PERIOD);
    expect(keys(a)).toEqual(["ann", "cy"]);

    bus.partition("a", "c");
    bus.partition("b", "c");
    // downPeriodMs is 2 × 10 × broadcastPeriodMs = 2,000 ms by default.
    await run(1_500);
    expect(keys(a)).toEqual(["ann", "cy"]);
    await run(1_500);
    expect(keys(a)).toEqual(["ann"]);
    expect(keys(b)).toEqual(["ann"]);
    expect(keys(c)).toEqual(["cy"]);

    bus.heal();
    await run(20 * PERIOD);
    for (const node of [a, b, c]) {
      expect(keys(node), node.name).toEqual(["ann", "cy"]);
      expect(new Set(node.view.keys())).toEqual(listed(node));
      expect(node.problems).toEqual([]);
    }
  });

  it("removes a leaving owner's presence on every node", async () => {
    setUp(11);
    const [a, b] = [await startNode("a"), await startNode("b")];
    const owner = track(a, "ann");
    track(b, "bob");
    await run(5 * PERIOD);
    expect(keys(b)).toEqual(["ann", "bob"]);
    owner.leave();
    await run(3 * PERIOD);
    expect(keys(a)).toEqual(["bob"]);
    expect(keys(b)).toEqual(["bob"]);
  });

  it("drops a node's presences at once when it stops with permdownOnShutdown, not after downPeriodMs", async () => {
    setUp(17);
    const a = await startNode("a");
    const b = await startNode("b", { permdownOnShutdown: true });
    track(b, "bob");
    await run(5 * PERIOD);
    expect(keys(a)).toEqual(["bob"]);
    await Supervisor.stop(b.supervisor);
    await run(PERIOD);
    expect(keys(a)).toEqual([]);
    expect(a.problems).toEqual([]);
  });

  it("replaces a restarted node's old replica: its old presences go at once, its new ones appear", async () => {
    setUp(13);
    const [a, b] = [await startNode("a"), await startNode("b")];
    track(b, "old");
    await run(5 * PERIOD);
    expect(keys(a)).toEqual(["old"]);

    // b's tracker restarts (a crash, a deploy): a new replica with a new version, the old presences lost.
    await Supervisor.stop(b.supervisor);
    b.view.clear();
    const restarted = await startTracker(b);
    b.tracker = restarted.tracker;
    b.supervisor = restarted.supervisor;
    track(b, "new");
    await run(5 * PERIOD);
    expect(keys(a)).toEqual(["new"]);
    expect(a.problems).toEqual([]);
  });
});
