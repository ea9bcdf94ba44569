// Checks that a local service a test needs (Redis, Mosquitto, NATS, …) is listening. Locally an absent
// service lets the test skip; in CI it is an error, because .ci/run starts every service first.
import { connect } from "node:net";

/**
 * Resolves to whether `host:port` accepts a TCP connection within `timeoutMs`.
 *
 * @remarks
 * When the service is absent and `CI=true`, rejects with an error naming it instead of resolving
 * `false`. Use it with top-level await so the answer can drive `describe.skipIf`.
 *
 * @defaultValue `timeoutMs` is 1000.
 * @example
 * ```ts
 * const redis = await requireService("Redis", "127.0.0.1", 6379);
 * describe.skipIf(!redis)(`Redis adapter${redis ? "" : " (skipped: Redis is not running)"}`, () => {});
 * ```
 */
export async function requireService(name: string, host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  const up = await accepts(host, port, timeoutMs);
  if (!up && process.env.CI === "true") {
    throw new Error(`${name} is not listening on ${host}:${port}; .ci/run starts it before the tests.`);
  }
  if (!up) console.warn(`${name} is not listening on ${host}:${port}; tests that need it are skipped.`);
  return up;
}

function accepts(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const finish = (up: boolean): void => {
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once("connect", () => finish(true));
    socket.once("error", () => finish(false));
  });
}
