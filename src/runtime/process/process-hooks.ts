/**
 * The private seam between a Process and its Runtime: the Runtime keeps the table, links and monitors,
 * the Process keeps its mailbox. Neither is exported from the runtime's index; users never see it.
 */
import type { ExitReason } from "./exit-reason.js";
import type { Process } from "./process.js";

/**
 * Key of the Runtime method a Process calls once, from its constructor, to be registered; it returns the
 * new process's pid.
 *
 * @remarks Symbols rather than names keep these methods out of the Runtime's public surface.
 *
 * @example
 * ```ts
 * const runtime = new Runtime();
 * typeof runtime[attachProcess]; // "function"
 * ```
 */
export const attachProcess: unique symbol = Symbol("fenix.runtime.attachProcess");

/**
 * Key of the Runtime method a Process calls, with its pid, to end itself (a handler crash or `stop`).
 *
 * @example
 * ```ts
 * const runtime = new Runtime();
 * typeof runtime[endProcess]; // "function"
 * ```
 */
export const endProcess: unique symbol = Symbol("fenix.runtime.endProcess");

/**
 * What the Runtime may ask of a registered process.
 *
 * @remarks
 * One object serves every process of a class (no closures per process); each call names the process.
 * On exit the Runtime calls `halt` (mark dead, drop the mailbox) and then `exited` (the user's `onExit`),
 * both exactly once, before it signals links and monitors.
 *
 * @example
 * ```ts
 * const hooks: ProcessHooks = { deliver: () => {}, halt: () => {}, hold: () => {}, exited: () => {} };
 * ```
 */
export interface ProcessHooks {
  /** Enqueues a message in the process's mailbox (only called while the process is alive). */
  deliver(process: Process, message: unknown): void;
  /** Marks the process dead and drops its mailbox. */
  halt(process: Process): void;
  /** Holds (`true`) or resumes (`false`) the handling of the process's mailbox; messages still queue. */
  hold(process: Process, held: boolean): void;
  /** Runs the process's `onExit`; errors it throws are caught by the Runtime. */
  exited(process: Process, reason: ExitReason): void;
}
