/**
 * memory: idle connections, each joined to a topic of its own, added in steps (1k, then up to 5k, then
 * 10k) on one fresh server. After each step the server collects garbage and its RSS is read: bytes per
 * connection above the idle baseline. The connect+join rate and CPU of each step are reported too.
 */
import { closeAll, openMany, type BenchConnection } from "../lib/connection.js";
import { rssBytes } from "../lib/proc.js";
import type { ServerProcess } from "../lib/server-process.js";
import { CpuWindow, now, sleep, targetOf, type Figure } from "./common.js";

export async function memory(server: ServerProcess, levels: readonly number[]): Promise<Figure[]> {
  const figures: Figure[] = [];
  const all: BenchConnection[] = [];
  try {
    await sleep(500);
    await server.collectGarbage();
    const baseline = rssBytes(server.pid);
    for (const level of levels) {
      const offset = all.length;
      const cpu = new CpuWindow(server);
      const started = now();
      const added = await openMany(targetOf(server), level - offset, 200, async (connection, index) => {
        await connection.join(`bench:mem:${offset + index}`);
      });
      const elapsed = (now() - started) / 1000;
      const { serverMicros } = cpu.close();
      all.push(...added);
      await sleep(500);
      await server.collectGarbage();
      const rss = rssBytes(server.pid);
      const k = `${level / 1000}k`;
      figures.push(
        { metric: `bytes per connection (${k})`, unit: "B", value: (rss - baseline) / level, better: "lower" },
        { metric: `connect+join/s (to ${k})`, unit: "1/s", value: added.length / elapsed, better: "higher" },
        { metric: `server CPU per connect+join (to ${k})`, unit: "µs", value: serverMicros / added.length, better: "lower" },
      );
    }
    return figures;
  } finally {
    closeAll(all);
  }
}
