/**
 * cluster: the fanout (N subscribers and the publisher) against the Fenix server run as a cluster of
 * `workers` workers (servers/fenix-cluster.ts), its primary spreading connections over them. A fixed-rate
 * run, then the ramp, on the same connections. Server CPU sums the primary and every worker.
 */
import { startServer } from "../lib/server-process.js";
import type { Figure } from "./common.js";
import { alone, fixedRate, ramp, rampFigures, withFanout } from "./fanout.js";

export interface ClusterOptions {
  readonly workers: number;
  /** The CPUs the primary and the workers may run on ("1", "0,1"). */
  readonly cpus: string;
  readonly subscribers: number;
  /** The fixed rate and the ramp's first (broadcasts/s). */
  readonly rate: number;
  /** The fixed-rate window (s). */
  readonly seconds: number;
  readonly log: (line: string) => void;
}

export async function clusterFanout(options: ClusterOptions): Promise<Figure[]> {
  const server = await startServer("fenix", { cpus: options.cpus, script: "fenix-cluster", env: { WORKERS: String(options.workers) } });
  try {
    return await withFanout(alone(server), options.subscribers, async (fanout) => {
      const fixed = await fixedRate(fanout, options.rate, options.seconds);
      return [...fixed, ...rampFigures(await ramp(fanout, options.rate, 1.25, 2, options.log))];
    });
  } finally {
    await server.stop();
  }
}
