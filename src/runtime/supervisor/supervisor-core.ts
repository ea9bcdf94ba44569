/**
 * The process engine Supervisor and DynamicSupervisor share: boot (name, then children), the request
 * loop behind their façades, exit handling (parent → ordered shutdown, child → the subclass decides),
 * restart intensity, retries of failed restarts, and the options both accept.
 */
import { CalleeExitedError, CallRequest } from "../gen-server/call.js";
import type { From } from "../gen-server/call.js";
import { describeReceived } from "./child-spec.js";
import { RuntimeError, RuntimeErrorCode } from "../errors.js";
import { formatExitReason, isCleanExit, isExitMessage, shutdown } from "../process/exit-reason.js";
import type { ExitReason } from "../process/exit-reason.js";
import type { NameRegistrar, ViaName } from "../registry/name.js";
import { Pid } from "../process/pid.js";
import { Process } from "../process/process.js";
import { RestartIntensity } from "./restart-intensity.js";
import { TelemetryEvent, telemetryChannels, type SupervisorRestarted } from "../../telemetry/events.js";
import { Runtime, defaultRuntime, runtimeOf } from "../process/runtime.js";
import { RequestFailure, SupervisorRequest } from "./supervisor-call.js";
import type { SupervisorKind } from "./supervisor-call.js";

/**
 * Options every supervisor accepts.
 *
 * @example
 * ```ts
 * const base: SupervisorBaseOptions = { runtime, maxRestarts: 5, maxSeconds: 10 };
 * ```
 */
export interface SupervisorBaseOptions {
  /**
   * The Runtime the supervisor lives in (its children should live there too).
   * @defaultValue the runtime of `link` when given, else `defaultRuntime`
   */
  runtime?: Runtime;
  /**
   * Restarts allowed within `maxSeconds`; one more and the supervisor stops its children and exits with
   * `"shutdown"`. `0` means the first crash that needs a restart ends the supervisor.
   * @defaultValue `3`
   */
  maxRestarts?: number;
  /**
   * The window of `maxRestarts`, in seconds of the runtime's clock.
   * @defaultValue `5`
   */
  maxSeconds?: number;
  /**
   * Registers the supervisor under `key` in the registry `via` before any child starts; `start` rejects
   * with the registry's error if the name is taken. The registry forgets the name when the process ends.
   * @defaultValue not registered
   */
  name?: ViaName<NameRegistrar>;
  /**
   * The parent: linked at start. Its exit signal makes the supervisor stop its children in order and exit
   * with the same reason.
   * @defaultValue no parent
   */
  link?: Pid;
}

/** {@link SupervisorBaseOptions} checked and resolved. */
export interface ResolvedBaseOptions {
  readonly runtime: Runtime;
  readonly link: Pid | undefined;
  readonly name: ViaName<NameRegistrar> | undefined;
  readonly intensity: RestartIntensity;
}

/** The option keys of {@link SupervisorBaseOptions}, for the unknown-key check of each façade. */
export const BASE_OPTION_KEYS: readonly string[] = ["runtime", "maxRestarts", "maxSeconds", "name", "link"];

/**
 * Checks the options of a supervisor of `kind` and resolves the base ones.
 *
 * @param keys - every key the façade accepts; others are rejected, so `max_restarts:` cannot be ignored silently.
 * @throws RuntimeError `FENIX_ERR_RUNTIME_BAD_ARGUMENT` naming the option, what it must be and what was received.
 */
export function resolveBaseOptions(options: unknown, kind: SupervisorKind, keys: readonly string[]): ResolvedBaseOptions {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new RuntimeError(RuntimeErrorCode.BAD_ARGUMENT, `${kind} options must be an object, received ${describeReceived(options)}.`);
  }
  const fields = options as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!keys.includes(key)) {
      throw new RuntimeError(
        RuntimeErrorCode.BAD_ARGUMENT,
        `${kind} options have no ${JSON.stringify(key)}; valid options: ${keys.join(", ")}.`,
      );
    }
  }
  const { link, name, maxRestarts, maxSeconds } = fields;
  // A supervisor started under another lives in its runtime unless told otherwise.
  const runtime = fields.runtime ?? (link instanceof Pid ? runtimeOf(link) : undefined) ?? defaultRuntime;
  if (!(runtime instanceof Runtime)) {
    throw new RuntimeError(RuntimeErrorCode.BAD_ARGUMENT, `runtime must be a Runtime, received ${describeReceived(runtime)}.`);
  }
  if (link !== undefined && !(link instanceof Pid)) {
    throw new RuntimeError(RuntimeErrorCode.BAD_ARGUMENT, `link must be the parent's Pid, received ${describeReceived(link)}.`);
  }
  if (
    name !== undefined &&
    (typeof name !== "object" ||
      name === null ||
      typeof (name as { via?: { register?: unknown } }).via?.register !== "function" ||
      !("key" in name))
  ) {
    throw new RuntimeError(
      RuntimeErrorCode.BAD_ARGUMENT,
      `name must be { via, key } where via is a registry (with register and whereis), received ${describeReceived(name)}.`,
    );
  }
  return {
    runtime,
    link,
    name: name as ViaName<NameRegistrar> | undefined,
    intensity: new RestartIntensity(maxRestarts as number | undefined, maxSeconds as number | undefined),
  };
}

/** The request every supervisor answers the same way. */
export interface StopOp {
  readonly kind: "stop";
  readonly reason: ExitReason;
}

function isStopOp(op: unknown): op is StopOp {
  return (op as { kind?: unknown }).kind === "stop";
}

/** First message of every supervisor: register the name, start the children. */
const BOOT: unique symbol = Symbol("fenix.supervisor.boot");
/** Sent to itself after a failed restart, so queued requests are answered before the next attempt. */
const RESUME_RESTARTS: unique symbol = Symbol("fenix.supervisor.resumeRestarts");

/**
 * A supervisor process; subclasses keep the children and say what an exit or a request does.
 *
 * @remarks
 * It traps exits. Messages, one at a time and in order: the boot message (queued by the constructor, so
 * it comes first); façade requests (see supervisor-call.ts), answered with the result or a
 * `RequestFailure`; EXIT from the parent, or from itself (`runtime.exit(sup, reason)` sent from outside
 * any process) → ordered shutdown, then exit with that reason; any other EXIT → `childExited`, which
 * ignores pids that are not current children (so exits of children the supervisor is stopping never
 * cause restarts); the resume message after a failed restart. Anything else is ignored.
 *
 * @example
 * ```ts
 * class Nothing extends SupervisorCore<never> {
 *   protected override async init(): Promise<void> {}
 *   protected override childExited(): void {}
 *   protected override resumeRestarts(): void {}
 *   protected override answer(): unknown { return undefined; }
 *   protected override async shutdownChildren(): Promise<void> {}
 * }
 * ```
 */
export abstract class SupervisorCore<Op> extends Process {
  /** Resolves with the pid once the children have started; rejects if they could not be. */
  readonly ready: Promise<Pid>;
  readonly #parent: Pid | undefined;
  readonly #name: ViaName<NameRegistrar> | undefined;
  readonly #intensity: RestartIntensity;
  #starting: { resolve: (pid: Pid) => void; reject: (error: unknown) => void } | undefined;
  #stopping = false;

  constructor(options: ResolvedBaseOptions) {
    super(options.runtime, { trapExits: true, ...(options.link === undefined ? {} : { link: options.link }) });
    this.#parent = options.link;
    this.#name = options.name;
    this.#intensity = options.intensity;
    this.ready = new Promise<Pid>((resolve, reject) => {
      this.#starting = { resolve, reject };
    });
    this.runtime.send(this.pid, BOOT);
  }

  /** Starts the initial children; throws (a RuntimeError) when one fails. The core then stops the started ones. */
  protected abstract init(): Promise<void>;
  /** A linked process ended; ignore it unless `pid` is a current child. */
  protected abstract childExited(pid: Pid, reason: ExitReason): void | Promise<void>;
  /** Picks up the restarts a failed start left pending (see {@link SupervisorCore.retryLater}). */
  protected abstract resumeRestarts(): void | Promise<void>;
  /** Answers a façade request; throw a RuntimeError to fail it. */
  protected abstract answer(op: Op): unknown;
  /** Stops every running child per its shutdown policy (the order is the subclass's). */
  protected abstract shutdownChildren(): Promise<void>;

  /** Whether the supervisor is stopping its children to exit: it starts none from then on. */
  protected get stopping(): boolean {
    return this.#stopping;
  }

  /** Publishes the telemetry event of a child about to be restarted (nothing is built when nobody listens). */
  protected reportRestart(child: string, pid: Pid, reason: ExitReason): void {
    const ch = telemetryChannels[TelemetryEvent.SUPERVISOR_RESTART];
    if (!ch.hasSubscribers) return;
    ch.publish({
      source: this.runtime,
      node: this.runtime.node,
      supervisor: this.pid.toString(),
      child,
      pid: pid.toString(),
      reason: formatExitReason(reason),
    } satisfies SupervisorRestarted);
  }

  /** Records a restart on the runtime clock; `false` means the intensity is exceeded: call {@link SupervisorCore.giveUp}. */
  protected restartAllowed(): boolean {
    return this.#intensity.record(this.runtime.clock.now());
  }

  /** Asks for {@link SupervisorCore.resumeRestarts} after the messages already queued. */
  protected retryLater(): void {
    this.runtime.send(this.pid, RESUME_RESTARTS);
  }

  /** Restart intensity exceeded: stop every child, then exit with `"shutdown"`. */
  protected giveUp(): Promise<void> {
    return this.#terminate("shutdown", false);
  }

  protected override handleMessage(message: unknown): void | Promise<void> {
    if (message instanceof CallRequest) return this.#handleCall(message);
    if (isExitMessage(message)) {
      if (message.from === this.#parent || message.from === this.pid) return this.#terminate(message.reason, true);
      return this.childExited(message.from, message.reason);
    }
    if (message === RESUME_RESTARTS) return this.resumeRestarts();
    if (message === BOOT) return this.#boot();
  }

  protected override onExit(reason: ExitReason): void {
    const starting = this.#starting;
    if (starting === undefined) return;
    this.#starting = undefined;
    starting.reject(
      new CalleeExitedError(reason, `supervisor ${this.pid.toString()} exited (${formatExitReason(reason)}) before its children had started.`),
    );
  }

  async #boot(): Promise<void> {
    try {
      if (this.#name !== undefined) this.#name.via.register(this.#name.key, this.pid);
      await this.init();
    } catch (error) {
      if (!this.alive) return;
      await this.shutdownChildren();
      if (!this.alive) return;
      const starting = this.#starting;
      this.#starting = undefined;
      starting?.reject(error);
      // The caller learns of the failure from the rejected start; the parent is not signalled as well.
      if (this.#parent !== undefined) this.runtime.unlink(this.pid, this.#parent);
      this.stop(shutdown(error));
      return;
    }
    if (!this.alive) return;
    const starting = this.#starting;
    this.#starting = undefined;
    starting?.resolve(this.pid);
  }

  #handleCall(call: CallRequest): void | Promise<void> {
    const { request, from } = call;
    if (!(request instanceof SupervisorRequest)) {
      from.reply(
        new RequestFailure(
          new RuntimeError(
            RuntimeErrorCode.BAD_ARGUMENT,
            `supervisor ${this.pid.toString()} answers only the requests of its façade (Supervisor.* / DynamicSupervisor.*), received ${describeReceived(request)}.`,
          ),
        ),
      );
      return;
    }
    const op: unknown = request.op;
    if (isStopOp(op)) return this.#stopOnRequest(op.reason, from);
    let result: unknown;
    try {
      result = this.answer(op as Op);
    } catch (error) {
      from.reply(new RequestFailure(error));
      return;
    }
    if (result instanceof Promise) {
      return result.then(
        (value: unknown) => {
          from.reply(value);
        },
        (error: unknown) => {
          from.reply(new RequestFailure(error));
        },
      );
    }
    from.reply(result);
  }

  async #stopOnRequest(reason: ExitReason, from: From): Promise<void> {
    this.#stopping = true;
    await this.shutdownChildren();
    if (!this.alive) return;
    from.reply(undefined);
    this.stop(reason);
  }

  /**
   * Ordered shutdown, then exit with `reason`.
   *
   * @param bySignal - the parent's exit signal asked for it: an abnormal reason is then passed on as a
   *   signal rather than by `stop`, so `onCrash` reports the crash once, where it started, not again here.
   */
  async #terminate(reason: ExitReason, bySignal: boolean): Promise<void> {
    this.#stopping = true;
    await this.shutdownChildren();
    if (!this.alive) return;
    if (bySignal && !isCleanExit(reason) && reason !== "kill") {
      this.trapExits = false;
      this.runtime.exit(this.pid, reason, this.pid);
    } else {
      this.stop(reason);
    }
  }
}
