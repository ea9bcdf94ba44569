import { describe, expect, it } from "vitest";
import type { ExitReason } from "../../../src/runtime/process/exit-reason.js";
import { Runtime } from "../../../src/runtime/process/runtime.js";
import { VirtualClock } from "../../../src/runtime/clock/virtual-clock.js";
import { Probe, settle } from "./probe.js";
import { randomInt, seededRandom } from "./seeded-random.js";

/** A random graph of linked probes; some trap exits. */
interface Scenario {
  runtime: Runtime;
  probes: Probe[];
  edges: [number, number][];
  trapping: boolean[];
  crashes: unknown[];
}

function buildScenario(seed: number): Scenario {
  const random = seededRandom(seed);
  const crashes: unknown[] = [];
  const runtime = new Runtime({ clock: new VirtualClock(), onCrash: (pid) => crashes.push(pid) });
  const size = 2 + randomInt(random, 40);
  const trapping = Array.from({ length: size }, () => random() < 0.2);
  const probes = trapping.map((trapExits) => new Probe(runtime, { trapExits }));
  const edges: [number, number][] = [];
  // A random forest (each node may attach to an earlier one), plus a few extra edges that make cycles.
  for (let i = 1; i < size; i++) if (random() < 0.8) edges.push([randomInt(random, i), i]);
  for (let extra = randomInt(random, size / 4 + 1); extra > 0; extra--) {
    edges.push([randomInt(random, size), randomInt(random, size)]);
  }
  for (const [a, b] of edges) runtime.link(probes[a]!.pid, probes[b]!.pid);
  return { runtime, probes, edges, trapping, crashes };
}

/**
 * The processes an exit started at `origin` must end: the origin, then every non-trapping process linked
 * to one already ended. Trapping processes stop the spread (they only get an EXIT message).
 */
function expectedDead(scenario: Scenario, origin: number): Set<number> {
  const neighbours = scenario.probes.map(() => new Set<number>());
  for (const [a, b] of scenario.edges) {
    if (a === b) continue;
    neighbours[a]!.add(b);
    neighbours[b]!.add(a);
  }
  const dead = new Set([origin]);
  const queue = [origin];
  while (queue.length > 0) {
    const at = queue.shift()!;
    for (const next of neighbours[at]!) {
      if (dead.has(next) || scenario.trapping[next]) continue;
      dead.add(next);
      queue.push(next);
    }
  }
  return dead;
}

describe("link graphs (property)", () => {
  it("an abnormal exit ends exactly the origin's linked component, stopping at trapping processes", async () => {
    for (let seed = 1; seed <= 300; seed++) {
      const scenario = buildScenario(seed);
      const { runtime, probes, trapping } = scenario;
      const random = seededRandom(seed * 7919);
      const candidates = probes.map((_, i) => i).filter((i) => !trapping[i]);
      if (candidates.length === 0) continue;
      const origin = candidates[randomInt(random, candidates.length)]!;
      const useKill = random() < 0.3;
      const reason: ExitReason = useKill ? "kill" : new Error(`crash ${seed}`);
      const endedWith = useKill ? "killed" : reason;

      const dead = expectedDead(scenario, origin);
      runtime.exit(probes[origin]!.pid, reason);

      const context = `seed ${seed}`;
      probes.forEach((probe, i) => {
        expect(probe.alive, `${context}: process ${i}`).toBe(!dead.has(i));
        expect(probe.exits, `${context}: process ${i}`).toEqual(dead.has(i) ? [endedWith] : []);
        // No live process keeps a link to a dead one.
        for (const linked of runtime.links(probe.pid)) expect(runtime.isAlive(linked), context).toBe(true);
      });
      expect(runtime.processCount, context).toBe(probes.length - dead.size);
      // Ended by a signal from outside, so nothing is a crash to report.
      expect(scenario.crashes, context).toEqual([]);

      // Every trapping survivor got one EXIT per dead neighbour it was linked to, with the spread reason.
      await settle();
      probes.forEach((probe, i) => {
        if (!trapping[i]) return;
        const expectedFrom = new Set(
          scenario.edges
            .filter(([a, b]) => a !== b && (a === i || b === i))
            .map(([a, b]) => (a === i ? b : a))
            .filter((n) => dead.has(n)),
        );
        const exits = probe.received as { type: string; from: unknown; reason: unknown }[];
        expect(exits.map((m) => m.type).every((t) => t === "EXIT"), context).toBe(true);
        expect(new Set(exits.map((m) => m.from)), context).toEqual(new Set([...expectedFrom].map((n) => probes[n]!.pid)));
        expect(exits.length, context).toBe(expectedFrom.size);
        expect(exits.every((m) => m.reason === endedWith), context).toBe(true);
      });
    }
  });

  it("a normal exit ends nobody else, whatever the graph", () => {
    for (let seed = 1; seed <= 100; seed++) {
      const { probes } = buildScenario(seed);
      const origin = randomInt(seededRandom(seed), probes.length);
      probes[origin]!.halt("normal");
      probes.forEach((probe, i) => expect(probe.alive, `seed ${seed}`).toBe(i !== origin));
    }
  });

  it("keeps a process's links in link order at every count (one, a few, many), through unlinks, repeats and exits", async () => {
    for (let count = 1; count <= 20; count++) {
      const random = seededRandom(count * 31);
      const runtime = new Runtime({ clock: new VirtualClock() });
      const hub = new Probe(runtime, { trapExits: true });
      const others = Array.from({ length: count }, () => new Probe(runtime, { trapExits: true }));
      const expected: Probe[] = [];
      for (const other of others) {
        runtime.link(hub.pid, other.pid);
        expected.push(other);
        // A repeated link changes nothing.
        if (random() < 0.3) runtime.link(other.pid, hub.pid);
      }
      const context = `${count} links`;
      expect(runtime.links(hub.pid), context).toEqual(expected.map((p) => p.pid));
      for (const other of others) expect(runtime.links(other.pid), context).toEqual([hub.pid]);
      // Unlink some at random places, and end others: each leaves the hub's list, in place.
      for (const other of others) {
        const roll = random();
        if (roll < 0.25) runtime.unlink(hub.pid, other.pid);
        else if (roll < 0.5) other.halt("normal");
        else continue;
        expected.splice(expected.indexOf(other), 1);
        expect(runtime.links(hub.pid), context).toEqual(expected.map((p) => p.pid));
      }
      // The hub's exit reaches exactly the ones still linked.
      hub.halt(new Error("hub"));
      await settle();
      for (const other of others) {
        const exits = (other.received as { type?: string; from?: unknown }[]).filter((m) => m.type === "EXIT");
        expect(exits.map((m) => m.from), context).toEqual(expected.includes(other) ? [hub.pid] : []);
      }
    }
  });
});

