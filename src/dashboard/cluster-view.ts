/**
 * The dashboard's view of the cluster: the latest snapshot of every node, merged into one picture
 * (totals, per-node summaries, every connection, topics summed over nodes, the topology), and the
 * history of the merged totals the charts start from. A node not heard from for three of its sampling
 * periods is dropped. Pure data code on an injected clock; the sampler process owns one.
 */
import { mergeDistributions, type Distribution } from "./distribution.js";
import { addErrorCounts, errorRatios, type ErrorCounts, type ErrorRatios } from "./error-rates.js";
import type { NodeSnapshot, Rates, SocketRow, TopicRow, TreeNode } from "./node-snapshot.js";

/** How many of its sampling periods a node may stay silent before it is dropped from the view. */
export const SILENT_PERIODS = 3;

/** One point of the charts: the cluster's totals at one instant. */
export interface SeriesPoint {
  /** Seconds since the epoch (what uPlot reads). */
  readonly t: number;
  readonly connections: number;
  readonly channels: number;
  readonly messagesIn: number;
  readonly messagesInfo: number;
  readonly broadcasts: number;
  readonly connects: number;
  readonly disconnects: number;
  readonly mailboxTotal: number;
  readonly mailboxMax: number;
  readonly mailboxP99: number;
  readonly bufferedTotal: number;
  readonly bufferedMax: number;
  readonly bufferedP99: number;
  readonly crashPerMessage: number;
  readonly refusedJoinPerJoin: number;
  readonly slowConsumerPerConnection: number;
  readonly transportErrorPerConnection: number;
}

/** One node's line in the nodes table. */
export interface NodeSummary {
  readonly node: string;
  readonly status: string;
  /** When its snapshot was taken (ms since the epoch, its clock). */
  readonly at: number;
  readonly connections: number;
  readonly channels: number;
  readonly rates: Rates;
  readonly mailbox: Distribution;
  readonly buffered: Distribution;
  readonly errors: ErrorRatios;
  readonly socketsTotal: number;
  readonly topicsTotal: number;
}

/** Connections of one node joined to one topic: an edge of the topology graph. */
export interface TopologyEdge {
  readonly node: string;
  readonly topic: string;
  readonly connections: number;
}

/** What the page shows: the merge of every live node's latest snapshot. */
export interface DashboardView {
  /** The node that merged it (the one serving the page). */
  readonly node: string;
  /** When it was merged (ms since the epoch). */
  readonly at: number;
  readonly totals: SeriesPoint;
  /** The summed error counts behind `totals`' ratios. */
  readonly errors: ErrorCounts;
  readonly nodes: readonly NodeSummary[];
  /** Every node's connections (each capped at the node's `maxRows`). */
  readonly sockets: readonly SocketRow[];
  /** Topics summed over the nodes: subscribers and rates add up, presence is the largest count seen. */
  readonly topics: readonly TopicRow[];
  readonly edges: readonly TopologyEdge[];
  readonly trees: readonly { readonly node: string; readonly tree: TreeNode }[];
}

interface Heard {
  readonly snapshot: NodeSnapshot;
  readonly receivedAt: number;
}

/** The latest snapshot of every node, merged on demand. */
export class ClusterView {
  readonly #node: string;
  readonly #historyPoints: number;
  readonly #nodes = new Map<string, Heard>();
  readonly #history: SeriesPoint[] = [];

  /** `node` is the local node (never dropped); `historyPoints` the chart points kept. */
  constructor(node: string, historyPoints: number) {
    this.#node = node;
    this.#historyPoints = historyPoints;
  }

  /** Records a node's snapshot, received at `now` (the local clock, ms). An older one than held is ignored. */
  apply(snapshot: NodeSnapshot, now: number): void {
    const held = this.#nodes.get(snapshot.node);
    if (held !== undefined && held.snapshot.at > snapshot.at) return;
    this.#nodes.set(snapshot.node, { snapshot, receivedAt: now });
  }

  /** Drops the nodes silent for {@link SILENT_PERIODS} of their periods at `now`; returns their names. */
  expire(now: number): string[] {
    const dropped: string[] = [];
    for (const [node, { snapshot, receivedAt }] of this.#nodes) {
      if (node !== this.#node && now - receivedAt > SILENT_PERIODS * snapshot.sampleMs) {
        this.#nodes.delete(node);
        dropped.push(node);
      }
    }
    return dropped;
  }

  /** The nodes in the view, sorted. */
  nodes(): string[] {
    return [...this.#nodes.keys()].sort();
  }

  /** The merged view at `at` (ms since the epoch), or `null` before any snapshot. */
  view(at: number): DashboardView | null {
    if (this.#nodes.size === 0) return null;
    const snapshots = this.nodes().map((node) => this.#nodes.get(node)!.snapshot);
    return mergeSnapshots(this.#node, at, snapshots);
  }

  /** Appends a view's totals to the chart history (the oldest points fall off). */
  record(view: DashboardView): void {
    this.#history.push(view.totals);
    if (this.#history.length > this.#historyPoints) this.#history.splice(0, this.#history.length - this.#historyPoints);
  }

  /** The chart history, oldest first. */
  history(): readonly SeriesPoint[] {
    return this.#history;
  }
}

/**
 * Merges node snapshots into one view.
 *
 * @remarks
 * Counts, rates and totals add up; maxima take the largest; the p99s take the largest (an upper bound,
 * see `mergeDistributions`); P(e) is computed from the summed counts. A topic's presence count is the
 * largest any node reports, since every node sees the same replicated presences.
 */
export function mergeSnapshots(node: string, at: number, snapshots: readonly NodeSnapshot[]): DashboardView {
  const mailbox = mergeDistributions(snapshots.map((s) => s.mailbox));
  const buffered = mergeDistributions(snapshots.map((s) => s.buffered));
  const errors = addErrorCounts(snapshots.map((s) => s.errors));
  const ratios = errorRatios(errors);
  const sum = (pick: (s: NodeSnapshot) => number) => snapshots.reduce((total, s) => total + pick(s), 0);

  const topics = new Map<string, { subscribers: number; messagesPerSecond: number; presence: number | null }>();
  const edges: TopologyEdge[] = [];
  for (const s of snapshots) {
    for (const row of s.topics) {
      const merged = topics.get(row.topic);
      if (merged === undefined) topics.set(row.topic, { subscribers: row.subscribers, messagesPerSecond: row.messagesPerSecond, presence: row.presence });
      else {
        merged.subscribers += row.subscribers;
        merged.messagesPerSecond += row.messagesPerSecond;
        if (row.presence !== null) merged.presence = Math.max(merged.presence ?? 0, row.presence);
      }
      if (row.subscribers > 0) edges.push({ node: s.node, topic: row.topic, connections: row.subscribers });
    }
  }

  return {
    node,
    at,
    totals: {
      t: at / 1000,
      connections: sum((s) => s.connections),
      channels: sum((s) => s.channels),
      messagesIn: sum((s) => s.rates.messagesIn),
      messagesInfo: sum((s) => s.rates.messagesInfo),
      broadcasts: sum((s) => s.rates.broadcasts),
      connects: sum((s) => s.rates.connects),
      disconnects: sum((s) => s.rates.disconnects),
      mailboxTotal: mailbox.total,
      mailboxMax: mailbox.max,
      mailboxP99: mailbox.p99,
      bufferedTotal: buffered.total,
      bufferedMax: buffered.max,
      bufferedP99: buffered.p99,
      ...ratios,
    },
    errors,
    nodes: snapshots.map((s) => ({
      node: s.node,
      status: s.status,
      at: s.at,
      connections: s.connections,
      channels: s.channels,
      rates: s.rates,
      mailbox: s.mailbox,
      buffered: s.buffered,
      errors: errorRatios(s.errors),
      socketsTotal: s.socketsTotal,
      topicsTotal: s.topicsTotal,
    })),
    sockets: snapshots.flatMap((s) => s.sockets),
    topics: [...topics].map(([topic, t]) => ({ topic, ...t })),
    edges,
    trees: snapshots.flatMap((s) => (s.tree === null ? [] : [{ node: s.node, tree: s.tree }])),
  };
}
