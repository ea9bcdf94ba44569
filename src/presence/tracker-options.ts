/**
 * The options of a presence tracker, their defaults and their checks. The timers follow the replication
 * design: heartbeats every `broadcastPeriodMs`, a liveness beacon after `maxSilentPeriods` quiet
 * periods, a replica taken as down after `downPeriodMs` without a heartbeat and dropped for good after
 * `permdownPeriodMs`.
 */
import { PresenceError, PresenceErrorCode } from "./errors.js";
import { DEFAULT_MAX_DELTA_SIZES } from "./generations.js";

/** Options of a presence tracker; every node of a cluster must use the same `name` and `poolSize`. */
export interface TrackerOptions {
  /** Names the tracker's PubSub topics (`phx_presence:<name>_shard<n>`). @defaultValue `"presence"` */
  readonly name?: string;
  /** Shard processes per node; a topic always lives in the same shard. @defaultValue 1 */
  readonly poolSize?: number;
  /** How often a shard sends its pending changes to the other nodes (ms). @defaultValue 1500 */
  readonly broadcastPeriodMs?: number;
  /** Quiet periods after which a shard sends an empty heartbeat, so others know it is alive. @defaultValue 10 */
  readonly maxSilentPeriods?: number;
  /**
   * How long a replica may stay silent before its presences are hidden as gone (ms); at least twice
   * `broadcastPeriodMs`. @defaultValue `broadcastPeriodMs × maxSilentPeriods × 2` (30 s)
   */
  readonly downPeriodMs?: number;
  /** How long a down replica is kept before its presences are dropped for good (ms). @defaultValue 1_200_000 (20 min) */
  readonly permdownPeriodMs?: number;
  /** Heartbeats between two checks of which replicas know more than this one (then a transfer is asked). @defaultValue 2 */
  readonly clockSamplePeriods?: number;
  /** Sizes of the recent delta generations kept for replicas that fell behind. @defaultValue [100, 1000, 10000] */
  readonly maxDeltaSizes?: readonly number[];
  /** Tell the other nodes at once when this node stops, instead of letting them time it out. @defaultValue false */
  readonly permdownOnShutdown?: boolean;
}

/** @internal Options with every default applied. */
export interface ResolvedTrackerOptions {
  readonly name: string;
  readonly poolSize: number;
  readonly broadcastPeriodMs: number;
  readonly maxSilentPeriods: number;
  readonly downPeriodMs: number;
  readonly permdownPeriodMs: number;
  readonly clockSamplePeriods: number;
  readonly maxDeltaSizes: readonly number[];
  readonly permdownOnShutdown: boolean;
}

function bad(message: string): never {
  throw new PresenceError(PresenceErrorCode.BAD_ARGUMENT, message);
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) bad(`${name} must be a positive integer; got ${String(value)}.`);
  return value;
}

/** @internal Applies the defaults and checks the options; throws `FENIX_ERR_PRESENCE_BAD_ARGUMENT`. */
export function resolveTrackerOptions(options: TrackerOptions = {}): ResolvedTrackerOptions {
  const name = options.name ?? "presence";
  if (typeof name !== "string" || name === "") bad(`name must be a non-empty string; got ${JSON.stringify(name)}.`);
  const broadcastPeriodMs = positiveInteger(options.broadcastPeriodMs ?? 1500, "broadcastPeriodMs");
  const maxSilentPeriods = positiveInteger(options.maxSilentPeriods ?? 10, "maxSilentPeriods");
  const downPeriodMs = positiveInteger(options.downPeriodMs ?? broadcastPeriodMs * maxSilentPeriods * 2, "downPeriodMs");
  if (downPeriodMs < 2 * broadcastPeriodMs) bad(`downPeriodMs (${downPeriodMs}) must be at least twice broadcastPeriodMs (${broadcastPeriodMs}).`);
  const permdownPeriodMs = positiveInteger(options.permdownPeriodMs ?? 1_200_000, "permdownPeriodMs");
  if (permdownPeriodMs <= downPeriodMs) bad(`permdownPeriodMs (${permdownPeriodMs}) must be longer than downPeriodMs (${downPeriodMs}).`);
  const maxDeltaSizes = options.maxDeltaSizes ?? DEFAULT_MAX_DELTA_SIZES;
  if (!Array.isArray(maxDeltaSizes) || maxDeltaSizes.some((size) => !Number.isInteger(size) || size < 1)) {
    bad("maxDeltaSizes must be an array of positive integers.");
  }
  return {
    name,
    poolSize: positiveInteger(options.poolSize ?? 1, "poolSize"),
    broadcastPeriodMs,
    maxSilentPeriods,
    downPeriodMs,
    permdownPeriodMs,
    clockSamplePeriods: positiveInteger(options.clockSamplePeriods ?? 2, "clockSamplePeriods"),
    maxDeltaSizes,
    permdownOnShutdown: options.permdownOnShutdown ?? false,
  };
}

/** The shard (0 … poolSize − 1) a topic belongs to: a stable hash, the same on every node. */
export function shardOf(topic: string, poolSize: number): number {
  if (poolSize === 1) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < topic.length; i++) {
    hash ^= topic.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % poolSize;
}

/** The PubSub topic shard `n` of tracker `name` talks on. */
export function shardTopic(name: string, n: number): string {
  return `phx_presence:${name}_shard${n}`;
}
