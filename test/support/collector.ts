/**
 * A process that records every message it receives, with a promise-based wait, for tests of anything
 * that delivers to mailboxes (PubSub, channels, runtime signals).
 */
import { Process, type Runtime } from "../../src/index.js";

/** Records messages; `next()` waits for the next one. */
export class Collector extends Process {
  readonly messages: unknown[] = [];
  #waiters: Array<() => void> = [];

  constructor(runtime: Runtime) {
    super(runtime);
  }

  protected handleMessage(message: unknown): void {
    this.messages.push(message);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves once at least `count` messages have arrived (rejects after `timeoutMs`). */
  async waitFor(count: number, timeoutMs = 2_000): Promise<unknown[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < count) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`expected ${count} messages, got ${this.messages.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.messages;
  }

  /** Ends the collector (its subscriptions go with it). */
  kill(reason: unknown = "shutdown"): void {
    this.stop(reason);
  }
}

/** Lets every pending microtask and immediate run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
