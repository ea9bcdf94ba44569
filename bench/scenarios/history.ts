/**
 * history: what keeping a topic's history costs Fenix, one node. Four set-ups of the same server, each in
 * a fresh process: no history; history in memory (the default PubSub keeps the streams); and, linked
 * through the `RedisAdapter` to a private Redis (one node, prefix of its own), without history and with
 * the streams in Redis. Each runs the `fanout-1k` shape (server CPU per delivered message, latency) and,
 * for Redis, counts the commands Redis ran per broadcast (`INFO commandstats` before and after the
 * measured step). Where history is kept, it then fills `topics` topics to the retention's size with a
 * fixed payload and reads the memory that took: the server's heap and RSS after GC against before (memory
 * store), Redis's `MEMORY USAGE` of the streams and its `used_memory` (Redis store), per retained message.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@redis/client";
import { BenchConnection } from "../lib/connection.js";
import { rssBytes } from "../lib/proc.js";
import { startRedis, type RedisProcess } from "../lib/redis-server.js";
import { startServer, type ServerProcess } from "../lib/server-process.js";
import { BODY, now, settle, sleep, targetOf, type Figure, type Measured } from "./common.js";
import { stepFigures, withFanout } from "./fanout.js";

/** The set-ups compared: history off or on, in memory or in Redis. */
export type HistoryColumn = "off" | "memory" | "redis-off" | "redis";

/** The retention of every `bench:*` topic when history is on. */
export const HISTORY_SIZE = 1_000;
export const HISTORY_TTL_MS = 10 * 60_000;

/** The payload of the fill: a 100-character body, the same for every message. */
const FILL_PAYLOAD = `{"body":"${BODY}"}`;
/** Shouts sent before waiting for their echoes (well under the Redis store's 10,000 pending appends). */
const FILL_BATCH = 500;

type Client = ReturnType<typeof createClient>;

export interface HistoryBenchOptions {
  readonly cpu: number;
  readonly subscribers: number;
  /** Broadcasts per second of the fanout. */
  readonly rate: number;
  /** The fanout's measured window (s). */
  readonly seconds: number;
  /** Topics filled to {@link HISTORY_SIZE} messages for the memory figures. */
  readonly topics: number;
  readonly log: (line: string) => void;
}

export async function historyBench(column: HistoryColumn, options: HistoryBenchOptions): Promise<Figure[]> {
  const cpus = String(options.cpu);
  const kept = column === "memory" || column === "redis";
  const dir = mkdtempSync(join(tmpdir(), "fenix-history-"));
  const memoryFile = join(dir, "memory.json");
  // A prefix of its own, so that only this run's keys are read and deleted.
  const prefix = `bench-history-${randomBytes(6).toString("hex")}`;
  let redis: RedisProcess | null = null;
  let client: Client | null = null;
  let server: ServerProcess | null = null;
  try {
    if (column === "redis" || column === "redis-off") {
      // Redis shares CPU 1 with the server, as in cross-node.
      redis = await startRedis(cpus);
      client = createClient({ url: redis.url });
      await client.connect();
    }
    server = await startServer("fenix", {
      cpus,
      env: {
        BENCH_MEMORY_FILE: memoryFile,
        ...(kept ? { FENIX_HISTORY_SIZE: String(HISTORY_SIZE), FENIX_HISTORY_TTL_MS: String(HISTORY_TTL_MS) } : {}),
        ...(redis !== null ? { REDIS_URL: redis.url, REDIS_PREFIX: prefix, NODE_NAME: "bench-history" } : {}),
      },
    });
    const measured: Measured = { pids: server.pids, ...(redis !== null ? { redisPids: [redis.pid] } : {}) };
    const placement = { publisher: targetOf(server), subscribers: [targetOf(server)], measured };
    const figures = await withFanout(placement, options.subscribers, async (fanout) => {
      await fanout.warmUp(options.rate);
      const before = client === null ? null : await commandCalls(client);
      const step = await fanout.step(options.rate, options.seconds);
      const figures = stepFigures(step);
      if (client !== null && before !== null) {
        const after = await commandCalls(client);
        const calls = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
        let total = 0;
        const each: string[] = [];
        for (const name of after.keys()) {
          if (name === "info" || calls(name) === 0) continue;
          total += calls(name);
          each.push(`${name} ${(calls(name) / step.sent).toFixed(2)}`);
        }
        options.log(`    Redis commands per broadcast (${step.sent} broadcasts): ${each.join(", ")}`);
        figures.push(
          { metric: "Redis EVALSHA + EVAL calls per broadcast", unit: "calls", value: (calls("evalsha") + calls("eval")) / step.sent, better: "lower" },
          { metric: "Redis commands per broadcast (all, those the scripts run included)", unit: "calls", value: total / step.sent, better: "lower" },
        );
      }
      return figures;
    });
    if (kept) figures.push(...(await fill(server, memoryFile, client, prefix, options)));
    return figures;
  } finally {
    await server?.stop();
    if (client !== null) {
      await deleteKeys(client, prefix).catch((error: unknown) => options.log(`    history: could not delete the keys of ${prefix}: ${String(error)}`));
      client.destroy();
    }
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Calls per command so far (`INFO commandstats`), by lower-case command name. */
async function commandCalls(client: Client): Promise<Map<string, number>> {
  const info = String(await client.sendCommand(["INFO", "commandstats"]));
  const calls = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(match[1]!.toLowerCase(), Number(match[2]));
  return calls;
}

/** Redis's `used_memory` (bytes). */
async function usedMemory(client: Client): Promise<number> {
  const info = String(await client.sendCommand(["INFO", "memory"]));
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? Number.NaN);
}

/** Every key under `prefix:` (this run's only). */
async function keysOf(client: Client, prefix: string, pattern = "*"): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, found] = (await client.sendCommand(["SCAN", cursor, "MATCH", `${prefix}:${pattern}`, "COUNT", "1000"])) as [string, string[]];
    cursor = String(next);
    keys.push(...found.map(String));
  } while (cursor !== "0");
  return keys;
}

async function deleteKeys(client: Client, prefix: string): Promise<void> {
  const keys = await keysOf(client, prefix);
  for (let i = 0; i < keys.length; i += 500) await client.sendCommand(["UNLINK", ...keys.slice(i, i + 500)]);
}

/** The server's heap after a GC (it writes `process.memoryUsage()` to `memoryFile` on SIGUSR2) and its RSS. */
async function serverMemory(server: ServerProcess, memoryFile: string): Promise<{ heapUsed: number; rss: number }> {
  const asked = Date.now();
  await server.collectGarbage();
  const deadline = now() + 10_000;
  while (now() < deadline) {
    if (existsSync(memoryFile)) {
      const read = JSON.parse(readFileSync(memoryFile, "utf8")) as { at: number; heapUsed: number };
      if (read.at >= asked) return { heapUsed: read.heapUsed, rss: rssBytes(server.pid) };
    }
    await sleep(50);
  }
  throw new Error("history: the server did not write its memory after SIGUSR2 (BENCH_MEMORY_FILE)");
}

/**
 * Fills `topics` fresh topics (`bench:hist:<n>`) with {@link HISTORY_SIZE} messages each, one publisher
 * joined to all of them, in batches that wait for their echoes; figures of the memory that took.
 */
async function fill(server: ServerProcess, memoryFile: string, client: Client | null, prefix: string, options: HistoryBenchOptions): Promise<Figure[]> {
  const publisher = new BenchConnection(targetOf(server));
  try {
    await publisher.open();
    const topics = Array.from({ length: options.topics }, (_, i) => `bench:hist:${i}`);
    const joinRefs: number[] = [];
    for (const topic of topics) joinRefs.push(await publisher.join(topic));
    let echoed = 0;
    publisher.handle(() => echoed++, false);
    await sleep(500);
    const before = await serverMemory(server, memoryFile);
    const redisBefore = client === null ? Number.NaN : await usedMemory(client);
    const started = now();
    let sent = 0;
    for (const [i, topic] of topics.entries()) {
      for (let n = 0; n < HISTORY_SIZE; n++) {
        publisher.send(publisher.dialect.shout(topic, joinRefs[i]!, publisher.ref(), FILL_PAYLOAD));
        sent++;
        if (sent % FILL_BATCH === 0) await settle(() => echoed, sent, 2_000, 30_000);
      }
    }
    await settle(() => echoed, sent, 2_000, 30_000);
    const seconds = (now() - started) / 1000;
    if (echoed < sent) throw new Error(`history: the fill broadcast ${sent} messages but ${echoed} came back`);
    options.log(`    fill: ${sent} messages on ${topics.length} topics in ${seconds.toFixed(1)} s`);
    await sleep(500);
    const after = await serverMemory(server, memoryFile);
    let retained = sent;
    const figures: Figure[] = [];
    if (client !== null) {
      const streams = await keysOf(client, prefix, "history:bench:hist:*");
      let bytes = 0;
      retained = 0;
      for (const key of streams) {
        bytes += Number(await client.sendCommand(["MEMORY", "USAGE", key, "SAMPLES", "0"]));
        retained += Number(await client.sendCommand(["XLEN", key]));
      }
      const redisAfter = await usedMemory(client);
      figures.push(
        { metric: "Redis MEMORY USAGE of the streams per retained msg", unit: "B", value: bytes / retained, better: "lower" },
        { metric: "Redis used_memory growth per retained msg", unit: "B", value: (redisAfter - redisBefore) / retained, better: "lower" },
      );
    }
    figures.unshift(
      { metric: "retained msgs after the fill", unit: "msgs", value: retained, better: "higher" },
      { metric: "fill broadcasts/s", unit: "1/s", value: sent / seconds, better: "higher" },
      { metric: "server heap growth per retained msg", unit: "B", value: (after.heapUsed - before.heapUsed) / retained, better: "lower" },
      { metric: "server RSS growth per retained msg", unit: "B", value: (after.rss - before.rss) / retained, better: "lower" },
    );
    return figures;
  } finally {
    publisher.close();
  }
}
