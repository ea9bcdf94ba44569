/**
 * Starts a benchmark server in its own Node process pinned to one CPU (`taskset -c`), waits for its
 * `READY <port>` line, and stops it. Each scenario run gets a fresh process. Servers run compiled (see
 * tsconfig.bench.json), as they would in production: no TypeScript loader in the measured process.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ServerName } from "./dialects.js";
import { affinityOf } from "./proc.js";

const serversDir = join(dirname(fileURLToPath(import.meta.url)), "..", "servers");

/** A running server process. */
export interface ServerProcess {
  readonly name: ServerName;
  readonly pid: number;
  readonly port: number;
  /** Asks the server to collect garbage (SIGUSR2) and waits for it to settle. */
  collectGarbage(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts `name` pinned to `cpu`. */
export async function startServer(name: ServerName, cpu: number): Promise<ServerProcess> {
  const child = spawn(
    "taskset",
    ["-c", String(cpu), process.execPath, "--expose-gc", join(serversDir, `${name}.js`)],
    { env: { ...process.env, PORT: "0", NODE_ENV: "production" }, stdio: ["ignore", "pipe", "inherit"] },
  );
  const port = await readyPort(child, name);
  const pid = child.pid!;
  // taskset execs node, so the pid is the server's own; check that the pinning holds.
  const cpus = affinityOf(pid);
  if (cpus !== String(cpu)) throw new Error(`${name} runs on CPUs ${cpus}, expected ${cpu}`);
  return {
    name,
    pid,
    port,
    async collectGarbage() {
      process.kill(pid, "SIGUSR2");
      await new Promise((resolve) => setTimeout(resolve, 500));
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 3_000).unref();
      }),
  };
}

function readyPort(child: ChildProcess, name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 20 s`)), 20_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /READY (\d+)/.exec(out);
      if (match !== null) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it was ready`));
    });
  });
}
