/**
 * scale: as many idle connections as one server process may hold on this machine (20,000 open files per
 * process, a hard limit: 19,000 by default), each joined to a topic of its own (`bench:scale:<i>`), then
 * one broadcast per topic. scale-cluster: the same with 100,000 connections on Fenix's cluster workers,
 * each worker under the per-process limit.
 *
 * The connections come from several load-generator processes (lib/scale-generator.ts, each well under
 * the limit), each from its own block of loopback addresses (127.<run>.<generator>.<k>, at most 2,000
 * connections per address), so that no source address runs out of ephemeral ports. After they are all
 * open and joined, the server collects garbage: RSS (from `/proc`) and heap used (the server's own
 * `process.memoryUsage()`, written to `BENCH_MEMORY_FILE`) above the idle server's, per connection. Then
 * the server is sent SIGHUP and broadcasts once to every scale topic (lifecycle.ts; a cluster's workers
 * each send their share, through the IPC link): the time from the signal until the last connection got
 * its message (clocks of the generators and of this process are the same wall clock). The kernel's own
 * memory for the sockets is in no RSS: the machine's slab growth while they open is given per connection
 * (both ends, since the generators run here too; whatever else runs on the machine adds noise).
 */
import { fork, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import type { ServerName } from "../lib/dialects.js";
import { pin, rssBytes } from "../lib/proc.js";
import type { GeneratorCommand, GeneratorMessage } from "../lib/scale-generator.js";
import { startServer, type ServerProcess } from "../lib/server-process.js";
import { CpuWindow, LOADGEN_CPU, sleep, targetOf, type Figure } from "./common.js";

const generatorScript = join(dirname(fileURLToPath(import.meta.url)), "..", "lib", "scale-generator.js");

/** Connections per local address (each address has about 28,000 ephemeral ports). */
const PER_ADDRESS = 2_000;

export interface ScaleOptions {
  /** How many connections (each joined to its own topic). */
  readonly connections: number;
  /** Load-generator processes the connections are spread over. */
  readonly generators: number;
  /** Connections each generator opens at once. */
  readonly concurrency: number;
  /** The CPUs the server may run on. */
  readonly cpus: string;
  /** Cluster workers (Fenix only); 0 runs the single-process server. */
  readonly workers: number;
  readonly log: (line: string) => void;
}

/** Wall-clock time in ms, comparable with the generators'. */
const epoch = (): number => performance.timeOrigin + performance.now();

/** A second octet per run, so that consecutive runs do not reuse source ports still in TIME_WAIT. */
let runOctet = (process.pid % 200) + 1;

type Answer<T extends GeneratorMessage["type"]> = Extract<GeneratorMessage, { type: T }>;

/** A forked generator and the messages it sends. */
class Generator {
  readonly #child: ChildProcess;
  readonly #waiting = new Map<string, { resolve: (message: GeneratorMessage) => void; reject: (error: Error) => void }>();
  readonly #seen = new Map<string, GeneratorMessage>();
  readonly exited: Promise<void>;

  constructor() {
    this.#child = fork(generatorScript, [], { execArgv: [], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    pin(this.#child.pid!, LOADGEN_CPU);
    this.#child.on("message", (message: GeneratorMessage) => {
      this.#seen.set(message.type, message);
      const waiter = this.#waiting.get(message.type);
      this.#waiting.delete(message.type);
      waiter?.resolve(message);
    });
    this.exited = new Promise((resolve) =>
      this.#child.once("exit", (code, signal) => {
        // A generator that dies (out of memory, a bug) fails the run instead of leaving it waiting.
        for (const waiter of this.#waiting.values()) waiter.reject(new Error(`scale: a load generator exited (${signal ?? code})`));
        this.#waiting.clear();
        resolve();
      }),
    );
  }

  send(command: GeneratorCommand): void {
    if (this.#child.connected) this.#child.send(command);
  }

  /** The next message of `type`. */
  next<T extends GeneratorMessage["type"]>(type: T): Promise<Answer<T>> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return Promise.reject(new Error("scale: a load generator exited"));
    return new Promise((resolve, reject) => this.#waiting.set(type, { resolve: resolve as (message: GeneratorMessage) => void, reject }));
  }

  /** Its `reached` message, once every connection it holds got its broadcast. */
  get reached(): Answer<"reached"> | undefined {
    return this.#seen.get("reached") as Answer<"reached"> | undefined;
  }

  async close(): Promise<void> {
    this.send({ type: "close" });
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), 5_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** What every process of the server holds after a forced collection: RSS summed from `/proc`, heap used summed from their memory files. */
async function serverMemory(server: ServerProcess, dir: string): Promise<{ rss: number; heapUsed: number }> {
  const asked = Date.now();
  await server.collectGarbage();
  let heapUsed = 0;
  for (const pid of server.pids) {
    const file = join(dir, `mem-${pid}.json`);
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (existsSync(file)) {
        const read = JSON.parse(readFileSync(file, "utf8")) as { at: number; heapUsed: number };
        if (read.at >= asked) {
          heapUsed += read.heapUsed;
          break;
        }
      }
      if (Date.now() > deadline) throw new Error(`scale: process ${pid} did not write its memory after SIGUSR2`);
      await sleep(50);
    }
  }
  return { rss: server.pids.reduce((sum, pid) => sum + rssBytes(pid), 0), heapUsed };
}

/** Open files of a process (its connections, mostly). */
function openFiles(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return Number.NaN;
  }
}

/** The kernel's slab memory (its socket structures among the rest), in bytes: not in any process's RSS. */
function slabBytes(): number {
  const match = /^Slab:\s+(\d+) kB$/m.exec(readFileSync("/proc/meminfo", "latin1"));
  return match === null ? Number.NaN : Number(match[1]) * 1024;
}

/** One run of the scale scenario against `server` (a name, or Fenix as a cluster with `options.workers`). */
export async function scale(name: ServerName, options: ScaleOptions): Promise<Figure[]> {
  const { connections, generators: generatorCount, concurrency, log } = options;
  const dir = mkdtempSync(join(tmpdir(), "fenix-scale-"));
  const cluster = options.workers > 0;
  const server = await startServer(name, {
    cpus: options.cpus,
    ...(cluster ? { script: "fenix-cluster" } : {}),
    env: { SCALE_TOPICS: String(connections), BENCH_MEMORY_FILE: join(dir, "mem-%p.json"), ...(cluster ? { WORKERS: String(options.workers) } : {}) },
  });
  const generators: Generator[] = [];
  const octet = runOctet;
  runOctet = (runOctet % 250) + 1;
  try {
    await sleep(500);
    const idle = await serverMemory(server, dir);
    for (let g = 0; g < generatorCount; g++) generators.push(new Generator());

    // Open and join: each generator its consecutive block of topics, from its own addresses.
    const slabBefore = slabBytes();
    const cpu = new CpuWindow(server);
    const perGenerator = Math.ceil(connections / generatorCount);
    const opened = await Promise.all(
      generators.map((generator, g) => {
        const first = g * perGenerator;
        const count = Math.max(0, Math.min(perGenerator, connections - first));
        const addresses = Array.from({ length: Math.max(1, Math.ceil(count / PER_ADDRESS)) }, (_, k) => `127.${octet}.${g + 1}.${k + 1}`);
        const answer = generator.next("opened");
        generator.send({ type: "open", target: targetOf(server), first, count, concurrency, addresses });
        return answer;
      }),
    );
    const openCpu = cpu.close();
    const slabAfter = slabBytes();
    const open = opened.reduce((sum, o) => sum + o.opened, 0);
    const failed = opened.reduce((sum, o) => sum + o.failed, 0);
    const openSeconds = (Math.max(...opened.map((o) => o.endedAt)) - Math.min(...opened.map((o) => o.startedAt))) / 1000;
    const errors = opened.map((o) => o.firstError).filter((e) => e !== null);
    log(`    ${open.toLocaleString("en-US")} connections open and joined in ${openSeconds.toFixed(1)} s, ${failed} failed${errors.length > 0 ? ` (first: ${errors[0]})` : ""}`);
    const files = server.pids.map(openFiles);
    log(`    open files per server process: ${files.join(", ")}; CPUs busy while opening: ${openCpu.cpuBusy.map((b) => `${(b * 100).toFixed(0)} %`).join(", ")}`);

    await sleep(1_000);
    const loaded = await serverMemory(server, dir);
    log(`    server RSS ${(idle.rss / 2 ** 20).toFixed(1)} → ${(loaded.rss / 2 ** 20).toFixed(1)} MB, heap used ${(idle.heapUsed / 2 ** 20).toFixed(1)} → ${(loaded.heapUsed / 2 ** 20).toFixed(1)} MB`);

    // One broadcast per topic, sent by the server on SIGHUP; wait until every generator has all its messages.
    const broadcastCpu = new CpuWindow(server);
    const signalled = epoch();
    process.kill(server.pid, "SIGHUP");
    const limit = Date.now() + 30_000 + connections; // 30 s + 1 ms per connection
    while (Date.now() < limit && !generators.every((g, i) => g.reached !== undefined || opened[i]!.opened === 0)) await sleep(20);
    const progress = await Promise.all(
      generators.map(async (generator) => {
        if (generator.reached !== undefined) return generator.reached;
        const answer = generator.next("progress");
        generator.send({ type: "report" });
        return answer;
      }),
    );
    const { serverMicros: broadcastMicros, cpuBusy: broadcastBusy } = broadcastCpu.close();
    const received = progress.reduce((sum, p) => sum + p.received, 0);
    const lastAt = Math.max(...progress.map((p) => p.lastAt));
    const reachMs = lastAt - signalled;
    log(`    ${received.toLocaleString("en-US")} of ${open.toLocaleString("en-US")} got their broadcast, the last ${reachMs.toFixed(0)} ms after the signal; CPUs busy meanwhile: ${broadcastBusy.map((b) => `${(b * 100).toFixed(0)} %`).join(", ")}`);

    const figures: Figure[] = [
      { metric: "connections open and joined", unit: "connections", value: open, better: "higher" },
      { metric: "RSS per connection (after GC, above idle)", unit: "B", value: (loaded.rss - idle.rss) / open, better: "lower" },
      { metric: "heap used per connection (after GC, above idle)", unit: "B", value: (loaded.heapUsed - idle.heapUsed) / open, better: "lower" },
      { metric: "server RSS with every connection (after GC)", unit: "MB", value: loaded.rss / 2 ** 20, better: "lower" },
      { metric: "kernel slab per connection (both ends, whole machine)", unit: "B", value: (slabAfter - slabBefore) / open, better: "lower" },
      { metric: "connect+join/s", unit: "1/s", value: open / openSeconds, better: "higher" },
      { metric: "server CPU per connect+join", unit: "µs", value: openCpu.serverMicros / open, better: "lower" },
      { metric: "time to reach everyone (one broadcast per topic)", unit: "ms", value: reachMs, better: "lower" },
      { metric: "connections that got their broadcast", unit: "%", value: (received / Math.max(1, open)) * 100, better: "higher" },
      { metric: "server CPU per broadcast delivered", unit: "µs", value: broadcastMicros / Math.max(1, received), better: "lower" },
    ];
    if (cluster) figures.push({ metric: "most open files in one server process", unit: "files", value: Math.max(...files.filter(Number.isFinite)), better: "lower" });
    return figures;
  } finally {
    await Promise.all(generators.map((generator) => generator.close()));
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
