/**
 * The Runtime's table of live processes, kept on the pids themselves (a list in start order): count,
 * order and lookups stay right however processes end — first, last, middle, during an exit storm — and a
 * pid outlives its process without keeping it, nor answering for another Runtime.
 */
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { Pid } from "../../../src/runtime/process/pid.js";
import { Deferred, Probe, newRuntime, settle } from "./probe.js";

describe("the process table", () => {
  it("keeps start order and count while processes end at the front, the back and in between", () => {
    const runtime = newRuntime();
    const probes = Array.from({ length: 7 }, () => new Probe(runtime));
    const pids = probes.map((probe) => probe.pid);
    expect(runtime.processCount).toBe(7);

    for (const at of [3, 0, 6, 1]) probes[at]!.halt();
    expect(runtime.processCount).toBe(3);
    for (const probe of probes) runtime.suspend(probe.pid);
    for (const probe of probes) runtime.send(probe.pid, "work");
    // Suspended processes with mail are idle; resumed ones are busy until drained, in start order.
    for (const probe of probes) runtime.resume(probe.pid);
    expect(runtime.busyPids()).toEqual([pids[2], pids[4], pids[5]]);

    const late = new Probe(runtime);
    runtime.send(late.pid, "work");
    expect(runtime.busyPids()).toEqual([pids[2], pids[4], pids[5], late.pid]);
    probes[5]!.halt();
    late.halt();
    expect(runtime.busyPids()).toEqual([pids[2], pids[4]]);
    expect(runtime.processCount).toBe(2);
  });

  it("empties and fills again", async () => {
    const runtime = newRuntime();
    const first = [new Probe(runtime), new Probe(runtime)];
    for (const probe of first) probe.halt();
    expect(runtime.processCount).toBe(0);
    expect(runtime.isIdle()).toBe(true);
    const again = new Probe(runtime);
    runtime.send(again.pid, "hello");
    expect(runtime.busyPids()).toEqual([again.pid]);
    await settle();
    expect(again.received).toEqual(["hello"]);
    expect(runtime.isIdle()).toBe(true);
  });

  it("stays consistent when a linked storm ends every process at once, and while onExit looks at it", () => {
    const runtime = newRuntime();
    const root = new Probe(runtime);
    const seen: { count: number; alive: boolean; found: boolean }[] = [];
    const children = Array.from({ length: 50 }, () => new Probe(runtime, { link: root.pid }));
    children[10]!.onExitHook = () => {
      seen.push({ count: runtime.processCount, alive: runtime.isAlive(children[10]!.pid), found: runtime.lookup(children[10]!.pid) !== undefined });
    };
    const bystander = new Probe(runtime);
    root.halt("boom");
    expect(children.every((child) => child.exits[0] === "boom")).toBe(true);
    // Seen from inside its own onExit: already out of the table.
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ alive: false, found: false });
    expect(runtime.processCount).toBe(1);
    runtime.send(bystander.pid, "still here");
    expect(runtime.busyPids()).toEqual([bystander.pid]);
  });

  it("lets a pid outlive its process: sends are dropped, links to it end the linker with noproc", async () => {
    const runtime = newRuntime();
    const gone = new Probe(runtime);
    gone.halt();
    expect(runtime.send(gone.pid, "late")).toBe(false);
    expect(runtime.lookup(gone.pid)).toBeUndefined();
    expect(runtime.links(gone.pid)).toEqual([]);
    const linker = new Probe(runtime, { link: gone.pid });
    await settle();
    expect(linker.exits).toEqual(["noproc"]);
  });

  it("answers only for its own pids", async () => {
    const a = newRuntime();
    const b = newRuntime();
    const inA = new Probe(a);
    expect(b.isAlive(inA.pid)).toBe(false);
    expect(b.send(inA.pid, "wrong runtime")).toBe(false);
    expect(b.lookup(inA.pid)).toBeUndefined();
    expect(a.send(new Pid(inA.pid.id, inA.pid.node), "a copy is not the pid")).toBe(false);
    await settle();
    expect(inA.received).toEqual([]);
  });

  it.each([2, 3, 9, 12])("keeps %i links in link order as the first, a middle and the last one go", async (count) => {
    const runtime = newRuntime();
    const hub = new Probe(runtime, { trapExits: true });
    const others = Array.from({ length: count }, () => new Probe(runtime, { trapExits: true }));
    for (const other of others) runtime.link(hub.pid, other.pid);
    runtime.link(hub.pid, others[0]!.pid); // again: still one link
    const expected = others.map((other) => other.pid);
    expect(runtime.links(hub.pid)).toEqual(expected);

    runtime.unlink(hub.pid, others[0]!.pid);
    expected.shift();
    expect(runtime.links(hub.pid)).toEqual(expected);
    expect(runtime.links(others[0]!.pid)).toEqual([]);
    if (count > 2) {
      const middle = others[Math.floor(count / 2)]!;
      middle.halt("gone");
      expected.splice(expected.indexOf(middle.pid), 1);
      expect(runtime.links(hub.pid)).toEqual(expected);
    }
    runtime.link(hub.pid, others[0]!.pid); // back, at the end
    expected.push(others[0]!.pid);
    expect(runtime.links(hub.pid)).toEqual(expected);
    others[count - 1]!.halt("last");
    expected.splice(expected.indexOf(others[count - 1]!.pid), 1);
    expect(runtime.links(hub.pid)).toEqual(expected);

    // The hub's end reaches every process still linked, in link order, and nothing else.
    const order: unknown[] = [];
    for (const other of others) other.onExitHook = () => order.push(other.pid);
    hub.halt("boom");
    expect(order).toEqual([]);
    await settle();
    for (const other of others.filter((o) => o.alive)) expect(other.received.at(-1)).toMatchObject({ type: "EXIT", from: hub.pid, reason: "boom" });
    expect(runtime.links(others[0]!.pid)).toEqual([]);
  });

  it("shows a pid as its name, not the record it carries", () => {
    const runtime = newRuntime();
    const probe = new Probe(runtime);
    expect(inspect(probe.pid)).toBe(`Pid ${probe.pid.toString()}`);
    expect(JSON.stringify({ pid: probe.pid })).toBe(`{"pid":"${probe.pid.toString()}"}`);
  });

  it("keeps an async handler's process listed until it ends", async () => {
    const runtime = newRuntime();
    const gate = new Deferred();
    const waiting = new Probe(runtime, {}, () => gate.promise);
    runtime.send(waiting.pid, "go");
    await settle();
    expect(waiting.awaiting).toBe(true);
    expect(runtime.busyPids()).toEqual([waiting.pid]);
    gate.resolve();
    await settle();
    expect(runtime.isIdle()).toBe(true);
    expect(runtime.processCount).toBe(1);
  });
});
