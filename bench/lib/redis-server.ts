/**
 * A private `redis-server` for one scenario run: started on a free port of 127.0.0.1 (never the shared
 * one on 6379), without persistence, pinned to chosen CPUs, stopped when the run ends. Its pid lets the
 * scenario measure Redis's CPU apart from the servers'.
 */
import { spawn } from "node:child_process";
import { affinityOf, freePort, normalizeCpuList, stopProcess } from "./proc.js";

/** A running private Redis. */
export interface RedisProcess {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/** Starts `redis-server` (from PATH) on `cpus`; resolves once it accepts connections. */
export async function startRedis(cpus: string): Promise<RedisProcess> {
  const port = await freePort(6379);
  const child = spawn(
    "taskset",
    ["-c", cpus, "redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const stop = () => stopProcess(child);
  await new Promise<void>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("redis-server did not start within 10 s")), 10_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`redis-server could not be started: ${error.message}`));
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code} before it was ready:\n${out}`));
    });
  });
  const pid = child.pid!;
  if (normalizeCpuList(affinityOf(pid)) !== normalizeCpuList(cpus)) {
    await stop();
    throw new Error(`redis-server runs on CPUs ${affinityOf(pid)}, expected ${cpus}`);
  }
  return { url: `redis://127.0.0.1:${port}`, pid, stop };
}

