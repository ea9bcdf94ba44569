/**
 * Waiting that a stop can cut short: `fenix connect` waits on connections, joins, replies and input,
 * and Ctrl-C must end any of those waits at once.
 */

/** Resolves with `promise`'s value, or with undefined as soon as `signal` is aborted. */
export function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise<T | undefined>((resolve, reject) => {
    const stop = (): void => resolve(undefined);
    signal.addEventListener("abort", stop, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", stop));
  });
}
