/**
 * Public surface of the process runtime: Pid/Ref, exit reasons, clocks, the Runtime and Process, and
 * what is built on them (calls, names, Registry, GenServer, Task, supervisors).
 * Internal seams (process hooks, the mailbox) are deliberately left out.
 */
export { Pid, Ref } from "./pid.js";
export {
  formatExitReason,
  isCleanExit,
  isDownMessage,
  isExitMessage,
  isShutdownReason,
  shutdown,
} from "./exit-reason.js";
export type { DownMessage, ExitMessage, ExitReason } from "./exit-reason.js";
export { RealClock, assertDelay, realClock } from "./clock.js";
export type { Clock, TimerHandle } from "./clock.js";
export { VirtualClock } from "./virtual-clock.js";
export { Runtime, defaultRuntime, runtimeOf } from "./runtime.js";
export type { RuntimeOptions } from "./runtime.js";
export { Process } from "./process.js";
export type { ProcessOptions } from "./process.js";
export { RuntimeError, RuntimeErrorCode } from "./errors.js";
export { AlreadyRegisteredError } from "./already-registered-error.js";
export { Registry } from "./registry.js";
export type { RegistryEntry, RegistryKeys, RegistryOptions, RegistryRemoval, RegistryValueArg } from "./registry.js";
export { Supervisor } from "./supervisor.js";
export type { ChildCounts, ChildInfo, SupervisorChildOverrides, SupervisorOptions, SupervisorStrategy } from "./supervisor.js";
export { DynamicSupervisor } from "./dynamic-supervisor.js";
export type { DynamicChildInfo, DynamicChildSpec, DynamicSupervisorOptions } from "./dynamic-supervisor.js";
export type { ChildShutdown, ChildSpec, ChildType, RestartType } from "./child-spec.js";
export type { SupervisorBaseOptions } from "./supervisor-core.js";
export { CallRequest, CalleeExitedError, DEFAULT_CALL_TIMEOUT_MS, From, call } from "./call.js";
export { describeDestination, resolveDestination } from "./name.js";
export type { Destination, NameRegistrar, NameResolver, ViaName } from "./name.js";
export { GenServer } from "./gen-server.js";
export type { Ignore, InitArgs, NoReply, StartResult } from "./gen-server.js";
export type { Call, CallResult, CastOf, InfoOf, ReplyOf, RequestOf, ServerName, ServerPid } from "./gen-server-types.js";
export type { GenServerOptions } from "./gen-server-options.js";
export { AlreadyStartedError } from "./already-started-error.js";
export { InitFailedError } from "./init-failed-error.js";
export { UnhandledMessageError } from "./unhandled-message-error.js";
export type { UnhandledMessageCode } from "./unhandled-message-error.js";
export { Task } from "./task.js";
export { configureEscapedErrors } from "./escaped-errors.js";
export type { EscapedErrorOptions, EscapeOrigin, OrphanErrorPolicy } from "./escaped-errors.js";
export { currentProcess } from "./process-context.js";
export type { TaskOptions, TaskStartOptions } from "./task.js";
