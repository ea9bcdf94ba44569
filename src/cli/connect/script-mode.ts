/**
 * Script mode (stdin is not a terminal): no prompt; each line is handled in order, the next one only once
 * the last is done (a push replied or timed out). When input ends, the session keeps listening for
 * `--wait` ms; `/quit` ends it at once.
 */
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import type { ConnectSession } from "./session.js";
import { unlessAborted } from "./unless-aborted.js";

/** Feeds the lines of `input` to `session` one by one until input ends, `/quit`, or `signal` aborts. */
export async function runScript(session: ConnectSession, input: NodeJS.ReadableStream, waitMs: number, signal: AbortSignal): Promise<void> {
  const reader = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY, terminal: false });
  const lines = reader[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await unlessAborted(lines.next(), signal);
      if (next === undefined || next.done === true) break;
      const outcome = await unlessAborted(session.handle(next.value), signal);
      if (outcome !== "continue") return;
    }
    if (waitMs > 0 && !signal.aborted) await sleep(waitMs, undefined, { signal }).catch(() => {});
  } finally {
    reader.close();
  }
}
