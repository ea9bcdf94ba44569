/**
 * What one node tells the dashboard every interval: its connections and their queues, its rates and
 * error counts, its topics and its supervision tree. `buildNodeSnapshot` is a pure function of what the
 * sampler gathered, so the arithmetic is tested without processes. Every field is JSON (no `undefined`),
 * because snapshots travel between nodes over PubSub.
 */
import type { ConnectionInfo } from "../server/endpoint/connection-info.js";
import { summarize, type Distribution } from "./distribution.js";
import type { ErrorCounts } from "./error-rates.js";
import type { IntervalCounts } from "./telemetry-counters.js";

/** One joined channel of a connection. */
export interface ChannelRow {
  readonly topic: string;
  /** The channel class's name. */
  readonly channel: string;
  readonly pid: string;
  readonly mailbox: number;
  /** When the join was answered (ms since the epoch). */
  readonly joinedAt: number;
  readonly suspended: boolean;
}

/** One client connection, as the sockets table shows it. */
export interface SocketRow {
  readonly node: string;
  /** The connection process's pid, as text. */
  readonly pid: string;
  /** The socket mount, such as `/socket`. */
  readonly path: string;
  readonly transport: string;
  /** The peer's address, when known. */
  readonly address: string | null;
  readonly socketId: string | null;
  readonly channels: readonly ChannelRow[];
  /** Messages queued in the connection's mailbox and in its channels' mailboxes. */
  readonly mailbox: number;
  /** Outbound bytes queued for the client. */
  readonly bufferedBytes: number;
  /** When it connected (ms since the epoch). */
  readonly connectedAt: number;
  readonly suspended: boolean;
}

/** One topic, as the topics table shows it. */
export interface TopicRow {
  readonly topic: string;
  /** Connections joined to it (on this node; summed over the cluster in a merged view). */
  readonly subscribers: number;
  /** Client events handled plus broadcasts delivered on it, per second. */
  readonly messagesPerSecond: number;
  /** Presence keys on it (the same on every node: presence is replicated), or `null` when unknown. */
  readonly presence: number | null;
}

/** One process of a supervision tree. */
export interface TreeNode {
  /** The child id in its supervisor (the root is `"endpoint"`). */
  readonly id: string;
  /** Its pid as text, or `null` while it is stopped or being restarted. */
  readonly pid: string | null;
  /** A `Supervisor`, a `DynamicSupervisor` (its children are counted, not listed), or a worker. */
  readonly kind: "supervisor" | "dynamic" | "worker";
  /** Restarts of this process by its supervisor since the dashboard started. */
  readonly restarts: number;
  /** For a dynamic supervisor, restarts of its children (which are counted, not listed); 0 otherwise. */
  readonly childRestarts: number;
  /** Children, for a supervisor. */
  readonly children: readonly TreeNode[];
  /** Running children, for a dynamic supervisor (0 otherwise). */
  readonly count: number;
  readonly suspended: boolean;
}

/** Per-second rates of one interval. */
export interface Rates {
  /** Client connections accepted. */
  readonly connects: number;
  readonly disconnects: number;
  /** Joins answered (accepted or not). */
  readonly joins: number;
  /** Client events handled by channels (`handleIn`). */
  readonly messagesIn: number;
  /** Process messages handled by channels (`handleInfo`). */
  readonly messagesInfo: number;
  /** Channel broadcasts delivered to this node's subscribers. */
  readonly broadcasts: number;
  /** Bytes those broadcasts wrote to clients. */
  readonly broadcastBytes: number;
}

/** Everything one node reports for one interval. */
export interface NodeSnapshot {
  readonly node: string;
  /** When it was taken (ms since the epoch). */
  readonly at: number;
  /** The node's sampling period: a node not heard from for three of them is dropped from merged views. */
  readonly sampleMs: number;
  /** The PubSub's link status (`"local"` without an adapter). */
  readonly status: string;
  readonly connections: number;
  /** Joined channels. */
  readonly channels: number;
  readonly rates: Rates;
  /** Q(t): the mailbox of every connection and channel process. */
  readonly mailbox: Distribution;
  /** Q(t): the outbound bytes queued for every connection. */
  readonly buffered: Distribution;
  /** P(e)'s counts (ratios are computed after merging, from the sums). */
  readonly errors: ErrorCounts;
  /** The connections, most queued first, at most `maxRows`. */
  readonly sockets: readonly SocketRow[];
  /** Connections before the `maxRows` cut. */
  readonly socketsTotal: number;
  /** The topics, most joined first, at most `maxRows`. */
  readonly topics: readonly TopicRow[];
  readonly topicsTotal: number;
  /** The endpoint's supervision tree, or `null` before it is first read. */
  readonly tree: TreeNode | null;
}

/** What the sampler gathered for one snapshot. */
export interface SnapshotInput {
  readonly node: string;
  readonly at: number;
  readonly sampleMs: number;
  readonly status: string;
  readonly counts: IntervalCounts;
  /** Connections open when the interval began (the previous snapshot's count). */
  readonly previousConnections: number;
  /** The endpoint's connections, the dashboard's own left out. */
  readonly connections: readonly ConnectionInfo[];
  /** Presence keys of a topic, or `null` when unknown. */
  readonly presence: (topic: string) => number | null;
  readonly tree: TreeNode | null;
  /** Pids (as text) suspended through the dashboard. */
  readonly suspended: ReadonlySet<string>;
  readonly maxRows: number;
}

/** Builds a node's snapshot from what the sampler gathered. */
export function buildNodeSnapshot(input: SnapshotInput): NodeSnapshot {
  const { counts, connections, suspended, node } = input;
  const perSecond = (n: number) => (counts.intervalMs > 0 ? (n * 1000) / counts.intervalMs : 0);
  const mailboxes: number[] = [];
  const buffered: number[] = [];
  const joined = new Map<string, number>();
  const rows: SocketRow[] = [];
  let channelCount = 0;
  for (const c of connections) {
    mailboxes.push(c.mailbox);
    buffered.push(c.bufferedBytes);
    let mailbox = c.mailbox;
    const channels: ChannelRow[] = [];
    for (const ch of c.channels) {
      mailboxes.push(ch.mailbox);
      mailbox += ch.mailbox;
      channelCount++;
      joined.set(ch.topic, (joined.get(ch.topic) ?? 0) + 1);
      const pid = ch.pid.toString();
      channels.push({ topic: ch.topic, channel: ch.channel, pid, mailbox: ch.mailbox, joinedAt: ch.joinedAt, suspended: suspended.has(pid) });
    }
    const pid = c.pid.toString();
    rows.push({
      node,
      pid,
      path: c.path,
      transport: c.transport,
      address: c.address ?? null,
      socketId: c.socketId,
      channels,
      mailbox,
      bufferedBytes: c.bufferedBytes,
      connectedAt: c.connectedAt,
      suspended: suspended.has(pid),
    });
  }
  rows.sort((a, b) => b.mailbox - a.mailbox || b.bufferedBytes - a.bufferedBytes || a.connectedAt - b.connectedAt);

  const topicNames = new Set<string>([...joined.keys(), ...counts.topicMessages.keys()]);
  const topics: TopicRow[] = [...topicNames].map((topic) => ({
    topic,
    subscribers: joined.get(topic) ?? 0,
    messagesPerSecond: perSecond(counts.topicMessages.get(topic) ?? 0),
    presence: input.presence(topic),
  }));
  topics.sort((a, b) => b.subscribers - a.subscribers || b.messagesPerSecond - a.messagesPerSecond || (a.topic < b.topic ? -1 : 1));

  return {
    node,
    at: input.at,
    sampleMs: input.sampleMs,
    status: input.status,
    connections: connections.length,
    channels: channelCount,
    rates: {
      connects: perSecond(counts.connects),
      disconnects: perSecond(counts.disconnects),
      joins: perSecond(counts.joins),
      messagesIn: perSecond(counts.handledIn),
      messagesInfo: perSecond(counts.handledInfo),
      broadcasts: perSecond(counts.broadcasts),
      broadcastBytes: perSecond(counts.broadcastBytes),
    },
    mailbox: summarize(mailboxes),
    buffered: summarize(buffered),
    errors: {
      crashes: counts.crashes,
      handled: counts.joins + counts.handledIn + counts.handledInfo,
      refusedJoins: counts.refusedJoins,
      joins: counts.joins,
      slowConsumers: counts.slowConsumers,
      transportErrors: counts.transportErrors,
      connections: input.previousConnections + counts.connectAttempts,
    },
    sockets: rows.slice(0, input.maxRows),
    socketsTotal: rows.length,
    topics: topics.slice(0, input.maxRows),
    topicsTotal: topics.length,
    tree: input.tree,
  };
}
