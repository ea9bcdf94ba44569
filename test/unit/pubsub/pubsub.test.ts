/** The PubSub core's API: typed errors for misuse, named dispatchers, one subscription per process and topic. */
import { describe, expect, it } from "vitest";
import { PubSub, PubSubErrorCode, Runtime } from "../../../src/index.js";
import { Collector, settle } from "../../support/collector.js";

async function setup() {
  const runtime = new Runtime({ node: "pubsub-test" });
  const pubsub = new PubSub({ runtime });
  await pubsub.start();
  return { runtime, pubsub };
}

describe("PubSub API", () => {
  it("rejects empty topics and unknown dispatchers with typed errors", async () => {
    const { runtime, pubsub } = await setup();
    expect(() => pubsub.subscribe("", new Collector(runtime).pid)).toThrow(expect.objectContaining({ code: PubSubErrorCode.BAD_TOPIC }));
    expect(() => pubsub.broadcast("t", {}, { dispatcher: "nope" })).toThrow(
      expect.objectContaining({ code: PubSubErrorCode.UNKNOWN_DISPATCHER }),
    );
    await pubsub.stop();
    expect(() => pubsub.broadcast("t", {})).toThrow(expect.objectContaining({ code: PubSubErrorCode.STOPPED }));
  });

  it("uses a registered dispatcher by name", async () => {
    const { runtime, pubsub } = await setup();
    const col = new Collector(runtime);
    pubsub.registerDispatcher("upper", (subs, _from, message, ctx) => {
      for (const s of subs) ctx.runtime.send(s.pid, String(message).toUpperCase());
    });
    pubsub.subscribe("t", col.pid);
    pubsub.broadcast("t", "hi", { dispatcher: "upper" });
    expect(await col.waitFor(1)).toEqual(["HI"]);
    await pubsub.stop();
  });

  it("subscribes a process once per topic and forgets it on exit", async () => {
    const { runtime, pubsub } = await setup();
    const col = new Collector(runtime);
    pubsub.subscribe("a", col.pid, 1);
    pubsub.subscribe("a", col.pid, 2);
    pubsub.subscribe("b", col.pid);
    expect(pubsub.subscribers("a").map((s) => s.meta)).toEqual([2]);
    col.kill();
    await settle();
    expect(pubsub.subscriberCount("a") + pubsub.subscriberCount("b")).toBe(0);
    expect([...pubsub.topics()]).toEqual([]);
    await pubsub.stop();
  });
});

describe("PubSub subscribers of a topic, from one to many and back", () => {
  it("delivers to every subscriber, in subscription order, as subscribers come and go", async () => {
    const { runtime, pubsub } = await setup();
    const cols = Array.from({ length: 4 }, () => new Collector(runtime));
    const expectSubscribers = (expected: Collector[]) => {
      expect(pubsub.subscribers("t").map((s) => s.pid)).toEqual(expected.map((c) => c.pid));
      expect(pubsub.subscriberCount("t")).toBe(expected.length);
      expect([...pubsub.topics()].includes("t")).toBe(expected.length > 0);
    };
    let sent = 0;
    const broadcastTo = async (expected: Collector[]) => {
      const before = cols.map((c) => c.messages.length);
      pubsub.broadcast("t", ++sent);
      await settle();
      cols.forEach((c, i) => expect(c.messages.slice(before[i]!), `collector ${i}`).toEqual(expected.includes(c) ? [sent] : []));
    };
    const [a, b, c, d] = cols as [Collector, Collector, Collector, Collector];
    pubsub.subscribe("t", a.pid, "a");
    expectSubscribers([a]);
    await broadcastTo([a]);
    pubsub.subscribe("t", a.pid, "a2"); // the same process again: replaces its metadata
    expect(pubsub.subscribers("t").map((s) => s.meta)).toEqual(["a2"]);
    pubsub.subscribe("t", b.pid);
    pubsub.subscribe("t", c.pid);
    expectSubscribers([a, b, c]);
    await broadcastTo([a, b, c]);
    pubsub.unsubscribe("t", a.pid);
    pubsub.unsubscribe("t", c.pid);
    expectSubscribers([b]);
    await broadcastTo([b]);
    pubsub.unsubscribe("t", c.pid); // not subscribed: nothing changes
    expectSubscribers([b]);
    pubsub.subscribe("t", d.pid);
    expectSubscribers([b, d]);
    b.kill();
    await settle();
    expectSubscribers([d]);
    await broadcastTo([d]);
    d.kill();
    await settle();
    expectSubscribers([]);
    await pubsub.stop();
  });
});

describe("PubSub under a supervisor", () => {
  it("stops, adapter included, when its supervisor shuts down, and not when only its watcher crashes", async () => {
    const { Supervisor } = await import("../../../src/index.js");
    const { MemoryAdapter, MemoryBus } = await import("../../../src/pubsub/index.js");
    const bus = new MemoryBus();
    const runtime = new Runtime({ node: "supervised" });
    const pubsub = new PubSub({ runtime, adapter: new MemoryAdapter(bus) });
    const tree = await Supervisor.start({ runtime, children: [pubsub.childSpec()] });
    expect(bus.nodes()).toEqual(["supervised"]);
    const [child] = await Supervisor.whichChildren(tree);
    runtime.exit(child!.pid!, new Error("watcher crash (test)"));
    await expect.poll(async () => (await Supervisor.whichChildren(tree))[0]!.pid !== child!.pid).toBe(true);
    expect(bus.nodes()).toEqual(["supervised"]);
    pubsub.broadcast("t", "still running");
    await Supervisor.stop(tree, "shutdown");
    await expect.poll(() => bus.nodes()).toEqual([]);
    expect(() => pubsub.broadcast("t", "x")).toThrow(expect.objectContaining({ code: PubSubErrorCode.STOPPED }));
  });
});
