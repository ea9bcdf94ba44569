/**
 * What every benchmark server does around its own code: tell the load generator it is ready, collect
 * garbage when asked (SIGUSR2, so memory is read without dead objects; needs `--expose-gc`), and stop
 * on SIGTERM. With `BENCH_MEMORY_FILE` set (the soak), each collection also writes
 * `process.memoryUsage()` and the time to that file, so the load generator can read the heap too
 * (`%p` in the name stands for the process id: each process of a cluster writes its own file). With
 * `SCALE_TOPICS=N` (the scale scenarios), SIGHUP broadcasts once to each of `bench:scale:0` … `bench:scale:<N-1>`.
 */
import { renameSync, writeFileSync } from "node:fs";

/** Collects garbage on SIGUSR2 (and keeps the signal from ending the process). */
export function collectGarbageOnSignal(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  const file = process.env.BENCH_MEMORY_FILE?.replaceAll("%p", String(process.pid));
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

/** The payload of every broadcast of the scale scenarios: a 100-character body, as a chat line might be. */
const SCALE_PAYLOAD = { body: "The quick brown fox jumps over the lazy dog while the five boxing wizards jump quickly; ".padEnd(100, ".") };

/**
 * With `SCALE_TOPICS=N`, broadcasts a `shout` to each scale topic on SIGHUP: `bench:scale:<i>` for every
 * `i` < N with `i % of === slot - 1` (a cluster worker takes its share; one process takes them all).
 * Nothing without `SCALE_TOPICS` (SIGHUP then keeps its default action).
 */
export function broadcastOnSignal(broadcast: (topic: string, payload: { readonly body: string }) => void, slot = 1, of = 1): void {
  const topics = Number(process.env.SCALE_TOPICS ?? 0);
  if (!(topics > 0)) return;
  process.on("SIGHUP", () => {
    for (let i = slot - 1; i < topics; i += of) broadcast(`bench:scale:${i}`, SCALE_PAYLOAD);
  });
}
