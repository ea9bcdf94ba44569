// Runtime.suspend and Runtime.resume: a suspended process queues its messages without handling them,
// resumes in order, finishes what it was handling, and still reacts to exit signals.
import { describe, expect, it } from "vitest";
import { Runtime } from "../../../src/runtime/process/runtime.js";
import { VirtualClock } from "../../../src/runtime/clock/virtual-clock.js";
import { Deferred, Probe, settle } from "./probe.js";

const newRuntime = () => new Runtime({ clock: new VirtualClock() });

describe("Runtime.suspend / resume", () => {
  it("queues messages while suspended and handles them in order once resumed", async () => {
    const runtime = newRuntime();
    const probe = new Probe(runtime);
    expect(runtime.suspend(probe.pid)).toBe(true);
    for (let i = 0; i < 5; i++) runtime.send(probe.pid, i);
    await settle(3);
    expect(probe.received).toEqual([]);
    expect(probe.mailboxSize).toBe(5);

    expect(runtime.resume(probe.pid)).toBe(true);
    runtime.send(probe.pid, 5);
    await settle();
    expect(probe.received).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("stops between two messages of one drain when a handler suspends its own process", async () => {
    const runtime = newRuntime();
    const probe = new Probe(runtime, {}, (message, self) => {
      if (message === "hold") runtime.suspend(self.pid);
    });
    for (const m of ["a", "hold", "b", "c"]) runtime.send(probe.pid, m);
    await settle(2);
    expect(probe.received).toEqual(["a", "hold"]);
    runtime.resume(probe.pid);
    await settle();
    expect(probe.received).toEqual(["a", "hold", "b", "c"]);
  });

  it("lets an async handler in progress settle, then holds the next message", async () => {
    const runtime = newRuntime();
    const gate = new Deferred();
    const probe = new Probe(runtime, {}, (message) => (message === "slow" ? gate.promise : undefined));
    runtime.send(probe.pid, "slow");
    runtime.send(probe.pid, "next");
    await settle();
    runtime.suspend(probe.pid);
    gate.resolve();
    await settle(2);
    expect(probe.received).toEqual(["slow"]);
    runtime.resume(probe.pid);
    await settle();
    expect(probe.received).toEqual(["slow", "next"]);
  });

  it("holds a drain that yielded to the event loop after its budget", async () => {
    const runtime = newRuntime();
    const probe = new Probe(runtime);
    for (let i = 0; i < 1500; i++) runtime.send(probe.pid, i);
    await Promise.resolve();
    await Promise.resolve();
    // The first 1000 were handled in one drain; the rest wait for a setImmediate turn.
    expect(probe.received.length).toBe(1000);
    runtime.suspend(probe.pid);
    await settle(3);
    expect(probe.received.length).toBe(1000);
    runtime.resume(probe.pid);
    await settle(2);
    expect(probe.received).toEqual(Array.from({ length: 1500 }, (_, i) => i));
  });

  it("does not hold exit signals: a suspended process still ends on one, and on kill", async () => {
    const runtime = newRuntime();
    const linked = new Probe(runtime);
    const suspended = new Probe(runtime, { link: linked.pid });
    runtime.suspend(suspended.pid);
    runtime.send(suspended.pid, "never handled");
    linked.halt("crashed");
    expect(suspended.alive).toBe(false);
    expect(suspended.exits).toEqual(["crashed"]);
    expect(suspended.received).toEqual([]);

    const other = new Probe(runtime);
    runtime.suspend(other.pid);
    runtime.exit(other.pid, "kill");
    expect(other.exits).toEqual(["killed"]);
  });

  it("queues the EXIT message of a trapping process until it resumes", async () => {
    const runtime = newRuntime();
    const linked = new Probe(runtime);
    const trapper = new Probe(runtime, { link: linked.pid, trapExits: true });
    runtime.suspend(trapper.pid);
    linked.halt("crashed");
    await settle();
    expect(trapper.alive).toBe(true);
    expect(trapper.received).toEqual([]);
    runtime.resume(trapper.pid);
    await settle();
    expect(trapper.received).toEqual([{ type: "EXIT", from: linked.pid, reason: "crashed" }]);
  });

  it("answers false for a dead pid, and resuming a running process changes nothing", async () => {
    const runtime = newRuntime();
    const probe = new Probe(runtime);
    expect(runtime.resume(probe.pid)).toBe(true);
    runtime.send(probe.pid, "x");
    await settle();
    expect(probe.received).toEqual(["x"]);
    probe.halt();
    expect(runtime.suspend(probe.pid)).toBe(false);
    expect(runtime.resume(probe.pid)).toBe(false);
  });
});
