/** The in-memory adapter passes the shared adapter conformance suite, and refuses duplicate node names. */
import { describe, expect, it } from "vitest";
import { MemoryAdapter, MemoryBus, PubSub, PubSubErrorCode, Runtime } from "../../../src/index.js";
import { describeAdapterConformance } from "./adapter-conformance.js";

describeAdapterConformance("memory", {
  newCluster: () => new MemoryBus(),
  adapter: (bus, _node) => new MemoryAdapter(bus),
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
