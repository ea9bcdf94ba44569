/**
 * A Runtime that counts the live `watch` observers per pid, so registry tests can check that each
 * registered pid is watched exactly once and that the watch is cancelled with its last entry.
 */
import type { ExitReason } from "../../../src/runtime/process/exit-reason.js";
import type { Pid } from "../../../src/runtime/process/pid.js";
import { Runtime } from "../../../src/runtime/process/runtime.js";

/** A Runtime whose `watch` keeps count of the observers that have neither fired nor been cancelled. */
export class WatchCountingRuntime extends Runtime {
  readonly #active = new Map<Pid, number>();

  /** Live watches on `pid`. */
  watchesOf(pid: Pid): number {
    return this.#active.get(pid) ?? 0;
  }

  /** Live watches over all pids. */
  get activeWatches(): number {
    let total = 0;
    for (const n of this.#active.values()) total += n;
    return total;
  }

  override watch(target: Pid, onExit: (reason: ExitReason) => void): () => void {
    let live = true;
    const end = (): void => {
      if (!live) return;
      live = false;
      const n = (this.#active.get(target) ?? 1) - 1;
      if (n === 0) this.#active.delete(target);
      else this.#active.set(target, n);
    };
    this.#active.set(target, this.watchesOf(target) + 1);
    const cancel = super.watch(target, (reason) => {
      end();
      onExit(reason);
    });
    return () => {
      end();
      cancel();
    };
  }
}
