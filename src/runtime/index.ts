/**
 * Public surface of the process runtime: Pid/Ref, exit reasons, clocks, the Runtime and Process.
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
export { Runtime, defaultRuntime } from "./runtime.js";
export type { RuntimeOptions } from "./runtime.js";
export { Process } from "./process.js";
export type { ProcessOptions } from "./process.js";
export { RuntimeError, RuntimeErrorCode } from "./errors.js";
