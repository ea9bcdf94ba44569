/**
 * One tracker shard: a process that owns one replica of the presence state for the topics that hash to
 * it, and replicates it with the same shard on every other node over PubSub. Every `broadcastPeriodMs`
 * it sends its pending delta (or, after `maxSilentPeriods` quiet periods, an empty liveness beacon);
 * every `clockSamplePeriods` heartbeats it asks the replicas that know more than it does for a transfer;
 * replicas silent for `downPeriodMs` are hidden, and dropped after `permdownPeriodMs`. All timers run on
 * the runtime's clock. Local reads and writes are plain method calls (one thread, no race), so a track
 * costs no message round trip.
 */
import type { PubSub } from "../pubsub/pubsub.js";
import type { Pid } from "../runtime/process/pid.js";
import { Process } from "../runtime/process/process.js";
import type { TimerHandle } from "../runtime/clock/clock.js";
import { lacking, nonDominated, type VersionVector } from "./clock.js";
import type { PresenceEntry, PresenceMeta } from "./entry.js";
import { parseReplicaId, replicaId, type ReplicaId } from "./replica.js";
import { PresenceCrdt, type PresenceChanges, type PresenceUpdate } from "./state.js";
import { shardTopic, type ResolvedTrackerOptions } from "./tracker-options.js";
import type { PresenceWire } from "./wire.js";

/** The messages shards exchange; every one names its sender's replica. */
type ShardMessage =
  | { readonly presence: "heartbeat"; readonly from: ReplicaId; readonly delta: PresenceWire | null; readonly clock: VersionVector }
  | { readonly presence: "transfer_req"; readonly from: ReplicaId; readonly clock: VersionVector }
  | { readonly presence: "transfer_ack"; readonly from: ReplicaId; readonly state: PresenceWire }
  | { readonly presence: "graceful_permdown"; readonly from: ReplicaId };

const TICK = Symbol("presence heartbeat");

function isShardMessage(message: unknown): message is ShardMessage {
  const m = message as { presence?: unknown; from?: unknown } | null;
  return typeof m === "object" && m !== null && typeof m.presence === "string" && typeof m.from === "string";
}

let lastVersion = 0;

/** A replica version unique to this start of the shard: a restarted node is a new replica. */
function newVersion(now: number): string {
  lastVersion = Math.max(lastVersion + 1, now * 1000);
  return lastVersion.toString(36) + Math.floor(Math.random() * 36 ** 4).toString(36);
}

/** @internal Everything a shard is created with. */
export interface ShardInit {
  readonly index: number;
  readonly pubsub: PubSub;
  readonly options: ResolvedTrackerOptions;
  /** Receives every change of the visible presences, in order. */
  readonly onChanges: (changes: PresenceChanges) => void;
  readonly link?: Pid;
}

interface Peer {
  lastHeard: number;
  down: boolean;
}

/** @internal */
export class TrackerShard extends Process {
  readonly state: PresenceCrdt;
  readonly #pubsub: PubSub;
  readonly #options: ResolvedTrackerOptions;
  readonly #topic: string;
  readonly #onChanges: (changes: PresenceChanges) => void;
  /** Remote replicas heard from, by id. */
  readonly #peers = new Map<ReplicaId, Peer>();
  /** Owners tracked here, with the function that stops watching them. */
  readonly #owners = new Map<string, () => void>();
  /** Clocks received since the last sample, with their replica. */
  #clocks: VersionVector[] = [];
  #clockOwners = new Map<VersionVector, ReplicaId>();
  #silentPeriods = 0;
  #ticks = 0;
  #sentFirst = false;
  #timer: TimerHandle | null = null;

  constructor(init: ShardInit) {
    super(init.pubsub.runtime, init.link === undefined ? {} : { link: init.link });
    this.#pubsub = init.pubsub;
    this.#options = init.options;
    this.#onChanges = init.onChanges;
    this.#topic = shardTopic(init.options.name, init.index);
    this.state = new PresenceCrdt({
      replica: replicaId(init.pubsub.nodeName, newVersion(this.runtime.clock.now())),
      maxDeltaSizes: init.options.maxDeltaSizes,
    });
    this.#pubsub.subscribe(this.#topic, this.pid);
    // The first heartbeat after a random part of the first period, so that nodes started together spread out.
    this.#schedule(Math.floor(Math.random() * 0.25 * init.options.broadcastPeriodMs));
  }

  /** This shard's replica id. */
  get replica(): ReplicaId {
    return this.state.replica;
  }

  // ## Local operations (called from any process; the state is only touched from this thread)

  track(owner: Pid, topic: string, key: string, meta: PresenceMeta): PresenceEntry {
    const entry = this.state.join(owner.toString(), topic, key, meta);
    this.#report({ joins: [entry], leaves: [] });
    // An owner that is already dead has its presences removed at once.
    this.#watch(owner);
    return entry;
  }

  untrack(owner: Pid, topic: string, key: string): void {
    const left = this.state.leave(owner.toString(), topic, key);
    if (left !== undefined) this.#report({ joins: [], leaves: [left] });
    if (this.state.getByPid(owner.toString()).length === 0) this.#unwatch(owner.toString());
  }

  untrackAll(owner: Pid): void {
    this.#ownerExited(owner.toString());
  }

  update(owner: Pid, topic: string, key: string, meta: PresenceMeta | ((current: PresenceEntry) => PresenceMeta)): PresenceUpdate | undefined {
    const updated = this.state.update(owner.toString(), topic, key, meta);
    if (updated !== undefined) this.#report({ joins: [updated.joined], leaves: [updated.left] });
    return updated;
  }

  // ## Mailbox

  protected handleMessage(message: unknown): void {
    if (message === TICK) {
      this.#tick();
      return;
    }
    if (!isShardMessage(message) || message.from === this.replica) return;
    switch (message.presence) {
      case "heartbeat":
        this.#heard(message.from);
        if (message.delta !== null) this.#merge(message.delta);
        this.#sampleClock(message.from, message.clock);
        return;
      case "transfer_req":
        this.#heard(message.from);
        this.#send(message.from, { presence: "transfer_ack", from: this.replica, state: this.state.extractFor(message.clock, message.from) });
        return;
      case "transfer_ack":
        this.#heard(message.from);
        this.#merge(message.state);
        return;
      case "graceful_permdown":
        this.#forget(message.from);
        return;
    }
  }

  protected override onExit(): void {
    if (this.#timer !== null) this.runtime.cancelTimer(this.#timer);
    for (const unwatch of this.#owners.values()) unwatch();
    this.#owners.clear();
    try {
      if (this.#options.permdownOnShutdown) this.#broadcast({ presence: "graceful_permdown", from: this.replica });
      this.#pubsub.unsubscribe(this.#topic, this.pid);
    } catch {
      // The PubSub stopped first: the other nodes time this replica out instead.
    }
  }

  // ## Heartbeats

  #tick(): void {
    this.#timer = null;
    const delta = this.state.extractDelta();
    if (delta !== null || !this.#sentFirst || this.#silentPeriods + 1 >= this.#options.maxSilentPeriods) {
      this.#broadcast({ presence: "heartbeat", from: this.replica, delta, clock: this.state.clock() });
      this.#sentFirst = true;
      this.#silentPeriods = 0;
    } else {
      this.#silentPeriods++;
    }
    if (++this.#ticks % this.#options.clockSamplePeriods === 0) this.#requestTransfers();
    this.#checkPeers();
    this.#schedule(this.#options.broadcastPeriodMs);
  }

  /** Asks every replica whose clock shows something this one lacks for a transfer. */
  #requestTransfers(): void {
    const own = this.state.clock();
    const candidates = nonDominated([own, ...this.#clocks]);
    for (const clock of candidates) {
      const from = this.#clockOwners.get(clock);
      if (from === undefined || this.#peers.get(from)?.down !== false) continue;
      if (lacking(own, clock).length > 0) this.#send(from, { presence: "transfer_req", from: this.replica, clock: own });
    }
    this.#clocks = [];
    this.#clockOwners = new Map();
  }

  #sampleClock(from: ReplicaId, clock: VersionVector): void {
    this.#clocks.push(clock);
    this.#clockOwners.set(clock, from);
  }

  /** Marks silent replicas down, and drops those silent for longer than the permdown period. */
  #checkPeers(): void {
    const now = this.runtime.clock.now();
    for (const [replica, peer] of [...this.#peers]) {
      const silentFor = now - peer.lastHeard;
      if (silentFor > this.#options.permdownPeriodMs) {
        this.#forget(replica);
      } else if (!peer.down && silentFor > this.#options.downPeriodMs) {
        peer.down = true;
        this.#report(this.state.replicaDown(replica));
      }
    }
  }

  /** A message from `replica`: it is alive. A new version of a known node replaces the old one. */
  #heard(replica: ReplicaId): void {
    const now = this.runtime.clock.now();
    const peer = this.#peers.get(replica);
    if (peer !== undefined) {
      peer.lastHeard = now;
      if (peer.down) {
        peer.down = false;
        this.#report(this.state.replicaUp(replica));
      }
      return;
    }
    if (this.state.status(replica) === "removed") return;
    const { name } = parseReplicaId(replica);
    for (const known of [...this.#peers.keys()]) {
      if (parseReplicaId(known).name === name) this.#forget(known);
    }
    this.#peers.set(replica, { lastHeard: now, down: false });
    this.#report(this.state.replicaUp(replica));
  }

  /** Drops a replica for good (permdown). */
  #forget(replica: ReplicaId): void {
    this.#peers.delete(replica);
    if (this.state.status(replica) === "self") return;
    this.#report(this.state.removeDown(replica));
  }

  #merge(wire: PresenceWire): void {
    try {
      this.#report(this.state.merge(wire));
    } catch {
      // A malformed or newer-version message from another node: ignored, the next transfer repairs it.
    }
  }

  // ## Owners

  #watch(owner: Pid): void {
    const key = owner.toString();
    if (this.#owners.has(key)) return;
    const unwatch = this.runtime.watch(owner, () => this.#ownerExited(key));
    if (this.state.getByPid(key).length > 0) this.#owners.set(key, unwatch);
  }

  #unwatch(key: string): void {
    this.#owners.get(key)?.();
    this.#owners.delete(key);
  }

  #ownerExited(key: string): void {
    this.#unwatch(key);
    const leaves = this.state.leaveAll(key);
    if (leaves.length > 0) this.#report({ joins: [], leaves });
  }

  // ## Output

  #report(changes: PresenceChanges): void {
    if (changes.joins.length > 0 || changes.leaves.length > 0) this.#onChanges(changes);
  }

  #broadcast(message: ShardMessage): void {
    this.#pubsub.broadcastFrom(this.pid, this.#topic, message);
  }

  #send(replica: ReplicaId, message: ShardMessage): void {
    this.#pubsub.directBroadcast(parseReplicaId(replica).name, this.#topic, message);
  }

  #schedule(ms: number): void {
    this.#timer = this.runtime.sendAfter(this.pid, TICK, ms);
  }
}
