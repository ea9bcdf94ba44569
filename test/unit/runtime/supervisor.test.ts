import { describe, expect, it } from "vitest";
import { call } from "../../../src/runtime/gen-server/call.js";
import type { ChildSpec } from "../../../src/runtime/supervisor/child-spec.js";
import { DynamicSupervisor } from "../../../src/runtime/supervisor/dynamic-supervisor.js";
import { RuntimeErrorCode } from "../../../src/runtime/errors.js";
import { shutdown } from "../../../src/runtime/process/exit-reason.js";
import type { Pid } from "../../../src/runtime/process/pid.js";
import { Registry } from "../../../src/runtime/registry/registry.js";
import { Supervisor } from "../../../src/runtime/supervisor/supervisor.js";
import type { SupervisorStrategy } from "../../../src/runtime/supervisor/supervisor.js";
import { Deferred, Probe, settle } from "./probe.js";
import { Worker, childPid, newRuntime, pidsOf, track, watchExit, workerAt, workerSpec } from "./supervisor-fixtures.js";

const code = (c: string) => expect.objectContaining({ code: c });

/** A supervisor over workers a, b, c (each logging to `log`). */
async function abc(strategy: SupervisorStrategy, extra: Partial<Record<"a" | "b" | "c", Parameters<typeof workerSpec>[3]>> = {}) {
  const env = newRuntime();
  const log: string[] = [];
  const children = (["a", "b", "c"] as const).map((id) => workerSpec(env.runtime, log, id, extra[id]));
  const sup = await Supervisor.start({ runtime: env.runtime, strategy, children });
  return { ...env, log, sup };
}

describe("Supervisor.start", () => {
  it("starts the children in order, each linked to the supervisor, and lists them in that order", async () => {
    const { runtime, log, sup } = await abc("oneForOne", { c: { restart: "transient", type: "worker" } });
    expect(log).toEqual(["start:a", "start:b", "start:c"]);
    const children = await Supervisor.whichChildren(sup);
    expect(children.map(({ id, type, restart }) => ({ id, type, restart }))).toEqual([
      { id: "a", type: "worker", restart: "permanent" },
      { id: "b", type: "worker", restart: "permanent" },
      { id: "c", type: "worker", restart: "transient" },
    ]);
    for (const child of children) {
      expect(runtime.isAlive(child.pid!)).toBe(true);
      expect(runtime.links(child.pid!)).toContain(sup);
    }
    expect(await Supervisor.countChildren(sup)).toEqual({ specs: 3, active: 3, supervisors: 0, workers: 3 });
  });

  it("rolls back when a child fails to start: the started ones stop in reverse order and start rejects", async () => {
    const { runtime, crashes } = newRuntime();
    const log: string[] = [];
    const parent = new Probe(runtime);
    const boom = new Error("db down");
    const failing: ChildSpec = {
      id: "db",
      start: () => {
        log.push("start:db");
        throw boom;
      },
    };
    const started = Supervisor.start({
      runtime,
      link: parent.pid,
      children: [workerSpec(runtime, log, "a"), workerSpec(runtime, log, "b"), failing, workerSpec(runtime, log, "c")],
    });
    const error = await started.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toEqual(code(RuntimeErrorCode.START_CHILD_FAILED));
    expect((error as Error).cause).toBe(boom);
    expect((error as Error).message).toContain('"db"');
    expect(log).toEqual(["start:a", "start:b", "start:db", "stop:b", "stop:a"]);
    expect(runtime.processCount).toBe(1); // only the parent is left
    expect(parent.alive).toBe(true); // told by the rejection, not by a signal
    expect(crashes).toEqual([]);
  });

  it("fails the start of a child whose start returns something other than a pid, with a hint", async () => {
    const { runtime } = newRuntime();
    const log: string[] = [];
    const spec: ChildSpec = {
      id: "w",
      // Forgot `.pid`: a classic.
      start: (parent) => new Worker(runtime, parent, "w", log) as unknown as Pid,
    };
    const error = await Supervisor.start({ runtime, children: [spec] }).catch((e: unknown) => e);
    expect(error).toEqual(code(RuntimeErrorCode.START_CHILD_FAILED));
    expect((error as Error).cause).toEqual(code(RuntimeErrorCode.BAD_CHILD_SPEC));
    expect(((error as Error).cause as Error).message).toContain(".pid");
    expect(runtime.processCount).toBe(0); // the stray worker was linked, so it went down with the supervisor
  });

  it("keeps a child whose start returns null as stopped, and drops a temporary one", async () => {
    const { runtime } = newRuntime();
    const sup = await Supervisor.start({
      runtime,
      children: [
        { id: "ignored", start: () => null },
        { id: "gone", start: () => Promise.resolve(null), restart: "temporary" },
      ],
    });
    expect(await Supervisor.whichChildren(sup)).toEqual([{ id: "ignored", pid: null, type: "worker", restart: "permanent" }]);
  });

  it("rejects start with CALLEE_EXITED when the supervisor is killed before its children have started", async () => {
    const { runtime } = newRuntime();
    const parent = new Probe(runtime);
    const never = new Deferred<Pid>();
    const started = Supervisor.start({ runtime, link: parent.pid, children: [{ id: "slow", start: () => never.promise }] });
    await settle();
    const [sup] = runtime.links(parent.pid);
    runtime.exit(sup!, "kill");
    await expect(started).rejects.toEqual(code(RuntimeErrorCode.CALLEE_EXITED));
  });

  it("supervises a child whose start forgot to link it", async () => {
    const { runtime } = newRuntime();
    const unlinked = new Probe(runtime);
    const sup = await Supervisor.start({ runtime, children: [{ id: "u", start: () => unlinked.pid, restart: "temporary" }] });
    expect(runtime.links(unlinked.pid)).toEqual([sup]);
    unlinked.halt(new Error("boom"));
    await settle();
    expect(await Supervisor.whichChildren(sup)).toEqual([]);
  });

  it.each<[string, unknown, string]>([
    ["a snake_case strategy", { strategy: "one_for_one" }, RuntimeErrorCode.BAD_ARGUMENT],
    ["an unknown option", { max_restarts: 3 }, RuntimeErrorCode.BAD_ARGUMENT],
    ["a negative maxRestarts", { maxRestarts: -1 }, RuntimeErrorCode.BAD_ARGUMENT],
    ["a zero maxSeconds", { maxSeconds: 0 }, RuntimeErrorCode.BAD_ARGUMENT],
    ["children that are not an array", { children: {} }, RuntimeErrorCode.BAD_ARGUMENT],
    ["a spec without start", { children: [{ id: "a" }] }, RuntimeErrorCode.BAD_CHILD_SPEC],
    ["a spec with an empty id", { children: [{ id: "", start: () => null }] }, RuntimeErrorCode.BAD_CHILD_SPEC],
    ["a misspelt spec key", { children: [{ id: "a", start: () => null, restarts: "temporary" }] }, RuntimeErrorCode.BAD_CHILD_SPEC],
    ["an unknown restart type", { children: [{ id: "a", start: () => null, restart: "always" }] }, RuntimeErrorCode.BAD_CHILD_SPEC],
    ["a zero shutdown", { children: [{ id: "a", start: () => null, shutdown: 0 }] }, RuntimeErrorCode.BAD_CHILD_SPEC],
    ["an unknown child type", { children: [{ id: "a", start: () => null, type: "daemon" }] }, RuntimeErrorCode.BAD_CHILD_SPEC],
    [
      "two children with one id",
      { children: [{ id: "a", start: () => null }, { id: "a", start: () => null }] },
      RuntimeErrorCode.DUPLICATE_CHILD,
    ],
  ])("rejects %s before starting anything", async (_name, options, expected) => {
    const { runtime } = newRuntime();
    const error = await Supervisor.start({ runtime, ...(options as object) }).catch((e: unknown) => e);
    expect(error).toEqual(code(expected));
    expect(runtime.processCount).toBe(0);
  });

  it("names the fix in its errors", async () => {
    const { runtime } = newRuntime();
    const snake = await Supervisor.start({ runtime, strategy: "one_for_all" as SupervisorStrategy }).catch((e: Error) => e);
    expect((snake as Error).message).toContain('"oneForAll"');
    const zero = await Supervisor.start({ runtime, children: [{ id: "a", start: () => null, shutdown: 0 }] }).catch((e: Error) => e);
    expect((zero as Error).message).toContain("brutal_kill");
  });
});

describe("Supervisor strategies", () => {
  it("oneForOne restarts only the child that crashed", async () => {
    const { runtime, log, sup } = await abc("oneForOne");
    const before = await pidsOf(sup);
    log.length = 0;
    runtime.exit(before["b"]!, new Error("boom"));
    await settle();
    const after = await pidsOf(sup);
    expect(log).toEqual(["stop:b", "start:b"]);
    expect(after["a"]).toBe(before["a"]);
    expect(after["b"]).not.toBe(before["b"]);
    expect(after["c"]).toBe(before["c"]);
  });

  it("oneForAll stops the others in reverse start order, then starts all in start order", async () => {
    const { runtime, log, sup } = await abc("oneForAll");
    const before = await pidsOf(sup);
    log.length = 0;
    runtime.send(before["b"]!, "crash");
    await settle();
    const after = await pidsOf(sup);
    expect(log).toEqual(["stop:b", "stop:c", "stop:a", "start:a", "start:b", "start:c"]);
    for (const id of ["a", "b", "c"]) {
      expect(after[id]).not.toBe(before[id]);
      expect(runtime.isAlive(after[id]!)).toBe(true);
    }
  });

  it("restForOne restarts the crashed child and those started after it", async () => {
    const { runtime, log, sup } = await abc("restForOne");
    const before = await pidsOf(sup);
    log.length = 0;
    runtime.exit(before["b"]!, "oops");
    await settle();
    const after = await pidsOf(sup);
    expect(log).toEqual(["stop:b", "stop:c", "start:b", "start:c"]);
    expect(after["a"]).toBe(before["a"]);
    expect(after["b"]).not.toBe(before["b"]);
    expect(after["c"]).not.toBe(before["c"]);
  });

  it("leaves children stopped on purpose out of a group restart", async () => {
    const { runtime, log, sup } = await abc("oneForAll");
    await Supervisor.terminateChild(sup, "c");
    log.length = 0;
    runtime.exit(await childPid(sup, "a"), "oops");
    await settle();
    expect(log).toEqual(["stop:a", "stop:b", "start:a", "start:b"]);
    expect((await pidsOf(sup))["c"]).toBeNull();
  });

  it("drops a temporary child stopped by a group restart instead of restarting it", async () => {
    const { runtime, log, sup } = await abc("oneForAll", { c: { restart: "temporary" } });
    log.length = 0;
    runtime.exit(await childPid(sup, "a"), "oops");
    await settle();
    expect(log).toEqual(["stop:a", "stop:c", "stop:b", "start:a", "start:b"]);
    expect(Object.keys(await pidsOf(sup))).toEqual(["a", "b"]);
  });
});

describe("Supervisor restart types", () => {
  it("removes a temporary child when it exits, whatever the reason", async () => {
    const { runtime, sup } = await abc("oneForOne", { a: { restart: "temporary" }, b: { restart: "temporary" } });
    runtime.exit(await childPid(sup, "a"), new Error("boom"));
    workerAt(runtime, await childPid(sup, "b")).halt();
    await settle();
    expect(Object.keys(await pidsOf(sup))).toEqual(["c"]);
  });

  it.each([["normal"], ["shutdown"], [shutdown("done")]])("keeps a transient child stopped after the clean exit %j", async (reason) => {
    const { runtime, log, sup } = await abc("oneForOne", { a: { restart: "transient" } });
    log.length = 0;
    workerAt(runtime, await childPid(sup, "a")).halt(reason);
    await settle();
    expect(log).toEqual(["stop:a"]);
    expect((await pidsOf(sup))["a"]).toBeNull();
  });

  it("restarts a transient child after an abnormal exit", async () => {
    const { runtime, log, sup } = await abc("oneForOne", { a: { restart: "transient" } });
    log.length = 0;
    runtime.exit(await childPid(sup, "a"), "killed");
    await settle();
    expect(log).toEqual(["stop:a", "start:a"]);
  });

  it("restarts a permanent child even after a normal exit", async () => {
    const { runtime, log, sup } = await abc("oneForOne");
    log.length = 0;
    workerAt(runtime, await childPid(sup, "c")).halt("normal");
    await settle();
    expect(log).toEqual(["stop:c", "start:c"]);
  });
});

describe("Supervisor restart intensity", () => {
  async function limited(maxRestarts: number, maxSeconds: number) {
    const env = newRuntime();
    const log: string[] = [];
    const children = ["a", "b"].map((id) => workerSpec(env.runtime, log, id));
    const sup = await Supervisor.start({ runtime: env.runtime, children, maxRestarts, maxSeconds });
    return { ...env, log, sup, exit: watchExit(env.runtime, sup) };
  }

  it("allows maxRestarts restarts within maxSeconds; one more stops every child and exits with shutdown", async () => {
    const { runtime, clock, sup, exit, log, crashes } = await limited(2, 5);
    for (let i = 0; i < 2; i++) {
      runtime.exit(await childPid(sup, "a"), new Error(`crash ${i}`));
      await settle();
      clock.advance(1_000);
    }
    expect(exit.ended).toBe(false);
    log.length = 0;
    runtime.exit(await childPid(sup, "b"), new Error("one too many"));
    await settle();
    expect(exit).toEqual({ ended: true, reason: "shutdown" });
    expect(log).toEqual(["stop:b", "stop:a"]);
    expect(runtime.processCount).toBe(0);
    expect(crashes).toEqual([]); // the supervisor's own exit is clean; the children were killed by signals
  });

  it("forgets restarts older than the window", async () => {
    const { runtime, clock, sup, exit } = await limited(2, 5);
    for (let i = 0; i < 12; i++) {
      runtime.exit(await childPid(sup, i % 2 === 0 ? "a" : "b"), "crash");
      await settle();
      clock.advance(2_500); // two restarts per 5 s window at most
    }
    expect(exit.ended).toBe(false);
    expect(Object.values(await pidsOf(sup)).every((pid) => pid !== null && runtime.isAlive(pid))).toBe(true);
  });

  it("counts a restart made exactly maxSeconds ago as outside the window", async () => {
    const { runtime, clock, sup, exit } = await limited(1, 5);
    runtime.exit(await childPid(sup, "a"), "crash");
    await settle();
    clock.advance(5_000);
    runtime.exit(await childPid(sup, "a"), "crash");
    await settle();
    expect(exit.ended).toBe(false);
    clock.advance(4_999);
    runtime.exit(await childPid(sup, "a"), "crash");
    await settle();
    expect(exit.ended).toBe(true);
  });

  it("with maxRestarts 0 gives up at the first crash", async () => {
    const { runtime, sup, exit } = await limited(0, 5);
    runtime.exit(await childPid(sup, "b"), "crash");
    await settle();
    expect(exit).toEqual({ ended: true, reason: "shutdown" });
  });

  it("counts a child that cannot restart as repeated restarts, and gives up instead of looping", async () => {
    const { runtime } = newRuntime();
    const log: string[] = [];
    let starts = 0;
    const flaky: ChildSpec = {
      id: "flaky",
      start: (parent) => {
        starts++;
        if (starts > 1) throw new Error("cannot start again");
        return new Worker(runtime, parent, "flaky", log).pid;
      },
    };
    const sup = await Supervisor.start({ runtime, children: [workerSpec(runtime, log, "a"), flaky], maxRestarts: 3 });
    const exit = watchExit(runtime, sup);
    runtime.exit(await childPid(sup, "flaky"), "crash");
    await settle(3);
    expect(starts).toBe(4); // the first start, then 3 failed restarts; a 4th restart would exceed maxRestarts 3
    expect(exit).toEqual({ ended: true, reason: "shutdown" });
    expect(runtime.processCount).toBe(0);
  });

  it("restarts a child on the retry when it can start again, answering requests queued in between", async () => {
    const { runtime } = newRuntime();
    const log: string[] = [];
    let fail = false;
    const spec: ChildSpec = {
      id: "w",
      start: (parent) => {
        if (fail) {
          fail = false;
          throw new Error("not yet");
        }
        return new Worker(runtime, parent, "w", log).pid;
      },
    };
    const sup = await Supervisor.start({ runtime, children: [spec] });
    fail = true;
    runtime.exit(await childPid(sup, "w"), "crash");
    await settle();
    const pid = await childPid(sup, "w");
    expect(runtime.isAlive(pid)).toBe(true);
    expect(log).toEqual(["start:w", "stop:w", "start:w"]);
  });
});

describe("Supervisor shutdown", () => {
  it("stops the children in reverse start order, then exits with the reason, without restarting anything", async () => {
    const { runtime, log, sup, crashes } = await abc("oneForAll");
    const exit = watchExit(runtime, sup);
    log.length = 0;
    await Supervisor.stop(sup);
    expect(log).toEqual(["stop:c", "stop:b", "stop:a"]);
    expect(exit).toEqual({ ended: true, reason: "shutdown" });
    await settle();
    expect(runtime.processCount).toBe(0);
    expect(crashes).toEqual([]);
  });

  it("sends shutdown from the supervisor, so children see it as their parent's signal", async () => {
    const { runtime, sup } = await abc("oneForOne", { b: { stubborn: true, shutdown: 100 } });
    const b = workerAt(runtime, await childPid(sup, "b"));
    const stopping = track(Supervisor.stop(sup));
    await settle();
    expect(b.log).toContain("ignored:b");
    expect(stopping.settled).toBe(false);
  });

  it("kills a child that does not stop within its shutdown time on the runtime clock", async () => {
    const { runtime, clock, log, sup } = await abc("oneForOne", { b: { stubborn: true, shutdown: 1_000 } });
    const b = workerAt(runtime, await childPid(sup, "b"));
    log.length = 0;
    const stopping = track(Supervisor.stop(sup));
    await settle();
    expect(log).toEqual(["stop:c", "ignored:b"]);
    clock.advance(999);
    await settle();
    expect(b.alive).toBe(true);
    clock.advance(1);
    await settle();
    expect(b.exits).toEqual(["killed"]);
    expect(log).toEqual(["stop:c", "ignored:b", "stop:b", "stop:a"]);
    expect(stopping.settled).toBe(true);
    expect(clock.pendingTimers()).toBe(0);
  });

  it("clears the kill timer of a child that stops in time", async () => {
    const { clock, sup } = await abc("oneForOne", { a: { shutdown: 1_000 } });
    await Supervisor.stop(sup);
    expect(clock.pendingTimers()).toBe(0);
  });

  it("kills a brutal_kill child at once", async () => {
    const { runtime, sup } = await abc("oneForOne", { a: { stubborn: true, shutdown: "brutal_kill" } });
    const a = workerAt(runtime, await childPid(sup, "a"));
    await Supervisor.stop(sup);
    expect(a.exits).toEqual(["killed"]);
    expect(a.log).not.toContain("ignored:a");
  });

  it("waits as long as it takes for an infinity child", async () => {
    const { runtime, clock, sup } = await abc("oneForOne", { a: { stubborn: true, shutdown: "infinity" } });
    const a = workerAt(runtime, await childPid(sup, "a"));
    const stopping = track(Supervisor.stop(sup));
    await settle();
    clock.advance(24 * 3600 * 1000);
    await settle();
    expect(stopping.settled).toBe(false);
    a.halt("shutdown");
    await settle();
    expect(stopping.settled).toBe(true);
  });

  it("shuts down in order when its parent exits, and exits with the parent's reason, reported once", async () => {
    const { runtime, crashes } = newRuntime();
    const log: string[] = [];
    const parent = new Probe(runtime);
    const sup = await Supervisor.startLink(parent.pid, {
      runtime,
      children: ["a", "b", "c"].map((id) => workerSpec(runtime, log, id)),
    });
    const exit = watchExit(runtime, sup);
    log.length = 0;
    const crash = new Error("parent crashed");
    parent.halt(crash);
    expect(crashes).toEqual([crash]);
    await settle();
    expect(log).toEqual(["stop:c", "stop:b", "stop:a"]);
    expect(exit).toEqual({ ended: true, reason: crash });
    expect(crashes).toEqual([crash]);
    expect(runtime.processCount).toBe(0);
  });

  it("shuts down in order on runtime.exit(sup, reason) sent from outside any process", async () => {
    const { runtime, log, sup } = await abc("oneForOne");
    const exit = watchExit(runtime, sup);
    log.length = 0;
    runtime.exit(sup, shutdown("maintenance"));
    await settle();
    expect(log).toEqual(["stop:c", "stop:b", "stop:a"]);
    expect(exit.reason).toEqual({ shutdown: "maintenance" });
  });

  it("ignores the exit of a process that is neither its parent nor a child", async () => {
    const { runtime, sup } = await abc("oneForOne");
    const stranger = new Probe(runtime);
    runtime.link(stranger.pid, sup);
    stranger.halt(new Error("not yours"));
    await settle();
    expect(runtime.isAlive(sup)).toBe(true);
    expect((await Supervisor.countChildren(sup)).active).toBe(3);
  });

  it("takes its children down with it when killed", async () => {
    const { runtime, sup } = await abc("oneForOne");
    runtime.exit(sup, "kill");
    expect(runtime.processCount).toBe(0);
  });
});

describe("Supervisor requests", () => {
  it("startChild adds a child at the end, refuses a taken id and adds nothing when the start fails", async () => {
    const { runtime, log, sup } = await abc("oneForOne");
    const d = await Supervisor.startChild(sup, workerSpec(runtime, log, "d"));
    expect(runtime.isAlive(d!)).toBe(true);
    expect(Object.keys(await pidsOf(sup))).toEqual(["a", "b", "c", "d"]);
    await expect(Supervisor.startChild(sup, workerSpec(runtime, log, "a"))).rejects.toEqual(code(RuntimeErrorCode.DUPLICATE_CHILD));
    const cause = new Error("no");
    const failed = await Supervisor.startChild(sup, {
      id: "e",
      start: () => Promise.reject(cause),
    }).catch((e: unknown) => e);
    expect(failed).toEqual(code(RuntimeErrorCode.START_CHILD_FAILED));
    expect((failed as Error).cause).toBe(cause);
    expect(Object.keys(await pidsOf(sup))).toEqual(["a", "b", "c", "d"]);
  });

  it("rejects a bad spec before sending anything", async () => {
    const { sup } = await abc("oneForOne");
    await expect(Supervisor.startChild(sup, { id: "x" } as ChildSpec)).rejects.toEqual(code(RuntimeErrorCode.BAD_CHILD_SPEC));
  });

  it("terminateChild stops a child for good, restartChild starts it again, deleteChild forgets it", async () => {
    const { runtime, log, sup } = await abc("oneForOne");
    const oldB = await childPid(sup, "b");
    log.length = 0;
    await Supervisor.terminateChild(sup, "b");
    expect(log).toEqual(["stop:b"]);
    expect(runtime.isAlive(oldB)).toBe(false);
    await settle();
    expect((await pidsOf(sup))["b"]).toBeNull();
    expect(await Supervisor.countChildren(sup)).toEqual({ specs: 3, active: 2, supervisors: 0, workers: 3 });

    const newB = await Supervisor.restartChild(sup, "b");
    expect(runtime.isAlive(newB!)).toBe(true);
    expect(Object.keys(await pidsOf(sup))).toEqual(["a", "b", "c"]); // kept its place
    await expect(Supervisor.restartChild(sup, "b")).rejects.toEqual(code(RuntimeErrorCode.CHILD_RUNNING));
    await expect(Supervisor.deleteChild(sup, "b")).rejects.toEqual(code(RuntimeErrorCode.CHILD_RUNNING));

    await Supervisor.terminateChild(sup, "b");
    await Supervisor.deleteChild(sup, "b");
    expect(Object.keys(await pidsOf(sup))).toEqual(["a", "c"]);
    for (const request of [Supervisor.terminateChild, Supervisor.restartChild, Supervisor.deleteChild]) {
      await expect(request(sup, "b")).rejects.toEqual(code(RuntimeErrorCode.CHILD_NOT_FOUND));
    }
  });

  it("removes a temporary child when it is terminated", async () => {
    const { sup } = await abc("oneForOne", { a: { restart: "temporary" } });
    await Supervisor.terminateChild(sup, "a");
    expect(Object.keys(await pidsOf(sup))).toEqual(["b", "c"]);
  });

  it("answers requests sent during a restart after the restart", async () => {
    const { runtime } = newRuntime();
    const log: string[] = [];
    const gate = new Deferred();
    let gated = false;
    const slow: ChildSpec = {
      id: "slow",
      start: async (parent) => {
        if (gated) await gate.promise;
        return new Worker(runtime, parent, "slow", log).pid;
      },
    };
    const sup = await Supervisor.start({ runtime, strategy: "oneForAll", children: [workerSpec(runtime, log, "a"), slow] });
    gated = true;
    runtime.exit(await childPid(sup, "a"), "crash");
    await settle();
    const listing = track(Supervisor.whichChildren(sup));
    const counting = track(Supervisor.countChildren(sup));
    await settle();
    expect(listing.settled).toBe(false);
    expect(log).toEqual(["start:a", "start:slow", "stop:a", "stop:slow", "start:a"]);
    gate.resolve();
    await settle();
    expect(listing.settled && counting.settled).toBe(true);
    expect(listing.value!.every((c) => c.pid !== null && runtime.isAlive(c.pid))).toBe(true);
    expect(counting.value!.active).toBe(2);
  });

  it("finds a supervisor by name", async () => {
    const { runtime } = newRuntime();
    const names = new Registry({ runtime, keys: "unique" });
    const log: string[] = [];
    const sup = await Supervisor.start({ runtime, name: { via: names, key: "root" }, children: [workerSpec(runtime, log, "a")] });
    expect(names.whereis("root")).toBe(sup);
    expect((await Supervisor.whichChildren({ via: names, key: "root" })).map((c) => c.id)).toEqual(["a"]);
    const taken = await Supervisor.start({ runtime, name: { via: names, key: "root" }, children: [workerSpec(runtime, log, "b")] }).catch(
      (e: unknown) => e,
    );
    expect(taken).toEqual(code(RuntimeErrorCode.ALREADY_REGISTERED));
    expect(log).toEqual(["start:a"]); // no child of the second supervisor started
    await Supervisor.stop(sup);
    expect(names.whereis("root")).toBeUndefined();
  });

  it("rejects requests to a dead supervisor, to a DynamicSupervisor and to a process that is no supervisor", async () => {
    const { runtime, sup } = await abc("oneForOne");
    const dynamic = await DynamicSupervisor.start({ runtime });
    await expect(Supervisor.whichChildren(dynamic)).rejects.toEqual(code(RuntimeErrorCode.BAD_ARGUMENT));
    await expect(Supervisor.whichChildren(new Probe(runtime).pid)).rejects.toEqual(code(RuntimeErrorCode.BAD_ARGUMENT));
    await Supervisor.stop(sup);
    await expect(Supervisor.whichChildren(sup)).rejects.toEqual(code(RuntimeErrorCode.NOPROC));
    await expect(Supervisor.stop(sup)).rejects.toEqual(code(RuntimeErrorCode.NOPROC));
  });

  it("rejects a pending request when the supervisor is killed", async () => {
    const { runtime, sup } = await abc("oneForOne", { a: { stubborn: true, shutdown: "infinity" } });
    const stopping = Supervisor.stop(sup);
    await settle();
    runtime.exit(sup, "kill");
    await expect(stopping).rejects.toEqual(code(RuntimeErrorCode.CALLEE_EXITED));
  });

  it("survives a stray call it does not understand", async () => {
    const { runtime, sup } = await abc("oneForOne");
    await call(runtime, sup, "hello?");
    expect(runtime.isAlive(sup)).toBe(true);
  });
});

describe("Supervisor trees", () => {
  it("restarts a nested supervisor's children inside it, and the nested supervisor when it gives up", async () => {
    const { runtime, crashes } = newRuntime();
    const log: string[] = [];
    const inner = Supervisor.childSpec("inner", {
      runtime,
      strategy: "oneForAll",
      maxRestarts: 1,
      children: [workerSpec(runtime, log, "x"), workerSpec(runtime, log, "y")],
    });
    const root = await Supervisor.start({ runtime, children: [workerSpec(runtime, log, "a"), inner, workerSpec(runtime, log, "b")] });
    expect(log).toEqual(["start:a", "start:x", "start:y", "start:b"]);
    expect((await Supervisor.whichChildren(root))[1]).toEqual(expect.objectContaining({ id: "inner", type: "supervisor" }));
    const innerPid = await childPid(root, "inner");
    const rootPids = await pidsOf(root);

    log.length = 0;
    runtime.exit(await childPid(innerPid, "x"), "crash");
    await settle();
    expect(log).toEqual(["stop:x", "stop:y", "start:x", "start:y"]);
    expect(await pidsOf(root)).toEqual(rootPids);

    log.length = 0;
    runtime.exit(await childPid(innerPid, "y"), "crash again");
    await settle();
    expect(log).toEqual(["stop:y", "stop:x", "start:x", "start:y"]);
    expect(runtime.isAlive(innerPid)).toBe(false);
    const after = await pidsOf(root);
    expect(after["inner"]).not.toBe(innerPid);
    expect(after["a"]).toBe(rootPids["a"]);
    expect(after["b"]).toBe(rootPids["b"]);
    expect(crashes).toEqual([]);

    log.length = 0;
    await Supervisor.stop(root);
    expect(log).toEqual(["stop:b", "stop:y", "stop:x", "stop:a"]);
    expect(runtime.processCount).toBe(0);
  });

  it("rejects Supervisor.childSpec options at once", () => {
    const { runtime } = newRuntime();
    expect(() => Supervisor.childSpec("inner", { runtime, strategy: "all" as SupervisorStrategy })).toThrow(
      expect.objectContaining({ code: RuntimeErrorCode.BAD_ARGUMENT }),
    );
    expect(() => Supervisor.childSpec("inner", { runtime, link: new Probe(runtime).pid } as never)).toThrow(
      expect.objectContaining({ code: RuntimeErrorCode.BAD_ARGUMENT }),
    );
    expect(Supervisor.childSpec("inner", { runtime }, { restart: "transient" })).toEqual(
      expect.objectContaining({ id: "inner", type: "supervisor", restart: "transient" }),
    );
  });
});
