/**
 * Reading a server process from outside: CPU time (user + system) from `/proc/<pid>/stat` and resident
 * memory from `/proc/<pid>/status`. Linux only, like `taskset`.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

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

/** The CPUs a process may run on, as `taskset` prints them (such as "1"). */
export function affinityOf(pid: number): string {
  return execFileSync("taskset", ["-c", "-p", String(pid)]).toString().split(":").pop()!.trim();
}

/** Pins every thread of `pid` to `cpu`. */
export function pin(pid: number, cpu: number): void {
  execFileSync("taskset", ["-a", "-c", "-p", String(cpu), String(pid)], { stdio: "ignore" });
}
