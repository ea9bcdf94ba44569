/**
 * Restart intensity: the rule that stops a supervisor from restarting a child that crashes forever. Pure
 * bookkeeping over timestamps (the supervisor passes its runtime clock's `now()`), so the rule is tested
 * without processes.
 */
import { describeReceived } from "./child-spec.js";
import { RuntimeError, RuntimeErrorCode } from "../errors.js";

/** Default {@link RestartIntensity} limit: restarts allowed within the window. */
export const DEFAULT_MAX_RESTARTS = 3;
/** Default {@link RestartIntensity} window, in seconds. */
export const DEFAULT_MAX_SECONDS = 5;

/**
 * Counts restarts in a sliding window and says when there are too many.
 *
 * @remarks
 * A restart made at time `t` counts while `now - t < maxSeconds * 1000`: a restart exactly `maxSeconds`
 * old has left the window. {@link RestartIntensity.record} allows a restart when, counting it, at most
 * `maxRestarts` restarts are in the window; the `maxRestarts + 1`-th within the window is refused (and the
 * supervisor then gives up). `maxRestarts: 0` refuses every restart. Only the last `maxRestarts + 1`
 * timestamps are ever kept.
 *
 * @example
 * ```ts
 * const intensity = new RestartIntensity(2, 5);
 * intensity.record(0); // true
 * intensity.record(1_000); // true
 * intensity.record(2_000); // false: a third restart within 5 s
 * ```
 */
export class RestartIntensity {
  /** Restarts allowed within the window. */
  readonly maxRestarts: number;
  /** The window, in seconds. */
  readonly maxSeconds: number;
  readonly #windowMs: number;
  /** Times of the restarts still in the window, oldest first. */
  #stamps: number[] = [];

  /**
   * @throws RuntimeError `FENIX_ERR_RUNTIME_BAD_ARGUMENT` unless `maxRestarts` is an integer ≥ 0 and
   *   `maxSeconds` a finite number > 0.
   */
  constructor(maxRestarts: number = DEFAULT_MAX_RESTARTS, maxSeconds: number = DEFAULT_MAX_SECONDS) {
    if (typeof maxRestarts !== "number" || !Number.isSafeInteger(maxRestarts) || maxRestarts < 0) {
      throw new RuntimeError(
        RuntimeErrorCode.BAD_ARGUMENT,
        `maxRestarts must be an integer >= 0 (restarts allowed within maxSeconds), received ${describeReceived(maxRestarts)}.`,
      );
    }
    if (typeof maxSeconds !== "number" || !Number.isFinite(maxSeconds) || maxSeconds <= 0) {
      throw new RuntimeError(
        RuntimeErrorCode.BAD_ARGUMENT,
        `maxSeconds must be a finite number of seconds > 0 (the window of maxRestarts), received ${describeReceived(maxSeconds)}.`,
      );
    }
    this.maxRestarts = maxRestarts;
    this.maxSeconds = maxSeconds;
    this.#windowMs = maxSeconds * 1000;
  }

  /**
   * Records a restart at `now` (ms) and says whether it is allowed.
   *
   * @returns `false` when this restart makes more than `maxRestarts` within the window.
   */
  record(now: number): boolean {
    const stamps = this.#stamps;
    let expired = 0;
    while (expired < stamps.length && now - (stamps[expired] as number) >= this.#windowMs) expired++;
    if (expired > 0) stamps.splice(0, expired);
    stamps.push(now);
    if (stamps.length > this.maxRestarts + 1) stamps.shift();
    return stamps.length <= this.maxRestarts;
  }
}
