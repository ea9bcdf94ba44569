/** The in-memory adapter passes the adapter conformance suite, and refuses duplicate node names. */
import { describe, expect, it } from "vitest";
import { PubSub, PubSubErrorCode, Runtime } from "../../../src/index.js";
import { MemoryAdapter, MemoryBus } from "../../../src/pubsub/index.js";
import { adapterConformance } from "../../../src/testing/adapter.js";

describe("PubSub adapter conformance: memory", () => {
  const newCluster = () => {
    const bus = new MemoryBus();
    return { adapter: () => new MemoryAdapter(bus) };
  };
  for (const c of adapterConformance({ newCluster, history: true })) it(c.name, c.run);
});

describe("MemoryBus", () => {
  it("refuses a second node with the same name", async () => {
    const bus = new MemoryBus();
    const first = new PubSub({ runtime: new Runtime({ node: "same" }), adapter: new MemoryAdapter(bus) });
    await first.start();
    const second = new PubSub({ runtime: new Runtime({ node: "same" }), adapter: new MemoryAdapter(bus) });
    await expect(second.start()).rejects.toMatchObject({ code: PubSubErrorCode.DUPLICATE_NODE });
    await first.stop();
  });
});
