import { describe, expect, it } from "vitest";
import { shutdown } from "../../../src/runtime/process/exit-reason.js";
import { Runtime } from "../../../src/runtime/process/runtime.js";
import { VirtualClock } from "../../../src/runtime/clock/virtual-clock.js";
import { Probe, settle } from "./probe.js";

function newRuntime(): Runtime {
  return new Runtime({ clock: new VirtualClock() });
}

describe("Runtime: links and exit signals", () => {
  it("ends a linked process with the same reason when one ends abnormally", () => {
    const runtime = newRuntime();
    const a = new Probe(runtime);
    const b = new Probe(runtime);
    runtime.link(a.pid, b.pid);
    const boom = new Error("boom");
    a.halt(boom);
    expect(b.alive).toBe(false);
    expect(b.exits).toEqual([boom]);
  });

  it("propagates through a crashing handler to the linked process in the same turn", async () => {
    const runtime = newRuntime();
    const socket = new Probe(runtime);
    const channel = new Probe(runtime, { link: socket.pid }, () => {
      throw new Error("handler crashed");
    });
    runtime.send(channel.pid, "push");
    await settle();
    expect(socket.alive).toBe(false);
    expect(String(socket.exits[0])).toBe("Error: handler crashed");
  });

  it("links both ways", () => {
    const runtime = newRuntime();
    const a = new Probe(runtime);
    const b = new Probe(runtime);
    runtime.link(a.pid, b.pid);
    b.halt("boom");
    expect(a.exits).toEqual(["boom"]);
  });

  it("does not take a linked process down when one ends with normal", () => {
    const runtime = newRuntime();
    const a = new Probe(runtime);
    const b = new Probe(runtime);
    runtime.link(a.pid, b.pid);
    a.halt();
    expect(a.exits).toEqual(["normal"]);
    expect(b.alive).toBe(true);
    expect(runtime.links(b.pid)).toEqual([]);
  });

  it.each([["shutdown"], [shutdown("closed")]])("takes a linked process down with the clean reason %j", (reason) => {
    const runtime = newRuntime();
    const a = new Probe(runtime);
    const b = new Probe(runtime, { link: a.pid });
    a.halt(reason);
    expect(b.exits).toEqual([reason]);
  });

  it("turns the signal into an EXIT message for a process that traps exits, which keeps running", async () => {
    const runtime = newRuntime();
    const socket = new Probe(runtime, { trapExits: true });
    const channel = new Probe(runtime, { link: socket.pid });
    const crash = new Error("boom");
    channel.halt(crash);
    channel.halt("again");
    await settle();
    expect(socket.alive).toBe(true);
    expect(socket.received).toEqual([{ type: "EXIT", from: channel.pid, reason: crash }]);
  });

  it("delivers a normal exit to a trapping process too", async () => {
    const runtime = newRuntime();
    const socket = new Probe(runtime, { trapExits: true });
    const channel = new Probe(runtime, { link: socket.pid });
    channel.halt();
    await settle();
    expect(socket.received).toEqual([{ type: "EXIT", from: channel.pid, reason: "normal" }]);
  });

  it("ends even a trapping process with killed on a kill signal, and spreads killed to its links", async () => {
    const runtime = newRuntime();
    const socket = new Probe(runtime, { trapExits: true });
    const channel = new Probe(runtime, { link: socket.pid });
    const observer = new Probe(runtime, { trapExits: true, link: socket.pid });
    runtime.exit(socket.pid, "kill");
    expect(socket.exits).toEqual(["killed"]);
    expect(channel.exits).toEqual(["killed"]);
    await settle();
    expect(observer.received).toEqual([{ type: "EXIT", from: socket.pid, reason: "killed" }]);
  });

  it("treats a kill that arrives over a link as an ordinary, trappable reason", async () => {
    const runtime = newRuntime();
    const a = new Probe(runtime);
    const trapper = new Probe(runtime, { trapExits: true, link: a.pid });
    const plain = new Probe(runtime, { link: a.pid });
    a.halt("kill");
    await settle();
    expect(trapper.received).toEqual([{ type: "EXIT", from: a.pid, reason: "kill" }]);
    expect(plain.exits).toEqual(["kill"]);
  });

  it("ignores a normal signal sent with Runtime.exit to a process that does not trap exits", () => {
    const runtime = newRuntime();
    const a = new Probe(runtime);
    runtime.exit(a.pid, "normal");
    expect(a.alive).toBe(true);
  });

  it("ends a non-trapping process with the reason sent by Runtime.exit, spreading it to its links", () => {
    const runtime = newRuntime();
    const a = new Probe(runtime);
    const b = new Probe(runtime, { link: a.pid });
    runtime.exit(a.pid, "shutdown");
    expect(a.exits).toEqual(["shutdown"]);
    expect(b.exits).toEqual(["shutdown"]);
  });

  it("gives a trapping target of Runtime.exit an EXIT message from the given pid, or from itself", async () => {
    const runtime = newRuntime();
    const supervisor = new Probe(runtime);
    const worker = new Probe(runtime, { trapExits: true });
    runtime.exit(worker.pid, "shutdown", supervisor.pid);
    runtime.exit(worker.pid, "normal");
    await settle();
    expect(worker.received).toEqual([
      { type: "EXIT", from: supervisor.pid, reason: "shutdown" },
      { type: "EXIT", from: worker.pid, reason: "normal" },
    ]);
  });

  it("removes a link when either side ends", () => {
    const runtime = newRuntime();
    const hub = new Probe(runtime, { trapExits: true });
    const a = new Probe(runtime, { link: hub.pid });
    const b = new Probe(runtime, { link: hub.pid });
    expect(runtime.links(hub.pid)).toEqual([a.pid, b.pid]);
    a.halt("boom");
    expect(runtime.links(hub.pid)).toEqual([b.pid]);
    expect(runtime.links(a.pid)).toEqual([]);
  });

  it("stops propagating after unlink", () => {
    const runtime = newRuntime();
    const a = new Probe(runtime);
    const b = new Probe(runtime, { link: a.pid });
    runtime.unlink(b.pid, a.pid);
    a.halt("boom");
    expect(b.alive).toBe(true);
    expect(runtime.links(b.pid)).toEqual([]);
  });

  it("is idempotent, and linking a process to itself does nothing", () => {
    const runtime = newRuntime();
    const a = new Probe(runtime);
    const b = new Probe(runtime);
    runtime.link(a.pid, b.pid);
    runtime.link(b.pid, a.pid);
    runtime.link(a.pid, a.pid);
    expect(runtime.links(a.pid)).toEqual([b.pid]);
    expect(runtime.links(b.pid)).toEqual([a.pid]);
  });

  it("sends noproc to the live side when linking to a dead process", async () => {
    const runtime = newRuntime();
    const dead = new Probe(runtime);
    dead.halt();
    const plain = new Probe(runtime);
    runtime.link(plain.pid, dead.pid);
    expect(plain.exits).toEqual(["noproc"]);
    const trapper = new Probe(runtime, { trapExits: true });
    runtime.link(dead.pid, trapper.pid);
    await settle();
    expect(trapper.received).toEqual([{ type: "EXIT", from: dead.pid, reason: "noproc" }]);
    expect(runtime.links(trapper.pid)).toEqual([]);
  });

  it("spreads synchronously along a chain of 10,000 linked processes without overflowing the stack", () => {
    const runtime = newRuntime();
    const chain = [new Probe(runtime)];
    for (let i = 1; i < 10_000; i++) chain.push(new Probe(runtime, { link: chain[i - 1]?.pid }));
    runtime.exit(chain[0]!.pid, "boom");
    expect(runtime.processCount).toBe(0);
    expect(chain.every((p) => p.exits.length === 1 && p.exits[0] === "boom")).toBe(true);
  });

  it("finishes a spread before returning even when onExit signals other processes", () => {
    const runtime = newRuntime();
    const a = new Probe(runtime);
    const b = new Probe(runtime, { link: a.pid });
    const unrelated = new Probe(runtime);
    const behindUnrelated = new Probe(runtime, { link: unrelated.pid });
    b.onExitHook = () => runtime.exit(unrelated.pid, "cascade");
    a.halt("boom");
    expect(unrelated.exits).toEqual(["cascade"]);
    expect(behindUnrelated.exits).toEqual(["cascade"]);
  });
});
