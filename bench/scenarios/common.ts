/** Helpers shared by the scenarios: the CPUs used, timing, waiting for counters to settle, CPU windows, payload bodies. */
import { performance } from "node:perf_hooks";
import type { Target } from "../lib/connection.js";
import { cpuMicros, cpuTicks } from "../lib/proc.js";
import type { ServerProcess } from "../lib/server-process.js";

/** One measured figure of a run: a name, a unit and whether more is better (for the report). */
export interface Figure {
  readonly metric: string;
  readonly unit: string;
  readonly value: number;
  readonly better: "higher" | "lower";
}

/** The CPU the load generator is pinned to, and the one each server (alone) is pinned to. */
export const LOADGEN_CPU = 0;
export const SERVER_CPU = 1;

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

/** The processes a scenario measures: the server's (all of them, for several nodes or a cluster), and Redis's apart. */
export interface Measured {
  /** Their CPU time is the server's. */
  readonly pids: readonly number[];
  /** The Redis the servers share, measured apart from them. */
  readonly redisPids?: readonly number[];
}

const sumCpu = (pids: readonly number[]): number => pids.reduce((sum, pid) => sum + cpuMicros(pid), 0);

/** What a {@link CpuWindow} measured. */
export interface CpuUse {
  /** CPU µs of the server's processes, summed. */
  readonly serverMicros: number;
  /** CPU µs of the Redis processes (0 without Redis). */
  readonly redisMicros: number;
  /** The load generator's CPU time as a fraction of the wall time. */
  readonly loadgenBusy: number;
  /** How busy each CPU of the machine was, as a fraction (whatever ran on it). */
  readonly cpuBusy: readonly number[];
}

/** Measures the server's (and Redis's) CPU time, the load generator's own CPU share and each CPU's over a window. */
export class CpuWindow {
  readonly #measured: Measured;
  readonly #serverStart: number;
  readonly #redisStart: number;
  readonly #selfStart: NodeJS.CpuUsage;
  readonly #ticksStart = cpuTicks();
  readonly #wallStart = now();

  constructor(measured: Measured) {
    this.#measured = measured;
    this.#serverStart = sumCpu(measured.pids);
    this.#redisStart = sumCpu(measured.redisPids ?? []);
    this.#selfStart = process.cpuUsage();
  }

  close(): CpuUse {
    const serverMicros = sumCpu(this.#measured.pids) - this.#serverStart;
    const redisMicros = sumCpu(this.#measured.redisPids ?? []) - this.#redisStart;
    const self = process.cpuUsage(this.#selfStart);
    const wallMicros = (now() - this.#wallStart) * 1000;
    const cpuBusy = cpuTicks().map((end, i) => {
      const start = this.#ticksStart[i]!;
      return (end.busy - start.busy) / Math.max(1, end.total - start.total);
    });
    return { serverMicros, redisMicros, loadgenBusy: (self.user + self.system) / wallMicros, cpuBusy };
  }
}
