/**
 * `isThenable`: how the runtime tells an async callback result (anything with a `then` method) from a
 * plain value, so synchronous callbacks never pay for a promise.
 */

/**
 * Whether `value` is a promise or any other thenable (an object or function with a `then` method).
 *
 * @remarks
 * Reads `then` once. A getter on `then` that throws makes this throw too; callers run it where a throw is
 * treated like the callback's own.
 *
 * @example
 * ```ts
 * isThenable(Promise.resolve(1)); // true
 * isThenable({ then() {} }); // true
 * isThenable(42); // false
 * if (isThenable<number>(result)) result.then((n) => n + 1); // narrows to PromiseLike<number>
 * ```
 *
 * @typeParam T - What the thenable resolves to, when the caller knows it (the check cannot). @defaultValue unknown
 */
export function isThenable<T = unknown>(value: unknown): value is PromiseLike<T> {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}
