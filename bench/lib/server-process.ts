/**
 * Starts a benchmark server in its own Node process pinned to chosen CPUs (`taskset -c`), waits for its
 * `READY <port>` line (and the `PIDS …` line of a server that runs several processes), and stops it.
 * Each scenario run gets a fresh process. Servers run compiled (see tsconfig.bench.json), as they would
 * in production: no TypeScript loader in the measured process.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ServerName } from "./dialects.js";
import { affinityOf, normalizeCpuList, stopProcess } from "./proc.js";

const serversDir = join(dirname(fileURLToPath(import.meta.url)), "..", "servers");

/** A running server process. */
export interface ServerProcess {
  readonly name: ServerName;
  /** The process the load generator started (a cluster's primary). */
  readonly pid: number;
  /** Every process of the server (the primary and its workers for a cluster): their CPU is the server's. */
  readonly pids: readonly number[];
  readonly port: number;
  /** Asks the server to collect garbage (SIGUSR2) and waits for it to settle. */
  collectGarbage(): Promise<void>;
  stop(): Promise<void>;
}

/** How to start a server. */
export interface ServerOptions {
  /** The CPUs it may run on, as `taskset -c` takes them ("1", "0,1"). */
  readonly cpus: string;
  /** Its script in bench/servers, without `.js`. @defaultValue the server's name */
  readonly script?: string;
  /** Environment added to the load generator's (REDIS_URL, NODE_NAME, WORKERS…). */
  readonly env?: Readonly<Record<string, string>>;
}

/** `BENCH_CPU_PROF=<dir>` writes a V8 CPU profile of every server process into `dir` (for `--cpu-prof` analysis). */
function profileArgs(): string[] {
  const dir = process.env.BENCH_CPU_PROF;
  return dir === undefined || dir === "" ? [] : ["--cpu-prof", `--cpu-prof-dir=${dir}`];
}

/** Starts `name`, pinned as `options` say. */
export async function startServer(name: ServerName, options: ServerOptions): Promise<ServerProcess> {
  const script = options.script ?? name;
  const child = spawn(
    "taskset",
    ["-c", options.cpus, process.execPath, "--expose-gc", ...profileArgs(), join(serversDir, `${script}.js`)],
    { env: { ...process.env, PORT: "0", NODE_ENV: "production", ...options.env }, stdio: ["ignore", "pipe", "inherit"] },
  );
  const stop = () => stopProcess(child);
  const { port, others } = await readyLine(child, script);
  // taskset execs node, so the pid is the server's own; check that the pinning holds for every process.
  const pid = child.pid!;
  const pids = [pid, ...others];
  for (const each of pids) {
    const cpus = normalizeCpuList(affinityOf(each));
    if (cpus !== normalizeCpuList(options.cpus)) {
      await stop();
      throw new Error(`${script} (pid ${each}) runs on CPUs ${cpus}, expected ${options.cpus}`);
    }
  }
  return {
    name,
    pid,
    pids,
    port,
    async collectGarbage() {
      process.kill(pid, "SIGUSR2");
      await new Promise((resolve) => setTimeout(resolve, 500));
    },
    stop,
  };
}

/** Waits for `READY <port>`; a `PIDS <pid> …` line before it names the server's other processes. */
function readyLine(child: ChildProcess, name: string): Promise<{ port: number; others: number[] }> {
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 20 s`)), 20_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /READY (\d+)/.exec(out);
      if (match !== null) {
        clearTimeout(timer);
        const others = /^PIDS ([\d ]+)$/m.exec(out)?.[1]!.trim().split(" ").map(Number) ?? [];
        resolve({ port: Number(match[1]), others });
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it was ready`));
    });
  });
}
