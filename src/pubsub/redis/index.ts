/**
 * `fenix/redis`: the PubSub adapter that links Fenix nodes through Redis Pub/Sub. A subpath of its own,
 * so that applications that do not use Redis never load its client.
 */
export { RedisAdapter } from "./redis-adapter.js";
export type { RedisAdapterOptions } from "./redis-adapter.js";
export type { BackoffOptions } from "../backoff.js";
