/**
 * Which process the running code works for: every message a Process handles runs inside
 * `processContext.run(process, …)`, so promises, timers and listeners it starts carry the process in their
 * async context, and an error that escapes them can be pinned on it (see escaped-errors.ts).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Process } from "./process.js";

/**
 * The async context that names the process whose handler started the running code.
 *
 * @internal
 */
export const processContext: AsyncLocalStorage<Process> = new AsyncLocalStorage<Process>();

/**
 * Key of the Process method that ends it with an error that escaped its handlers (a floating promise, a
 * timer, a listener); a no-op on a dead process.
 *
 * @internal
 */
export const crashEscaped: unique symbol = Symbol("fenix.runtime.crashEscaped");

/**
 * The process whose work is running now, or `undefined` outside every process.
 *
 * @remarks
 * Set while a process handles a message, and inherited by whatever that handling starts: promise
 * continuations, timers, I/O callbacks and the listeners of emitters it created. A listener added to an
 * emitter that something else fires runs in the context of whoever fires it; wrap it with
 * `AsyncLocalStorage.bind(listener)` to keep the process's context.
 *
 * @example
 * ```ts
 * class Worker extends Process {
 *   protected override handleMessage(): void {
 *     setTimeout(() => console.log(currentProcess() === this), 10); // true
 *   }
 * }
 * ```
 */
export function currentProcess(): Process | undefined {
  return processContext.getStore();
}
