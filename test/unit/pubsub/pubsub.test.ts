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
