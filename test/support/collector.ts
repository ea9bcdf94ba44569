/**
 * A process that records every message it receives, with a promise-based wait, for tests of anything
 * that delivers to mailboxes (PubSub, channels, runtime signals): the shipped `Inbox`, plus `kill`.
 */
import { Inbox } from "../../src/testing/adapter.js";

/** Records messages; `waitFor(n)` waits until n have arrived. */
export class Collector extends Inbox {
  /** Ends the collector with `reason` (its subscriptions go with it). */
  kill(reason: unknown = "shutdown"): void {
    this.stop(reason);
  }
}

/** Lets every pending microtask and immediate run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
