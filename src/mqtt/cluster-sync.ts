/**
 * What the brokers of several nodes tell each other beyond the messages themselves: which node has
 * members of each shared subscription group (so that each message goes to one member of a group across
 * all nodes, chosen by the publishing node), and the retained messages a node that just appeared has not
 * seen. Announcements travel on PubSub every `periodMs` and on every change; a node's groups are forgotten
 * when it stops announcing or leaves the cluster.
 */
import type { QoS } from "mqtt-packet";
import type { PubSub } from "../pubsub/pubsub.js";
import type { Pid } from "../runtime/process/pid.js";
import type { RetainedMessage, RetainedStore } from "./retained-store.js";
import { SubscriptionTree } from "./subscription-tree.js";

/** The PubSub topic of the brokers' announcements. */
export const MQTT_SYNC_TOPIC = "$fenix:mqtt:sync";

/** Retained messages sent to a new node per message. */
const RETAINED_BATCH = 500;

/** A node's shared subscription groups: `[key, filter]` pairs, key `group\0filter`. */
interface SharesAnnounced {
  readonly kind: "shares";
  readonly node: string;
  readonly groups: ReadonlyArray<readonly [string, string]>;
}

/** Retained messages for a node that just appeared. */
interface RetainedBatch {
  readonly kind: "retained";
  readonly node: string;
  readonly messages: ReadonlyArray<{ t: string; p: Uint8Array; q: QoS; s: number; e?: number; o?: Record<string, unknown> }>;
}

type SyncMessage = SharesAnnounced | RetainedBatch;

/** A shared group as the cluster knows it: which nodes have members, and whose turn it is. */
class ClusterGroup {
  /** Nodes with members, and when their announcement expires (Infinity for this node). */
  readonly nodes = new Map<string, number>();
  #turn = 0;
  constructor(
    readonly key: string,
    readonly filter: string,
  ) {}

  /** The next node in turn among those alive. */
  pick(alive: (node: string) => boolean, now: number): string | undefined {
    const nodes = [...this.nodes].filter(([node, expires]) => expires > now && alive(node)).map(([node]) => node).sort();
    if (nodes.length === 0) return undefined;
    const node = nodes[this.#turn % nodes.length]!;
    this.#turn = (this.#turn + 1) % 1_000_000;
    return node;
  }
}

/** @internal One broker's side of the cluster sync. */
export class ClusterSync {
  readonly #pubsub: PubSub;
  readonly #pid: Pid;
  readonly #now: () => number;
  readonly #ttlMs: number;
  readonly #groups = new Map<string, ClusterGroup>();
  readonly #tree = new SubscriptionTree<ClusterGroup, ClusterGroup>();
  /** Nodes already sent our retained messages. */
  readonly #known = new Set<string>();

  constructor(pubsub: PubSub, pid: Pid, periodMs: number, now: () => number) {
    this.#pubsub = pubsub;
    this.#pid = pid;
    this.#now = now;
    this.#ttlMs = periodMs * 3;
    this.#known.add(pubsub.nodeName);
  }

  get #node(): string {
    return this.#pubsub.nodeName;
  }

  /** Whether another node is linked (the sync has work to do). */
  get clustered(): boolean {
    return this.#pubsub.nodes().length > 1;
  }

  /** A local group appeared or disappeared. */
  localGroup(key: string, filter: string, present: boolean): void {
    this.#set(this.#node, key, filter, present ? Infinity : 0);
  }

  /**
   * For a message on `topic`: the node chosen for each shared group with members on some node, or
   * undefined when no group matches. Local-only groups are chosen too (this node).
   */
  choose(topic: string): Record<string, string> | undefined {
    let choices: Record<string, string> | undefined;
    const now = this.#now();
    const live = new Set(this.#pubsub.nodes());
    this.#tree.match(topic, (group) => {
      const node = group.pick((n) => live.has(n), now);
      if (node !== undefined) (choices ??= {})[group.key] = node;
    });
    return choices;
  }

  /** Announces this node's groups, and sends its retained messages to nodes not seen before. */
  tick(localGroups: Iterable<readonly [string, string]>, retained: RetainedStore | null): void {
    const nodes = this.#pubsub.nodes();
    if (nodes.length <= 1) return;
    this.announce(localGroups);
    for (const node of nodes) {
      if (this.#known.has(node)) continue;
      this.#known.add(node);
      if (retained !== null) this.#sendRetained(node, retained);
    }
    for (const node of [...this.#known]) if (!nodes.includes(node)) this.#known.delete(node);
  }

  /** Tells the other nodes which groups have members here. */
  announce(localGroups: Iterable<readonly [string, string]>): void {
    const message: SharesAnnounced = { kind: "shares", node: this.#node, groups: [...localGroups] };
    this.#pubsub.broadcastFrom(this.#pid, MQTT_SYNC_TOPIC, message);
  }

  /** Handles a sync message from another node; returns false when it is not one. */
  receive(message: unknown, retained: RetainedStore | null): boolean {
    const m = message as SyncMessage | null;
    if (typeof m !== "object" || m === null || typeof m.node !== "string" || m.node === this.#node) return m?.kind === "shares" || m?.kind === "retained";
    if (m.kind === "shares" && Array.isArray(m.groups)) {
      const expires = this.#now() + this.#ttlMs;
      const announced = new Set<string>();
      for (const [key, filter] of m.groups) {
        if (typeof key !== "string" || typeof filter !== "string") continue;
        announced.add(key);
        this.#set(m.node, key, filter, expires);
      }
      for (const group of [...this.#groups.values()]) if (group.nodes.has(m.node) && !announced.has(group.key)) this.#set(m.node, group.key, group.filter, 0);
      return true;
    }
    if (m.kind === "retained" && Array.isArray(m.messages)) {
      if (retained === null) return true;
      for (const r of m.messages) {
        const current = retained.get(r.t);
        if (current !== undefined && current.storedAt >= r.s) continue;
        retained.set({ topic: r.t, payload: r.p, qos: r.q, storedAt: r.s, ...(r.e === undefined ? {} : { expiresAt: r.e }), ...(r.o === undefined ? {} : { properties: r.o }) });
      }
      return true;
    }
    return false;
  }

  /** Forgets the groups of nodes gone from the cluster or silent past their announcement's expiry. */
  prune(): void {
    const now = this.#now();
    const live = new Set(this.#pubsub.nodes());
    for (const group of [...this.#groups.values()]) {
      for (const [node, expires] of [...group.nodes]) if (node !== this.#node && (expires <= now || !live.has(node))) this.#set(node, group.key, group.filter, 0);
    }
  }

  #set(node: string, key: string, filter: string, expires: number): void {
    let group = this.#groups.get(key);
    if (expires <= 0) {
      if (group === undefined) return;
      group.nodes.delete(node);
      if (group.nodes.size === 0) {
        this.#groups.delete(key);
        this.#tree.delete(group.filter, group);
      }
      return;
    }
    if (group === undefined) {
      group = new ClusterGroup(key, filter);
      this.#groups.set(key, group);
      this.#tree.set(filter, group, group);
    }
    group.nodes.set(node, expires);
  }

  #sendRetained(node: string, retained: RetainedStore): void {
    let batch: RetainedBatch["messages"][number][] = [];
    const flush = () => {
      if (batch.length === 0) return;
      this.#pubsub.directBroadcast(node, MQTT_SYNC_TOPIC, { kind: "retained", node: this.#node, messages: batch } satisfies RetainedBatch);
      batch = [];
    };
    for (const r of retained.all()) {
      batch.push(retainedWire(r));
      if (batch.length >= RETAINED_BATCH) flush();
    }
    flush();
  }
}

function retainedWire(r: RetainedMessage): RetainedBatch["messages"][number] {
  return { t: r.topic, p: r.payload, q: r.qos, s: r.storedAt, ...(r.expiresAt === undefined ? {} : { e: r.expiresAt }), ...(r.properties === undefined ? {} : { o: r.properties as Record<string, unknown> }) };
}
