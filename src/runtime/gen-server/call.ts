/**
 * Request/reply between processes: `call` sends a request and waits for one reply, with a timeout and
 * with the callee's death turned into an error. The callee receives a {@link CallRequest} and answers
 * through its {@link From} handle, now or later. GenServer and Supervisor are built on it.
 */
import type { TimerHandle } from "../clock/clock.js";
import { RuntimeError, RuntimeErrorCode } from "../errors.js";
import { formatExitReason, type ExitReason } from "../process/exit-reason.js";
import { describeDestination, resolveDestination, type Destination } from "../registry/name.js";
import type { Pid } from "../process/pid.js";
import type { Runtime } from "../process/runtime.js";

/** The default time a call waits for its reply, in ms. */
export const DEFAULT_CALL_TIMEOUT_MS = 5_000;

/**
 * The reply handle of one call: answer it once with {@link From.reply}.
 *
 * @remarks
 * Replies after the caller has given up (timeout, callee exit) are dropped and `reply` returns false.
 * A handle may be kept and answered later, from any code — that is how a server defers a reply.
 *
 * @typeParam Reply - what `reply` takes: in a GenServer with declared calls, one of their replies
 *   (`handleCall`'s `from` is a `From<…>` of them); `unknown` when not stated.
 */
export class From<Reply = unknown> {
  #settle: ((value: unknown) => void) | null;
  /** The process the call was sent to. */
  readonly callee: Pid;

  /** @internal */
  constructor(callee: Pid, settle: (value: unknown) => void) {
    this.callee = callee;
    this.#settle = settle;
  }

  /** Whether the caller still waits for a reply. */
  get pending(): boolean {
    return this.#settle !== null;
  }

  /** Sends the reply. @returns false if the caller no longer waits (answered, timed out, or the callee exited). */
  reply(value: Reply): boolean {
    const settle = this.#settle;
    if (settle === null) return false;
    this.#settle = null;
    settle(value);
    return true;
  }

  /** @internal The caller gave up. */
  cancel(): void {
    this.#settle = null;
  }
}

/** The message a callee receives for each call. */
export class CallRequest {
  constructor(
    readonly request: unknown,
    readonly from: From,
  ) {}
}

/** An error for a call whose callee ended first; `reason` is the callee's exit reason. */
export class CalleeExitedError extends RuntimeError {
  constructor(
    readonly reason: ExitReason,
    message: string,
  ) {
    super(RuntimeErrorCode.CALLEE_EXITED, message, { cause: reason });
  }
}

/**
 * Sends `request` to the process at `destination` and resolves with its reply.
 *
 * @remarks
 * The callee must handle {@link CallRequest} messages (GenServers and supervisors do). Rejects with a
 * {@link RuntimeError}: `FENIX_ERR_RUNTIME_NOPROC` when no process is there, `FENIX_ERR_RUNTIME_CALL_TIMEOUT`
 * after `timeoutMs` on the runtime's clock (a late reply is dropped), `FENIX_ERR_RUNTIME_CALLEE_EXITED` when
 * the callee ends before replying.
 *
 * @example
 * ```ts
 * const count = await call(runtime, counterPid, { op: "get" }, 1_000);
 * ```
 */
export function call<T = unknown>(
  runtime: Runtime,
  destination: Destination,
  request: unknown,
  timeoutMs: number = DEFAULT_CALL_TIMEOUT_MS,
): Promise<T> {
  const pid = resolveDestination(destination);
  if (pid === undefined || !runtime.isAlive(pid)) {
    return Promise.reject(
      new RuntimeError(RuntimeErrorCode.NOPROC, `call to ${describeDestination(destination)} failed: no such process.`),
    );
  }
  return new Promise<T>((resolve, reject) => {
    let timer: TimerHandle | undefined;
    let unwatch: () => void = () => {};
    const done = () => {
      if (timer !== undefined) runtime.clock.clearTimeout(timer);
      unwatch();
    };
    const from = new From(pid, (value) => {
      done();
      resolve(value as T);
    });
    const fail = (error: Error) => {
      if (!from.pending) return;
      from.cancel();
      done();
      reject(error);
    };
    unwatch = runtime.watch(pid, (reason) =>
      fail(new CalleeExitedError(reason, `call to ${describeDestination(destination)} failed: it exited (${formatExitReason(reason)}) before replying.`)),
    );
    if (!from.pending) return;
    if (Number.isFinite(timeoutMs)) {
      timer = runtime.clock.setTimeout(
        () => fail(new RuntimeError(RuntimeErrorCode.CALL_TIMEOUT, `call to ${describeDestination(destination)} got no reply within ${timeoutMs} ms.`)),
        timeoutMs,
      );
    }
    runtime.send(pid, new CallRequest(request, from));
  });
}
