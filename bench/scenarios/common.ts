/** Helpers shared by the scenarios: timing, waiting for counters to settle, CPU windows, payload bodies. */
import { performance } from "node:perf_hooks";
import type { Target } from "../lib/connection.js";
import { cpuMicros } from "../lib/proc.js";
import type { ServerProcess } from "../lib/server-process.js";

/** One measured figure of a run: a name, a unit and whether more is better (for the report). */
export interface Figure {
  readonly metric: string;
  readonly unit: string;
  readonly value: number;
  readonly better: "higher" | "lower";
}

export const now = (): number => performance.now();

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Where the load generator reaches `server`. */
export function targetOf(server: ServerProcess): Target {
  return { server: server.name, host: "127.0.0.1", port: server.port };
}

/** A 100-character message body, as a chat line might be. */
export const BODY = "The quick brown fox jumps over the lazy dog while the five boxing wizards jump quickly; ".padEnd(100, ".");

/**
 * Waits until `count()` reaches `expected`, or stops growing for `quietMs`, or `maxMs` passes. Resolves
 * with the time the last growth was seen.
 */
export async function settle(count: () => number, expected: number, quietMs = 300, maxMs = 10_000): Promise<number> {
  const started = now();
  let last = count();
  let lastChange = now();
  while (count() < expected && now() - lastChange < quietMs && now() - started < maxMs) {
    await sleep(10);
    const current = count();
    if (current !== last) {
      last = current;
      lastChange = now();
    }
  }
  return count() >= expected ? now() : lastChange;
}

/** Measures the server's CPU time (µs) and the load generator's own CPU share over a window. */
export class CpuWindow {
  readonly #pid: number;
  readonly #serverStart: number;
  readonly #selfStart: NodeJS.CpuUsage;
  readonly #wallStart = now();

  constructor(server: ServerProcess) {
    this.#pid = server.pid;
    this.#serverStart = cpuMicros(server.pid);
    this.#selfStart = process.cpuUsage();
  }

  /** Server CPU µs since the window opened, and the load generator's busy fraction of the wall time. */
  close(): { serverMicros: number; loadgenBusy: number } {
    const serverMicros = cpuMicros(this.#pid) - this.#serverStart;
    const self = process.cpuUsage(this.#selfStart);
    const wallMicros = (now() - this.#wallStart) * 1000;
    return { serverMicros, loadgenBusy: (self.user + self.system) / wallMicros };
  }
}
