/**
 * Sets the gauges that are read at scrape time rather than kept from events: connections, channels,
 * queues, nodes, the PubSub's status and the presence totals. Every sampled gauge asks for a refresh
 * when it is collected; one scrape collects them together, so the endpoint's connections are read once
 * per scrape, not once per gauge.
 */
import type { PubSubStatus } from "../pubsub/pubsub.js";
import type { ConnectionInfo } from "../server/endpoint/connection-info.js";
import type { SocketMountInfo } from "../server/endpoint/endpoint.js";
import { summarizeConnections, type QueueStats } from "./connection-summary.js";
import type { Instruments } from "./instruments.js";
import type { PresenceTally } from "./presence-tally.js";

/** What the sampler reads: the endpoint's connections, mounts and PubSub. */
export interface SampledEndpoint {
  /** A snapshot of the open connections and their channels, with queue lengths. */
  connections(): readonly ConnectionInfo[];
  /** The socket mounts, so idle mounts, transports and routes show at 0. */
  routes(): readonly SocketMountInfo[];
  /** The PubSub: the nodes it knows and its link status. Its events count as the endpoint's. */
  readonly pubsub: { nodes(): readonly string[]; readonly status: PubSubStatus };
}

const STATUSES: readonly PubSubStatus[] = ["local", "connecting", "up", "down"];

/** Refreshes the sampled gauges at most once per turn of the event loop's microtask queue. */
export class ScrapeSampler {
  readonly #endpoint: SampledEndpoint;
  readonly #tally: PresenceTally;
  #instruments: Instruments | null = null;
  #fresh = false;

  constructor(endpoint: SampledEndpoint, tally: PresenceTally) {
    this.#endpoint = endpoint;
    this.#tally = tally;
  }

  /** The gauges to set; given after construction because the gauges' collect callback is this sampler. */
  attach(instruments: Instruments): void {
    this.#instruments = instruments;
  }

  /** Reads everything and sets the gauges, unless done already in this synchronous run (one scrape). */
  refresh(): void {
    const m = this.#instruments;
    if (m === null || this.#fresh) return;
    this.#fresh = true;
    queueMicrotask(() => {
      this.#fresh = false;
    });
    try {
      this.#sample(m);
    } catch (err) {
      this.#fresh = false;
      throw err;
    }
  }

  #sample(m: Instruments): void {
    const endpoint = this.#endpoint;
    const summary = summarizeConnections(endpoint.connections());
    const mounts = endpoint.routes();

    m.connections.reset();
    m.channels.reset();
    m.outboundBytes.reset();
    m.outboundBytesMax.reset();
    // Every mount, transport and route shows, at 0 when idle, so dashboards draw a line rather than a gap.
    for (const mount of mounts) {
      for (const transport of transportsOf(mount)) {
        m.connections.set({ path: mount.path, transport }, 0);
        m.outboundBytes.set({ transport }, 0);
        m.outboundBytesMax.set({ transport }, 0);
      }
      for (const { pattern } of mount.channels) m.channels.set({ route: pattern }, 0);
    }
    for (const { path, transport, count } of summary.connections.values()) m.connections.set({ path, transport }, count);
    for (const [route, count] of summary.channels) m.channels.set({ route }, count);
    for (const [transport, stats] of summary.outbound) {
      m.outboundBytes.set({ transport }, stats.sum);
      m.outboundBytesMax.set({ transport }, stats.max);
    }
    this.#setQueue(m, "socket", summary.socketMailboxes);
    this.#setQueue(m, "channel", summary.channelMailboxes);

    const pubsub = endpoint.pubsub;
    m.nodes.set(pubsub.nodes().length);
    const status = pubsub.status;
    m.pubsubUp.set(status === "up" || status === "local" ? 1 : 0);
    for (const s of STATUSES) m.pubsubStatus.set({ status: s }, s === status ? 1 : 0);

    m.presences.set(this.#tally.presences);
    m.presenceTopics.set(this.#tally.topics);
  }

  #setQueue(m: Instruments, process: "socket" | "channel", stats: QueueStats): void {
    m.mailboxMessages.set({ process }, stats.sum);
    m.mailboxMessagesMax.set({ process }, stats.max);
    m.mailboxMessagesP99.set({ process }, stats.p99);
  }
}

function transportsOf(mount: SocketMountInfo): string[] {
  const transports: string[] = [];
  if (mount.websocket !== null) transports.push("websocket");
  if (mount.longpoll !== null) transports.push("longpoll");
  return transports;
}
