/**
 * Reading a server process from outside: CPU time (user + system) from `/proc/<pid>/stat`, resident
 * memory from `/proc/<pid>/status`, CPU affinity with `taskset`, and how busy each CPU of the machine
 * is from `/proc/stat`, and a free loopback port for the services a benchmark starts. Linux only, like
 * `taskset`.
 */
import { execFileSync, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/** Clock ticks per second of `/proc/<pid>/stat` times. */
const TICKS_PER_SECOND = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;

/** CPU time the process has used so far, in microseconds (10 ms resolution at 100 ticks/s). */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  // The command name may hold spaces and parentheses: fields are counted after its closing ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1_000_000) / TICKS_PER_SECOND;
}

/** Resident set size in bytes. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "latin1");
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (match === null) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}

/** The CPUs a process may run on, as `taskset` prints them (such as "1" or "0,1"). */
export function affinityOf(pid: number): string {
  return execFileSync("taskset", ["-c", "-p", String(pid)]).toString().split(":").pop()!.trim();
}

/** The CPU numbers of a list in `taskset` form ("1", "0,1", "0-3"), sorted, as a comma-separated string. */
export function normalizeCpuList(list: string): string {
  const cpus = list.split(",").flatMap((part) => {
    const [from, to = from] = part.trim().split("-").map(Number);
    return Array.from({ length: to! - from! + 1 }, (_, i) => from! + i);
  });
  return [...new Set(cpus)].sort((a, b) => a - b).join(",");
}

/** Pins every thread of `pid` to `cpu`. */
export function pin(pid: number, cpu: number): void {
  execFileSync("taskset", ["-a", "-c", "-p", String(cpu), String(pid)], { stdio: "ignore" });
}

/** Busy and total time of each CPU of the machine so far, in clock ticks (`/proc/stat`; idle and iowait are not busy). */
export function cpuTicks(): { busy: number; total: number }[] {
  return readFileSync("/proc/stat", "latin1")
    .split("\n")
    .filter((line) => /^cpu\d+ /.test(line))
    .map((line) => {
      const [user, nice, system, idle, iowait, irq, softirq, steal] = line.split(/\s+/).slice(1, 9).map(Number) as number[];
      const total = user! + nice! + system! + idle! + iowait! + irq! + softirq! + steal!;
      return { busy: total - idle! - iowait!, total };
    });
}

/** Stops a child process: SIGTERM, then SIGKILL after 3 s; resolves once it has exited. */
export function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), 3_000).unref();
  });
}

/** A loopback port nobody listens on now, other than `avoid` (a shared service's: 1883, 6379). */
export async function freePort(avoid: number): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    if (port !== avoid) return port;
  }
}
