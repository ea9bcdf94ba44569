/**
 * The engine under every GenServer: a Process that runs the server's callbacks one message at a time and
 * turns what they ask for — a reply, a continue, an idle timeout, a stop — into what happens next,
 * including a stop that waits for an async `terminate`. Users only see the GenServer façade.
 */
import { CallRequest } from "./call.js";
import type { From } from "./call.js";
import type { TimerHandle } from "../clock/clock.js";
import { RuntimeError, RuntimeErrorCode } from "../errors.js";
import { isExitMessage } from "../process/exit-reason.js";
import type { ExitReason } from "../process/exit-reason.js";
import type { GenServer } from "./gen-server.js";
import type { Pid } from "../process/pid.js";
import { Process } from "../process/process.js";
import type { Runtime } from "../process/runtime.js";
import { isThenable } from "../process/thenable.js";
import { describeMessage } from "./unhandled-message-error.js";

/** What `handleInfo` receives when an idle timeout fires (`GenServer.TIMEOUT`). */
export const IDLE_TIMEOUT: unique symbol = Symbol("fenix.GenServer.timeout");

declare const noReplyBrand: unique symbol;
/**
 * The type of the `this.noReply()` sentinel.
 *
 * @remarks A branded type rather than the symbol's own `unique symbol` type, which TypeScript widens to
 * `symbol` in an inferred return type: a `handleCall` whose only return is `this.noReply()` would not
 * match the declared replies of a typed server.
 */
export interface NoReply {
  readonly [noReplyBrand]: "NoReply";
}
/** What a `handleCall` returns to reply later through its `From` (`this.noReply()`). */
export const NO_REPLY = Symbol("fenix.GenServer.noReply") as unknown as NoReply;

/** What an `init` returns to start nothing (`this.ignore()`). */
export const IGNORE: unique symbol = Symbol("fenix.GenServer.ignore");
/** The type of the `this.ignore()` sentinel. */
export type Ignore = typeof IGNORE;

/** The envelope `GenServer.cast` sends, so `handleCast` and `handleInfo` can be told apart. */
export class CastMessage {
  constructor(readonly message: unknown) {}
}

/** The request `GenServer.stop` sends: handled in order, like any message, then terminate and exit. */
export class StopRequest {
  constructor(readonly reason: ExitReason) {}
}

/** The first message of every server; only this module can send it. */
const INIT: unique symbol = Symbol("fenix.GenServer.init");

/** One armed idle timeout; a fired one that is no longer the armed one is stale and dropped. */
class IdleTimeoutMessage {}

/** How the engine tells `GenServer.start` how `init` went; each start settles once. */
export interface GenServerStarter {
  /** `init` finished: the server runs. */
  started(): void;
  /** `init` returned `this.ignore()`: the process ended with `"normal"`. */
  ignored(): void;
  /** `init` failed, or the process ended before `init` finished; `reason` says why. */
  failed(reason: ExitReason): void;
}

const Phase = { starting: 0, running: 1, terminating: 2 } as const;
type Phase = (typeof Phase)[keyof typeof Phase];

const Callback = { call: 0, cast: 1, info: 2, continue: 3 } as const;
type Callback = (typeof Callback)[keyof typeof Callback];

/** The engine whose callback runs synchronously right now (for call-self detection). */
let current: GenServerProcess | undefined;

/** Marks `engine` as the one whose callback runs now; returns the previous one, to restore after. */
function enter(engine: GenServerProcess | undefined): GenServerProcess | undefined {
  const outer = current;
  current = engine;
  return outer;
}

/** The engine a GenServer constructor being run by `constructServer` belongs to. */
let constructing: GenServerProcess | undefined;


/**
 * The pid of the GenServer whose callback is running synchronously at this moment, if any.
 *
 * @remarks After an `await` inside an async callback this is no longer known (other code may have run).
 */
export function currentServer(): Pid | undefined {
  return current?.pid;
}

/**
 * Runs `new server()` so that the GenServer base constructor can claim `engine`.
 *
 * @throws RuntimeError `FENIX_ERR_RUNTIME_BAD_ARGUMENT` when the class never called the GenServer constructor.
 */
export function constructServer<S extends GenServer<never>>(engine: GenServerProcess, server: new () => S): S {
  const outer = constructing;
  constructing = engine;
  try {
    const instance = new server();
    if (constructing === engine) {
      throw new RuntimeError(RuntimeErrorCode.BAD_ARGUMENT, `${server.name} does not extend GenServer.`);
    }
    return instance;
  } finally {
    constructing = outer;
  }
}

/** Called once by the GenServer constructor: the engine it belongs to, or `undefined` outside a start. */
export function claimEngine(): GenServerProcess | undefined {
  const engine = constructing;
  constructing = undefined;
  return engine;
}

/**
 * The process of one GenServer.
 *
 * @remarks
 * Every callback run — `init`, a message's callback, each `handleContinue` it asked for — goes through
 * `#run`: synchronous results continue in the same loop (no promise), thenables are awaited by returning
 * a promise to the Process drain, which queues everything else meanwhile. A callback that throws or
 * rejects becomes `#terminate(error)`, which runs `terminate` (awaiting it when async), then ends the
 * process; from that moment queued messages are dropped.
 */
export class GenServerProcess extends Process {
  /** The `link` the server was started with: an EXIT from it (when trapping) means "terminate". */
  readonly parent: Pid | undefined;

  #server: GenServer<never> | undefined;
  #args: unknown;
  #starter: GenServerStarter | undefined;
  #phase: Phase = Phase.starting;
  /** A callback (or the chain after it) is running, including while it awaits. */
  #busy = false;
  #stop: { readonly reason: ExitReason } | undefined;
  #continue: { readonly arg: unknown } | undefined;
  /** The idle timeout the running callback asked for. */
  #idleMs: number | undefined;
  #idleTimer: TimerHandle | undefined;
  #idleToken: IdleTimeoutMessage | undefined;

  constructor(runtime: Runtime, options: { link: Pid | undefined; trapExits: boolean }, starter: GenServerStarter) {
    super(runtime, { link: options.link, trapExits: options.trapExits });
    this.parent = options.link;
    this.#starter = starter;
    runtime.send(this.pid, INIT);
  }

  /** Hands over the server instance and its init args; done before the first message is handled. */
  attach(server: GenServer<never>, args: unknown): void {
    this.#server = server;
    this.#args = args;
  }

  /** Ends the process before `init` ran (name taken, constructor threw), telling nobody. */
  abandon(reason: ExitReason): void {
    this.#starter = undefined;
    this.stop(reason);
  }

  /** `this.stop(reason)` of the server: after the running callback, or now when idle. */
  requestStop(reason: ExitReason): void {
    if (!this.alive || this.#phase === Phase.terminating || this.#stop !== undefined) return;
    if (this.#busy || this.#phase === Phase.starting) {
      this.#stop = { reason };
      return;
    }
    void this.#terminate(reason);
  }

  /** `this.continue(arg)` of the server. */
  requestContinue(arg: unknown): void {
    this.#assertInCallback("continue");
    if (this.#continue !== undefined) {
      throw new RuntimeError(
        RuntimeErrorCode.BAD_ARGUMENT,
        `continue(${describeMessage(arg)}) was called twice in one callback; ask for one continue and chain the next from handleContinue.`,
      );
    }
    this.#continue = { arg };
  }

  /** `this.idleTimeout(ms)` of the server. */
  requestIdleTimeout(ms: number): void {
    this.#assertInCallback("idleTimeout");
    if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
      throw new RuntimeError(RuntimeErrorCode.BAD_ARGUMENT, `idleTimeout(ms): ms must be a finite number >= 0, received ${String(ms)}.`);
    }
    this.#idleMs = ms;
  }

  protected override handleMessage(message: unknown): void | PromiseLike<void> {
    const server = this.#server;
    if (server === undefined || this.#phase === Phase.terminating) return;
    if (this.#phase === Phase.starting) return message === INIT ? this.#init(server) : undefined;
    if (message instanceof IdleTimeoutMessage) {
      if (message !== this.#idleToken) return;
      this.#idleToken = this.#idleTimer = undefined;
      return this.#run(Callback.info, IDLE_TIMEOUT, undefined);
    }
    this.#cancelIdle();
    if (message instanceof CallRequest) return this.#run(Callback.call, message.request, message.from);
    if (message instanceof CastMessage) return this.#run(Callback.cast, message.message, undefined);
    if (message instanceof StopRequest) return this.#terminate(message.reason);
    // An exit signal from the parent, or one sent to this server from outside (`runtime.exit(pid, reason)`
    // names the target itself as sender), stops it the OTP way: terminate, then exit with that reason.
    if (isExitMessage(message) && (message.from === this.pid || (this.parent !== undefined && message.from === this.parent))) {
      return this.#terminate(message.reason);
    }
    return this.#run(Callback.info, message, undefined);
  }

  protected override onExit(reason: ExitReason): void {
    this.#cancelIdle();
    const starter = this.#starter;
    this.#starter = undefined;
    // Ended by a signal during init (a kill, a dead parent): the start fails with that reason.
    starter?.failed(reason);
  }

  #assertInCallback(helper: string): void {
    if (!this.#busy || this.#phase === Phase.terminating) {
      throw new RuntimeError(
        RuntimeErrorCode.BAD_ARGUMENT,
        `${helper}() shapes what a server does after its current callback, so it must be called while init, handleCall, handleCast, handleInfo or handleContinue runs.`,
      );
    }
  }

  #init(server: GenServer<never>): void | Promise<void> {
    this.#busy = true;
    const args = this.#args;
    this.#args = undefined;
    let result: unknown;
    let thenable: boolean;
    const outer = enter(this);
    try {
      result = server.init(args as never);
      thenable = isThenable(result);
    } catch (error) {
      enter(outer);
      this.#failInit(error);
      return;
    }
    enter(outer);
    if (!thenable) return this.#initDone(result);
    return Promise.resolve(result).then(
      (value) => (this.alive ? this.#initDone(value) : undefined),
      (error: unknown) => {
        if (this.alive) this.#failInit(error);
      },
    );
  }

  #initDone(value: unknown): void | Promise<void> {
    if (this.#stop !== undefined) return this.#failInit(this.#stop.reason);
    if (value === IGNORE) {
      const starter = this.#starter;
      this.#starter = undefined;
      this.stop("normal");
      starter?.ignored();
      return;
    }
    if (value !== undefined) {
      return this.#failInit(
        new RuntimeError(
          RuntimeErrorCode.BAD_ARGUMENT,
          `init returned ${describeMessage(value)}; return nothing (or a promise of nothing) to start, or this.ignore() to start nothing.`,
        ),
      );
    }
    this.#phase = Phase.running;
    const starter = this.#starter;
    this.#starter = undefined;
    starter?.started();
    return this.#after();
  }

  /** `init` did not succeed: no terminate (as in OTP), the process ends with `reason`, the start fails. */
  #failInit(reason: ExitReason): void {
    const starter = this.#starter;
    this.#starter = undefined;
    this.#phase = Phase.terminating;
    this.stop(reason);
    starter?.failed(reason);
  }

  /** Runs one callback, then what it asked for; loops over synchronous continues instead of recursing. */
  #run(callback: Callback, payload: unknown, from: From | undefined): void | Promise<void> {
    const server = this.#server as GenServer<never>;
    this.#busy = true;
    for (;;) {
      this.#idleMs = undefined;
      let result: unknown;
      let thenable: boolean;
      const outer = enter(this);
      try {
        if (callback === Callback.call) result = server.handleCall(payload, from as From);
        else if (callback === Callback.cast) result = server.handleCast(payload);
        else if (callback === Callback.info) result = server.handleInfo(payload);
        else result = server.handleContinue(payload);
        thenable = isThenable(result);
      } catch (error) {
        enter(outer);
        return this.#terminate(error);
      }
      enter(outer);
      if (thenable) return this.#settle(result as PromiseLike<unknown>, from);
      if (from !== undefined && result !== NO_REPLY) from.reply(result);
      if (this.#stop !== undefined) return this.#terminate(this.#stop.reason);
      const next = this.#continue;
      if (next === undefined) return this.#idle();
      this.#continue = undefined;
      callback = Callback.continue;
      payload = next.arg;
      from = undefined;
    }
  }

  /** Waits for an async callback, replies with its value, then goes on as `#run` would. */
  #settle(result: PromiseLike<unknown>, from: From | undefined): Promise<void> {
    return Promise.resolve(result).then(
      (value) => {
        if (!this.alive) return;
        if (from !== undefined && value !== NO_REPLY) from.reply(value);
        return this.#after();
      },
      (error: unknown) => (this.alive ? this.#terminate(error) : undefined),
    );
  }

  /** What follows a finished callback: its stop, else its continue, else waiting (maybe with a timeout). */
  #after(): void | Promise<void> {
    if (this.#stop !== undefined) return this.#terminate(this.#stop.reason);
    const next = this.#continue;
    if (next === undefined) return this.#idle();
    this.#continue = undefined;
    return this.#run(Callback.continue, next.arg, undefined);
  }

  #idle(): void {
    this.#busy = false;
    const ms = this.#idleMs;
    this.#idleMs = undefined;
    // A queued message would cancel the timeout before it could fire.
    if (ms === undefined || this.mailboxSize > 0) return;
    const token = new IdleTimeoutMessage();
    this.#idleToken = token;
    this.#idleTimer = this.runtime.sendAfter(this.pid, token, ms);
  }

  #cancelIdle(): void {
    if (this.#idleTimer !== undefined) this.runtime.cancelTimer(this.#idleTimer);
    this.#idleTimer = this.#idleToken = undefined;
  }

  /**
   * Runs `terminate(reason)` and ends the process with `reason` — after the returned promise settles when
   * `terminate` is async. If `terminate` throws or rejects, the process ends with that error instead.
   */
  #terminate(reason: ExitReason): void | Promise<void> {
    if (!this.alive || this.#phase === Phase.terminating) return;
    this.#phase = Phase.terminating;
    this.#busy = true;
    this.#continue = undefined;
    this.#cancelIdle();
    const server = this.#server as GenServer<never>;
    let result: unknown;
    let thenable: boolean;
    const outer = enter(this);
    try {
      result = server.terminate(reason);
      thenable = isThenable(result);
    } catch (error) {
      enter(outer);
      this.stop(error);
      return;
    }
    enter(outer);
    if (!thenable) {
      this.stop(reason);
      return;
    }
    return Promise.resolve(result).then(
      () => this.stop(reason),
      (error: unknown) => this.stop(error),
    );
  }
}
