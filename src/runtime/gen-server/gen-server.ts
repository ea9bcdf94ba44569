/**
 * GenServer: the OTP server as a TypeScript class. Users extend it, keep state in instance fields and
 * answer calls, casts and other messages in callbacks that run one at a time in the server's own
 * process. The façade (this file) holds the callbacks and helpers; the engine is gen-server-process.ts.
 */
import { CalleeExitedError, DEFAULT_CALL_TIMEOUT_MS, call } from "./call.js";
import type { From } from "./call.js";
import type { TimerHandle } from "../clock/clock.js";
import { RuntimeError, RuntimeErrorCode } from "../errors.js";
import { formatExitReason } from "../process/exit-reason.js";
import type { ExitReason } from "../process/exit-reason.js";
import { resolveGenServerOptions } from "./gen-server-options.js";
import type { GenServerOptions } from "./gen-server-options.js";
import {
  CastMessage,
  IDLE_TIMEOUT,
  IGNORE,
  NO_REPLY,
  StopRequest,
  claimEngine,
  currentServer,
} from "./gen-server-process.js";
import { GenServerProcess, type Ignore, type NoReply } from "./gen-server-process.js";
import { startGenServer } from "./gen-server-start.js";
import { SERVER_PROTOCOL } from "./gen-server-types.js";
import type {
  Call,
  CallResult,
  CastAt,
  InfoAt,
  ReplyAt,
  RequestAt,
  ServerName,
  ServerPid,
  ServerProtocol,
} from "./gen-server-types.js";
import { describeDestination, isDestination, resolveDestination } from "../registry/name.js";
import type { Destination, ViaName } from "../registry/name.js";
import { Pid } from "../process/pid.js";
import { defaultRuntime, runtimeOf } from "../process/runtime.js";
import type { Runtime } from "../process/runtime.js";
import { assertTimeout } from "../process/timeout.js";
import { UnhandledMessageError, describeMessage } from "./unhandled-message-error.js";

export type { Ignore, NoReply } from "./gen-server-process.js";

/**
 * The `args` a server class's `init` takes: `A` of `GenServer<A>`.
 *
 * @example
 * ```ts
 * class Counter extends GenServer<{ start: number }> {}
 * const args: InitArgs<Counter> = { start: 1 };
 * ```
 */
export type InitArgs<S> = S extends GenServer<infer A> ? A : never;

/**
 * What starting a server of class `S` resolves with: its pid (a {@link ServerPid}, which carries the
 * server's message types), or `ServerPid<S> | null` when its `init` may return `this.ignore()` (read
 * from the return type of `S`'s own `init`).
 *
 * @example
 * ```ts
 * class Optional extends GenServer<boolean> {
 *   override init(enabled: boolean) {
 *     if (!enabled) return this.ignore();
 *   }
 * }
 * const result: StartResult<Optional> = null; // Pid | null
 * ```
 */
export type StartResult<S extends GenServer<never>> = [Extract<Awaited<ReturnType<S["init"]>>, Ignore>] extends [never]
  ? ServerPid<S>
  : ServerPid<S> | null;

/** The pid `destination` names now (undefined when nothing is registered), after checking its shape. */
function resolve(destination: unknown, api: string): Pid | undefined {
  if (!isDestination(destination)) {
    throw new RuntimeError(
      RuntimeErrorCode.BAD_ARGUMENT,
      `${api}: destination must be a Pid or a name { via, key } such as registry.via(key), received ${describeMessage(destination)}.`,
    );
  }
  return resolveDestination(destination);
}

function callSelf(api: string, destination: Destination, hint: string): RuntimeError {
  return new RuntimeError(
    RuntimeErrorCode.CALL_SELF,
    `${api} to ${describeDestination(destination)}, which is the calling server itself: it would wait for itself forever. ${hint}`,
  );
}

/** The explicit runtime, else the one the server at `pid` was started in, else the default one. */
function runtimeFor(pid: Pid | undefined, runtime: Runtime | undefined): Runtime {
  return runtime ?? (pid === undefined ? undefined : runtimeOf(pid)) ?? defaultRuntime;
}

/**
 * A server process written as a class: state in instance fields, behaviour in callbacks.
 *
 * @remarks
 * **Starting.** {@link GenServer.start} creates the process, registers the optional name, builds one
 * instance of the class (its constructor takes no arguments — set fields there, do work in `init`) and
 * runs `init(args)` as the process's first message, before anything else sent to it. The start resolves
 * with the pid when `init` returns (or its promise resolves); see {@link GenServer.start} for failures.
 *
 * **Messages.** One at a time, in arrival order: a {@link GenServer.call} goes to `handleCall` (what it
 * returns, or resolves to, is the reply), a {@link GenServer.cast} to `handleCast`, anything else — plain
 * sends, `sendAfter` timers, DOWN messages, EXIT messages when trapping — to `handleInfo`. Synchronous
 * callbacks take no promise hop; async ones are awaited before the next message.
 *
 * **Asking for what comes next** (from inside a callback): `this.stop(reason)` ends the server after the
 * callback (a `handleCall` may return a reply and stop: the reply is sent first); `this.continue(arg)`
 * runs `handleContinue(arg)` right after it, before any queued message; `this.idleTimeout(ms)` makes
 * `handleInfo` receive {@link GenServer.TIMEOUT} if no message arrives within `ms` of the runtime's clock
 * after it; `return this.noReply()` from `handleCall` defers the reply (answer later with
 * `from.reply(value)`, from any code). There is no hibernate: a JavaScript object has no separate heap to
 * compact, so there is nothing for it to do.
 *
 * **Defaults.** `handleCall`, `handleCast` and `handleContinue` crash the server with an
 * {@link UnhandledMessageError} naming what arrived (an unexpected call or cast is a bug better found at
 * once, as in OTP); `handleInfo` ignores the message (stray messages are normal: late timers, DOWNs of
 * processes one stopped caring about); `init` and `terminate` do nothing.
 *
 * **Crashes.** A callback that throws or rejects makes the server run `terminate(error)` and exit with
 * the error (a pending caller gets `FENIX_ERR_RUNTIME_CALLEE_EXITED` with it; the runtime's `onCrash`
 * sees it).
 *
 * **terminate** runs, and is awaited when async (the process stays alive meanwhile, handles nothing else,
 * and drops what arrives), on exactly these paths, after which the process exits with the reason:
 * `this.stop(reason)`; a crash of a callback; {@link GenServer.stop}; and — when trapping exits — an EXIT
 * from the parent (the `link` it was started with; EXITs from other links go to `handleInfo`). It does
 * not run when `init` failed, nor when an exit signal ends the server directly: a `"kill"`, or any
 * non-normal signal while not trapping exits (as in OTP: trap exits to be asked to stop, rather than be
 * stopped). If `terminate` throws, the server exits with that error instead. If the process is killed
 * while an async `terminate` runs, the rest of `terminate` still runs but changes nothing.
 *
 * **Helpers** for callbacks: `this.self`, `this.runtime`, `this.parent`, `this.trapExits`, `this.send`,
 * `this.cast`, `this.call` (throws `FENIX_ERR_RUNTIME_CALL_SELF` for a call to itself), `this.sendAfter`,
 * `this.cancelTimer`.
 *
 * **Types.** The type arguments after `A` declare the server's messages: its calls (a union of
 * {@link Call}`<Request, Reply>`), what it is cast and what else it receives. `start` then resolves with
 * a {@link ServerPid} that carries them, and {@link GenServer.call}, {@link GenServer.cast} and
 * {@link GenServer.send} to it check the request or message and infer the reply; `handleCall` must
 * return one of the declared replies, `from.reply` takes one. Left out, they are `unknown`: anything may
 * be sent, and replies are `unknown` unless stated as `GenServer.call<T>`. The checks are compile-time
 * only; at run time a server still receives whatever is sent to it.
 *
 * @typeParam A - the type of the `args` passed to `init`.
 * @typeParam Calls - the calls it answers: a union of `Call<Request, Reply>`.
 * @typeParam Casts - the messages `handleCast` takes.
 * @typeParam Infos - the messages `handleInfo` takes (include `typeof GenServer.TIMEOUT`, DOWN or EXIT
 *   messages when the server gets them), also what `this.sendAfter` sends.
 *
 * @example
 * ```ts
 * type CounterCall = Call<"get", number> | Call<{ type: "add"; n: number }, number>;
 *
 * class Counter extends GenServer<{ start: number }, CounterCall, "inc"> {
 *   #count = 0;
 *   override init(args: { start: number }) {
 *     this.#count = args.start;
 *   }
 *   override handleCall(request: CounterCall["request"]) {
 *     if (request === "get") return this.#count;
 *     return (this.#count += request.n);
 *   }
 *   override handleCast(message: "inc") {
 *     if (message === "inc") this.#count++;
 *   }
 * }
 * const runtime = new Runtime();
 * const pid = await GenServer.start(Counter, { start: 1 }, { runtime }); // ServerPid<Counter>
 * GenServer.cast(pid, "inc");
 * await GenServer.call(pid, "get"); // 2, a number
 * await GenServer.call(pid, { type: "add", n: 3 }); // 5
 * await GenServer.stop(pid);
 * ```
 */
export abstract class GenServer<A = undefined, Calls extends Call = Call, Casts = unknown, Infos = unknown> {
  /** What `handleInfo` receives when an idle timeout set with `this.idleTimeout(ms)` fires. */
  static readonly TIMEOUT: typeof IDLE_TIMEOUT = IDLE_TIMEOUT;

  /** The server's message types, for the compiler only: never set. */
  declare readonly [SERVER_PROTOCOL]?: ServerProtocol<Calls, Casts, Infos>;

  readonly #process: GenServerProcess;

  /**
   * Binds the instance to the process `GenServer.start` created for it.
   *
   * @throws RuntimeError `FENIX_ERR_RUNTIME_BAD_ARGUMENT` when called with `new` outside `GenServer.start`.
   */
  constructor() {
    const engine = claimEngine();
    if (engine === undefined) {
      throw new RuntimeError(
        RuntimeErrorCode.BAD_ARGUMENT,
        `${new.target.name} is a GenServer: start it with GenServer.start(${new.target.name}, args, options), not with new.`,
      );
    }
    this.#process = engine;
  }

  // ── Callbacks ────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Sets the server up; runs first, in the server's process, before any message.
   *
   * @remarks
   * May be async (the start waits for it, up to its timeout). Throw, reject or call `this.stop(reason)`
   * to fail the start (no `terminate` runs); return `this.ignore()` to start nothing (the start resolves
   * `null`, which a supervisor records as an ignored child). Any other returned value fails the start with
   * `FENIX_ERR_RUNTIME_BAD_ARGUMENT`. Default: does nothing.
   */
  init(_args: A): unknown {
    return undefined;
  }

  /**
   * Answers a call: the returned value (or what a returned promise resolves to) is the reply.
   *
   * @remarks
   * Return `this.noReply()` to reply later through `from.reply(value)`. With declared calls, the request
   * is one of their requests and the reply must be one of their replies (the compiler cannot tie each
   * reply to its request here; callers do get the exact reply of theirs). Default: crashes the server
   * with `FENIX_ERR_RUNTIME_UNHANDLED_CALL`.
   */
  handleCall(request: Calls["request"], _from: From<Calls["reply"]>): CallResult<Calls["reply"]> {
    throw new UnhandledMessageError(
      RuntimeErrorCode.UNHANDLED_CALL,
      request,
      `${this.constructor.name} received the call ${describeMessage(request)} but has no handleCall for it.`,
    );
  }

  /** Handles a cast. Default: crashes the server with `FENIX_ERR_RUNTIME_UNHANDLED_CAST`. */
  handleCast(message: Casts): void | PromiseLike<void> {
    throw new UnhandledMessageError(
      RuntimeErrorCode.UNHANDLED_CAST,
      message,
      `${this.constructor.name} received the cast ${describeMessage(message)} but has no handleCast for it.`,
    );
  }

  /**
   * Handles any other message: plain sends, timers, DOWN, EXIT (when trapping, except from the parent)
   * and {@link GenServer.TIMEOUT}. Default: ignores it.
   */
  handleInfo(_message: Infos): void | PromiseLike<void> {
    // Stray messages are expected (late timers, DOWNs of forgotten monitors): ignore them.
  }

  /**
   * Runs after the callback that called `this.continue(arg)`, before any queued message. Default:
   * crashes the server with `FENIX_ERR_RUNTIME_UNHANDLED_CONTINUE`.
   */
  handleContinue(arg: unknown): void | PromiseLike<void> {
    throw new UnhandledMessageError(
      RuntimeErrorCode.UNHANDLED_CONTINUE,
      arg,
      `${this.constructor.name} asked to continue with ${describeMessage(arg)} but has no handleContinue.`,
    );
  }

  /**
   * Last words before the server exits with `reason`; see the class remarks for when it runs.
   *
   * @remarks May be async: the process counts as alive (and `GenServer.stop` waits) until it settles.
   * Default: does nothing.
   */
  terminate(_reason: ExitReason): void | PromiseLike<void> {
    // Nothing to clean up by default.
  }

  // ── Helpers for callbacks ───────────────────────────────────────────────────────────────────────────

  /** This server's pid. */
  protected get self(): Pid {
    return this.#process.pid;
  }

  /** The Runtime this server lives in. */
  protected get runtime(): Runtime {
    return this.#process.runtime;
  }

  /** The parent (the `link` given at start), whose EXIT makes a trapping server terminate. */
  protected get parent(): Pid | undefined {
    return this.#process.parent;
  }

  /** Whether exit signals from links arrive as EXIT messages; settable at any time (typically in `init`). */
  protected get trapExits(): boolean {
    return this.#process.trapExits;
  }

  protected set trapExits(value: boolean) {
    this.#process.trapExits = value;
  }

  /**
   * Sends `message` (to `handleInfo` if the target is a GenServer); false if nobody is there. Checked
   * as {@link GenServer.send} is.
   */
  protected send<D extends Destination>(destination: D, message: InfoAt<D>): boolean {
    return GenServer.send(destination, message, this.#process.runtime);
  }

  /** Casts `message` to another server; false if nobody is there. Checked as {@link GenServer.cast} is. */
  protected cast<D extends Destination>(destination: D, message: CastAt<D>): boolean {
    return GenServer.cast(destination, message, this.#process.runtime);
  }

  /**
   * Calls another server and resolves with its reply (see {@link GenServer.call}, also for the types).
   *
   * @throws RuntimeError `FENIX_ERR_RUNTIME_CALL_SELF` when `destination` is this server.
   */
  protected call<T = unknown, D extends Destination = Destination, const Q extends RequestAt<D> = RequestAt<D>>(
    destination: D,
    request: Q,
    timeoutMs: number = DEFAULT_CALL_TIMEOUT_MS,
  ): Promise<ReplyAt<D, Q, T>> {
    const pid = resolve(destination, "call");
    if (pid === this.#process.pid) throw callSelf("call", destination, "Handle the request directly instead.");
    return GenServer.call<ReplyAt<D, Q, T>>(destination, request, timeoutMs, this.#process.runtime);
  }

  /**
   * Sends `message` to this server after `ms` of the runtime's clock (it arrives at `handleInfo`, so it
   * is one of the server's declared `Infos`).
   */
  protected sendAfter(message: Infos, ms: number): TimerHandle {
    return this.#process.runtime.sendAfter(this.#process.pid, message, ms);
  }

  /** Cancels a `sendAfter` timer; a fired or cancelled one is ignored. */
  protected cancelTimer(handle: TimerHandle): void {
    this.#process.runtime.cancelTimer(handle);
  }

  /**
   * Ends this server with `reason`: after the running callback (and its reply) when called from one, at
   * once when called while the server is idle (say from a timer). `terminate` runs first.
   */
  protected stop(reason: ExitReason = "normal"): void {
    this.#process.requestStop(reason);
  }

  /** Return it from `handleCall` to reply later with `from.reply(value)`. */
  protected noReply(): NoReply {
    return NO_REPLY;
  }

  /** Return it from `init` to start nothing: the start resolves `null`. */
  protected ignore(): Ignore {
    return IGNORE;
  }

  /**
   * Runs `handleContinue(arg)` right after the current callback, before any queued message.
   *
   * @throws RuntimeError `FENIX_ERR_RUNTIME_BAD_ARGUMENT` outside a callback, or when called twice in one.
   */
  protected continue(arg?: unknown): void {
    this.#process.requestContinue(arg);
  }

  /**
   * After the current callback, waits at most `ms` (runtime clock) for a message; if none arrives,
   * `handleInfo` receives {@link GenServer.TIMEOUT}.
   *
   * @remarks Any message cancels it; it applies to the wait after this one callback only (a callback that
   * does not call it waits forever). Not armed when a message is already queued.
   * @throws RuntimeError `FENIX_ERR_RUNTIME_BAD_ARGUMENT` outside a callback, or for a bad `ms`.
   */
  protected idleTimeout(ms: number): void {
    this.#process.requestIdleTimeout(ms);
  }

  // ── Starting and talking to servers ─────────────────────────────────────────────────────────────────

  /**
   * Starts a server of class `server` and resolves with its pid once `init(args)` has finished.
   *
   * @remarks
   * Resolves `null` when `init` returns `this.ignore()` (only possible, by type, for classes whose `init`
   * can return it). Rejects — with no process left — with `FENIX_ERR_RUNTIME_INIT_FAILED`
   * ({@link InitFailedError}: `init` or the constructor threw or rejected, `init` called `this.stop`, or
   * the process was ended during `init`), `FENIX_ERR_RUNTIME_INIT_TIMEOUT` (the server was unlinked from
   * its parent and killed) or `FENIX_ERR_RUNTIME_ALREADY_STARTED` ({@link AlreadyStartedError}, whose
   * `pid` holds the name). With `link`, a failing `init` also sends its exit reason to the parent.
   *
   * @throws RuntimeError `FENIX_ERR_RUNTIME_BAD_ARGUMENT` at once for a class that is not a GenServer or
   *   bad options (see {@link GenServerOptions}).
   *
   * @example
   * ```ts
   * const names = new Registry<string>({ keys: "unique", runtime });
   * const pid = await GenServer.start(Counter, { start: 0 }, { runtime, name: names.via("hits") });
   * ```
   */
  static start<S extends GenServer<never>>(server: new () => S, args: InitArgs<S>, options?: GenServerOptions): Promise<StartResult<S>> {
    if (typeof server !== "function" || !(server.prototype instanceof GenServer)) {
      throw new RuntimeError(
        RuntimeErrorCode.BAD_ARGUMENT,
        `GenServer.start: server must be a class that extends GenServer, received ${describeMessage(server)}.`,
      );
    }
    return startGenServer(server, args, resolveGenServerOptions(options)) as Promise<StartResult<S>>;
  }

  /**
   * {@link GenServer.start} linked to `parent` from the server's first moment — the form a supervisor's
   * child spec uses.
   *
   * @example
   * ```ts
   * const spec: ChildSpec = { id: "counter", start: (parent) => GenServer.startLink(Counter, { start: 0 }, parent, { runtime }) };
   * ```
   */
  static startLink<S extends GenServer<never>>(
    server: new () => S,
    args: InitArgs<S>,
    parent: Pid,
    options: Omit<GenServerOptions, "link"> = {},
  ): Promise<StartResult<S>> {
    if (!(parent instanceof Pid)) {
      throw new RuntimeError(RuntimeErrorCode.BAD_ARGUMENT, `GenServer.startLink: parent must be a Pid, received ${describeMessage(parent)}.`);
    }
    if (typeof options === "object" && options !== null && "link" in options) {
      throw new RuntimeError(RuntimeErrorCode.BAD_ARGUMENT, "GenServer.startLink: pass the parent as its own argument, not as options.link.");
    }
    return GenServer.start(server, args, { ...options, link: parent });
  }

  /**
   * States that `destination` — a pid or a name such as `registry.via(key)` — is a server of class `S`,
   * so calls, casts and sends to it are checked against the message types `S` declares. Returns its
   * argument unchanged.
   *
   * @remarks
   * For pids and names the compiler cannot trace to a start: a name, or a pid read from a registry or a
   * supervisor. Nothing is checked at run time beyond the shape of `destination`, so it is an assertion,
   * as a cast would be: state the class the process really runs.
   *
   * @throws RuntimeError `FENIX_ERR_RUNTIME_BAD_ARGUMENT` when `destination` is not a pid or `{ via, key }`.
   *
   * @example
   * ```ts
   * const names = new Registry<string>({ keys: "unique", runtime });
   * const visits = GenServer.typed<Counter>(names.via("visits")); // ServerName<Counter>
   * const count = await GenServer.call(visits, "get"); // number
   * ```
   */
  static typed<S extends GenServer<never>>(destination: Pid): ServerPid<S>;
  static typed<S extends GenServer<never>>(destination: ViaName): ServerName<S>;
  static typed<S extends GenServer<never>>(destination: Destination): ServerPid<S> | ServerName<S>;
  static typed(destination: Destination): Destination {
    if (!isDestination(destination)) {
      throw new RuntimeError(
        RuntimeErrorCode.BAD_ARGUMENT,
        `GenServer.typed: destination must be a Pid or a name { via, key } such as registry.via(key), received ${describeMessage(destination)}.`,
      );
    }
    return destination;
  }

  /**
   * Calls the server at `destination` and resolves with its reply.
   *
   * @remarks
   * To a {@link ServerPid} or {@link ServerName} (what `start` and {@link GenServer.typed} give), the
   * request must be one the server declares, and the reply type is inferred from it. To a plain pid or
   * name, any request goes and the reply is `unknown`, or `T` when given: `GenServer.call<T>(…)` states
   * the reply type without checking anything, as it always did.
   *
   * Rejects with `FENIX_ERR_RUNTIME_NOPROC` (nobody there), `FENIX_ERR_RUNTIME_CALL_TIMEOUT` (no reply
   * within `timeoutMs` of the runtime's clock; a later reply is dropped) or
   * `FENIX_ERR_RUNTIME_CALLEE_EXITED` (the server ended first; `reason` says why). The runtime is
   * `runtime` when given, else the one the pid belongs to (any process of any runtime), else
   * `defaultRuntime`.
   *
   * @throws RuntimeError `FENIX_ERR_RUNTIME_CALL_SELF` when called from a server's callback (before its
   *   first `await`) with that server as destination; `this.call` detects it after awaits too.
   *
   * @example
   * ```ts
   * const counter = await GenServer.start(Counter, { start: 0 }); // ServerPid<Counter>
   * const count = await GenServer.call(counter, "get", 1_000); // number
   * const other = await GenServer.call<number>(somePid, "get"); // untyped: stated, not checked
   * ```
   */
  static call<T = unknown, D extends Destination = Destination, const Q extends RequestAt<D> = RequestAt<D>>(
    destination: D,
    request: Q,
    timeoutMs: number = DEFAULT_CALL_TIMEOUT_MS,
    runtime?: Runtime,
  ): Promise<ReplyAt<D, Q, T>> {
    const pid = resolve(destination, "GenServer.call");
    assertTimeout(timeoutMs, "GenServer.call: timeoutMs");
    if (pid !== undefined && pid === currentServer()) {
      throw callSelf("GenServer.call", destination, "Handle the request directly instead.");
    }
    return call<ReplyAt<D, Q, T>>(runtimeFor(pid, runtime), destination, request, timeoutMs);
  }

  /**
   * Sends `message` to the server's `handleCast` and returns at once.
   *
   * @remarks To a {@link ServerPid} or {@link ServerName}, `message` must be one of the server's declared
   * casts; to a plain pid or name, anything goes.
   *
   * @returns false if no live process is at `destination` (the cast is dropped).
   *
   * @example
   * ```ts
   * GenServer.cast(pid, "inc");
   * ```
   */
  static cast<D extends Destination>(destination: D, message: CastAt<D>, runtime?: Runtime): boolean {
    const pid = resolve(destination, "GenServer.cast");
    return pid !== undefined && runtimeFor(pid, runtime).send(pid, new CastMessage(message));
  }

  /**
   * Sends `message` as it is (a GenServer handles it in `handleInfo`).
   *
   * @remarks To a {@link ServerPid} or {@link ServerName}, `message` must be one of the server's declared
   * `Infos`; to a plain pid or name, anything goes.
   *
   * @returns false if no live process is at `destination` (the message is dropped).
   *
   * @example
   * ```ts
   * GenServer.send(pid, { type: "tick" });
   * ```
   */
  static send<D extends Destination>(destination: D, message: InfoAt<D>, runtime?: Runtime): boolean {
    const pid = resolve(destination, "GenServer.send");
    return pid !== undefined && runtimeFor(pid, runtime).send(pid, message);
  }

  /**
   * Asks the server to stop with `reason` and resolves once it has run `terminate` and exited.
   *
   * @remarks
   * The request is handled in order, after the messages already queued, whether or not the server traps
   * exits. Rejects with `FENIX_ERR_RUNTIME_NOPROC` (nobody there), `FENIX_ERR_RUNTIME_STOP_TIMEOUT` (not
   * ended within `timeoutMs`; the request stays queued, so the server still stops when it reaches it —
   * kill it with `runtime.exit(pid, "kill")` to end it at once) or `FENIX_ERR_RUNTIME_CALLEE_EXITED` when it exited with another reason (its `terminate`
   * threw, or something else ended it first). Only GenServers understand the request: any other process is
   * refused at once with `FENIX_ERR_RUNTIME_BAD_ARGUMENT`. The runtime is
   * found as for {@link GenServer.call}.
   *
   * @param reason - the exit reason; `"normal"` when omitted.
   * @param timeoutMs - how long to wait, in ms of the runtime's clock; `Infinity` (the default, as in OTP)
   *   waits as long as `terminate` takes.
   * @throws RuntimeError `FENIX_ERR_RUNTIME_CALL_SELF` from a server's own callback; use `this.stop`.
   *
   * @example
   * ```ts
   * await GenServer.stop(pid, "shutdown", 5_000);
   * ```
   */
  static stop(destination: Destination, reason: ExitReason = "normal", timeoutMs: number = Infinity, runtime?: Runtime): Promise<void> {
    const pid = resolve(destination, "GenServer.stop");
    assertTimeout(timeoutMs, "GenServer.stop: timeoutMs");
    if (pid !== undefined && pid === currentServer()) {
      throw callSelf("GenServer.stop", destination, "Use this.stop(reason) instead.");
    }
    const rt = runtimeFor(pid, runtime);
    if (pid === undefined || !rt.isAlive(pid)) {
      return Promise.reject(
        new RuntimeError(RuntimeErrorCode.NOPROC, `GenServer.stop of ${describeDestination(destination)} failed: no such process.`),
      );
    }
    if (!(rt.lookup(pid) instanceof GenServerProcess)) {
      return Promise.reject(
        new RuntimeError(
          RuntimeErrorCode.BAD_ARGUMENT,
          `GenServer.stop: ${describeDestination(destination)} is not a GenServer; stop a supervisor with Supervisor.stop, any other process with runtime.exit(pid, reason).`,
        ),
      );
    }
    return new Promise<void>((resolvePromise, reject) => {
      let timer: TimerHandle | undefined;
      const unwatch = rt.watch(pid, (exitReason) => {
        if (timer !== undefined) rt.clock.clearTimeout(timer);
        if (Object.is(exitReason, reason)) {
          resolvePromise();
        } else {
          const message = `GenServer.stop of ${describeDestination(destination)}: it exited with ${formatExitReason(exitReason)} instead of ${formatExitReason(reason)}.`;
          reject(new CalleeExitedError(exitReason, message));
        }
      });
      if (Number.isFinite(timeoutMs)) {
        timer = rt.clock.setTimeout(() => {
          unwatch();
          reject(
            new RuntimeError(RuntimeErrorCode.STOP_TIMEOUT, `GenServer.stop of ${describeDestination(destination)}: it had not exited within ${timeoutMs} ms.`),
          );
        }, timeoutMs);
      }
      rt.send(pid, new StopRequest(reason));
    });
  }
}
