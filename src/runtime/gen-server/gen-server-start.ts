/**
 * How a GenServer starts: create its process (linked to the parent from its first moment), register its
 * name before anything else can happen, build the server object, and wait — on the runtime's clock — for
 * `init` to finish in the new process. `GenServer.start` and `startLink` are thin wrappers over it.
 */
import { AlreadyStartedError } from "./already-started-error.js";
import type { TimerHandle } from "../clock/clock.js";
import { RuntimeError, RuntimeErrorCode } from "../errors.js";
import { formatExitReason } from "../process/exit-reason.js";
import type { ExitReason } from "../process/exit-reason.js";
import type { ResolvedGenServerOptions } from "./gen-server-options.js";
import { GenServerProcess, constructServer } from "./gen-server-process.js";
import type { GenServerStarter } from "./gen-server-process.js";
import type { GenServer } from "./gen-server.js";
import { InitFailedError } from "./init-failed-error.js";
import { describeDestination } from "../registry/name.js";
import type { Pid } from "../process/pid.js";

/**
 * Starts a server of class `server` with `args`; resolves with its pid once `init` has finished, or
 * `null` when `init` returned `this.ignore()`.
 *
 * @remarks
 * Order: the process is created (and linked to `options.link`), its first message — `init` — is queued,
 * the name is registered, then `new server()` runs. So `init` runs before any message anyone sends it,
 * and two starts under one name are decided synchronously, by who registers first. Rejects with
 * {@link AlreadyStartedError}, {@link InitFailedError} or `FENIX_ERR_RUNTIME_INIT_TIMEOUT`; the process
 * is gone whenever it rejects.
 *
 * @example
 * ```ts
 * const pid = await startGenServer(Counter, { start: 1 }, resolveGenServerOptions({ runtime }));
 * ```
 */
export function startGenServer<S extends GenServer<never>>(
  server: new () => S,
  args: unknown,
  options: ResolvedGenServerOptions,
): Promise<Pid | null> {
  const { runtime, name, link, trapExits, timeoutMs } = options;
  return new Promise<Pid | null>((resolve, reject) => {
    let settled = false;
    let timer: TimerHandle | undefined;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      if (timer !== undefined) runtime.clock.clearTimeout(timer);
      return true;
    };
    const fail = (reason: ExitReason): void => {
      if (settle()) reject(new InitFailedError(reason, `${server.name} failed to start: init ended with ${formatExitReason(reason)}.`));
    };
    const starter: GenServerStarter = {
      started: () => {
        if (settle()) resolve(engine.pid);
      },
      ignored: () => {
        if (settle()) resolve(null);
      },
      failed: fail,
    };
    const engine = new GenServerProcess(runtime, { link, trapExits }, starter);

    if (name !== undefined) {
      try {
        name.via.register(name.key, engine.pid);
      } catch (error) {
        settled = true;
        engine.abandon("normal");
        const holder = name.via.whereis(name.key);
        if (holder === undefined || holder === engine.pid) {
          reject(error);
        } else {
          const message = `${server.name} was not started: ${describeDestination(name)} is already running as ${holder.toString()}.`;
          reject(new AlreadyStartedError(name.key, holder, message, { cause: error }));
        }
        return;
      }
    }

    let instance: S;
    try {
      instance = constructServer(engine, server);
    } catch (error) {
      settled = true;
      engine.abandon(error);
      reject(new InitFailedError(error, `${server.name} failed to start: its constructor threw ${formatExitReason(error)}.`));
      return;
    }
    engine.attach(instance, args);

    if (Number.isFinite(timeoutMs)) {
      timer = runtime.clock.setTimeout(() => {
        timer = undefined;
        if (!settle()) return;
        // As OTP does: unlink first, so the kill does not take the parent down with it.
        if (link !== undefined) runtime.unlink(link, engine.pid);
        runtime.exit(engine.pid, "kill");
        reject(new RuntimeError(RuntimeErrorCode.INIT_TIMEOUT, `${server.name} failed to start: init did not finish within ${timeoutMs} ms, so it was killed.`));
      }, timeoutMs);
    }
  });
}
