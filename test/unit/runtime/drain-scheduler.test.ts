/**
 * The shared drain scheduler and the lazily allocated mailbox: one microtask runs every process whose
 * drain is due, in the order they were scheduled; each process still handles its own messages one at a
 * time, in arrival order; a crash ends only its own process, even when many crash in one batch; and a
 * process scheduled during a batch runs after the microtasks queued before it, as with a microtask of its
 * own.
 */
import { describe, expect, it } from "vitest";
import { Runtime } from "../../../src/runtime/process/runtime.js";
import { VirtualClock } from "../../../src/runtime/clock/virtual-clock.js";
import { Deferred, Probe, settle } from "./probe.js";
import { randomInt, seededRandom } from "./seeded-random.js";

const newRuntime = (onCrash?: (pid: unknown, reason: unknown) => void) =>
  new Runtime({ clock: new VirtualClock(), ...(onCrash === undefined ? {} : { onCrash }) });

describe("the shared drain scheduler", () => {
  it("keeps each process's messages in arrival order while 300 processes are fed interleaved", async () => {
    const runtime = newRuntime();
    const probes = Array.from({ length: 300 }, () => new Probe(runtime));
    const random = seededRandom(11);
    const sent = probes.map(() => [] as number[]);
    for (let n = 0; n < 30_000; n++) {
      const i = randomInt(random, probes.length);
      sent[i]!.push(n);
      runtime.send(probes[i]!.pid, n);
    }
    await settle(3);
    probes.forEach((probe, i) => expect(probe.received).toEqual(sent[i]));
    expect(probes.every((p) => p.idle && p.mailboxSize === 0)).toBe(true);
  });

  it("runs the processes of one batch in the order they were scheduled", async () => {
    const runtime = newRuntime();
    const order: string[] = [];
    const probes = ["a", "b", "c", "d"].map((name) => new Probe(runtime, {}, () => void order.push(name)));
    for (const i of [2, 0, 3, 1]) runtime.send(probes[i]!.pid, "go");
    await settle();
    expect(order).toEqual(["c", "a", "d", "b"]);
  });

  it("runs a process scheduled during a batch after the microtasks queued before it", async () => {
    const runtime = newRuntime();
    const log: string[] = [];
    const b = new Probe(runtime, {}, () => void log.push("b handles"));
    const a = new Probe(runtime, {}, () => {
      void Promise.resolve().then(() => log.push("a's promise"));
      runtime.send(b.pid, "from a");
      log.push("a handles");
    });
    runtime.send(a.pid, "go");
    await settle();
    expect(log).toEqual(["a handles", "a's promise", "b handles"]);
  });

  it("ends only the crashing processes in a crash storm, and the rest of each batch still runs", async () => {
    const crashes: unknown[] = [];
    const runtime = newRuntime((_pid, reason) => crashes.push(reason));
    const probes = Array.from({ length: 600 }, (_, i) =>
      new Probe(runtime, {}, (message) => {
        if (i % 3 === 0 && message === 2) throw new Error(`crash ${i}`);
      }),
    );
    for (let round = 0; round < 5; round++) for (const probe of probes) runtime.send(probe.pid, round);
    await settle(3);
    probes.forEach((probe, i) => {
      if (i % 3 === 0) {
        expect(probe.alive).toBe(false);
        expect(probe.received).toEqual([0, 1, 2]);
      } else {
        expect(probe.alive).toBe(true);
        expect(probe.received).toEqual([0, 1, 2, 3, 4]);
      }
    });
    expect(crashes).toHaveLength(200);
  });

  it("lets other processes run while one waits for its async handler", async () => {
    const runtime = newRuntime();
    const gate = new Deferred();
    const slow = new Probe(runtime, {}, (message) => (message === "wait" ? gate.promise : undefined));
    const fast = new Probe(runtime);
    runtime.send(slow.pid, "wait");
    runtime.send(slow.pid, "after");
    runtime.send(fast.pid, 1);
    runtime.send(fast.pid, 2);
    await settle();
    expect(fast.received).toEqual([1, 2]);
    expect(slow.received).toEqual(["wait"]);
    expect(slow.awaiting).toBe(true);
    gate.resolve();
    await settle();
    expect(slow.received).toEqual(["wait", "after"]);
  });
});

describe("the lazily allocated mailbox", () => {
  it("loses nothing when sends and handling interleave at random around the compaction threshold", async () => {
    const runtime = newRuntime();
    const probe = new Probe(runtime);
    const random = seededRandom(7);
    let next = 0;
    for (let step = 0; step < 40; step++) {
      for (let burst = randomInt(random, 3_000); burst > 0; burst--) runtime.send(probe.pid, next++);
      if (random() < 0.5) await settle(randomInt(random, 3));
    }
    await settle(Math.ceil(next / 1_000) + 2);
    expect(probe.received).toEqual(Array.from({ length: next }, (_, i) => i));
    expect(probe.mailboxSize).toBe(0);
  });

  it("keeps undefined messages (emptiness is not read from the value taken)", async () => {
    const runtime = newRuntime();
    const probe = new Probe(runtime);
    runtime.send(probe.pid, undefined);
    runtime.send(probe.pid, undefined);
    expect(probe.mailboxSize).toBe(2);
    await settle();
    expect(probe.received).toEqual([undefined, undefined]);
    expect(probe.idle).toBe(true);
  });

  it("drops what is queued when the process ends, and takes nothing more", async () => {
    const runtime = newRuntime();
    const probe = new Probe(runtime, {}, (message, self) => {
      if (message === 1) self.halt();
    });
    for (let i = 0; i < 3_000; i++) runtime.send(probe.pid, i);
    await settle(4);
    expect(probe.received).toEqual([0, 1]);
    expect(probe.mailboxSize).toBe(0);
    expect(runtime.send(probe.pid, "late")).toBe(false);
  });
});
