// Process.handleNow: a message handled at once, in the caller's turn, when the process is idle with an
// empty mailbox — exactly as its drain would have handled it first — and queued behind the rest otherwise.
import { describe, expect, it } from "vitest";
import { currentProcess } from "../../../src/runtime/process/process-context.js";
import type { Process, ProcessOptions } from "../../../src/runtime/process/process.js";
import type { Runtime } from "../../../src/runtime/process/runtime.js";
import { Deferred, Probe, newRuntime, settle, type ProbeHandler } from "./probe.js";

/** A Probe whose `handleNow` tests can call. */
class NowProbe extends Probe {
  constructor(runtime: Runtime, handler?: ProbeHandler, options?: ProcessOptions) {
    super(runtime, options, handler);
  }

  now(message: unknown): boolean {
    return this.handleNow(message);
  }
}

describe("Process.handleNow: handled at once", () => {
  it("handles the message inside the call when the process is idle with an empty mailbox", () => {
    const runtime = newRuntime();
    const probe = new NowProbe(runtime);

    expect(probe.now("hello")).toBe(true);

    expect(probe.received).toEqual(["hello"]);
    expect(probe.mailboxSize).toBe(0);
    expect(probe.idle).toBe(true);
    expect(probe.alive).toBe(true);
  });

  it("runs the handler in the process's own context, and gives the caller's back afterwards", async () => {
    const runtime = newRuntime();
    let inside: Process | undefined;
    let later: Process | undefined;
    const target = new NowProbe(runtime, () => {
      inside = currentProcess();
      setTimeout(() => (later = currentProcess()), 0);
    });
    let callerBefore: Process | undefined;
    let callerAfter: Process | undefined;
    const caller = new NowProbe(runtime, () => {
      callerBefore = currentProcess();
      target.now("go");
      callerAfter = currentProcess();
    });

    runtime.send(caller.pid, "start");
    await settle();
    await new Promise((resolve) => setTimeout(resolve, 5));

    expect(target.received).toEqual(["go"]);
    expect(inside).toBe(target);
    // What the handler started carries the target, not the caller.
    expect(later).toBe(target);
    expect(callerBefore).toBe(caller);
    expect(callerAfter).toBe(caller);
    expect(currentProcess()).toBeUndefined();
  });

  it("leaves what the handler sends to itself to a later drain, never handled inside the call", async () => {
    const runtime = newRuntime();
    const probe = new NowProbe(runtime, (message, self) => {
      if (message === "first") runtime.send(self.pid, "second");
    });

    expect(probe.now("first")).toBe(true);
    expect(probe.received).toEqual(["first"]);
    expect(probe.mailboxSize).toBe(1);
    expect(probe.idle).toBe(false);

    await settle();
    expect(probe.received).toEqual(["first", "second"]);
    expect(probe.idle).toBe(true);
  });

  it("counts against the drain budget: after 1000 messages the next one waits for a turn of the event loop", async () => {
    const runtime = newRuntime();
    const probe = new NowProbe(runtime);
    for (let i = 0; i < 1000; i++) expect(probe.now(i)).toBe(true);

    expect(probe.now(1000)).toBe(false);
    expect(probe.received).toHaveLength(1000);
    await Promise.resolve();
    await Promise.resolve();
    // The drain yields to the event loop before going on.
    expect(probe.received).toHaveLength(1000);

    await settle(2);
    expect(probe.received).toEqual(Array.from({ length: 1001 }, (_, i) => i));
    // A fresh budget: handled at once again.
    expect(probe.now("again")).toBe(true);
    expect(probe.received.at(-1)).toBe("again");
  });
});

describe("Process.handleNow: queued when the process is not free", () => {
  it("queues behind messages already in the mailbox, keeping their order", async () => {
    const runtime = newRuntime();
    const probe = new NowProbe(runtime);
    runtime.send(probe.pid, "before");

    expect(probe.now("after")).toBe(false);
    expect(probe.received).toEqual([]);
    expect(probe.mailboxSize).toBe(2);

    await settle();
    expect(probe.received).toEqual(["before", "after"]);
  });

  it("queues while an async handler is awaited, and handles it only once that settles", async () => {
    const runtime = newRuntime();
    const gate = new Deferred();
    const probe = new NowProbe(runtime, (message) => (message === "slow" ? gate.promise : undefined));
    runtime.send(probe.pid, "slow");
    await settle();
    expect(probe.awaiting).toBe(true);

    expect(probe.now("next")).toBe(false);
    await settle();
    expect(probe.received).toEqual(["slow"]);

    gate.resolve();
    await settle();
    expect(probe.received).toEqual(["slow", "next"]);
  });

  it("queues when called from the process's own handler, handling it after the current message", async () => {
    const runtime = newRuntime();
    const results: boolean[] = [];
    const probe: NowProbe = new NowProbe(runtime, (message) => {
      if (message === "outer") {
        results.push(probe.now("inner"));
        probe.received.push("outer done");
      }
    });

    expect(probe.now("outer")).toBe(true);
    expect(results).toEqual([false]);
    expect(probe.received).toEqual(["outer", "outer done"]);

    await settle();
    expect(probe.received).toEqual(["outer", "outer done", "inner"]);
  });

  it("queues while the process is suspended, and handles it in order once resumed", async () => {
    const runtime = newRuntime();
    const probe = new NowProbe(runtime);
    runtime.suspend(probe.pid);

    expect(probe.now("a")).toBe(false);
    runtime.send(probe.pid, "b");
    await settle();
    expect(probe.received).toEqual([]);

    runtime.resume(probe.pid);
    await settle();
    expect(probe.received).toEqual(["a", "b"]);
  });

  it("drops the message for a dead process, as send does", async () => {
    const runtime = newRuntime();
    const probe = new NowProbe(runtime);
    probe.halt("normal");

    expect(probe.now("late")).toBe(false);
    await settle();
    expect(probe.received).toEqual([]);
    expect(probe.mailboxSize).toBe(0);
  });
});

describe("Process.handleNow: errors and async handlers", () => {
  it("ends only the target when its handler throws, with the thrown error as reason", async () => {
    const crashes: Array<[unknown, unknown]> = [];
    const runtime = newRuntime((pid, reason) => crashes.push([pid, reason]));
    const boom = new Error("boom");
    const target = new NowProbe(runtime, () => {
      throw boom;
    });
    let handled: boolean | undefined;
    const caller = new NowProbe(runtime, (message) => {
      if (message === "call") handled = target.now("explode");
    });

    runtime.send(caller.pid, "call");
    runtime.send(caller.pid, "still here");
    await settle();

    expect(handled).toBe(true);
    expect(target.alive).toBe(false);
    expect(target.exits).toEqual([boom]);
    expect(crashes).toEqual([[target.pid, boom]]);
    expect(caller.alive).toBe(true);
    expect(caller.received).toEqual(["call", "still here"]);
  });

  it("signals linked processes when the handler ends the target, as a drain would", async () => {
    const runtime = newRuntime();
    const watcher = new NowProbe(runtime, undefined, { trapExits: true });
    const target = new NowProbe(runtime, (_message, self) => self.halt("done"), { link: watcher.pid });

    expect(target.now("stop")).toBe(true);
    expect(target.alive).toBe(false);
    await settle();
    expect(watcher.received).toEqual([{ type: "EXIT", from: target.pid, reason: "done" }]);
  });

  it("makes the process wait for an async handler: a message sent meanwhile is handled only after it settles", async () => {
    const runtime = newRuntime();
    const gate = new Deferred();
    const probe = new NowProbe(runtime, (message) => (message === "slow" ? gate.promise : undefined));

    expect(probe.now("slow")).toBe(true);
    expect(probe.awaiting).toBe(true);
    runtime.send(probe.pid, "queued");
    expect(probe.now("queued too")).toBe(false);
    await settle(3);
    expect(probe.received).toEqual(["slow"]);

    gate.resolve();
    await settle();
    expect(probe.received).toEqual(["slow", "queued", "queued too"]);
    expect(probe.awaiting).toBe(false);
    expect(probe.idle).toBe(true);
  });

  it("ends the process when the promise of an async handler rejects", async () => {
    const runtime = newRuntime();
    const gate = new Deferred();
    const probe = new NowProbe(runtime, () => gate.promise);
    const failure = new Error("late failure");

    expect(probe.now("slow")).toBe(true);
    runtime.send(probe.pid, "never");
    gate.reject(failure);
    await settle();

    expect(probe.alive).toBe(false);
    expect(probe.exits).toEqual([failure]);
    expect(probe.received).toEqual(["slow"]);
  });
});
