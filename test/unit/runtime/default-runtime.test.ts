/**
 * A GenServer or supervisor started linked to a parent, without a `runtime` option, lives in the parent's
 * runtime: child specs written without a runtime work under an endpoint or a channel test kit that runs
 * on a runtime of its own (a virtual clock).
 */
import { describe, expect, it } from "vitest";
import { DynamicSupervisor, GenServer, Runtime, Supervisor, VirtualClock, shutdown, type ChildSpec } from "../../../src/index.js";
import { runtimeOf } from "../../../src/runtime/index.js";

class Ticker extends GenServer {
  override init() {}
}

describe("the runtime of a linked start", () => {
  it("is the parent's when no runtime is given", async () => {
    const runtime = new Runtime({ clock: new VirtualClock() });
    const children: ChildSpec[] = [
      { id: "ticker", start: (parent) => GenServer.startLink(Ticker, undefined, parent) },
      { id: "rooms", type: "supervisor", start: (parent) => DynamicSupervisor.startLink(parent, {}) },
      { id: "nested", type: "supervisor", start: (parent) => Supervisor.startLink(parent, { strategy: "oneForOne", children: [] }) },
    ];
    const top = await Supervisor.start({ runtime, strategy: "oneForOne", children });
    try {
      const pids = (await Supervisor.whichChildren(top)).map((child) => child.pid);
      expect(pids).toHaveLength(3);
      for (const pid of pids) expect(runtimeOf(pid!)).toBe(runtime);
    } finally {
      await Supervisor.stop(top, shutdown("test over"));
    }
  });
});
