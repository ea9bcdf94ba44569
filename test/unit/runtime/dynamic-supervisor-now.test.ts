/** DynamicSupervisor.startChildNow: a child started in the caller's turn, supervised like any other. */
import { describe, expect, it } from "vitest";
import { DynamicSupervisor, startTemporaryChildNow, temporaryChildSpec } from "../../../src/runtime/supervisor/dynamic-supervisor.js";
import { RuntimeErrorCode } from "../../../src/runtime/errors.js";
import type { Pid } from "../../../src/runtime/process/pid.js";
import { Registry } from "../../../src/runtime/registry/registry.js";
import { Probe, settle } from "./probe.js";
import { Worker, newRuntime, watchExit, workerAt } from "./supervisor-fixtures.js";

const code = (c: string) => expect.objectContaining({ code: c });

describe("DynamicSupervisor.startChildNow", () => {
  it("starts, links and counts the child before it returns", async () => {
    const { runtime } = newRuntime();
    const log: string[] = [];
    const sup = await DynamicSupervisor.start({ runtime });
    const pid = DynamicSupervisor.startChildNow(sup, { start: (parent) => new Worker(runtime, parent, "w", log).pid, restart: "temporary" });
    expect(pid).not.toBeNull();
    expect(log).toEqual(["start:w"]);
    expect(runtime.links(pid!)).toContain(sup);
    expect(await DynamicSupervisor.whichChildren(sup)).toEqual([{ pid, type: "worker", restart: "temporary" }]);
    expect(await DynamicSupervisor.countChildren(sup)).toEqual({ specs: 1, active: 1, supervisors: 0, workers: 1 });
  });

  it("supervises what it started: restarts a permanent child, forgets a temporary one, stops both with the supervisor", async () => {
    const { runtime } = newRuntime();
    const log: string[] = [];
    const sup = await DynamicSupervisor.start({ runtime });
    let n = 0;
    const permanent = DynamicSupervisor.startChildNow(sup, { start: (parent) => new Worker(runtime, parent, `p${++n}`, log).pid });
    const temporaries = Array.from({ length: 3 }, (_, i) =>
      DynamicSupervisor.startChildNow(sup, { start: (parent) => new Worker(runtime, parent, `t${i}`, log).pid, restart: "temporary", shutdown: 100 }),
    );
    runtime.exit(permanent!, new Error("boom"));
    runtime.exit(temporaries[0]!, new Error("boom"));
    await settle();
    const children = await DynamicSupervisor.whichChildren(sup);
    // The restarted child takes a new place at the end of the start order.
    expect(children.map((c) => c.restart)).toEqual(["temporary", "temporary", "permanent"]);
    expect(children.slice(0, 2).map((c) => c.pid)).toEqual(temporaries.slice(1));
    expect(log).toContain("start:p2");
    log.length = 0;
    await DynamicSupervisor.stop(sup);
    expect(log.sort()).toEqual(["stop:p2", "stop:t1", "stop:t2"]);
    expect(runtime.processCount).toBe(0);
  });

  it("lets terminateChild stop a child it started", async () => {
    const { runtime } = newRuntime();
    const log: string[] = [];
    const sup = await DynamicSupervisor.start({ runtime });
    const pid = DynamicSupervisor.startChildNow(sup, { start: (parent) => new Worker(runtime, parent, "w", log).pid, restart: "temporary" });
    await DynamicSupervisor.terminateChild(sup, pid!);
    expect(log).toEqual(["start:w", "stop:w"]);
    expect(await DynamicSupervisor.whichChildren(sup)).toEqual([]);
  });

  it("starts ahead of the requests already queued", async () => {
    const { runtime } = newRuntime();
    const log: string[] = [];
    const sup = await DynamicSupervisor.start({ runtime });
    const queued = DynamicSupervisor.startChild(sup, { start: (parent) => new Worker(runtime, parent, "queued", log).pid });
    DynamicSupervisor.startChildNow(sup, { start: (parent) => new Worker(runtime, parent, "now", log).pid });
    await queued;
    expect(log).toEqual(["start:now", "start:queued"]);
  });

  it("finds the supervisor by name", async () => {
    const { runtime } = newRuntime();
    const registry = new Registry({ runtime, keys: "unique" });
    const sup = await DynamicSupervisor.start({ runtime, name: { via: registry, key: "sessions" } });
    const pid = DynamicSupervisor.startChildNow({ via: registry, key: "sessions" }, { start: (parent) => new Probe(runtime, { link: parent }).pid });
    expect((await DynamicSupervisor.whichChildren(sup)).map((c) => c.pid)).toEqual([pid]);
  });

  it("returns null and keeps nothing when start returns null", async () => {
    const { runtime } = newRuntime();
    const sup = await DynamicSupervisor.start({ runtime });
    expect(DynamicSupervisor.startChildNow(sup, { start: () => null })).toBeNull();
    expect(await DynamicSupervisor.whichChildren(sup)).toEqual([]);
  });

  it("refuses past maxChildren, a throwing start and a start that returns no pid, and keeps running", async () => {
    const { runtime } = newRuntime();
    const log: string[] = [];
    const sup = await DynamicSupervisor.start({ runtime, maxChildren: 1 });
    expect(() => DynamicSupervisor.startChildNow(sup, { start: () => { throw new Error("no"); } })).toThrow(
      code(RuntimeErrorCode.START_CHILD_FAILED),
    );
    expect(() => DynamicSupervisor.startChildNow(sup, { start: () => "pid" as unknown as Pid })).toThrow(code(RuntimeErrorCode.START_CHILD_FAILED));
    DynamicSupervisor.startChildNow(sup, { start: (parent) => new Worker(runtime, parent, "w", log).pid });
    expect(() => DynamicSupervisor.startChildNow(sup, { start: (parent) => new Worker(runtime, parent, "x", log).pid })).toThrow(
      code(RuntimeErrorCode.MAX_CHILDREN),
    );
    expect(log).toEqual(["start:w"]);
    expect(runtime.isAlive(sup)).toBe(true);
  });

  it("refuses a start that returns a promise, and kills the child it resolves to", async () => {
    const { runtime } = newRuntime();
    const log: string[] = [];
    const sup = await DynamicSupervisor.start({ runtime });
    let started: Pid | undefined;
    expect(() =>
      DynamicSupervisor.startChildNow(sup, {
        start: async (parent) => {
          await Promise.resolve();
          started = new Worker(runtime, parent, "late", log).pid;
          return started;
        },
      }),
    ).toThrow(expect.objectContaining({ code: RuntimeErrorCode.START_CHILD_FAILED, cause: code(RuntimeErrorCode.BAD_CHILD_SPEC) }));
    await settle(3);
    expect(started).toBeDefined();
    expect(runtime.isAlive(started!)).toBe(false);
    expect(log).toEqual(["start:late", "stop:late"]);
    expect(await DynamicSupervisor.whichChildren(sup)).toEqual([]);
  });

  it("refuses while the supervisor stops, and after it ended", async () => {
    const { runtime } = newRuntime();
    const log: string[] = [];
    const sup = await DynamicSupervisor.start({ runtime });
    const stubborn = DynamicSupervisor.startChildNow(sup, { start: (parent) => new Worker(runtime, parent, "s", log, { stubborn: true }).pid, shutdown: 50 });
    const exit = watchExit(runtime, sup);
    const stopping = DynamicSupervisor.stop(sup);
    await settle();
    // The stubborn child holds the shutdown open: the supervisor is alive but stopping.
    expect(runtime.isAlive(sup)).toBe(true);
    expect(() => DynamicSupervisor.startChildNow(sup, { start: (parent) => new Worker(runtime, parent, "late", log).pid })).toThrow(
      code(RuntimeErrorCode.NOPROC),
    );
    workerAt(runtime, stubborn).halt("normal");
    await stopping;
    expect(exit.ended).toBe(true);
    expect(() => DynamicSupervisor.startChildNow(sup, { start: (parent) => new Worker(runtime, parent, "later", log).pid })).toThrow(
      code(RuntimeErrorCode.NOPROC),
    );
    expect(log).not.toContain("start:late");
    expect(log).not.toContain("start:later");
  });

  it("tells a bad destination, a process that is not a dynamic supervisor and a bad spec apart", async () => {
    const { runtime } = newRuntime();
    const registry = new Registry({ runtime, keys: "unique" });
    const probe = new Probe(runtime);
    const sup = await DynamicSupervisor.start({ runtime });
    const start = (parent: Pid) => new Probe(runtime, { link: parent }).pid;
    expect(() => DynamicSupervisor.startChildNow("sessions" as never, { start })).toThrow(code(RuntimeErrorCode.BAD_ARGUMENT));
    expect(() => DynamicSupervisor.startChildNow({ via: registry, key: "nobody" }, { start })).toThrow(code(RuntimeErrorCode.NOPROC));
    expect(() => DynamicSupervisor.startChildNow(probe.pid, { start })).toThrow(code(RuntimeErrorCode.BAD_ARGUMENT));
    expect(() => DynamicSupervisor.startChildNow(sup, { start: "Worker" } as never)).toThrow(code(RuntimeErrorCode.BAD_CHILD_SPEC));
  });
});

describe("startTemporaryChildNow (one shared spec for many temporary children)", () => {
  it("shares one frozen spec per type and shutdown", () => {
    const spec = temporaryChildSpec("worker", 100);
    expect(temporaryChildSpec("worker", 100)).toBe(spec);
    expect(temporaryChildSpec("worker", 200)).not.toBe(spec);
    expect(temporaryChildSpec("supervisor", 100)).not.toBe(spec);
    expect(Object.isFrozen(spec)).toBe(true);
    expect(spec).toMatchObject({ restart: "temporary", shutdown: 100, type: "worker" });
  });

  it("supervises each child like startChildNow: counted, forgotten when it ends, stopped with the supervisor within its shutdown", async () => {
    const { runtime, clock } = newRuntime();
    const log: string[] = [];
    const sup = await DynamicSupervisor.start({ runtime });
    const spec = temporaryChildSpec("worker", 50);
    const pids = ["a", "b", "c"].map((name) => startTemporaryChildNow(sup, spec, (parent) => new Worker(runtime, parent, name, log).pid));
    expect(log).toEqual(["start:a", "start:b", "start:c"]);
    for (const pid of pids) expect(runtime.links(pid!)).toContain(sup);
    expect(await DynamicSupervisor.whichChildren(sup)).toEqual(pids.map((pid) => ({ pid, type: "worker", restart: "temporary" })));
    // A temporary child is never restarted: a crash only removes it.
    runtime.exit(pids[1]!, new Error("boom"));
    await settle();
    expect((await DynamicSupervisor.whichChildren(sup)).map((c) => c.pid)).toEqual([pids[0], pids[2]]);
    expect(log).not.toContain("start:b2");
    // A stubborn child is killed once the shared spec's 50 ms shutdown runs out.
    const stubborn = startTemporaryChildNow(sup, spec, (parent) => new Worker(runtime, parent, "s", log, { stubborn: true }).pid);
    const stopping = DynamicSupervisor.stop(sup);
    await settle();
    expect(runtime.isAlive(stubborn!)).toBe(true);
    clock.advance(50);
    await stopping;
    expect(runtime.isAlive(stubborn!)).toBe(false);
    expect(log).toEqual(expect.arrayContaining(["stop:a", "stop:c"]));
    expect(runtime.processCount).toBe(0);
  });

  it("refuses past maxChildren, a throwing start, a stopped supervisor and a pid that is not a dynamic supervisor", async () => {
    const { runtime } = newRuntime();
    const log: string[] = [];
    const sup = await DynamicSupervisor.start({ runtime, maxChildren: 1 });
    const spec = temporaryChildSpec("worker", 100);
    expect(() => startTemporaryChildNow(sup, spec, () => { throw new Error("no"); })).toThrow(code(RuntimeErrorCode.START_CHILD_FAILED));
    startTemporaryChildNow(sup, spec, (parent) => new Worker(runtime, parent, "w", log).pid);
    expect(() => startTemporaryChildNow(sup, spec, (parent) => new Worker(runtime, parent, "x", log).pid)).toThrow(code(RuntimeErrorCode.MAX_CHILDREN));
    const probe = new Probe(runtime);
    expect(() => startTemporaryChildNow(probe.pid, spec, (parent) => new Worker(runtime, parent, "y", log).pid)).toThrow(code(RuntimeErrorCode.BAD_ARGUMENT));
    await DynamicSupervisor.stop(sup);
    expect(() => startTemporaryChildNow(sup, spec, (parent) => new Worker(runtime, parent, "z", log).pid)).toThrow(code(RuntimeErrorCode.NOPROC));
    expect(log.filter((line) => line.startsWith("start:"))).toEqual(["start:w"]);
  });
});
