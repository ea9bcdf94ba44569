import { describe, expect, it } from "vitest";
import { DynamicSupervisor } from "../../../src/runtime/supervisor/dynamic-supervisor.js";
import type { DynamicChildSpec } from "../../../src/runtime/supervisor/dynamic-supervisor.js";
import { RuntimeErrorCode } from "../../../src/runtime/errors.js";
import type { Pid } from "../../../src/runtime/process/pid.js";
import type { Runtime } from "../../../src/runtime/process/runtime.js";
import { Supervisor } from "../../../src/runtime/supervisor/supervisor.js";
import { Probe, settle } from "./probe.js";
import { Worker, childPid, newRuntime, track, watchExit, workerAt } from "./supervisor-fixtures.js";

const code = (c: string) => expect.objectContaining({ code: c });

/** A spec whose children are Workers named name1, name2, … in start order. */
function sessionSpec(runtime: Runtime, log: string[], name = "s", extra: Omit<DynamicChildSpec, "start"> & { stubborn?: boolean } = {}) {
  let n = 0;
  const { stubborn, ...rest } = extra;
  const spec: DynamicChildSpec = {
    start: (parent: Pid) => new Worker(runtime, parent, `${name}${++n}`, log, { stubborn }).pid,
    ...rest,
  };
  return spec;
}

async function pidsOf(sup: Pid): Promise<(Pid | null)[]> {
  return (await DynamicSupervisor.whichChildren(sup)).map((c) => c.pid);
}

describe("DynamicSupervisor", () => {
  it("starts with no children and starts them on demand, linked to it", async () => {
    const { runtime } = newRuntime();
    const log: string[] = [];
    const sup = await DynamicSupervisor.start({ runtime });
    expect(await DynamicSupervisor.whichChildren(sup)).toEqual([]);
    const spec = sessionSpec(runtime, log);
    const first = await DynamicSupervisor.startChild(sup, spec);
    const second = await DynamicSupervisor.startChild(sup, { ...spec, id: "ignored" });
    expect(log).toEqual(["start:s1", "start:s2"]);
    expect(await DynamicSupervisor.whichChildren(sup)).toEqual([
      { pid: first, type: "worker", restart: "permanent" },
      { pid: second, type: "worker", restart: "permanent" },
    ]);
    expect(runtime.links(first!)).toContain(sup);
    expect(await DynamicSupervisor.countChildren(sup)).toEqual({ specs: 2, active: 2, supervisors: 0, workers: 2 });
  });

  it("restarts only the child that crashed, by its restart type", async () => {
    const { runtime } = newRuntime();
    const log: string[] = [];
    const sup = await DynamicSupervisor.start({ runtime });
    const permanent = await DynamicSupervisor.startChild(sup, sessionSpec(runtime, log, "p"));
    const transient = await DynamicSupervisor.startChild(sup, sessionSpec(runtime, log, "t", { restart: "transient" }));
    const temporary = await DynamicSupervisor.startChild(sup, sessionSpec(runtime, log, "x", { restart: "temporary" }));
    const other = await DynamicSupervisor.startChild(sup, sessionSpec(runtime, log, "o"));
    log.length = 0;

    runtime.exit(permanent!, new Error("boom"));
    runtime.exit(temporary!, new Error("boom"));
    workerAt(runtime, transient).halt("normal");
    await settle();
    expect(log).toEqual(["stop:p1", "stop:x1", "stop:t1", "start:p2"]);
    const pids = await pidsOf(sup);
    expect(pids).toHaveLength(2);
    expect(pids[0]).toBe(other); // untouched
    expect(pids[1]).not.toBe(permanent); // restarted, now the newest child
    expect(runtime.isAlive(pids[1]!)).toBe(true);
  });

  it("refuses a child beyond maxChildren, and accepts one again once there is room", async () => {
    const { runtime } = newRuntime();
    const log: string[] = [];
    const sup = await DynamicSupervisor.start({ runtime, maxChildren: 2 });
    const spec = sessionSpec(runtime, log);
    const first = await DynamicSupervisor.startChild(sup, spec);
    await DynamicSupervisor.startChild(sup, spec);
    await expect(DynamicSupervisor.startChild(sup, spec)).rejects.toEqual(code(RuntimeErrorCode.MAX_CHILDREN));
    expect(log).toEqual(["start:s1", "start:s2"]);
    await DynamicSupervisor.terminateChild(sup, first!);
    expect(await DynamicSupervisor.startChild(sup, spec)).not.toBeNull();
  });

  it("terminateChild stops one child by pid and forgets it; an unknown pid is refused", async () => {
    const { runtime } = newRuntime();
    const log: string[] = [];
    const sup = await DynamicSupervisor.start({ runtime });
    const spec = sessionSpec(runtime, log);
    const a = await DynamicSupervisor.startChild(sup, spec);
    const b = await DynamicSupervisor.startChild(sup, spec);
    log.length = 0;
    await DynamicSupervisor.terminateChild(sup, a!);
    expect(log).toEqual(["stop:s1"]);
    await settle();
    expect(await pidsOf(sup)).toEqual([b]);
    await expect(DynamicSupervisor.terminateChild(sup, a!)).rejects.toEqual(code(RuntimeErrorCode.CHILD_NOT_FOUND));
    await expect(DynamicSupervisor.terminateChild(sup, new Probe(runtime).pid)).rejects.toEqual(code(RuntimeErrorCode.CHILD_NOT_FOUND));
  });

  it("returns null and keeps nothing when a start returns null; rejects a failing start", async () => {
    const { runtime } = newRuntime();
    const sup = await DynamicSupervisor.start({ runtime });
    expect(await DynamicSupervisor.startChild(sup, { start: () => null })).toBeNull();
    const cause = new Error("nope");
    const error = await DynamicSupervisor.startChild(sup, {
      start: () => {
        throw cause;
      },
    }).catch((e: unknown) => e);
    expect(error).toEqual(code(RuntimeErrorCode.START_CHILD_FAILED));
    expect((error as Error).cause).toBe(cause);
    expect(await DynamicSupervisor.countChildren(sup)).toEqual({ specs: 0, active: 0, supervisors: 0, workers: 0 });
  });

  it("gives up after maxRestarts restarts within maxSeconds: every child stopped, exit with shutdown", async () => {
    const { runtime, clock } = newRuntime();
    const log: string[] = [];
    const sup = await DynamicSupervisor.start({ runtime, maxRestarts: 2, maxSeconds: 1 });
    const exit = watchExit(runtime, sup);
    const spec = sessionSpec(runtime, log);
    for (let i = 0; i < 3; i++) await DynamicSupervisor.startChild(sup, spec);
    for (let i = 0; i < 2; i++) {
      runtime.exit((await pidsOf(sup))[0]!, "crash");
      await settle();
      clock.advance(400);
    }
    expect(exit.ended).toBe(false);
    runtime.exit((await pidsOf(sup))[0]!, "crash");
    await settle();
    expect(exit).toEqual({ ended: true, reason: "shutdown" });
    expect(runtime.processCount).toBe(0);
  });

  it("signals every child at once on stop, newest first, each with its own kill timer", async () => {
    const { runtime, clock } = newRuntime();
    const log: string[] = [];
    const sup = await DynamicSupervisor.start({ runtime });
    await DynamicSupervisor.startChild(sup, sessionSpec(runtime, log, "slow", { stubborn: true, shutdown: 1_000 }));
    await DynamicSupervisor.startChild(sup, sessionSpec(runtime, log, "quick"));
    await DynamicSupervisor.startChild(sup, sessionSpec(runtime, log, "brute", { stubborn: true, shutdown: "brutal_kill" }));
    await DynamicSupervisor.startChild(sup, sessionSpec(runtime, log, "late", { stubborn: true, shutdown: 2_000 }));
    log.length = 0;
    const stopping = track(DynamicSupervisor.stop(sup));
    await settle();
    expect(log).toEqual(["stop:brute1", "stop:quick1", "ignored:late1", "ignored:slow1"]);
    clock.advance(1_000);
    await settle();
    expect(log.slice(4)).toEqual(["stop:slow1"]);
    expect(stopping.settled).toBe(false);
    clock.advance(1_000);
    await settle();
    expect(log.slice(5)).toEqual(["stop:late1"]);
    expect(stopping.settled).toBe(true);
    expect(runtime.processCount).toBe(0);
  });

  it("shuts down its children when its parent exits, and exits with the parent's reason", async () => {
    const { runtime } = newRuntime();
    const log: string[] = [];
    const parent = new Probe(runtime);
    const sup = await DynamicSupervisor.startLink(parent.pid, { runtime });
    const exit = watchExit(runtime, sup);
    await DynamicSupervisor.startChild(sup, sessionSpec(runtime, log));
    parent.halt("shutdown");
    await settle();
    expect(exit).toEqual({ ended: true, reason: "shutdown" });
    expect(runtime.processCount).toBe(0);
  });

  it("retries a restart that failed, after the requests already queued", async () => {
    const { runtime } = newRuntime();
    const log: string[] = [];
    const sup = await DynamicSupervisor.start({ runtime });
    let fail = false;
    const spec: DynamicChildSpec = {
      start: (parent) => {
        if (fail) {
          fail = false;
          throw new Error("not now");
        }
        return new Worker(runtime, parent, "w", log).pid;
      },
    };
    const first = await DynamicSupervisor.startChild(sup, spec);
    fail = true;
    runtime.exit(first!, "crash");
    await settle();
    const pids = await pidsOf(sup);
    expect(pids).toHaveLength(1);
    expect(runtime.isAlive(pids[0]!)).toBe(true);
  });

  it("runs under a Supervisor through childSpec", async () => {
    const { runtime } = newRuntime();
    const log: string[] = [];
    const root = await Supervisor.start({ runtime, children: [DynamicSupervisor.childSpec("sessions", { runtime, maxChildren: 5 })] });
    const sessions = await childPid(root, "sessions");
    await DynamicSupervisor.startChild(sessions, sessionSpec(runtime, log));
    await expect(Supervisor.whichChildren(sessions)).rejects.toEqual(code(RuntimeErrorCode.BAD_ARGUMENT));
    await Supervisor.stop(root);
    expect(log).toEqual(["start:s1", "stop:s1"]);
    expect(runtime.processCount).toBe(0);
  });

  it.each<[string, object, string]>([
    ["a negative maxChildren", { maxChildren: -1 }, RuntimeErrorCode.BAD_ARGUMENT],
    ["a fractional maxChildren", { maxChildren: 1.5 }, RuntimeErrorCode.BAD_ARGUMENT],
    ["a strategy (always one for one)", { strategy: "oneForAll" }, RuntimeErrorCode.BAD_ARGUMENT],
  ])("rejects %s", async (_name, options, expected) => {
    const { runtime } = newRuntime();
    await expect(DynamicSupervisor.start({ runtime, ...options })).rejects.toEqual(code(expected));
  });

  it("rejects a bad spec before sending anything", async () => {
    const { runtime } = newRuntime();
    const sup = await DynamicSupervisor.start({ runtime });
    await expect(DynamicSupervisor.startChild(sup, { start: "Worker" } as never)).rejects.toEqual(code(RuntimeErrorCode.BAD_CHILD_SPEC));
  });
});
