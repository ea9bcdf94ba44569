/**
 * Shared doubles for the GenServer and Task suites: a minimal name registrar (the NameRegistrar
 * contract, nothing more), a runtime on a virtual clock that records crashes, and `rejectionOf` to read
 * a promise's rejection without a try/catch in every test.
 */
import { AlreadyRegisteredError } from "../../../src/runtime/registry/already-registered-error.js";
import type { NameRegistrar, ViaName } from "../../../src/runtime/registry/name.js";
import type { Pid } from "../../../src/runtime/process/pid.js";
import { Runtime } from "../../../src/runtime/process/runtime.js";
import { VirtualClock } from "../../../src/runtime/clock/virtual-clock.js";

/** A unique-key registrar that forgets a name when its process ends, as the contract requires. */
export class TestNames implements NameRegistrar {
  readonly #byKey = new Map<unknown, Pid>();
  readonly #runtime: Runtime;

  constructor(runtime: Runtime) {
    this.#runtime = runtime;
  }

  whereis(key: unknown): Pid | undefined {
    return this.#byKey.get(key);
  }

  register(key: unknown, pid: Pid): void {
    const holder = this.#byKey.get(key);
    if (holder !== undefined) throw new AlreadyRegisteredError(key, holder, `${String(key)} is taken`);
    this.#byKey.set(key, pid);
    this.#runtime.watch(pid, () => {
      if (this.#byKey.get(key) === pid) this.#byKey.delete(key);
    });
  }

  via(key: unknown): ViaName<TestNames> {
    return { via: this, key };
  }
}

/** A runtime on a fresh virtual clock; `crashes` collects what `onCrash` reports. */
export function testRuntime(): { runtime: Runtime; clock: VirtualClock; crashes: [Pid, unknown][] } {
  const clock = new VirtualClock();
  const crashes: [Pid, unknown][] = [];
  const runtime = new Runtime({ clock, onCrash: (pid, reason) => crashes.push([pid, reason]) });
  return { runtime, clock, crashes };
}

/** What `promise` rejects with; fails the test if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject, but it resolved");
}

export { track } from "./probe.js";
