import { describe, expect, it } from "vitest";
import type { ChildSpec } from "../../../src/runtime/supervisor/child-spec.js";
import type { ExitReason } from "../../../src/runtime/process/exit-reason.js";
import { GenServer } from "../../../src/runtime/gen-server/gen-server.js";
import type { Runtime } from "../../../src/runtime/process/runtime.js";
import { Supervisor } from "../../../src/runtime/supervisor/supervisor.js";
import { settle } from "./probe.js";
import { childPid, newRuntime } from "./supervisor-fixtures.js";

/** Shared by the servers of one test: the order their `terminate` ran in. */
const terminated: string[] = [];

class Counter extends GenServer<{ name: string; trap: boolean }> {
  #name = "";
  #count = 0;

  override init(args: { name: string; trap: boolean }): void {
    this.#name = args.name;
    this.trapExits = args.trap;
  }

  override handleCall(request: unknown): number {
    if (request === "crash") throw new Error(`${this.#name} crashed`);
    if (request === "inc") return ++this.#count;
    return this.#count;
  }

  override terminate(reason: ExitReason): void {
    terminated.push(`${this.#name}:${String(reason)}`);
  }
}

function counterSpec(runtime: Runtime, name: string, trap = true): ChildSpec {
  return { id: name, start: (parent) => GenServer.startLink(Counter, { name, trap }, parent, { runtime }) };
}

describe("Supervisor with GenServer children", () => {
  it("restarts a crashed GenServer with fresh state and leaves its siblings alone", async () => {
    const { runtime } = newRuntime();
    const sup = await Supervisor.start({ runtime, children: [counterSpec(runtime, "a"), counterSpec(runtime, "b")] });
    const a = await childPid(sup, "a");
    const b = await childPid(sup, "b");
    await GenServer.call(a, "inc");
    await GenServer.call(b, "inc");
    await expect(GenServer.call(a, "crash")).rejects.toBeDefined();
    await settle();
    const a2 = await childPid(sup, "a");
    expect(a2).not.toBe(a);
    expect(await GenServer.call(a2, "get")).toBe(0);
    expect(await childPid(sup, "b")).toBe(b);
    expect(await GenServer.call(b, "get")).toBe(1);
    await Supervisor.stop(sup);
  });

  it("lets trapping GenServers run terminate on an ordered shutdown, in reverse start order", async () => {
    const { runtime } = newRuntime();
    terminated.length = 0;
    const sup = await Supervisor.start({
      runtime,
      children: [counterSpec(runtime, "first"), counterSpec(runtime, "second"), counterSpec(runtime, "third")],
    });
    await Supervisor.stop(sup);
    expect(terminated).toEqual(["third:shutdown", "second:shutdown", "first:shutdown"]);
    expect(runtime.processCount).toBe(0);
  });
});
