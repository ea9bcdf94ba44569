/**
 * Turns the snapshot of an endpoint's connections (`endpoint.connections()`) into the numbers the
 * sampled gauges show: connections per mount and transport, channels per route, and the queues —
 * mailbox lengths of socket and channel processes (sum, max, 99th percentile) and outbound bytes per
 * transport (sum, max). Pure: data in, numbers out.
 */
import type { ConnectionInfo } from "../server/endpoint/connection-info.js";

/** Sum, maximum and 99th percentile of a set of queue lengths. */
export interface QueueStats {
  readonly sum: number;
  readonly max: number;
  readonly p99: number;
}

/** Sum and maximum of the outbound queues of one transport. */
export interface BufferStats {
  readonly sum: number;
  readonly max: number;
}

/** What one scrape shows about the connections. */
export interface ConnectionSummary {
  /** Open connections, keyed by mount path and transport. */
  readonly connections: ReadonlyMap<string, { readonly path: string; readonly transport: string; readonly count: number }>;
  /** Joined channels per route pattern. */
  readonly channels: ReadonlyMap<string, number>;
  /** Mailbox lengths of the connection processes. */
  readonly socketMailboxes: QueueStats;
  /** Mailbox lengths of the channel processes. */
  readonly channelMailboxes: QueueStats;
  /** Outbound bytes per transport. */
  readonly outbound: ReadonlyMap<string, BufferStats>;
}

/**
 * The nearest-rank percentile `q` (0 < q ≤ 1) of `values`, sorted in place; 0 for no values.
 *
 * @example
 * ```ts
 * percentile(Float64Array.from([3, 1, 2]), 0.99); // 3
 * ```
 */
export function percentile(values: Float64Array, q: number): number {
  if (values.length === 0) return 0;
  values.sort();
  return values[Math.max(0, Math.ceil(q * values.length) - 1)]!;
}

/** Summarises `connections`. */
export function summarizeConnections(connections: readonly ConnectionInfo[]): ConnectionSummary {
  const byMount = new Map<string, { path: string; transport: string; count: number }>();
  const channels = new Map<string, number>();
  const outbound = new Map<string, { sum: number; max: number }>();
  let channelCount = 0;
  for (const c of connections) channelCount += c.channels.length;
  const socketLengths = new Float64Array(connections.length);
  const channelLengths = new Float64Array(channelCount);
  let s = 0;
  let ch = 0;
  for (const c of connections) {
    const key = `${c.path}\u0000${c.transport}`;
    const mount = byMount.get(key);
    if (mount === undefined) byMount.set(key, { path: c.path, transport: c.transport, count: 1 });
    else mount.count++;
    const buffers = outbound.get(c.transport);
    if (buffers === undefined) outbound.set(c.transport, { sum: c.bufferedBytes, max: c.bufferedBytes });
    else {
      buffers.sum += c.bufferedBytes;
      if (c.bufferedBytes > buffers.max) buffers.max = c.bufferedBytes;
    }
    socketLengths[s++] = c.mailbox;
    for (const channel of c.channels) {
      channels.set(channel.route, (channels.get(channel.route) ?? 0) + 1);
      channelLengths[ch++] = channel.mailbox;
    }
  }
  return {
    connections: byMount,
    channels,
    socketMailboxes: queueStats(socketLengths),
    channelMailboxes: queueStats(channelLengths),
    outbound,
  };
}

function queueStats(lengths: Float64Array): QueueStats {
  let sum = 0;
  let max = 0;
  for (const n of lengths) {
    sum += n;
    if (n > max) max = n;
  }
  return { sum, max, p99: percentile(lengths, 0.99) };
}
