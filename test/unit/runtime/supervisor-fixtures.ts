/**
 * Test doubles for the supervisor suites: `Worker`, a child process that records its start and end in a
 * shared log (and can crash, stop, or ignore shutdown requests), spec builders, and small helpers to read
 * a supervisor's children and watch how a process ended.
 */
import type { ChildSpec } from "../../../src/runtime/supervisor/child-spec.js";
import { isExitMessage } from "../../../src/runtime/process/exit-reason.js";
import type { ExitReason } from "../../../src/runtime/process/exit-reason.js";
import type { Pid } from "../../../src/runtime/process/pid.js";
import { Process } from "../../../src/runtime/process/process.js";
import { Runtime } from "../../../src/runtime/process/runtime.js";
import { Supervisor } from "../../../src/runtime/supervisor/supervisor.js";
import { VirtualClock } from "../../../src/runtime/clock/virtual-clock.js";

/** A runtime on a virtual clock, recording crashes reported to `onCrash`. */
export function newRuntime(): { runtime: Runtime; clock: VirtualClock; crashes: unknown[] } {
  const clock = new VirtualClock();
  const crashes: unknown[] = [];
  const runtime = new Runtime({ clock, onCrash: (_pid, reason) => crashes.push(reason) });
  return { runtime, clock, crashes };
}

/** How a Worker behaves. */
export interface WorkerOptions {
  /** Trap exits and ignore the supervisor's `"shutdown"` (so only `"kill"` or its own stop ends it). */
  stubborn?: boolean;
}

/** A child that logs `start:<name>` when created and `stop:<name>` when it ends. */
export class Worker extends Process {
  readonly exits: ExitReason[] = [];

  constructor(
    runtime: Runtime,
    parent: Pid,
    readonly name: string,
    readonly log: string[],
    options: WorkerOptions = {},
  ) {
    super(runtime, { link: parent, trapExits: options.stubborn ?? false });
    log.push(`start:${name}`);
  }

  /** Ends the worker with `reason` (a public door to the protected `stop`). */
  halt(reason?: ExitReason): void {
    this.stop(reason);
  }

  protected override handleMessage(message: unknown): void {
    if (message === "crash") throw new Error(`${this.name} crashed`);
    if (isExitMessage(message)) this.log.push(`ignored:${this.name}`);
  }

  protected override onExit(reason: ExitReason): void {
    this.exits.push(reason);
    this.log.push(`stop:${this.name}`);
  }
}

/** A child spec starting a {@link Worker} named after `id`. */
export function workerSpec(
  runtime: Runtime,
  log: string[],
  id: string,
  extra: Omit<Partial<ChildSpec>, "id" | "start"> & WorkerOptions = {},
): ChildSpec {
  const { stubborn, ...spec } = extra;
  return { id, start: (parent) => new Worker(runtime, parent, id, log, { stubborn }).pid, ...spec };
}

/** The live Worker with pid `pid`. */
export function workerAt(runtime: Runtime, pid: Pid | null): Worker {
  const process = pid === null ? undefined : runtime.lookup(pid);
  if (!(process instanceof Worker)) throw new Error(`no live worker at ${String(pid)}`);
  return process;
}

/** id → pid of every child of a Supervisor. */
export async function pidsOf(supervisor: Pid): Promise<Record<string, Pid | null>> {
  const children = await Supervisor.whichChildren(supervisor);
  return Object.fromEntries(children.map((c) => [c.id, c.pid]));
}

/** The pid of child `id` of a Supervisor (throws if it is not running). */
export async function childPid(supervisor: Pid, id: string): Promise<Pid> {
  const pid = (await pidsOf(supervisor))[id];
  if (pid === undefined || pid === null) throw new Error(`child ${id} is not running`);
  return pid;
}

/** Records how `pid` ends: `ended` turns true and `reason` holds the exit reason. */
export function watchExit(runtime: Runtime, pid: Pid): { ended: boolean; reason: ExitReason } {
  const outcome = { ended: false, reason: undefined as ExitReason };
  runtime.watch(pid, (reason) => {
    outcome.ended = true;
    outcome.reason = reason;
  });
  return outcome;
}

export { track } from "./probe.js";
