/**
 * The Process primitive every socket, channel and (later) GenServer is built on: a pid, an ordered
 * mailbox, and a drain loop that handles one message at a time — synchronously when the handler returns
 * nothing, waiting when it returns a promise.
 */
import type { ExitReason } from "./exit-reason.js";
import { PID_OWNER, type Pid } from "./pid.js";
import { crashEscaped, processContext } from "./process-context.js";
import { attachProcess, endProcess } from "./process-hooks.js";
import type { ProcessHooks } from "./process-hooks.js";
import { defaultRuntime } from "./runtime.js";
import type { Runtime } from "./runtime.js";
import { isThenable } from "./thenable.js";

/**
 * Options of a {@link Process}.
 *
 * @example
 * ```ts
 * declare const socketPid: Pid;
 * const options: ProcessOptions = { trapExits: false, link: socketPid };
 * ```
 */
export interface ProcessOptions {
  /**
   * Receive exit signals of linked processes as `{ type: "EXIT", from, reason }` messages instead of
   * ending with them. Can be changed later through {@link Process.trapExits}.
   * @defaultValue `false`
   */
  trapExits?: boolean;
  /**
   * Link to this process at start. If it is already dead, the new process receives an exit signal with
   * reason `"noproc"` from a microtask (after its constructor has finished).
   * @defaultValue no link
   */
  link?: Pid;
}

/** Messages handled before the drain yields to the event loop with setImmediate, so I/O is never starved. */
const DRAIN_BUDGET = 1000;

/** The mailbox is compacted only once this many slots at its front are spent, so small queues never copy. */
const COMPACT_AFTER = 1024;

/** Where the drain loop is (the two low bits of a process's flags); "dead" is its own flag. */
const DrainState = { idle: 0, scheduled: 1, running: 2, waiting: 3 } as const;
type DrainState = (typeof DrainState)[keyof typeof DrainState];

/** The bits of a process's flags: its drain state, then its switches, then its drain budget. */
const STATE = 0b11;
const ALIVE = 0b100;
const HELD = 0b1000;
const ESCAPED = 0b1_0000;
const TRAP_EXITS = 0b10_0000;
/** The budget (messages left before the drain yields, at most 1000 < 2¹⁰) sits above the switches. */
const BUDGET_UNIT = 0b100_0000;
const BELOW_BUDGET = BUDGET_UNIT - 1;
const FULL_BUDGET = DRAIN_BUDGET * BUDGET_UNIT;

const yieldToEventLoop: (fn: () => void) => void =
  typeof setImmediate === "function"
    ? (fn) => {
        setImmediate(fn);
      }
    : (fn) => {
        setTimeout(fn, 0);
      };

/**
 * A lightweight process: subclass it and implement {@link Process.handleMessage}.
 *
 * @remarks
 * **Lifecycle.** The process is registered and alive as soon as the constructor returns (messages can be
 * sent to it from then on). It ends when its handler throws or rejects (reason: the thrown value), when it
 * calls {@link Process.stop}, or when an exit signal ends it (see {@link Runtime}). Ending is synchronous
 * and final: the process is marked dead, its queued messages are dropped, {@link Process.onExit} runs once,
 * then links and monitors are signalled.
 *
 * **Message handling.** Messages are handled one at a time, in arrival order, starting from a microtask
 * after the first `send`. A handler that returns nothing lets the next message be handled at once, in the
 * same loop, with no promise created. A handler that returns a promise (or any thenable) makes the process
 * wait until it settles; a rejection ends the process with the rejection as reason. After 1000 messages
 * the process yields to the event loop (setImmediate) before continuing, so a busy process cannot starve
 * I/O; the count carries across async handlers too. A subclass can also have a message handled at once,
 * in its caller's turn, while its mailbox is empty and nothing runs (see {@link Process.handleNow}).
 *
 * **Suspension.** `runtime.suspend(pid)` holds the mailbox: messages queue but are not handled until
 * `runtime.resume(pid)`. Exit signals are not held.
 *
 * **Escaped errors.** Each drain of the mailbox runs inside the process's async context (see
 * `currentProcess`), so what a handler starts and does not await — a floating promise, a timer, an I/O
 * listener — carries the process. When such work throws or rejects unhandled, the process ends with the
 * error as reason, as if its handler had thrown, instead of the Node.js process going down (see
 * docs/processes.md, "Escaped errors").
 *
 * **Re-entrancy.** If the process ends while an async handler is still running (a linked process crashed,
 * someone sent a `"kill"`), it handles nothing afterwards, and what that handler's promise later does is
 * ignored. Code after an `await` in a handler can check {@link Process.alive}.
 *
 * @example
 * ```ts
 * class Counter extends Process {
 *   count = 0;
 *   protected override handleMessage(message: unknown): void {
 *     if (message === "inc") this.count++;
 *     else if (message === "stop") this.stop();
 *   }
 *   protected override onExit(reason: ExitReason): void {
 *     console.log(`counter ${this.pid.toString()} ended (${formatExitReason(reason)}) at ${this.count}`);
 *   }
 * }
 * const counter = new Counter(new Runtime());
 * counter.runtime.send(counter.pid, "inc");
 * counter.runtime.send(counter.pid, "stop");
 * ```
 */
export abstract class Process {
  /** This process's identity. */
  readonly pid: Pid;

  /** Shared by every process: the Runtime names the process in each call, so no closures per process. */
  static readonly #hooks: ProcessHooks = {
    deliver: (process, message) => process.#deliver(message),
    halt: (process) => process.#halt(),
    hold: (process, held) => process.#hold(held),
    // Run in the ending process's own context: what onExit starts belongs to it, not to whoever ended it.
    exited: (process, reason) => processContext.run(process, Process.#onExitOf, process, reason),
  };
  static readonly #onExitOf = (process: Process, reason: ExitReason): void => process.onExit(reason);
  static readonly #drainOf = (process: Process): void => process.#drain();
  static readonly #handleNowOf = (process: Process, message: unknown): void => process.#handleNow(message);

  /**
   * The shared drain scheduler: processes whose drain is due, in the order they were scheduled, run from
   * one microtask — no closure per process. Each batch is the queue as that microtask found it: a process
   * scheduled during a batch runs in the next one, after the microtasks queued meanwhile, as a microtask of
   * its own would have.
   */
  static #due: Process[] = [];
  static #dueQueued = false;
  static readonly #runDue = (): void => {
    const batch = Process.#due;
    Process.#due = [];
    Process.#dueQueued = false;
    for (let i = 0; i < batch.length; i++) {
      const process = batch[i]!;
      try {
        // One context switch per drain, not per message: the messages of a drain share it, and so does
        // what the drain schedules (the yield to the event loop, the continuation of an async handler).
        processContext.run(process, Process.#drainOf, process);
      } catch (error) {
        // Not a handler's error (those end their process): surfaced as an uncaught error, as before,
        // without holding up the rest of the batch.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  };

  /**
   * The mailbox: queued messages from `#head` on, in arrival order. Null while the process has none — what
   * most processes (an idle connection, a quiet channel) have most of the time — so an idle process holds
   * no queue at all; a new array is taken when a message arrives and dropped once it is drained.
   */
  #queue: unknown[] | null = null;
  #head = 0;
  /**
   * The drain state (two low bits), the process's switches and its drain budget, in one small integer: six
   * fields of their own would cost 48 bytes in every process, and a connection is two processes.
   */
  #flags: number = DrainState.idle | ALIVE | FULL_BUDGET;

  /**
   * Registers the process with `runtime`; it is alive when the constructor returns.
   *
   * @param runtime - the Runtime to live in; `defaultRuntime` when omitted.
   * @param options - see {@link ProcessOptions}.
   */
  constructor(runtime: Runtime = defaultRuntime, options: ProcessOptions = {}) {
    if (options.trapExits === true) this.#flags |= TRAP_EXITS;
    this.pid = runtime[attachProcess](this, Process.#hooks, options.link);
  }

  /** The Runtime the process lives in (its pid's). */
  get runtime(): Runtime {
    return this.pid[PID_OWNER] as Runtime;
  }

  /**
   * Whether exit signals from linked processes arrive as EXIT messages instead of ending this process.
   *
   * @remarks Read when each signal arrives, so it can be switched at any time. A `"kill"` sent with
   * `Runtime.exit` ends the process regardless.
   * @defaultValue `options.trapExits`, else `false`
   */
  get trapExits(): boolean {
    return (this.#flags & TRAP_EXITS) !== 0;
  }

  set trapExits(trap: boolean) {
    this.#flags = trap ? this.#flags | TRAP_EXITS : this.#flags & ~TRAP_EXITS;
  }

  /** Whether the process is still running (false from the moment it starts ending). */
  get alive(): boolean {
    return this.#alive;
  }

  get #alive(): boolean {
    return (this.#flags & ALIVE) !== 0;
  }

  /** Suspended through `Runtime.suspend`: messages queue but are not handled. */
  get #held(): boolean {
    return (this.#flags & HELD) !== 0;
  }

  set #held(held: boolean) {
    this.#flags = held ? this.#flags | HELD : this.#flags & ~HELD;
  }

  get #state(): DrainState {
    return (this.#flags & STATE) as DrainState;
  }

  set #state(state: DrainState) {
    this.#flags = (this.#flags & ~STATE) | state;
  }

  /** Ended by an error that escaped its handlers (see {@link Process.endedByEscapedError}). */
  get #escaped(): boolean {
    return (this.#flags & ESCAPED) !== 0;
  }

  /** Messages queued and not yet handled (the one being handled is not counted). */
  get mailboxSize(): number {
    return this.#queue === null ? 0 : this.#queue.length - this.#head;
  }

  /**
   * Whether the process has nothing to do: it is not handling a message, not awaiting an async handler,
   * and has no message it would handle next.
   *
   * @remarks
   * A suspended process (`runtime.suspend`) with queued messages counts as idle: it will not move until
   * resumed. A dead process is idle. A read of a few fields, no allocation; made for tests that wait for
   * a runtime to settle (see `Runtime.isIdle`).
   *
   * @example
   * ```ts
   * declare const worker: Process;
   * worker.runtime.send(worker.pid, "work");
   * worker.idle; // false until the message has been handled
   * ```
   */
  get idle(): boolean {
    return !this.#alive || (this.#state === DrainState.idle && (this.#held || this.#queue === null));
  }

  /**
   * Whether the process is waiting for the promise an async handler returned (and so handles nothing
   * else until it settles).
   *
   * @remarks
   * What the promise waits for is unknown to the runtime: another process, a timer of the clock, or I/O.
   * False for a dead process.
   *
   * @example
   * ```ts
   * declare const worker: Process;
   * if (worker.awaiting) console.log(`${worker.pid.toString()} is in the middle of an async handler`);
   * ```
   */
  get awaiting(): boolean {
    return this.#alive && this.#state === DrainState.waiting;
  }

  /**
   * Handles one message.
   *
   * @remarks
   * Return a promise to make the process wait for it before the next message; return nothing to keep
   * going synchronously (no promise hop). Throwing, or returning a promise that rejects, ends the process
   * with the thrown value as reason.
   */
  protected abstract handleMessage(message: unknown): void | PromiseLike<void>;

  /**
   * Called once, synchronously, when the process ends for any reason (after it is marked dead, before
   * links and monitors are signalled).
   *
   * @remarks
   * Errors thrown here are reported via the Runtime's `onCrash`, never rethrown. The process can no longer
   * receive messages, but it can still send to others. Default: does nothing.
   */
  protected onExit(_reason: ExitReason): void {
    // Nothing to clean up by default.
  }

  /**
   * Ends this process with `reason`.
   *
   * @remarks
   * Safe to call inside a handler: no further message is handled, and the rest of the handler still runs
   * (return right after calling it). `onExit` and the signals to links and monitors happen before `stop`
   * returns. Ending with `"normal"` does not end linked processes; any reason that is not clean is
   * reported to the Runtime's `onCrash`. Calling it on a dead process does nothing. To end another
   * process, use `runtime.exit(pid, reason)`.
   *
   * @param reason - why the process ends; `"normal"` when omitted.
   */
  protected stop(reason: ExitReason = "normal"): void {
    this.#end(reason);
  }

  /**
   * Handles `message` at once, in the caller's turn, when the process is free to: alive, not suspended,
   * not handling or awaiting anything, and with an empty mailbox. Otherwise delivers it to the mailbox as
   * `runtime.send` would (a dead process drops it).
   *
   * @remarks
   * The message is handled exactly as the drain loop would handle it, only synchronously inside this call:
   * in the process's own context (`currentProcess()` is this process, and what the handler starts and does
   * not await carries it), counted against the drain budget, a throw ending this process with the thrown
   * value as reason (never reaching the caller), a returned promise making the process wait for it before
   * its next message (a rejection ending it). Messages that reach the mailbox while the handler runs — it
   * may send to itself — are handled by a drain scheduled afterwards, never re-entrantly inside this call.
   *
   * Message order is kept: with an empty mailbox and nothing running, handling the message now is what the
   * next drain would have done first; in every other case the message goes behind the queued ones. Only the
   * timing changes: the caller runs the handler in its own turn instead of a later microtask, which saves
   * the mailbox round trip for a process known to be fresh (a channel handling its join). The handler's
   * synchronous effects (replies written, messages sent, processes ended) have happened when this returns.
   *
   * @param message - the message to handle.
   * @returns `true` if the message was handled now (its handler returned or threw, or is being awaited);
   *   `false` if it was queued in the mailbox instead, or dropped because the process is dead.
   */
  protected handleNow(message: unknown): boolean {
    if (!this.#alive) return false;
    if (this.#state !== DrainState.idle || this.#held || this.#queue !== null || this.#flags < BUDGET_UNIT) {
      // Busy, held or behind queued messages — or out of budget, where the drain yields first: the mailbox.
      this.#deliver(message);
      return false;
    }
    processContext.run(this, Process.#handleNowOf, this, message);
    return true;
  }

  /**
   * Whether the process ended because an error escaped its handlers: a promise it started and did not
   * await rejected, or a timer or listener it set up threw.
   *
   * @remarks Already true when {@link Process.onExit} runs, so a subclass can report where it crashed.
   */
  protected get endedByEscapedError(): boolean {
    return this.#escaped;
  }

  /** @internal Ends the process with an error that escaped its handlers; nothing on a dead process. */
  [crashEscaped](error: unknown): void {
    if (!this.#alive) return;
    this.#flags |= ESCAPED;
    this.#end(error);
  }

  #end(reason: ExitReason): void {
    this.runtime[endProcess](this.pid, reason);
  }

  #deliver(message: unknown): void {
    if (!this.#alive) return;
    const queue = this.#queue;
    if (queue === null) this.#queue = [message];
    else queue.push(message);
    if (this.#state === DrainState.idle && !this.#held) this.#schedule();
  }

  /**
   * Removes and returns the oldest queued message (call only when the queue is not null). Messages may be
   * `undefined`: emptiness is the queue being null, never the value taken. Taken slots are cleared at once,
   * and a queue half spent (at least 1024 slots) is copied, so taking stays amortised O(1).
   */
  #take(): unknown {
    const queue = this.#queue!;
    const head = this.#head;
    const message = queue[head];
    if (head + 1 === queue.length) {
      this.#queue = null;
      this.#head = 0;
    } else if (head + 1 >= COMPACT_AFTER && (head + 1) * 2 >= queue.length) {
      this.#queue = queue.slice(head + 1);
      this.#head = 0;
    } else {
      queue[head] = undefined;
      this.#head = head + 1;
    }
    return message;
  }

  #schedule(): void {
    this.#state = DrainState.scheduled;
    Process.#due.push(this);
    if (!Process.#dueQueued) {
      Process.#dueQueued = true;
      queueMicrotask(Process.#runDue);
    }
  }

  #hold(held: boolean): void {
    this.#held = held;
    // A drain already scheduled or running notices the hold before its next message.
    if (!held && this.#alive && this.#state === DrainState.idle && this.#queue !== null) this.#schedule();
  }

  #halt(): void {
    this.#flags &= ~ALIVE;
    this.#queue = null;
    this.#head = 0;
  }

  #drain(): void {
    this.#state = DrainState.running;
    while (this.#alive && this.#queue !== null) {
      if (this.#held) break;
      if (this.#flags < BUDGET_UNIT) {
        this.#state = DrainState.scheduled;
        yieldToEventLoop(() => {
          this.#flags = (this.#flags & BELOW_BUDGET) | FULL_BUDGET;
          if (this.#alive) this.#drain();
        });
        return;
      }
      if (!this.#handleOne(this.#take())) return;
    }
    this.#state = DrainState.idle;
  }

  /**
   * Handles one message, counted against the budget: `false` when that ended the process (a throw) or made
   * it wait for the promise its handler returned, `true` when the next message may follow at once.
   */
  #handleOne(message: unknown): boolean {
    this.#flags -= BUDGET_UNIT;
    let result: unknown;
    try {
      result = this.handleMessage(message);
    } catch (error) {
      this.#end(error);
      return false;
    }
    if (isThenable(result)) {
      this.#wait(result);
      return false;
    }
    return true;
  }

  /** {@link Process.handleNow} in the process's context: one turn of the drain loop, then a drain if mail came. */
  #handleNow(message: unknown): void {
    this.#state = DrainState.running;
    if (!this.#handleOne(message)) return;
    this.#state = DrainState.idle;
    // What reached the mailbox meanwhile (a message to itself) is drained later, never re-entrantly. A
    // process the handler ended has no mailbox left.
    if (this.#queue !== null && !this.#held) this.#schedule();
  }

  /** Waits for an async handler; always subscribes, so a late rejection is never left unhandled. */
  #wait(result: PromiseLike<unknown>): void {
    this.#state = DrainState.waiting;
    const fail = (error: unknown): void => {
      if (this.#alive) this.#end(error);
    };
    try {
      result.then(() => {
        if (!this.#alive) return;
        this.#state = DrainState.idle;
        if (this.#queue !== null && !this.#held) this.#drain();
      }, fail);
    } catch (error) {
      fail(error);
    }
  }
}
