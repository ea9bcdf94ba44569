/**
 * What every benchmark server does around its own code: tell the load generator it is ready, collect
 * garbage when asked (SIGUSR2, so memory is read without dead objects; needs `--expose-gc`), and stop
 * on SIGTERM.
 */

/** Collects garbage on SIGUSR2 (and keeps the signal from ending the process). */
export function collectGarbageOnSignal(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  process.on("SIGUSR2", () => gc?.());
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
