/**
 * Test doubles for the runtime suites: `Probe`, a process that records what it handles and how it ended,
 * `settle()` to let microtasks and drains run, `Deferred` to control when an async handler finishes, and
 * `newRuntime()` on a virtual clock.
 */
import type { ExitReason } from "../../../src/runtime/process/exit-reason.js";
import { Process } from "../../../src/runtime/process/process.js";
import type { ProcessOptions } from "../../../src/runtime/process/process.js";
import { Runtime } from "../../../src/runtime/process/runtime.js";
import { VirtualClock } from "../../../src/runtime/clock/virtual-clock.js";

/** What a Probe does with each message after recording it. */
export type ProbeHandler = (message: unknown, probe: Probe) => void | PromiseLike<void>;

/** A process that records every message it handles and every reason it ended with. */
export class Probe extends Process {
  readonly received: unknown[] = [];
  readonly exits: ExitReason[] = [];
  onExitHook: ((reason: ExitReason) => void) | undefined;
  readonly #handler: ProbeHandler | undefined;

  constructor(runtime: Runtime, options?: ProcessOptions, handler?: ProbeHandler) {
    super(runtime, options);
    this.#handler = handler;
  }

  /** Public access to the protected `stop`, for tests. */
  halt(reason?: ExitReason): void {
    this.stop(reason);
  }

  protected override handleMessage(message: unknown): void | PromiseLike<void> {
    this.received.push(message);
    return this.#handler?.(message, this);
  }

  protected override onExit(reason: ExitReason): void {
    this.exits.push(reason);
    this.onExitHook?.(reason);
  }
}

/** Lets pending microtasks and `rounds` setImmediate turns run (each turn drains up to 1000 messages per process). */
export async function settle(rounds = 1): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A promise with its resolve and reject exposed. */
export class Deferred<T = void> {
  readonly promise: Promise<T>;
  resolve!: (value: T) => void;
  reject!: (reason: unknown) => void;

  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

/** Keeps the outcome of a promise readable without awaiting it (and without an unhandled rejection). */
export function track<T>(promise: Promise<T>): { settled: boolean; value?: T; error?: unknown } {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => {
      state.settled = true;
      state.value = value;
    },
    (error: unknown) => {
      state.settled = true;
      state.error = error;
    },
  );
  return state;
}

/** A runtime on a virtual clock, reporting crashes to `onCrash` when given. */
export function newRuntime(onCrash?: (pid: unknown, reason: unknown) => void): Runtime {
  return new Runtime({ clock: new VirtualClock(), ...(onCrash ? { onCrash } : {}) });
}
