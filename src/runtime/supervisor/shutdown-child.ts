/**
 * Stops one child the way its spec says (ask with `"shutdown"`, wait on the runtime clock, then `"kill"`)
 * and resolves when it has ended. Shared by Supervisor and DynamicSupervisor.
 */
import type { ChildShutdown } from "./child-spec.js";
import type { TimerHandle } from "../clock/clock.js";
import type { ExitReason } from "../process/exit-reason.js";
import type { Pid } from "../process/pid.js";
import type { Runtime } from "../process/runtime.js";

/**
 * Ends `child` per `policy` and resolves with the reason it ended with.
 *
 * @remarks
 * The signal comes from `supervisor`, so a child that traps exits (a nested supervisor) sees it as its
 * parent's and shuts down in order. The wait uses `runtime.watch`, not a message, so the supervisor's
 * mailbox is not involved; the EXIT the link still delivers to the supervisor arrives for a pid it has
 * already forgotten and is ignored. A child that is already dead resolves at once with `"noproc"`.
 * The `"kill"` timer runs on `runtime.clock` and is cleared as soon as the child ends.
 *
 * @example
 * ```ts
 * declare const supervisor: Pid;
 * declare const child: Pid;
 * const reason = await shutdownChild(runtime, supervisor, child, 1_000);
 * ```
 */
export function shutdownChild(runtime: Runtime, supervisor: Pid, child: Pid, policy: ChildShutdown): Promise<ExitReason> {
  return new Promise<ExitReason>((resolve) => {
    let timer: TimerHandle | undefined;
    runtime.watch(child, (reason) => {
      if (timer !== undefined) runtime.clock.clearTimeout(timer);
      resolve(reason);
    });
    if (!runtime.isAlive(child)) return;
    if (policy === "brutal_kill") {
      runtime.exit(child, "kill", supervisor);
      return;
    }
    if (typeof policy === "number") {
      timer = runtime.clock.setTimeout(() => {
        timer = undefined;
        runtime.exit(child, "kill", supervisor);
      }, policy);
    }
    runtime.exit(child, "shutdown", supervisor);
  });
}
