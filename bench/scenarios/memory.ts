/**
 * memory: idle connections, each joined to a topic of its own, added in steps (1k, then up to 5k, then
 * 10k), in two passes on fresh servers.
 *
 * - The connect pass measures the connect+join rate and server CPU of each step. Nothing forces a
 *   collection: a forced `gc()` drops much of the server's optimized code, so a step that followed one
 *   would count the recompilation of every hot path (tens of µs per connection over a 5k step, more for a
 *   server with more code) as connect cost. A running server never collects that way; its own
 *   collections happen inside the windows, as they come.
 * - The memory pass opens the same steps, collects garbage after each (so memory is read without dead
 *   objects) and reads the RSS: bytes per connection above the idle baseline.
 */
import { closeAll, openMany, type BenchConnection } from "../lib/connection.js";
import { rssBytes } from "../lib/proc.js";
import type { ServerProcess } from "../lib/server-process.js";
import { CpuWindow, now, sleep, targetOf, type Figure } from "./common.js";

/** The connect pass: the connect+join rate and server CPU of each step, with no forced collection. */
export async function connectSteps(server: ServerProcess, levels: readonly number[]): Promise<Figure[]> {
  const figures: Figure[] = [];
  const all: BenchConnection[] = [];
  try {
    await sleep(500);
    for (const level of levels) {
      const offset = all.length;
      const cpu = new CpuWindow(server);
      const started = now();
      all.push(...(await openSteps(server, offset, level)));
      const elapsed = (now() - started) / 1000;
      const { serverMicros } = cpu.close();
      const added = all.length - offset;
      const k = `${level / 1000}k`;
      figures.push(
        { metric: `connect+join/s (to ${k})`, unit: "1/s", value: added / elapsed, better: "higher" },
        { metric: `server CPU per connect+join (to ${k})`, unit: "µs", value: serverMicros / added, better: "lower" },
      );
      await sleep(500);
    }
    return figures;
  } finally {
    closeAll(all);
  }
}

/** The memory pass: RSS after a collection at each step, per connection above the idle baseline. */
export async function memorySteps(server: ServerProcess, levels: readonly number[]): Promise<Figure[]> {
  const figures: Figure[] = [];
  const all: BenchConnection[] = [];
  try {
    await sleep(500);
    await server.collectGarbage();
    const baseline = rssBytes(server.pid);
    for (const level of levels) {
      all.push(...(await openSteps(server, all.length, level)));
      await sleep(500);
      await server.collectGarbage();
      const rss = rssBytes(server.pid);
      figures.push({ metric: `bytes per connection (${level / 1000}k)`, unit: "B", value: (rss - baseline) / level, better: "lower" });
    }
    return figures;
  } finally {
    closeAll(all);
  }
}

/** Opens connections `offset` … `level - 1`, each joined to its own topic. */
function openSteps(server: ServerProcess, offset: number, level: number): Promise<BenchConnection[]> {
  return openMany(targetOf(server), level - offset, 200, async (connection, index) => {
    await connection.join(`bench:mem:${offset + index}`);
  });
}

/** Both passes, each on a fresh server from `start`: per step, bytes per connection, then rate and CPU. */
export async function memory(start: () => Promise<ServerProcess>, levels: readonly number[]): Promise<Figure[]> {
  const connect = await withServer(start, (server) => connectSteps(server, levels));
  const bytes = await withServer(start, (server) => memorySteps(server, levels));
  return levels.flatMap((_, i) => [bytes[i]!, connect[2 * i]!, connect[2 * i + 1]!]);
}

async function withServer(start: () => Promise<ServerProcess>, run: (server: ServerProcess) => Promise<Figure[]>): Promise<Figure[]> {
  const server = await start();
  try {
    return await run(server);
  } finally {
    await server.stop();
  }
}
