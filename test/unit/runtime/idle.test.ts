import { describe, expect, it } from "vitest";
import { Runtime } from "../../../src/runtime/process/runtime.js";
import { VirtualClock } from "../../../src/runtime/clock/virtual-clock.js";
import { Deferred, Probe, settle } from "./probe.js";

function newRuntime(): Runtime {
  return new Runtime({ clock: new VirtualClock() });
}

describe("Process.idle and Process.awaiting", () => {
  it("is idle when it has nothing queued", () => {
    const probe = new Probe(newRuntime());
    expect(probe.idle).toBe(true);
    expect(probe.awaiting).toBe(false);
  });

  it("is busy from a send until the message has been handled", async () => {
    const runtime = newRuntime();
    const probe = new Probe(runtime);
    runtime.send(probe.pid, "work");
    expect(probe.idle).toBe(false);
    await settle();
    expect(probe.idle).toBe(true);
  });

  it("is busy and awaiting while an async handler's promise is pending", async () => {
    const runtime = newRuntime();
    const gate = new Deferred();
    const probe = new Probe(runtime, {}, () => gate.promise);
    runtime.send(probe.pid, "slow");
    await settle();
    expect(probe.idle).toBe(false);
    expect(probe.awaiting).toBe(true);
    gate.resolve();
    await settle();
    expect(probe.idle).toBe(true);
    expect(probe.awaiting).toBe(false);
  });

  it("counts a suspended process with queued messages as idle, and busy again once resumed", async () => {
    const runtime = newRuntime();
    const probe = new Probe(runtime);
    runtime.suspend(probe.pid);
    runtime.send(probe.pid, "held");
    await settle();
    expect(probe.mailboxSize).toBe(1);
    expect(probe.idle).toBe(true);
    runtime.resume(probe.pid);
    expect(probe.idle).toBe(false);
    await settle();
    expect(probe.received).toEqual(["held"]);
    expect(probe.idle).toBe(true);
  });

  it("is idle and not awaiting once dead, even if it died in the middle of an async handler", async () => {
    const runtime = newRuntime();
    const probe = new Probe(runtime, {}, () => new Deferred().promise);
    runtime.send(probe.pid, "never finishes");
    await settle();
    expect(probe.awaiting).toBe(true);
    runtime.exit(probe.pid, "kill");
    expect(probe.idle).toBe(true);
    expect(probe.awaiting).toBe(false);
  });
});

describe("Runtime.isIdle and Runtime.busyPids", () => {
  it("is idle with no process, and with only idle processes", () => {
    const runtime = newRuntime();
    expect(runtime.isIdle()).toBe(true);
    new Probe(runtime);
    new Probe(runtime);
    expect(runtime.isIdle()).toBe(true);
    expect(runtime.busyPids()).toEqual([]);
  });

  it("lists the busy processes in start order until they have handled their messages", async () => {
    const runtime = newRuntime();
    const a = new Probe(runtime);
    const b = new Probe(runtime);
    const c = new Probe(runtime);
    runtime.send(c.pid, 1);
    runtime.send(a.pid, 1);
    expect(runtime.isIdle()).toBe(false);
    expect(runtime.busyPids()).toEqual([a.pid, c.pid]);
    expect(b.idle).toBe(true);
    await settle();
    expect(runtime.isIdle()).toBe(true);
    expect(runtime.busyPids()).toEqual([]);
  });

  it("is not made busy by a timer that has not fired, and is once it fires", async () => {
    const clock = new VirtualClock();
    const runtime = new Runtime({ clock });
    const probe = new Probe(runtime);
    runtime.sendAfter(probe.pid, "tick", 100);
    expect(runtime.isIdle()).toBe(true);
    clock.advance(100);
    expect(runtime.busyPids()).toEqual([probe.pid]);
    await settle();
    expect(probe.received).toEqual(["tick"]);
    expect(runtime.isIdle()).toBe(true);
  });
});

describe("VirtualClock.nextDue", () => {
  it("is undefined with no pending timer", () => {
    expect(new VirtualClock().nextDue()).toBeUndefined();
  });

  it("gives the due time of the earliest pending timer, skipping cleared ones", () => {
    const clock = new VirtualClock(1_000);
    const first = clock.setTimeout(() => {}, 50);
    clock.setTimeout(() => {}, 200);
    clock.setTimeout(() => {}, 120);
    expect(clock.nextDue()).toBe(1_050);
    clock.clearTimeout(first);
    expect(clock.nextDue()).toBe(1_120);
    clock.advance(120);
    expect(clock.nextDue()).toBe(1_200);
    clock.advance(80);
    expect(clock.nextDue()).toBeUndefined();
  });

  it("does not move time or run a timer", () => {
    const clock = new VirtualClock();
    let fired = false;
    clock.setTimeout(() => (fired = true), 10);
    clock.nextDue();
    expect(clock.now()).toBe(0);
    expect(fired).toBe(false);
    expect(clock.pendingTimers()).toBe(1);
  });
});
