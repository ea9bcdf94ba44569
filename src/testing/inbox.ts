/**
 * A process that keeps every message it receives, with promise-based waits: the subscriber the adapter
 * conformance suite (and any test of something that delivers to mailboxes) listens with.
 */
import { Process } from "../runtime/process/process.js";
import type { Runtime } from "../runtime/process/runtime.js";

/**
 * Records the messages sent to it, in arrival order.
 *
 * @example
 * ```ts
 * const inbox = new Inbox(runtime);
 * pubsub.subscribe("room:1", inbox.pid);
 * pubsub.broadcast("room:1", { n: 1 });
 * await inbox.waitFor(1); // [{ n: 1 }]
 * ```
 */
export class Inbox extends Process {
  /** Every message received so far. */
  readonly messages: unknown[] = [];
  #waiters: (() => void)[] = [];

  constructor(runtime: Runtime) {
    super(runtime);
  }

  protected handleMessage(message: unknown): void {
    this.messages.push(message);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /**
   * Resolves with every message once at least `count` have arrived.
   * @throws Error after `timeoutMs` (saying how many arrived). @defaultValue timeoutMs 5000
   */
  async waitFor(count: number, timeoutMs = 5_000): Promise<unknown[]> {
    await this.until(() => this.messages.length >= count, timeoutMs, () => `expected ${count} messages, got ${this.messages.length}: ${preview(this.messages)}`);
    return this.messages;
  }

  /**
   * Resolves once a message equal (by JSON) to `message` has arrived; with it, every message before it
   * arrived too, since delivery keeps each sender's order.
   */
  async waitForMessage(message: unknown, timeoutMs = 5_000): Promise<unknown[]> {
    const wanted = JSON.stringify(message);
    await this.until(() => this.messages.some((m) => JSON.stringify(m) === wanted), timeoutMs, () => `no message ${wanted} arrived; got ${preview(this.messages)}`);
    return this.messages;
  }

  /** Ends the inbox (its subscriptions go with it). */
  close(): void {
    if (this.alive) this.stop("shutdown");
  }

  async until(done: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(describe());
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

function preview(messages: readonly unknown[]): string {
  const shown = JSON.stringify(messages.slice(0, 10)) ?? "";
  return messages.length > 10 ? `${shown.slice(0, -1)}, …]` : shown;
}
