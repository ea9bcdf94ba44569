/**
 * The Runtime: the table of live processes of one node, and the signals between them — send, exit,
 * link, monitor — plus timers through its Clock. Processes hold their own mailboxes (process.ts); the
 * Runtime decides who lives and who is told when someone dies.
 */
import { assertDelay, realClock } from "../clock/clock.js";
import type { Clock, TimerHandle } from "../clock/clock.js";
import { RuntimeError, RuntimeErrorCode } from "../errors.js";
import { installEscapedErrorHandlers } from "./escaped-errors.js";
import { formatExitReason, isCleanExit } from "./exit-reason.js";
import type { DownMessage, ExitMessage, ExitReason } from "./exit-reason.js";
import { Pid, PID_OWNER, Ref } from "./pid.js";
import { attachProcess, endProcess } from "./process-hooks.js";
import type { ProcessHooks } from "./process-hooks.js";
import type { Process } from "./process.js";
import { TelemetryEvent, telemetryChannels, type ProcessCrashed } from "../../telemetry/events.js";

/**
 * Options of a {@link Runtime}.
 *
 * @example
 * ```ts
 * const runtime = new Runtime({
 *   clock: new VirtualClock(),
 *   node: "chat1",
 *   onCrash: (pid, reason) => console.error(`${pid.toString()} crashed: ${formatExitReason(reason)}`),
 * });
 * ```
 */
export interface RuntimeOptions {
  /**
   * Source of time for `sendAfter` and for every process that asks `runtime.clock`.
   * @defaultValue `realClock`
   */
  clock?: Clock;
  /**
   * Name of this node, shown in pids (`<node.id>`). Must be a non-empty string.
   * @defaultValue `"nonode"`
   */
  node?: string;
  /**
   * Called when a process crashes: it ended by its own doing (its handler threw or rejected, or it called
   * `stop` with a reason) and the reason is not clean (see `isCleanExit`). Also called with the error
   * when an `onExit` throws.
   *
   * @remarks
   * A process ended by an exit signal — from a linked process or from `Runtime.exit` — is not reported:
   * a crash is reported once, where it started, not once per linked process it takes down. The hook runs
   * synchronously while the process ends, after it is marked dead and before links and monitors are
   * signalled. If the hook itself throws, the error is rethrown from a microtask (an uncaught exception)
   * rather than interrupting the exit.
   *
   * @defaultValue none: crashes are not reported (links and monitors still see them)
   */
  onCrash?: (pid: Pid, reason: unknown) => void;
}

/**
 * A process as the Runtime sees it: its pid itself, which carries the Runtime's record of it while it
 * lives — no separate entry object and no table slot per process. The live processes form a list in
 * start order through `prev`/`next`; everything is cleared when the process ends, so a pid kept after
 * its process is gone holds nothing of it.
 */
class Entry extends Pid {
  /** The process; `undefined` from the moment it starts ending. */
  process: Process | undefined;
  /**
   * Linked processes, in link order: the first in `link`, the others in `links` — one entry directly (a
   * connection with its supervisor and one channel holds both in the two fields, no collection), a few
   * in an array of exactly their number, more in a Set (a supervisor's children). A Set costs ~150 bytes
   * even for two entries; an array of two, ~60. `links` is empty whenever `link` is.
   */
  link: Entry | undefined = undefined;
  links: Entry | Entry[] | Set<Entry> | undefined = undefined;
  /** Monitors and exit callbacks: few processes have any, so they share one object made for the first. */
  extra: EntryExtra | undefined = undefined;
  /** Neighbours in the Runtime's list of live processes (start order). */
  prev: Entry | null = null;
  next: Entry | null = null;

  constructor(id: number, node: string, owner: Runtime, process: Process) {
    super(id, node, owner);
    this.process = process;
  }

}

/** What a process has only once it is monitored, monitors another or is watched. */
interface EntryExtra {
  /** Monitors watching this process. */
  watchers?: Set<Monitor>;
  /** Monitors this process holds on others. */
  watching?: Set<Monitor>;
  /** Callbacks of {@link Runtime.watch}. */
  observers?: Set<(reason: ExitReason) => void>;
}

interface Monitor {
  readonly ref: Ref;
  readonly watcher: Entry;
  readonly target: Entry;
}

/** A pending consequence of an exit: a signal to a linked process, or a DOWN to a watcher. */
type Notice =
  | { readonly to: Entry; readonly signal: ExitMessage }
  | { readonly to: Entry; readonly down: DownMessage };


/** Links kept in an array before they move to a Set. */
const SMALL_LINKS = 8;

/** Records a link from `entry` to `other` (one direction). */
function addLink(entry: Entry, other: Entry): void {
  const first = entry.link;
  if (first === undefined) {
    entry.link = other;
    return;
  }
  if (first === other) return;
  const links = entry.links;
  if (links === undefined) entry.links = other;
  else if (links instanceof Set) links.add(other);
  else if (Array.isArray(links)) {
    // A new array of exactly the new size: growing one in place would reserve ~20 slots.
    if (!links.includes(other)) entry.links = links.length < SMALL_LINKS ? [...links, other] : new Set([...links, other]);
  } else if (links !== other) entry.links = [links, other];
}

/** Removes the link from `entry` to `other` (one direction). */
function removeLink(entry: Entry, other: Entry): void {
  const links = entry.links;
  if (entry.link === other) {
    // The next one, in link order, becomes the first.
    if (links === undefined) entry.link = undefined;
    else if (links instanceof Set) {
      const next = links.values().next().value!;
      links.delete(next);
      entry.link = next;
    } else if (Array.isArray(links)) {
      entry.link = links[0];
      entry.links = links.length === 2 ? links[1] : links.slice(1);
    } else {
      entry.link = links;
      entry.links = undefined;
    }
  } else if (links === other) entry.links = undefined;
  else if (links instanceof Set) links.delete(other);
  else if (Array.isArray(links)) {
    const at = links.indexOf(other);
    if (at === -1) return;
    entry.links = links.length === 2 ? links[1 - at] : links.filter((link) => link !== other);
  }
}

/**
 * The Runtime a pid belongs to, so APIs that take only a pid (GenServer.call, Supervisor requests) reach
 * processes of any runtime.
 */
export function runtimeOf(pid: Pid): Runtime | undefined {
  return pid[PID_OWNER] as Runtime | undefined;
}

/**
 * One node's process table: starts, connects and ends processes.
 *
 * @remarks
 * **Delivery.** `send` enqueues at once and returns; the process handles the message later (from a
 * microtask), one message at a time, in the order they were sent.
 *
 * **Exits.** When a process ends with reason R it is, in this order: marked dead (its mailbox dropped),
 * removed from the table, reported to `onCrash` (see {@link RuntimeOptions.onCrash}), given `onExit(R)`;
 * then each linked process gets an exit signal from it with R and each monitor delivers
 * `{ type: "DOWN", ref, pid, reason: R }` — links first, each group in the order it was set up.
 *
 * **Exit signals.** A signal with reason `"kill"` sent by {@link Runtime.exit} ends the target with
 * `"killed"`, even if it traps exits. Otherwise a target that traps exits receives
 * `{ type: "EXIT", from, reason }` in its mailbox; a target that does not ignores `"normal"` and ends
 * with any other reason (so `"killed"` spreads as `"killed"`; a `"kill"` that arrives over a link is an
 * ordinary reason). Links are removed when either side ends.
 *
 * **Escaped errors.** The first Runtime created adds listeners for `unhandledRejection` and
 * `uncaughtException`: an error that escapes work a process started (a promise it did not await, a
 * timer, a listener) ends that process, reported to `onCrash` like a handler crash; an error no live
 * process owns follows `configureEscapedErrors` (by default: logged, and the node keeps serving).
 *
 * **Synchronous propagation.** Exits spread synchronously: when `exit`, `link` or a process's `stop`
 * returns, every process the exit reaches is already dead. The spread is breadth-first from a work list,
 * not recursive, so long chains cannot overflow the stack. A call made while an exit is spreading (say
 * from an `onExit`) joins that work list and is complete when the outermost call returns.
 *
 * @example
 * ```ts
 * const runtime = new Runtime({ clock: new VirtualClock() });
 * class Logger extends Process {
 *   protected override handleMessage(message: unknown): void {
 *     console.log(message);
 *   }
 * }
 * const logger = new Logger(runtime);
 * runtime.send(logger.pid, "hello"); // true; logged from a microtask
 * runtime.exit(logger.pid, "shutdown");
 * runtime.isAlive(logger.pid); // false
 * ```
 */
export class Runtime {
  /** The clock behind `sendAfter`; processes use it for their own timers too. */
  readonly clock: Clock;
  /** This node's name, as shown in pids. */
  readonly node: string;

  readonly #onCrash: ((pid: Pid, reason: unknown) => void) | undefined;
  /** The live processes, oldest first: a list threaded through their pids (see Entry). */
  #first: Entry | null = null;
  #last: Entry | null = null;
  #count = 0;
  /** What every process is asked through (one shared object, handed over at each attach). */
  #hooks: ProcessHooks | undefined;
  readonly #monitors = new Map<Ref, Monitor>();
  #lastPid = 0;
  #lastRef = 0;
  /** Signals and DOWNs waiting to be delivered while an exit spreads. */
  readonly #notices: Notice[] = [];
  #spreading = false;

  constructor(options: RuntimeOptions = {}) {
    const { clock = realClock, node = "nonode", onCrash } = options;
    if (typeof node !== "string" || node === "") {
      throw new RuntimeError(RuntimeErrorCode.BAD_ARGUMENT, `node must be a non-empty string, received ${JSON.stringify(node)}.`);
    }
    if (onCrash !== undefined && typeof onCrash !== "function") {
      throw new RuntimeError(RuntimeErrorCode.BAD_ARGUMENT, `onCrash must be a function, received ${typeof onCrash}.`);
    }
    this.clock = clock;
    this.node = node;
    this.#onCrash = onCrash;
    installEscapedErrorHandlers();
  }

  /** Number of live processes. */
  get processCount(): number {
    return this.#count;
  }

  /**
   * Enqueues `message` in the mailbox of `pid`.
   *
   * @remarks Never blocks and never throws; the process handles the message later, after the messages
   * sent to it before.
   * @returns `false` if the process is not alive (the message is dropped).
   */
  send(pid: Pid, message: unknown): boolean {
    const entry = this.#entry(pid);
    if (entry === undefined) return false;
    this.#hooks!.deliver(entry.process!, message);
    return true;
  }

  /**
   * Sends an exit signal to `pid` from outside the process.
   *
   * @remarks
   * See the class remarks for how the target reacts. A target ended this way is not reported to
   * `onCrash`. Signalling a dead pid does nothing.
   *
   * @param from - the pid a trapping target sees in its EXIT message; when omitted it is the target's own
   *   pid (the signal has no sending process). Supervisors pass their own pid.
   */
  exit(pid: Pid, reason: ExitReason, from: Pid = pid): void {
    const entry = this.#entry(pid);
    if (entry === undefined) return;
    if (reason === "kill") {
      this.#end(entry, "killed", false);
      return;
    }
    this.#signal(entry, { type: "EXIT", from, reason });
    this.#spread();
  }

  /**
   * Links two processes: when either ends, the other receives an exit signal.
   *
   * @remarks
   * Links are bidirectional and idempotent; linking a process to itself does nothing. If one side is
   * dead, the live side at once receives an exit signal from it with reason `"noproc"` (so it ends
   * unless it traps exits); if both are dead nothing happens.
   */
  link(a: Pid, b: Pid): void {
    if (a === b) return;
    const ea = this.#entry(a);
    const eb = this.#entry(b);
    if (ea !== undefined && eb !== undefined) {
      addLink(ea, eb);
      addLink(eb, ea);
      return;
    }
    const live = ea ?? eb;
    if (live === undefined) return;
    this.#signal(live, { type: "EXIT", from: live === ea ? b : a, reason: "noproc" });
    this.#spread();
  }

  /** Removes the link between `a` and `b`, if any. */
  unlink(a: Pid, b: Pid): void {
    const ea = this.#entry(a);
    const eb = this.#entry(b);
    if (ea === undefined || eb === undefined) return;
    removeLink(ea, eb);
    removeLink(eb, ea);
  }

  /**
   * Makes `watcher` receive a DOWN message when `target` ends.
   *
   * @remarks
   * Monitors are one-way and independent: each call returns a new ref and delivers its own DOWN, exactly
   * once. If `target` is already dead the DOWN (reason `"noproc"`) is delivered at once; if `watcher` is
   * dead nothing is set up. A monitor ends with its DOWN, with {@link Runtime.demonitor}, or when the
   * watcher ends.
   *
   * @returns the ref carried by the DOWN message.
   */
  monitor(watcher: Pid, target: Pid): Ref {
    const ref = this.makeRef();
    const w = this.#entry(watcher);
    if (w === undefined) return ref;
    const t = this.#entry(target);
    if (t === undefined) {
      const down: DownMessage = { type: "DOWN", ref, pid: target, reason: "noproc" };
      this.#hooks!.deliver(w.process!, down);
      return ref;
    }
    const monitor: Monitor = { ref, watcher: w, target: t };
    this.#monitors.set(ref, monitor);
    ((w.extra ??= {}).watching ??= new Set()).add(monitor);
    ((t.extra ??= {}).watchers ??= new Set()).add(monitor);
    return ref;
  }

  /**
   * Removes a monitor; its DOWN will not be sent.
   *
   * @remarks A DOWN already in the watcher's mailbox stays there. Unknown or spent refs are ignored.
   */
  demonitor(ref: Ref): void {
    const monitor = this.#monitors.get(ref);
    if (monitor === undefined) return;
    this.#monitors.delete(ref);
    monitor.watcher.extra?.watching?.delete(monitor);
    monitor.target.extra?.watchers?.delete(monitor);
  }

  /**
   * Calls `onExit` with the exit reason when `target` ends — a monitor for code that is not a process
   * (pending calls, registries, tasks awaited from plain async code).
   *
   * @remarks
   * The callback runs synchronously while the process ends, after its `onExit` and before its links and
   * monitors are signalled; it must not throw (a throw is reported to `onCrash`). If `target` is already
   * dead the callback runs at once with reason `"noproc"`.
   *
   * @returns a function that cancels the watch (a no-op once it has fired).
   */
  watch(target: Pid, onExit: (reason: ExitReason) => void): () => void {
    const entry = this.#entry(target);
    if (entry === undefined) {
      onExit("noproc");
      return () => {};
    }
    const observers = ((entry.extra ??= {}).observers ??= new Set());
    observers.add(onExit);
    return () => {
      entry.extra?.observers?.delete(onExit);
    };
  }

  /**
   * Suspends `pid`: messages sent to it keep queueing in order, but it handles none until
   * {@link Runtime.resume}. For debugging and tests (what does a client see while this process is stuck?).
   *
   * @remarks
   * A message already being handled finishes, and an async handler still settles. Exit signals are not
   * held: a suspended process that does not trap exits ends as usual, and `"kill"` always ends it.
   * Suspending a suspended process does nothing.
   *
   * @returns `false` if `pid` is not alive.
   *
   * @example
   * ```ts
   * declare const runtime: Runtime;
   * declare const pid: Pid;
   * runtime.suspend(pid);
   * runtime.send(pid, "queued"); // waits in the mailbox
   * runtime.resume(pid); // handled from a microtask on
   * ```
   */
  suspend(pid: Pid): boolean {
    const entry = this.#entry(pid);
    if (entry === undefined) return false;
    this.#hooks!.hold(entry.process!, true);
    return true;
  }

  /**
   * Resumes a process suspended with {@link Runtime.suspend}: it handles its queued messages, in order,
   * from a microtask on. Resuming a running process does nothing.
   *
   * @returns `false` if `pid` is not alive.
   */
  resume(pid: Pid): boolean {
    const entry = this.#entry(pid);
    if (entry === undefined) return false;
    this.#hooks!.hold(entry.process!, false);
    return true;
  }

  /** Whether `pid` names a live process of this Runtime. */
  isAlive(pid: Pid): boolean {
    return this.#entry(pid) !== undefined;
  }

  /** The live process named by `pid`, or `undefined`. */
  lookup(pid: Pid): Process | undefined {
    return this.#entry(pid)?.process;
  }

  /**
   * Whether every live process of this Runtime is idle (see `Process.idle`): none is handling a message,
   * awaiting an async handler, or holding a message it would handle next.
   *
   * @remarks
   * A scan of the process table that stops at the first busy process; nothing is allocated per process.
   * Made for tests (`fenix/testing` waits for it before it looks at what processes did); a timer of the
   * clock that has not fired yet does not make the Runtime busy.
   *
   * @example
   * ```ts
   * declare const runtime: Runtime;
   * while (!runtime.isIdle()) await new Promise((resolve) => setImmediate(resolve));
   * ```
   */
  isIdle(): boolean {
    for (let entry = this.#first; entry !== null; entry = entry.next) {
      if (!entry.process!.idle) return false;
    }
    return true;
  }

  /**
   * The pids of the live processes that are not idle (see {@link Runtime.isIdle}), in the order they
   * were started.
   *
   * @remarks For tests and diagnostics: which process keeps the Runtime busy, and with what
   * (`runtime.lookup(pid)?.awaiting` tells a process waiting for a promise from one with work queued).
   *
   * @example
   * ```ts
   * declare const runtime: Runtime;
   * for (const pid of runtime.busyPids()) console.log(`${pid.toString()} is busy`);
   * ```
   */
  busyPids(): Pid[] {
    const busy: Pid[] = [];
    for (let entry = this.#first; entry !== null; entry = entry.next) {
      if (!entry.process!.idle) busy.push(entry);
    }
    return busy;
  }

  /**
   * The processes linked to `pid`, in the order the links were made (empty for a dead pid).
   *
   * @remarks Added for introspection (tests, the dashboard); not needed to use links.
   */
  links(pid: Pid): Pid[] {
    const entry = this.#entry(pid);
    if (entry?.link === undefined) return [];
    const links = entry.links;
    if (links === undefined) return [entry.link];
    return links instanceof Set || Array.isArray(links) ? [entry.link, ...links] : [entry.link, links];
  }

  /**
   * Sends `message` to `pid` after `ms` milliseconds of {@link Runtime.clock}.
   *
   * @remarks
   * The message is sent when the timer fires; if the process is dead by then it is dropped. Throws
   * `FENIX_ERR_RUNTIME_BAD_ARGUMENT` for a negative or non-finite `ms`.
   *
   * @returns a handle for {@link Runtime.cancelTimer}.
   */
  sendAfter(pid: Pid, message: unknown, ms: number): TimerHandle {
    assertDelay(ms);
    return this.clock.setTimeout(() => {
      this.send(pid, message);
    }, ms);
  }

  /** Cancels a `sendAfter` timer; a fired or cancelled one is ignored. */
  cancelTimer(handle: TimerHandle): void {
    this.clock.clearTimeout(handle);
  }

  /** A new unique reference. */
  makeRef(): Ref {
    return new Ref(++this.#lastRef);
  }

  /**
   * Registers a new process; called once by the Process constructor.
   *
   * @internal
   * @remarks
   * If `linkTo` is already dead, the `"noproc"` signal is sent from a microtask, so no user code (such as
   * `onExit`) runs while the subclass constructor has not finished.
   */
  [attachProcess](process: Process, hooks: ProcessHooks, linkTo: Pid | undefined): Pid {
    this.#hooks = hooks;
    const entry = new Entry(++this.#lastPid, this.node, this, process);
    const last = this.#last;
    if (last === null) this.#first = entry;
    else {
      last.next = entry;
      entry.prev = last;
    }
    this.#last = entry;
    this.#count++;
    if (linkTo !== undefined) {
      const other = this.#entry(linkTo);
      if (other !== undefined) {
        entry.link = other;
        addLink(other, entry);
      } else {
        queueMicrotask(() => {
          this.#signal(entry, { type: "EXIT", from: linkTo, reason: "noproc" });
          this.#spread();
        });
      }
    }
    return entry;
  }

  /**
   * Ends a process by its own doing (its handler crashed, or it called `stop`); a no-op once it is dead.
   *
   * @internal
   */
  [endProcess](pid: Pid, reason: ExitReason): void {
    const entry = this.#entry(pid);
    if (entry === undefined) return;
    this.#end(entry, reason, true);
  }

  /** The live process record behind `pid`, if `pid` is one of this Runtime's and its process lives. */
  #entry(pid: Pid): Entry | undefined {
    return pid[PID_OWNER] === this && (pid as Entry).process !== undefined ? (pid as Entry) : undefined;
  }

  /** Applies an exit signal (not a direct "kill") to `target`. */
  #signal(target: Entry, signal: ExitMessage): void {
    const process = target.process;
    if (process === undefined) return;
    if (process.trapExits) {
      this.#hooks!.deliver(process, signal);
    } else if (signal.reason !== "normal") {
      this.#end(target, signal.reason, false);
    }
  }

  /** Ends a process; `report` is true when it ended by its own doing. */
  #end(entry: Entry, reason: ExitReason, report: boolean): void {
    const process = entry.process;
    if (process === undefined) return;
    const hooks = this.#hooks!;
    entry.process = undefined;
    hooks.halt(process);
    this.#unlist(entry);
    if (report && !isCleanExit(reason)) this.#report(entry, reason);
    try {
      hooks.exited(process, reason);
    } catch (error) {
      this.#report(entry, error);
    }

    const pid: Pid = entry;
    const { link, links, extra } = entry;
    entry.link = entry.links = entry.extra = undefined;
    const watchers = extra?.watchers;
    const watching = extra?.watching;
    const observers = extra?.observers;
    if (observers !== undefined) {
      for (const observer of observers) {
        try {
          observer(reason);
        } catch (error) {
          this.#report(pid, error);
        }
      }
    }
    if (watching !== undefined) {
      for (const monitor of watching) {
        this.#monitors.delete(monitor.ref);
        monitor.target.extra?.watchers?.delete(monitor);
      }
    }
    if (link !== undefined) {
      removeLink(link, entry);
      this.#notices.push({ to: link, signal: { type: "EXIT", from: pid, reason } });
    }
    if (links instanceof Set || Array.isArray(links)) {
      for (const other of links) {
        removeLink(other, entry);
        this.#notices.push({ to: other, signal: { type: "EXIT", from: pid, reason } });
      }
    } else if (links !== undefined) {
      removeLink(links, entry);
      this.#notices.push({ to: links, signal: { type: "EXIT", from: pid, reason } });
    }
    if (watchers !== undefined) {
      for (const monitor of watchers) {
        this.#monitors.delete(monitor.ref);
        monitor.watcher.extra?.watching?.delete(monitor);
        this.#notices.push({ to: monitor.watcher, down: { type: "DOWN", ref: monitor.ref, pid, reason } });
      }
    }
    this.#spread();
  }

  /** Delivers pending notices until none is left; re-entrant calls leave the work to the outer one. */
  #spread(): void {
    if (this.#spreading) return;
    this.#spreading = true;
    const notices = this.#notices;
    try {
      for (let i = 0; i < notices.length; i++) {
        const notice = notices[i] as Notice;
        if ("signal" in notice) this.#signal(notice.to, notice.signal);
        else if (notice.to.process !== undefined) this.#hooks!.deliver(notice.to.process, notice.down);
      }
    } finally {
      notices.length = 0;
      this.#spreading = false;
    }
  }

  /** Takes an ending process out of the list of live ones; its pid keeps no neighbour. */
  #unlist(entry: Entry): void {
    const { prev, next } = entry;
    if (prev === null) this.#first = next;
    else prev.next = next;
    if (next === null) this.#last = prev;
    else next.prev = prev;
    entry.prev = entry.next = null;
    this.#count--;
  }

  #report(pid: Pid, reason: unknown): void {
    const ch = telemetryChannels[TelemetryEvent.PROCESS_CRASH];
    if (ch.hasSubscribers) {
      ch.publish({ source: this, node: this.node, pid: pid.toString(), reason: formatExitReason(reason), error: reason } satisfies ProcessCrashed);
    }
    const onCrash = this.#onCrash;
    if (onCrash === undefined) return;
    try {
      onCrash(pid, reason);
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}

/**
 * The Runtime processes join when none is given: real clock, node `"nonode"`, no crash reporting.
 *
 * @example
 * ```ts
 * class Sink extends Process { protected override handleMessage(): void {} }
 * const sink = new Sink(); // lives in defaultRuntime
 * defaultRuntime.isAlive(sink.pid); // true
 * ```
 */
export const defaultRuntime: Runtime = new Runtime();
