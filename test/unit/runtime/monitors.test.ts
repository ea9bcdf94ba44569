import { describe, expect, it } from "vitest";
import { isDownMessage } from "../../../src/runtime/process/exit-reason.js";
import { Runtime } from "../../../src/runtime/process/runtime.js";
import { VirtualClock } from "../../../src/runtime/clock/virtual-clock.js";
import { Probe, settle } from "./probe.js";

function newRuntime(): Runtime {
  return new Runtime({ clock: new VirtualClock() });
}

describe("Runtime: monitors", () => {
  it("delivers a DOWN message with the ref, pid and reason when the target ends", async () => {
    const runtime = newRuntime();
    const watcher = new Probe(runtime);
    const target = new Probe(runtime);
    const ref = runtime.monitor(watcher.pid, target.pid);
    const boom = new Error("boom");
    target.halt(boom);
    await settle();
    expect(watcher.received).toEqual([{ type: "DOWN", ref, pid: target.pid, reason: boom }]);
    expect(isDownMessage(watcher.received[0])).toBe(true);
    expect(watcher.alive).toBe(true);
  });

  it("delivers DOWN for normal exits too, and is one-way", async () => {
    const runtime = newRuntime();
    const watcher = new Probe(runtime);
    const target = new Probe(runtime);
    const ref = runtime.monitor(watcher.pid, target.pid);
    target.halt();
    await settle();
    expect(watcher.received).toEqual([{ type: "DOWN", ref, pid: target.pid, reason: "normal" }]);
    const other = new Probe(runtime);
    runtime.monitor(watcher.pid, other.pid);
    watcher.halt("boom");
    expect(other.alive).toBe(true);
  });

  it("delivers nothing after demonitor", async () => {
    const runtime = newRuntime();
    const watcher = new Probe(runtime);
    const target = new Probe(runtime);
    const ref = runtime.monitor(watcher.pid, target.pid);
    runtime.demonitor(ref);
    runtime.demonitor(ref);
    target.halt("boom");
    await settle();
    expect(watcher.received).toEqual([]);
  });

  it("delivers DOWN with noproc when the target is already dead", async () => {
    const runtime = newRuntime();
    const watcher = new Probe(runtime);
    const target = new Probe(runtime);
    target.halt();
    const ref = runtime.monitor(watcher.pid, target.pid);
    await settle();
    expect(watcher.received).toEqual([{ type: "DOWN", ref, pid: target.pid, reason: "noproc" }]);
  });

  it("gives each monitor its own ref and its own DOWN, exactly once", async () => {
    const runtime = newRuntime();
    const watcher = new Probe(runtime);
    const target = new Probe(runtime);
    const first = runtime.monitor(watcher.pid, target.pid);
    const second = runtime.monitor(watcher.pid, target.pid);
    expect(first).not.toBe(second);
    target.halt("boom");
    target.halt("again");
    await settle();
    expect(watcher.received.map((m) => (m as { ref: unknown }).ref)).toEqual([first, second]);
  });

  it("drops a monitor when its watcher ends", async () => {
    const runtime = newRuntime();
    const watcher = new Probe(runtime);
    const target = new Probe(runtime);
    runtime.monitor(watcher.pid, target.pid);
    watcher.halt();
    target.halt("boom");
    await settle();
    expect(watcher.received).toEqual([]);
  });

  it("sets up nothing when the watcher is dead", async () => {
    const runtime = newRuntime();
    const watcher = new Probe(runtime);
    watcher.halt();
    const target = new Probe(runtime);
    runtime.monitor(watcher.pid, target.pid);
    target.halt("boom");
    await settle();
    expect(watcher.received).toEqual([]);
  });

  it("signals links before monitors, so a trapping watcher sees EXIT then DOWN", async () => {
    const runtime = newRuntime();
    const watcher = new Probe(runtime, { trapExits: true });
    const target = new Probe(runtime);
    const ref = runtime.monitor(watcher.pid, target.pid);
    runtime.link(watcher.pid, target.pid);
    target.halt("boom");
    await settle();
    expect(watcher.received).toEqual([
      { type: "EXIT", from: target.pid, reason: "boom" },
      { type: "DOWN", ref, pid: target.pid, reason: "boom" },
    ]);
  });

  it("delivers DOWN from every process an exit spreads to", async () => {
    const runtime = newRuntime();
    const watcher = new Probe(runtime);
    const a = new Probe(runtime);
    const b = new Probe(runtime, { link: a.pid });
    const refB = runtime.monitor(watcher.pid, b.pid);
    runtime.exit(a.pid, "kill");
    await settle();
    expect(watcher.received).toEqual([{ type: "DOWN", ref: refB, pid: b.pid, reason: "killed" }]);
  });
});
