/**
 * Replica identity. A replica is one running copy of the presence state: a node name plus a version that
 * is new every time the node (or its tracker shard) starts, so a restarted node is a new replica and the
 * dots of its previous life can never be confused with its new ones. Both travel as one string id,
 * `"<name>#<vsn>"`.
 */
import { describeValue } from "../errors/describe.js";
import { PresenceError, PresenceErrorCode } from "./errors.js";

/** A replica id, `"<name>#<vsn>"`; build one with {@link replicaId}. */
export type ReplicaId = string;

/** The two halves of a {@link ReplicaId}. */
export interface ReplicaName {
  /** The node name (may itself contain `#`). */
  readonly name: string;
  /** The version of this start of the node (never contains `#`). */
  readonly vsn: string;
}

/**
 * Builds the id of the replica `name` started as version `vsn`.
 *
 * @param name - The node name: a non-empty string.
 * @param vsn - Unique per start (for example the start time in µs plus a counter): a non-empty string
 *   without `#`, or a non-negative safe integer.
 * @throws PresenceError `FENIX_ERR_PRESENCE_BAD_ARGUMENT` when either part is malformed.
 *
 * @example
 * ```ts
 * replicaId("node-a", 1718000000123); // "node-a#1718000000123"
 * ```
 */
export function replicaId(name: string, vsn: string | number): ReplicaId {
  if (typeof name !== "string" || name === "") {
    throw new PresenceError(PresenceErrorCode.BAD_ARGUMENT, `replica name must be a non-empty string, received ${describeValue(name)}.`);
  }
  const version = typeof vsn === "number" && Number.isSafeInteger(vsn) && vsn >= 0 ? String(vsn) : vsn;
  if (typeof version !== "string" || version === "" || version.includes("#")) {
    throw new PresenceError(
      PresenceErrorCode.BAD_ARGUMENT,
      `replica vsn must be a non-empty string without "#" or a non-negative safe integer, received ${describeValue(vsn)}.`,
    );
  }
  return `${name}#${version}`;
}

/**
 * Splits a replica id into its name and version.
 *
 * @throws PresenceError `FENIX_ERR_PRESENCE_BAD_ARGUMENT` when `id` is not a valid replica id.
 *
 * @example
 * ```ts
 * parseReplicaId("node-a#42"); // { name: "node-a", vsn: "42" }
 * ```
 */
export function parseReplicaId(id: ReplicaId): ReplicaName {
  assertReplicaId(id, "replica id");
  const cut = id.lastIndexOf("#");
  return { name: id.slice(0, cut), vsn: id.slice(cut + 1) };
}

/**
 * True when `value` is a well-formed replica id: a non-empty name, `#`, a non-empty version without `#`.
 *
 * @example
 * ```ts
 * isReplicaId("node-a#1"); // true
 * isReplicaId("node-a");   // false
 * ```
 */
export function isReplicaId(value: unknown): value is ReplicaId {
  if (typeof value !== "string") return false;
  const cut = value.lastIndexOf("#");
  return cut > 0 && cut < value.length - 1;
}

/**
 * Throws `FENIX_ERR_PRESENCE_BAD_ARGUMENT` unless `value` is a well-formed replica id.
 *
 * @param what - How the value is named in the error message.
 */
export function assertReplicaId(value: unknown, what: string): asserts value is ReplicaId {
  if (!isReplicaId(value)) {
    throw new PresenceError(
      PresenceErrorCode.BAD_ARGUMENT,
      `${what} must be a replica id "<name>#<vsn>" (see replicaId()), received ${describeValue(value)}.`,
    );
  }
}

/** How presence errors show a value they received: the shared {@link describeValue}. */
export { describeValue as describe };
