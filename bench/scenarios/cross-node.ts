/**
 * cross-node: the fanout across three nodes of one server kind linked through a private Redis. The
 * publisher is on node A, the subscribers half on B and half on C; Redis and the three servers share
 * one CPU. A fixed-rate run, then the ramp, on the same connections. Server CPU is A+B+C; Redis's apart.
 */
import { startRedis } from "../lib/redis-server.js";
import type { ServerName } from "../lib/dialects.js";
import { startServer, type ServerProcess } from "../lib/server-process.js";
import { targetOf, type Figure } from "./common.js";
import { fixedRate, ramp, rampFigures, withFanout } from "./fanout.js";

/** The server kinds that link through Redis (raw `ws` has no cross-node mode). */
export const CROSS_NODE_SERVERS: readonly ServerName[] = ["fenix", "socketio"];

let runs = 0;

export interface CrossNodeOptions {
  readonly cpu: number;
  readonly subscribers: number;
  /** The fixed rate and the ramp's first (broadcasts/s). */
  readonly rate: number;
  /** The fixed-rate window (s). */
  readonly seconds: number;
  readonly log: (line: string) => void;
}

export async function crossNode(name: ServerName, options: CrossNodeOptions): Promise<Figure[]> {
  const cpus = String(options.cpu);
  const redis = await startRedis(cpus);
  const nodes: ServerProcess[] = [];
  try {
    // A channel prefix of its own per run, although each run has its own Redis.
    const prefix = `bench-${process.pid}-${++runs}`;
    const started = await Promise.allSettled(
      ["a", "b", "c"].map((node) => startServer(name, { cpus, env: { REDIS_URL: redis.url, REDIS_PREFIX: prefix, NODE_NAME: `bench-${node}` } })),
    );
    for (const result of started) if (result.status === "fulfilled") nodes.push(result.value);
    const failed = started.find((result) => result.status === "rejected");
    if (failed !== undefined) throw failed.reason;
    const [a, b, c] = nodes as [ServerProcess, ServerProcess, ServerProcess];
    const placement = {
      publisher: targetOf(a),
      subscribers: [targetOf(b), targetOf(c)],
      measured: { pids: nodes.flatMap((node) => node.pids), redisPids: [redis.pid] },
    };
    return await withFanout(placement, options.subscribers, async (fanout) => [
      ...(await fixedRate(fanout, options.rate, options.seconds)),
      ...rampFigures(await ramp(fanout, options.rate, 1.25, 2, options.log)),
    ]);
  } finally {
    await Promise.all(nodes.map((node) => node.stop()));
    await redis.stop();
  }
}
