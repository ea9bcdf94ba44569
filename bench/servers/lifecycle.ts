/**
 * What every benchmark server does around its own code: tell the load generator it is ready, collect
 * garbage when asked (SIGUSR2, so memory is read without dead objects; needs `--expose-gc`), and stop
 * on SIGTERM. With `BENCH_MEMORY_FILE` set (the soak), each collection also writes
 * `process.memoryUsage()` and the time to that file, so the load generator can read the heap too.
 */
import { renameSync, writeFileSync } from "node:fs";

/** Collects garbage on SIGUSR2 (and keeps the signal from ending the process). */
export function collectGarbageOnSignal(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  const file = process.env.BENCH_MEMORY_FILE;
  process.on("SIGUSR2", () => {
    gc?.();
    if (file === undefined || file === "") return;
    // Written aside and renamed, so that a reader never sees half a file.
    writeFileSync(`${file}.tmp`, JSON.stringify({ at: Date.now(), ...process.memoryUsage() }));
    renameSync(`${file}.tmp`, file);
  });
}

/** Prints `READY <port>` and wires the signals. */
export function serveUntilSignalled(port: number, stop: () => Promise<void>): void {
  collectGarbageOnSignal();
  process.once("SIGTERM", () => {
    const exit = () => process.exit(0);
    stop().then(exit, exit);
    setTimeout(exit, 2_000).unref();
  });
  process.stdout.write(`READY ${port}\n`);
}
