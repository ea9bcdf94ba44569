import { describe, expect, it } from "vitest";
import { Process } from "../../../src/runtime/process/process.js";
import { Deferred, Probe, newRuntime, settle } from "./probe.js";

describe("Process: mailbox and handling", () => {
  it("is registered and alive as soon as it is constructed", () => {
    const runtime = newRuntime();
    const probe = new Probe(runtime);
    expect(probe.alive).toBe(true);
    expect(runtime.isAlive(probe.pid)).toBe(true);
    expect(runtime.lookup(probe.pid)).toBe(probe);
    expect(runtime.processCount).toBe(1);
    expect(probe.pid.toString()).toBe("<nonode.1>");
  });

  it("handles 1000 messages in the order they were sent", async () => {
    const runtime = newRuntime();
    const probe = new Probe(runtime);
    const sent = Array.from({ length: 1000 }, (_, i) => i);
    for (const n of sent) expect(runtime.send(probe.pid, n)).toBe(true);
    await settle();
    expect(probe.received).toEqual(sent);
  });

  it("keeps 10,000 messages in order across mailbox compactions", async () => {
    const runtime = newRuntime();
    const probe = new Probe(runtime);
    for (let i = 0; i < 10_000; i++) runtime.send(probe.pid, i);
    expect(probe.mailboxSize).toBe(10_000);
    await settle(11);
    expect(probe.received).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
    expect(probe.mailboxSize).toBe(0);
  });

  it("handles messages asynchronously, never inside send", () => {
    const runtime = newRuntime();
    const probe = new Probe(runtime);
    runtime.send(probe.pid, "hello");
    expect(probe.received).toEqual([]);
    expect(probe.mailboxSize).toBe(1);
  });

  it("delivers undefined and null like any other message", async () => {
    const runtime = newRuntime();
    const probe = new Probe(runtime);
    runtime.send(probe.pid, undefined);
    runtime.send(probe.pid, null);
    runtime.send(probe.pid, 0);
    await settle();
    expect(probe.received).toEqual([undefined, null, 0]);
  });

  it("handles the messages sent in one tick in a single drain, with no microtask between synchronous handlers", async () => {
    const runtime = newRuntime();
    let microtaskRan = false;
    const seen: boolean[] = [];
    const probe = new Probe(runtime, {}, (message) => {
      if (message === 0) queueMicrotask(() => (microtaskRan = true));
      else seen.push(microtaskRan);
    });
    for (let i = 0; i < 500; i++) runtime.send(probe.pid, i);
    // One microtask turn: the drain was queued by the first send, before this await.
    await Promise.resolve();
    expect(probe.received).toHaveLength(500);
    expect(seen).toHaveLength(499);
    expect(seen.every((ran) => !ran)).toBe(true);
    await settle();
    expect(microtaskRan).toBe(true);
  });

  it("handles a message sent by a handler to its own process after those already queued", async () => {
    const runtime = newRuntime();
    const probe = new Probe(runtime, {}, (message, self) => {
      if (message === "a") runtime.send(self.pid, "from-a");
    });
    runtime.send(probe.pid, "a");
    runtime.send(probe.pid, "b");
    await settle();
    expect(probe.received).toEqual(["a", "b", "from-a"]);
  });

  it("waits for an async handler's promise before handling the next message", async () => {
    const runtime = newRuntime();
    const gates = [new Deferred(), new Deferred()];
    const log: string[] = [];
    const probe = new Probe(runtime, {}, async (message) => {
      const n = message as number;
      log.push(`start ${n}`);
      await gates[n]?.promise;
      log.push(`end ${n}`);
    });
    runtime.send(probe.pid, 0);
    runtime.send(probe.pid, 1);
    await settle();
    expect(log).toEqual(["start 0"]);
    expect(probe.mailboxSize).toBe(1);
    gates[0]?.resolve();
    await settle();
    expect(log).toEqual(["start 0", "end 0", "start 1"]);
    runtime.send(probe.pid, 2);
    gates[1]?.resolve();
    await settle();
    expect(log).toEqual(["start 0", "end 0", "start 1", "end 1", "start 2", "end 2"]);
  });

  it("accepts any thenable, not only native promises", async () => {
    const runtime = newRuntime();
    let settleThenable: (() => void) | undefined;
    const thenable: PromiseLike<void> = {
      then(onFulfilled) {
        settleThenable = () => onFulfilled?.(undefined);
        return thenable as PromiseLike<never>;
      },
    };
    const probe = new Probe(runtime, {}, (message) => (message === "wait" ? thenable : undefined));
    runtime.send(probe.pid, "wait");
    runtime.send(probe.pid, "next");
    await settle();
    expect(probe.received).toEqual(["wait"]);
    settleThenable?.();
    await settle();
    expect(probe.received).toEqual(["wait", "next"]);
  });

  it("yields to the event loop after 1000 messages so a busy process cannot starve I/O", async () => {
    const runtime = newRuntime();
    const probe = new Probe(runtime);
    for (let i = 0; i < 2500; i++) runtime.send(probe.pid, i);
    await Promise.resolve();
    expect(probe.received).toHaveLength(1000);
    await settle(3);
    expect(probe.received).toHaveLength(2500);
  });

  it("lets timers and I/O callbacks run while a process keeps sending to itself", async () => {
    const runtime = newRuntime();
    let handled = 0;
    const pinger = new Probe(runtime, {}, (_message, self) => {
      handled++;
      runtime.send(self.pid, "ping");
    });
    runtime.send(pinger.pid, "ping");
    await settle(); // would never resolve if the drain never yielded
    expect(handled).toBeGreaterThanOrEqual(1000);
    runtime.exit(pinger.pid, "kill");
    expect(pinger.alive).toBe(false);
  });

  it("also yields when every handler is async, counting messages across handlers", async () => {
    const runtime = newRuntime();
    let handled = 0;
    const pinger = new Probe(runtime, {}, async (_message, self) => {
      handled++;
      runtime.send(self.pid, "ping");
    });
    runtime.send(pinger.pid, "ping");
    await settle();
    expect(handled).toBeGreaterThanOrEqual(1000);
    runtime.exit(pinger.pid, "kill");
  });

  it("counts queued but unhandled messages in mailboxSize", async () => {
    const runtime = newRuntime();
    const gate = new Deferred();
    const probe = new Probe(runtime, {}, () => gate.promise);
    for (let i = 0; i < 5; i++) runtime.send(probe.pid, i);
    expect(probe.mailboxSize).toBe(5);
    await settle();
    expect(probe.mailboxSize).toBe(4);
  });
});

describe("Process: ending", () => {
  it("ends with the thrown error as reason when a handler throws, and handles nothing more", async () => {
    const runtime = newRuntime();
    const boom = new Error("boom");
    const probe = new Probe(runtime, {}, (message) => {
      if (message === "crash") throw boom;
    });
    runtime.send(probe.pid, "crash");
    runtime.send(probe.pid, "after");
    await settle();
    expect(probe.alive).toBe(false);
    expect(probe.exits).toEqual([boom]);
    expect(probe.received).toEqual(["crash"]);
    expect(runtime.isAlive(probe.pid)).toBe(false);
    expect(runtime.lookup(probe.pid)).toBeUndefined();
    expect(runtime.processCount).toBe(0);
  });

  it("ends with the rejection as reason when an async handler rejects", async () => {
    const runtime = newRuntime();
    const probe = new Probe(runtime, {}, async () => {
      await Promise.resolve();
      throw "async boom";
    });
    runtime.send(probe.pid, 1);
    runtime.send(probe.pid, 2);
    await settle();
    expect(probe.exits).toEqual(["async boom"]);
    expect(probe.received).toEqual([1]);
  });

  it("keeps a crash inside its process: an unlinked process keeps running", async () => {
    const runtime = newRuntime();
    const crasher = new Probe(runtime, {}, () => {
      throw new Error("boom");
    });
    const bystander = new Probe(runtime);
    runtime.send(crasher.pid, "x");
    runtime.send(bystander.pid, 1);
    await settle();
    runtime.send(bystander.pid, 2);
    await settle();
    expect(crasher.alive).toBe(false);
    expect(bystander.alive).toBe(true);
    expect(bystander.received).toEqual([1, 2]);
  });

  it("handles no further message after stop() inside a handler, and drops the rest of the mailbox", async () => {
    const runtime = newRuntime();
    const probe = new Probe(runtime, {}, (message, self) => {
      if (message === "stop") self.halt();
    });
    runtime.send(probe.pid, "a");
    runtime.send(probe.pid, "stop");
    runtime.send(probe.pid, "b");
    await settle();
    expect(probe.received).toEqual(["a", "stop"]);
    expect(probe.alive).toBe(false);
    expect(probe.exits).toEqual(["normal"]);
    expect(probe.mailboxSize).toBe(0);
    expect(runtime.send(probe.pid, "c")).toBe(false);
  });

  it("stops synchronously: onExit has run when stop() returns", () => {
    const runtime = newRuntime();
    const probe = new Probe(runtime);
    probe.halt("shutdown");
    expect(probe.exits).toEqual(["shutdown"]);
    expect(probe.alive).toBe(false);
  });

  it("calls onExit exactly once, with the first reason, however many times it is ended", async () => {
    const runtime = newRuntime();
    const probe = new Probe(runtime);
    probe.halt("first");
    probe.halt("second");
    runtime.exit(probe.pid, "kill");
    runtime.exit(probe.pid, "third");
    await settle();
    expect(probe.exits).toEqual(["first"]);
  });

  it("runs onExit after the process is marked dead and before linked processes are signalled", () => {
    const runtime = newRuntime();
    const partner = new Probe(runtime);
    const probe = new Probe(runtime, { link: partner.pid });
    const observed: unknown[] = [];
    probe.onExitHook = () => {
      observed.push(probe.alive, runtime.isAlive(probe.pid), partner.alive, runtime.send(probe.pid, "late"));
    };
    probe.halt("boom");
    expect(observed).toEqual([false, false, true, false]);
    expect(partner.alive).toBe(false);
  });

  it("handles nothing more once ended while an async handler is pending, and ignores that handler's outcome", async () => {
    const crashes: unknown[] = [];
    const runtime = newRuntime((_pid, reason) => crashes.push(reason));
    const gate = new Deferred();
    let aliveAfterAwait: boolean | undefined;
    const probe = new Probe(runtime, {}, async (_message, self) => {
      await gate.promise;
      aliveAfterAwait = self.alive;
      throw new Error("too late");
    });
    runtime.send(probe.pid, 1);
    runtime.send(probe.pid, 2);
    await settle();
    runtime.exit(probe.pid, "shutdown");
    gate.resolve();
    await settle();
    expect(aliveAfterAwait).toBe(false);
    expect(probe.received).toEqual([1]);
    expect(probe.exits).toEqual(["shutdown"]);
    expect(crashes).toEqual([]);
  });

  it("reports an error thrown by onExit via onCrash and still signals links", () => {
    const crashes: [string, unknown][] = [];
    const runtime = newRuntime((pid, reason) => crashes.push([String(pid), reason]));
    const partner = new Probe(runtime, { trapExits: true });
    const probe = new Probe(runtime, { link: partner.pid });
    const oops = new Error("onExit failed");
    probe.onExitHook = () => {
      throw oops;
    };
    expect(() => probe.halt("normal")).not.toThrow();
    expect(crashes).toEqual([[probe.pid.toString(), oops]]);
    expect(partner.mailboxSize).toBe(1);
  });
});

describe("Process: options", () => {
  it("links to options.link at start", () => {
    const runtime = newRuntime();
    const parent = new Probe(runtime);
    const child = new Probe(runtime, { link: parent.pid });
    expect(runtime.links(parent.pid)).toEqual([child.pid]);
    expect(runtime.links(child.pid)).toEqual([parent.pid]);
    runtime.exit(parent.pid, "boom");
    expect(child.exits).toEqual(["boom"]);
  });

  it("receives a noproc exit signal after construction when options.link is already dead", async () => {
    const runtime = newRuntime();
    const dead = new Probe(runtime);
    dead.halt();
    class Eager extends Process {
      readonly label = "constructed";
      labelSeenOnExit: string | undefined;
      protected override handleMessage(): void {}
      protected override onExit(): void {
        this.labelSeenOnExit = this.label;
      }
    }
    const eager = new Eager(runtime, { link: dead.pid });
    expect(eager.alive).toBe(true);
    await settle();
    expect(eager.alive).toBe(false);
    expect(eager.labelSeenOnExit).toBe("constructed");
    const trapper = new Probe(runtime, { link: dead.pid, trapExits: true });
    await settle();
    expect(trapper.received).toEqual([{ type: "EXIT", from: dead.pid, reason: "noproc" }]);
  });

  it("takes trapExits from the options and lets it change later", async () => {
    const runtime = newRuntime();
    const a = new Probe(runtime, { trapExits: true });
    expect(a.trapExits).toBe(true);
    const b = new Probe(runtime);
    runtime.link(a.pid, b.pid);
    a.trapExits = false;
    b.halt("boom");
    expect(a.exits).toEqual(["boom"]);
  });
});

describe("Runtime: onCrash", () => {
  it("is called once, for the process where a crash started, not for the linked processes it takes down", async () => {
    const crashes: unknown[] = [];
    const runtime = newRuntime((pid) => crashes.push(pid));
    const origin = new Probe(runtime, {}, () => {
      throw new Error("boom");
    });
    const linked = [new Probe(runtime, { link: origin.pid }), new Probe(runtime, { link: origin.pid })];
    new Probe(runtime, { link: linked[0]?.pid });
    runtime.send(origin.pid, "go");
    await settle();
    expect(runtime.processCount).toBe(0);
    expect(crashes).toEqual([origin.pid]);
  });

  it("is called for stop() with an unclean reason, but not for clean ones", () => {
    const crashes: unknown[] = [];
    const runtime = newRuntime((_pid, reason) => crashes.push(reason));
    new Probe(runtime).halt("normal");
    new Probe(runtime).halt("shutdown");
    new Probe(runtime).halt({ shutdown: "bye" });
    new Probe(runtime).halt("gave up");
    expect(crashes).toEqual(["gave up"]);
  });

  it("is not called for processes ended by Runtime.exit", () => {
    const crashes: unknown[] = [];
    const runtime = newRuntime((_pid, reason) => crashes.push(reason));
    runtime.exit(new Probe(runtime).pid, new Error("stopped from outside"));
    runtime.exit(new Probe(runtime).pid, "kill");
    expect(crashes).toEqual([]);
  });

  it("rethrows an error thrown by the hook from a microtask instead of interrupting the exit", async () => {
    const hookError = new Error("bad hook");
    const runtime = newRuntime(() => {
      throw hookError;
    });
    const partner = new Probe(runtime);
    const probe = new Probe(runtime, { link: partner.pid });
    const uncaught: unknown[] = [];
    const listener = (error: unknown): void => {
      uncaught.push(error);
    };
    const listeners = process.listeners("uncaughtException");
    process.removeAllListeners("uncaughtException");
    process.on("uncaughtException", listener);
    try {
      probe.halt("boom");
      expect(partner.alive).toBe(false);
      await settle();
    } finally {
      process.off("uncaughtException", listener);
      for (const l of listeners) process.on("uncaughtException", l);
    }
    expect(uncaught).toEqual([hookError]);
  });
});
