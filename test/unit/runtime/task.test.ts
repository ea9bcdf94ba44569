import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CalleeExitedError } from "../../../src/runtime/gen-server/call.js";
import { RuntimeErrorCode } from "../../../src/runtime/errors.js";
import { Task } from "../../../src/runtime/process/task.js";
import { rejectionOf, testRuntime, track } from "./gen-server-fixtures.js";
import { Deferred, Probe, settle } from "./probe.js";

describe("Task.async", () => {
  it("resolves await with what a sync or async fn returned, and the task process ends normally", async () => {
    const { runtime } = testRuntime();
    const sync = Task.async(() => 6 * 7, { runtime });
    const later = Task.async(async () => {
      await Promise.resolve();
      return "done";
    }, { runtime });
    expect(runtime.isAlive(sync.pid)).toBe(true);
    expect(await sync.await()).toBe(42);
    expect(await later.await()).toBe("done");
    expect(sync.done && later.done).toBe(true);
    expect(runtime.processCount).toBe(0);
    expect(await sync.await()).toBe(42);
  });

  it("when linked, an error in fn ends the task with it, takes the owner down and rejects await with it as-is", async () => {
    const { runtime, crashes } = testRuntime();
    const owner = new Probe(runtime);
    const failure = new Error("task failed");
    const task = Task.async(async () => {
      await Promise.resolve();
      throw failure;
    }, { runtime, link: owner.pid });
    expect(await rejectionOf(task.await())).toBe(failure);
    expect(owner.alive).toBe(false);
    expect(owner.exits).toEqual([failure]);
    expect(crashes).toEqual([[task.pid, failure]]);
  });

  it("when linked to an owner that traps exits, the owner gets an EXIT instead", async () => {
    const { runtime } = testRuntime();
    const owner = new Probe(runtime, { trapExits: true });
    const task = Task.async(() => {
      throw new Error("nope");
    }, { runtime, link: owner.pid });
    await rejectionOf(task.await());
    await settle();
    expect(owner.alive).toBe(true);
    expect(owner.received).toEqual([{ type: "EXIT", from: task.pid, reason: new Error("nope") }]);
  });

  it("when monitored, the owner gets a DOWN and does not crash; await rejects with the error", async () => {
    const { runtime } = testRuntime();
    const owner = new Probe(runtime);
    const task = Task.async(() => {
      throw new Error("nope");
    }, { runtime, monitor: owner.pid });
    expect(await rejectionOf(task.await())).toEqual(new Error("nope"));
    await settle();
    expect(owner.alive).toBe(true);
    expect(owner.received).toEqual([{ type: "DOWN", ref: task.ref, pid: task.pid, reason: new Error("nope") }]);
  });

  it("rejects await with TASK_TIMEOUT on the runtime clock, then unlinks and kills an owned task, sparing the owner", async () => {
    const { runtime, clock } = testRuntime();
    const owner = new Probe(runtime, { trapExits: true });
    const monitor = new Probe(runtime);
    const task = Task.async(() => new Promise<never>(() => {}), { runtime, link: owner.pid, monitor: monitor.pid });
    const result = track(task.await(1_000));
    await settle();
    clock.advance(999);
    await settle();
    expect(result.settled).toBe(false);
    clock.advance(1);
    await settle();
    expect(result.error).toMatchObject({ code: RuntimeErrorCode.TASK_TIMEOUT });
    expect(runtime.isAlive(task.pid)).toBe(false);
    expect(owner.alive).toBe(true);
    expect(owner.received).toEqual([]);
    expect(monitor.received).toEqual([]);
    expect(await rejectionOf(task.await())).toMatchObject({ code: RuntimeErrorCode.CALLEE_EXITED, reason: "killed" });
  });

  it("leaves a task with no owner running after an await timeout", async () => {
    const { runtime, clock } = testRuntime();
    const finish = new Deferred<string>();
    const task = Task.async(() => finish.promise, { runtime });
    const first = track(task.await(10));
    clock.advance(10);
    await settle();
    expect(first.error).toMatchObject({ code: RuntimeErrorCode.TASK_TIMEOUT });
    expect(runtime.isAlive(task.pid)).toBe(true);
    finish.resolve("late");
    expect(await task.await()).toBe("late");
  });

  it("rejects await with CALLEE_EXITED when the task is ended by someone else", async () => {
    const { runtime } = testRuntime();
    const task = Task.async(() => new Promise<never>(() => {}), { runtime });
    const result = track(task.await(Infinity));
    await settle();
    runtime.exit(task.pid, "kill");
    await settle();
    expect(result.error).toBeInstanceOf(CalleeExitedError);
    expect(result.error).toMatchObject({ reason: "killed" });
  });

  it("is ended when its linked owner dies first", async () => {
    const { runtime } = testRuntime();
    const owner = new Probe(runtime);
    const task = Task.async(() => new Promise<never>(() => {}), { runtime, link: owner.pid });
    await settle();
    owner.halt("owner-gone");
    expect(runtime.isAlive(task.pid)).toBe(false);
    expect(await rejectionOf(task.await())).toMatchObject({ reason: "owner-gone" });
  });
});

describe("Task.yield", () => {
  it("resolves undefined while the task runs, without killing it, then its result", async () => {
    const { runtime, clock } = testRuntime();
    const owner = new Probe(runtime);
    const finish = new Deferred<number>();
    const task = Task.async(() => finish.promise, { runtime, link: owner.pid });
    const early = track(Task.yield(task, 50));
    clock.advance(50);
    await settle();
    expect(early.settled).toBe(true);
    expect(early.value).toBeUndefined();
    expect(runtime.isAlive(task.pid)).toBe(true);
    expect(task.done).toBe(false);
    finish.resolve(7);
    expect(await Task.yield(task, 50)).toBe(7);
  });

  it("rejects as await does when the task failed", async () => {
    const { runtime } = testRuntime();
    const task = Task.async(() => Promise.reject(new Error("bad")), { runtime });
    expect(await rejectionOf(Task.yield(task))).toEqual(new Error("bad"));
  });
});

describe("Task: no unhandled rejections", () => {
  const unhandled: unknown[] = [];
  const record = (reason: unknown): void => {
    unhandled.push(reason);
  };
  beforeEach(() => {
    unhandled.length = 0;
    process.on("unhandledRejection", record);
  });
  afterEach(() => {
    process.off("unhandledRejection", record);
  });

  it("leaves none behind for failing tasks that nobody awaits", async () => {
    const { runtime, crashes } = testRuntime();
    Task.start(() => {
      throw new Error("sync fire-and-forget");
    }, { runtime });
    Task.start(() => Promise.reject(new Error("async fire-and-forget")), { runtime });
    Task.async(() => Promise.reject(new Error("never awaited")), { runtime });
    Task.async(() => {
      throw new Error("never awaited either");
    }, { runtime, monitor: new Probe(runtime).pid });
    await settle(3);
    expect(crashes).toHaveLength(4);
    expect(unhandled).toEqual([]);
  });

  it("Task.start runs fn and returns the pid; a linked failure still reaches the owner", async () => {
    const { runtime } = testRuntime();
    const owner = new Probe(runtime, { trapExits: true });
    const ran: string[] = [];
    const pid = Task.start(() => {
      ran.push("ran");
    }, { runtime });
    const failing = Task.start(() => {
      throw new Error("x");
    }, { runtime, link: owner.pid });
    await settle();
    expect(ran).toEqual(["ran"]);
    expect(runtime.isAlive(pid)).toBe(false);
    expect(owner.received).toEqual([{ type: "EXIT", from: failing, reason: new Error("x") }]);
  });
});

describe("Task: misuse", () => {
  it.each<[string, () => unknown]>([
    ["a non-function fn", () => Task.async(42 as never)],
    ["an unknown option", () => Task.async(() => 1, { owner: 1 } as never)],
    ["a monitor option on Task.start", () => Task.start(() => 1, { monitor: 1 } as never)],
    ["a negative await timeout", () => Task.async(() => 1).await(-1)],
  ])("throws BAD_ARGUMENT at once for %s", (_name, attempt) => {
    expect(attempt).toThrow(expect.objectContaining({ code: RuntimeErrorCode.BAD_ARGUMENT }));
  });
});
