/**
 * Public surface of the process runtime: Pid/Ref, exit reasons, clocks, the Runtime and Process, and
 * what is built on them (calls, names, Registry, GenServer, Task, supervisors).
 * Internal seams (process hooks, the mailbox) are deliberately left out.
 */
export { Pid, Ref } from "./process/pid.js";
export {
  formatExitReason,
  isCleanExit,
  isDownMessage,
  isExitMessage,
  isShutdownReason,
  shutdown,
} from "./process/exit-reason.js";
export type { DownMessage, ExitMessage, ExitReason } from "./process/exit-reason.js";
export { RealClock, assertDelay, realClock } from "./clock/clock.js";
export type { Clock, TimerHandle } from "./clock/clock.js";
export { VirtualClock } from "./clock/virtual-clock.js";
export { Runtime, defaultRuntime, runtimeOf } from "./process/runtime.js";
export type { RuntimeOptions } from "./process/runtime.js";
export { Process } from "./process/process.js";
export type { ProcessOptions } from "./process/process.js";
export { RuntimeError, RuntimeErrorCode } from "./errors.js";
export { AlreadyRegisteredError } from "./registry/already-registered-error.js";
export { Registry } from "./registry/registry.js";
export type { RegistryEntry, RegistryKeys, RegistryOptions, RegistryRemoval, RegistryValueArg } from "./registry/registry.js";
export { Supervisor } from "./supervisor/supervisor.js";
export type { ChildCounts, ChildInfo, SupervisorChildOverrides, SupervisorOptions, SupervisorStrategy } from "./supervisor/supervisor.js";
export { DynamicSupervisor } from "./supervisor/dynamic-supervisor.js";
export type { DynamicChildInfo, DynamicChildSpec, DynamicSupervisorOptions } from "./supervisor/dynamic-supervisor.js";
export type { ChildShutdown, ChildSpec, ChildType, RestartType } from "./supervisor/child-spec.js";
export type { SupervisorBaseOptions } from "./supervisor/supervisor-core.js";
export { CallRequest, CalleeExitedError, DEFAULT_CALL_TIMEOUT_MS, From, call } from "./gen-server/call.js";
export { describeDestination, resolveDestination } from "./registry/name.js";
export type { Destination, NameRegistrar, NameResolver, ViaName } from "./registry/name.js";
export { GenServer } from "./gen-server/gen-server.js";
export type { Ignore, InitArgs, NoReply, StartResult } from "./gen-server/gen-server.js";
export type { Call, CallResult, CastOf, InfoOf, ReplyOf, RequestOf, ServerName, ServerPid } from "./gen-server/gen-server-types.js";
export type { GenServerOptions } from "./gen-server/gen-server-options.js";
export { AlreadyStartedError } from "./gen-server/already-started-error.js";
export { InitFailedError } from "./gen-server/init-failed-error.js";
export { UnhandledMessageError } from "./gen-server/unhandled-message-error.js";
export type { UnhandledMessageCode } from "./gen-server/unhandled-message-error.js";
export { Task } from "./process/task.js";
export { configureEscapedErrors } from "./process/escaped-errors.js";
export type { EscapedErrorOptions, EscapeOrigin, OrphanErrorPolicy } from "./process/escaped-errors.js";
export { currentProcess } from "./process/process-context.js";
export type { TaskOptions, TaskStartOptions } from "./process/task.js";
