/**
 * Task: run one function in its own process and await its result. Linked to an owner, a failing task
 * takes the owner down (as OTP's `Task.async` does); monitored, the owner gets a DOWN; either way
 * `await` reports the outcome, and a task nobody awaits never leaves an unhandled rejection behind.
 */
import { CalleeExitedError } from "../gen-server/call.js";
import type { TimerHandle } from "../clock/clock.js";
import { RuntimeError, RuntimeErrorCode } from "../errors.js";
import { formatExitReason } from "./exit-reason.js";
import type { ExitReason } from "./exit-reason.js";
import { Pid } from "./pid.js";
import type { Ref } from "./pid.js";
import { Process } from "./process.js";
import { Runtime, defaultRuntime } from "./runtime.js";
import { isThenable } from "./thenable.js";
import { assertTimeout } from "./timeout.js";

/** The default time `await` and `Task.yield` wait, in ms. */
export const DEFAULT_TASK_TIMEOUT_MS = 5_000;

/**
 * Options of {@link Task.async}.
 *
 * @example
 * ```ts
 * declare const owner: Pid;
 * const options: TaskOptions = { runtime, link: owner };
 * ```
 */
export interface TaskOptions {
  /**
   * The Runtime the task's process lives in; its clock drives the `await` timeout.
   * @defaultValue `defaultRuntime`
   */
  runtime?: Runtime;
  /**
   * The owner to link the task to, from its first moment: if `fn` fails, the task exits with the error
   * and the owner with it, unless the owner traps exits (then it gets an EXIT message); if the owner
   * dies first, the task is ended too (if it is dead already, the task ends with `"noproc"` without
   * running `fn`).
   * @defaultValue no link
   */
  link?: Pid;
  /**
   * A process to monitor the task: it receives `{ type: "DOWN", ref: task.ref, pid, reason }` when the
   * task ends (`"normal"` on success), and does not crash when `fn` fails.
   * @defaultValue no monitor
   */
  monitor?: Pid;
}

/** Options of {@link Task.start}: a fire-and-forget task has nobody to monitor it. */
export type TaskStartOptions = Omit<TaskOptions, "monitor">;

/**
 * A running (or finished) task, as returned by {@link Task.async}.
 *
 * @example
 * ```ts
 * const task: Task<number> = Task.async(() => 6 * 7, { runtime });
 * await task.await(); // 42
 * ```
 */
export interface Task<T> {
  /** The task's process. */
  readonly pid: Pid;
  /** The ref of the DOWN its `monitor` receives, if one was given. */
  readonly ref: Ref | undefined;
  /** The Runtime the task lives in. */
  readonly runtime: Runtime;
  /** Whether the task has finished (with a value, an error or an exit). */
  readonly done: boolean;
  /**
   * Resolves with what `fn` returned (or resolved to).
   *
   * @remarks
   * Rejects with what `fn` threw or rejected with, as it is; with `FENIX_ERR_RUNTIME_CALLEE_EXITED`
   * (`CalleeExitedError`, `reason` = the exit reason) when the task was ended by something else (a kill, its
   * owner's exit); with `FENIX_ERR_RUNTIME_TASK_TIMEOUT` after `timeoutMs` of the runtime's clock
   * (`Infinity` waits forever) — after which a task with an owner (`link` or `monitor`) is unlinked,
   * demonitored and killed, so the owner is not hit by the kill. May be called any number of times.
   * @defaultValue `timeoutMs`: `5000`
   * @throws RuntimeError `FENIX_ERR_RUNTIME_BAD_ARGUMENT` at once for a negative or NaN `timeoutMs`.
   */
  await(timeoutMs?: number): Promise<T>;
}

type Outcome<T> =
  | { readonly kind: "value"; readonly value: T }
  | { readonly kind: "thrown"; readonly error: unknown }
  | { readonly kind: "exited"; readonly reason: ExitReason };

/** What a task's process and its awaiters share: the outcome, once known, and who waits for it. */
class TaskState<T> {
  outcome: Outcome<T> | undefined;
  readonly waiters = new Set<() => void>();

  settle(outcome: Outcome<T>): void {
    if (this.outcome !== undefined) return;
    this.outcome = outcome;
  }

  /** Wakes every waiter once the process has ended. */
  wake(): void {
    for (const waiter of this.waiters) waiter();
    this.waiters.clear();
  }
}

/** The first and only message a task handles: run the function. */
const RUN: unique symbol = Symbol("fenix.Task.run");

/** The process of one task: runs `fn` once, records the outcome, then exits with it. */
class TaskProcess<T> extends Process {
  #fn: (() => T | PromiseLike<T>) | undefined;
  readonly #state: TaskState<T> | undefined;

  constructor(runtime: Runtime, link: Pid | undefined, fn: () => T | PromiseLike<T>, state: TaskState<T> | undefined) {
    super(runtime, { link });
    this.#fn = fn;
    this.#state = state;
    runtime.send(this.pid, RUN);
  }

  protected override handleMessage(message: unknown): void | Promise<void> {
    const fn = this.#fn;
    // Anything else sent to a task is ignored; it exits as soon as fn is done.
    if (message !== RUN || fn === undefined) return;
    this.#fn = undefined;
    let result: T | PromiseLike<T>;
    let thenable: boolean;
    try {
      result = fn();
      thenable = isThenable(result);
    } catch (error) {
      this.#fail(error);
      return;
    }
    if (!thenable) {
      this.#succeed(result as T);
      return;
    }
    // Both outcomes are handled here, so a failing task never leaves a rejected promise unobserved.
    return Promise.resolve(result).then(
      (value) => this.#succeed(value),
      (error: unknown) => this.#fail(error),
    );
  }

  protected override onExit(reason: ExitReason): void {
    const state = this.#state;
    if (state === undefined) return;
    state.settle({ kind: "exited", reason });
    state.wake();
  }

  #succeed(value: T): void {
    if (!this.alive) return;
    this.#state?.settle({ kind: "value", value });
    this.stop("normal");
  }

  #fail(error: unknown): void {
    if (!this.alive) return;
    this.#state?.settle({ kind: "thrown", error });
    this.stop(error);
  }
}

function checkOptions(options: unknown, api: string, keys: readonly string[]): { runtime: Runtime; link: Pid | undefined; monitor: Pid | undefined } {
  const bad = (message: string): RuntimeError => new RuntimeError(RuntimeErrorCode.BAD_ARGUMENT, `${api}: ${message}`);
  if (options === undefined) options = {};
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw bad(`options must be an object { ${keys.map((k) => `${k}?`).join(", ")} }.`);
  }
  const fields = options as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!keys.includes(key)) throw bad(`unknown option ${JSON.stringify(key)}; the options are { ${keys.map((k) => `${k}?`).join(", ")} }.`);
  }
  const { runtime = defaultRuntime, link, monitor } = fields;
  if (!(runtime instanceof Runtime)) throw bad("runtime must be a Runtime.");
  if (link !== undefined && !(link instanceof Pid)) throw bad("link must be a Pid.");
  if (monitor !== undefined && !(monitor instanceof Pid)) throw bad("monitor must be a Pid.");
  return { runtime, link, monitor };
}

function checkFn(fn: unknown, api: string): void {
  if (typeof fn !== "function") {
    throw new RuntimeError(RuntimeErrorCode.BAD_ARGUMENT, `${api}: fn must be a function, received ${typeof fn}.`);
  }
}

/** The Task handle; its state is shared with the task's process. */
class TaskHandle<T> implements Task<T> {
  readonly pid: Pid;
  readonly ref: Ref | undefined;
  readonly runtime: Runtime;
  readonly #state: TaskState<T>;
  readonly #owner: Pid | undefined;

  constructor(runtime: Runtime, pid: Pid, ref: Ref | undefined, owner: Pid | undefined, state: TaskState<T>) {
    this.runtime = runtime;
    this.pid = pid;
    this.ref = ref;
    this.#owner = owner;
    this.#state = state;
  }

  get done(): boolean {
    return this.#state.outcome !== undefined;
  }

  await(timeoutMs: number = DEFAULT_TASK_TIMEOUT_MS): Promise<T> {
    assertTimeout(timeoutMs, "task.await: timeoutMs");
    return new Promise<T>((resolve, reject) => {
      this.#whenDone(
        timeoutMs,
        () => this.#deliver(resolve, reject),
        () => {
          reject(new RuntimeError(RuntimeErrorCode.TASK_TIMEOUT, `task ${this.pid.toString()} did not finish within ${timeoutMs} ms.`));
          this.#shutdown();
        },
      );
    });
  }

  /** Resolves with the result once the task is done, or `undefined` after `timeoutMs` (see `Task.yield`). */
  yield(timeoutMs: number): Promise<T | undefined> {
    return new Promise<T | undefined>((resolve, reject) => {
      this.#whenDone(
        timeoutMs,
        () => this.#deliver(resolve, reject),
        () => resolve(undefined),
      );
    });
  }

  /** Calls `onDone` once the task has ended, or `onTimeout` after `timeoutMs` of the runtime's clock. */
  #whenDone(timeoutMs: number, onDone: () => void, onTimeout: () => void): void {
    if (this.done) {
      onDone();
      return;
    }
    const timer: TimerHandle | undefined = Number.isFinite(timeoutMs)
      ? this.runtime.clock.setTimeout(() => {
          this.#state.waiters.delete(waiter);
          onTimeout();
        }, timeoutMs)
      : undefined;
    const waiter = (): void => {
      if (timer !== undefined) this.runtime.clock.clearTimeout(timer);
      onDone();
    };
    this.#state.waiters.add(waiter);
  }

  #deliver(resolve: (value: T) => void, reject: (reason: unknown) => void): void {
    const outcome = this.#state.outcome as Outcome<T>;
    if (outcome.kind === "value") {
      resolve(outcome.value);
    } else if (outcome.kind === "thrown") {
      reject(outcome.error);
    } else {
      const message = `task ${this.pid.toString()} exited (${formatExitReason(outcome.reason)}) before it finished.`;
      reject(new CalleeExitedError(outcome.reason, message));
    }
  }

  /** After an `await` timeout: an owned task is cut loose from its owner, then killed. */
  #shutdown(): void {
    if (this.#owner === undefined && this.ref === undefined) return;
    if (this.#owner !== undefined) this.runtime.unlink(this.#owner, this.pid);
    if (this.ref !== undefined) this.runtime.demonitor(this.ref);
    this.runtime.exit(this.pid, "kill");
  }
}

/**
 * Runs functions in their own processes: {@link Task.async} to await the result, {@link Task.start} to
 * fire and forget, {@link Task.yield} to check without giving up on the task.
 *
 * @remarks
 * A task is a process: it runs `fn` from a microtask after it starts, awaits it when it returns a
 * promise, and exits with `"normal"` on success or with the thrown value (a crash, reported to the
 * runtime's `onCrash` and sent over its link) on failure.
 *
 * @example
 * ```ts
 * const runtime = new Runtime();
 * const task = Task.async(async () => (await fetch("https://example.com")).status, { runtime });
 * const status = await task.await(10_000);
 * ```
 */
export const Task = {
  /**
   * Runs `fn` in a new process and returns a {@link Task} to await its result.
   *
   * @throws RuntimeError `FENIX_ERR_RUNTIME_BAD_ARGUMENT` at once for a non-function `fn` or bad options.
   *
   * @example
   * ```ts
   * declare const owner: Pid;
   * declare function expensiveSum(): number;
   * const task = Task.async(() => expensiveSum(), { runtime, link: owner });
   * const sum = await task.await(1_000);
   * ```
   */
  async<T>(fn: () => T | PromiseLike<T>, options?: TaskOptions): Task<T> {
    checkFn(fn, "Task.async");
    const { runtime, link, monitor } = checkOptions(options, "Task.async", ["runtime", "link", "monitor"]);
    const state = new TaskState<T>();
    const { pid } = new TaskProcess<T>(runtime, link, fn, state);
    const ref = monitor === undefined ? undefined : runtime.monitor(monitor, pid);
    return new TaskHandle<T>(runtime, pid, ref, link, state);
  },

  /**
   * Runs `fn` in a new process and forgets it: nobody awaits, so a failure only shows as the task's
   * crash (to `onCrash`, and over the link when `link` is given).
   *
   * @returns the task's pid.
   * @throws RuntimeError `FENIX_ERR_RUNTIME_BAD_ARGUMENT` at once for a non-function `fn` or bad options.
   *
   * @example
   * ```ts
   * declare function flushMetrics(): Promise<void>;
   * Task.start(async () => { await flushMetrics(); }, { runtime });
   * ```
   */
  start(fn: () => unknown, options?: TaskStartOptions): Pid {
    checkFn(fn, "Task.start");
    const { runtime, link } = checkOptions(options, "Task.start", ["runtime", "link"]);
    return new TaskProcess<unknown>(runtime, link, fn, undefined).pid;
  },

  /**
   * Waits up to `timeoutMs` for `task`: resolves with its result, or `undefined` if it is still running
   * (it keeps running; yield again or await it). Rejects as {@link Task.await} does when it failed.
   *
   * @remarks When `T` itself may be `undefined`, read `task.done` to tell a finished task from a running one.
   * @throws RuntimeError `FENIX_ERR_RUNTIME_BAD_ARGUMENT` at once for a task not made by `Task.async` or a bad `timeoutMs`.
   *
   * @example
   * ```ts
   * declare const task: Task<number>;
   * const result = await Task.yield(task, 100);
   * if (result === undefined) console.log("still working");
   * ```
   */
  yield<T>(task: Task<T>, timeoutMs: number = DEFAULT_TASK_TIMEOUT_MS): Promise<T | undefined> {
    if (!(task instanceof TaskHandle)) {
      throw new RuntimeError(RuntimeErrorCode.BAD_ARGUMENT, "Task.yield: task must be a Task returned by Task.async.");
    }
    assertTimeout(timeoutMs, "Task.yield: timeoutMs");
    return (task as TaskHandle<T>).yield(timeoutMs);
  },
} as const;
