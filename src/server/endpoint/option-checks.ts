/**
 * Checks of numeric and rate-limit options, shared by the endpoint and its socket mounts: a bad value
 * throws `FENIX_ERR_SERVER_BAD_OPTION` naming the option.
 */
import { ServerError, ServerErrorCode } from "../errors.js";
import type { RateLimit, RateLimitOptions } from "../socket/rate-limit.js";

export function positive(value: number, name: string): number {
  if (typeof value !== "number" || !(value > 0)) {
    throw new ServerError(ServerErrorCode.BAD_OPTION, `Option ${name} must be a positive number; got ${String(value)}.`);
  }
  return value;
}

/** Resolves a rate limit option: `null` when absent or when it limits nothing. */
export function rateLimitOf(options: RateLimitOptions | undefined, name: string): RateLimit | null {
  if (options === undefined) return null;
  if (typeof options !== "object" || options === null) {
    throw new ServerError(ServerErrorCode.BAD_OPTION, `Option ${name} must be an object such as { messagesPerSec: 50 }; got ${String(options)}.`);
  }
  const limit: RateLimit = {
    messagesPerSec: options.messagesPerSec === undefined ? 0 : positive(options.messagesPerSec, `${name}.messagesPerSec`),
    bytesPerSec: options.bytesPerSec === undefined ? 0 : positive(options.bytesPerSec, `${name}.bytesPerSec`),
    joinsPerSec: options.joinsPerSec === undefined ? 0 : positive(options.joinsPerSec, `${name}.joinsPerSec`),
    burst: positive(options.burst ?? 1, `${name}.burst`),
  };
  for (const key of ["messagesPerSec", "bytesPerSec", "joinsPerSec", "burst"] as const) {
    if (!Number.isFinite(limit[key])) throw new ServerError(ServerErrorCode.BAD_OPTION, `Option ${name}.${key} must be finite; got ${limit[key]}.`);
  }
  return limit.messagesPerSec > 0 || limit.bytesPerSec > 0 || limit.joinsPerSec > 0 ? limit : null;
}

export function nonNegative(value: number, name: string): number {
  if (typeof value !== "number" || !(value >= 0)) {
    throw new ServerError(ServerErrorCode.BAD_OPTION, `Option ${name} must be zero or a positive number; got ${String(value)}.`);
  }
  return value;
}
