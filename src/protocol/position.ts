/**
 * Stream positions on the wire: where a broadcast sits in its topic's history, written into the `ref`
 * field of broadcasts on history topics as `"<epoch>:<offset>"`, and read back from a client's `since`
 * join parameter (as that string or as `{epoch, offset}`).
 */

/**
 * Where a message sits in a topic's history: an offset that grows by one with every broadcast, within an
 * epoch that names one life of the stream. A new epoch starts when a stream is lost (a store restarted
 * without persistence, an evicted key): offsets of different epochs cannot be compared.
 */
export interface StreamPosition {
  /** The stream's current life; a short string without `:`. */
  readonly epoch: string;
  /** The offset of the message in that epoch: 1 for the first broadcast, 0 before any. */
  readonly offset: number;
}

/**
 * Writes a position as it travels in a broadcast's `ref`: `"<epoch>:<offset>"`.
 *
 * @example
 * ```ts
 * formatPosition({ epoch: "k3x9", offset: 42 }); // "k3x9:42"
 * ```
 */
export function formatPosition(position: StreamPosition): string {
  return `${position.epoch}:${position.offset}`;
}

/**
 * Reads a position as a client sends it in `since`: the `"<epoch>:<offset>"` string of a broadcast's ref,
 * or an object `{epoch, offset}`. Returns null for anything else (no position, or a malformed one).
 *
 * @example
 * ```ts
 * parsePosition("k3x9:42");                  // { epoch: "k3x9", offset: 42 }
 * parsePosition({ epoch: "k3x9", offset: 42 }); // the same
 * parsePosition("42");                       // null
 * ```
 */
export function parsePosition(value: unknown): StreamPosition | null {
  if (typeof value === "string") {
    const colon = value.lastIndexOf(":");
    if (colon <= 0) return null;
    return checked(value.slice(0, colon), Number(value.slice(colon + 1)));
  }
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const { epoch, offset } = value as { epoch?: unknown; offset?: unknown };
    return typeof epoch === "string" ? checked(epoch, typeof offset === "string" ? Number(offset) : offset) : null;
  }
  return null;
}

function checked(epoch: string, offset: unknown): StreamPosition | null {
  if (epoch.length === 0 || epoch.length > 64 || epoch.includes(":")) return null;
  if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) return null;
  return { epoch, offset };
}
