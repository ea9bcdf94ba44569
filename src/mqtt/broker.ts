/**
 * The broker of one node: its sessions by client id, the subscription tree that routes a published topic
 * to the sessions whose filters match it, shared subscription groups, retained messages, and the timers
 * of session expiry and delayed wills. Every PUBLISH goes through PubSub under one internal topic, so
 * each node routes it to its own sessions: with the Redis adapter, MQTT clients on different nodes meet.
 */
import type { QoS } from "mqtt-packet";
import type { PubSub } from "../pubsub/pubsub.js";
import type { Dispatcher } from "../pubsub/subscriber.js";
import type { Pid } from "../runtime/process/pid.js";
import { Process } from "../runtime/process/process.js";
import type { Runtime } from "../runtime/process/runtime.js";
import type { TimerHandle } from "../runtime/clock/clock.js";
import type { MqttMessage } from "./message.js";
import { RetainedStore, type RetainedMessage } from "./retained-store.js";
import { Session, type SessionOutput, type SessionSnapshot, type Subscription } from "./session/session.js";
import { ClusterSync, MQTT_SYNC_TOPIC } from "./cluster-sync.js";
import { SharedGroup } from "./shared-group.js";
import { isTransferAnswer, TransferRequests, type SessionTransfer } from "./session/transfer-requests.js";
import { SubscriptionTree } from "./subscription-tree.js";

/** The PubSub topic every node's broker listens on. */
export const MQTT_TOPIC = "$fenix:mqtt";
/** The PubSub topic a node announces a client id's new connection on (takeover across nodes). */
export const MQTT_TAKEOVER_TOPIC = "$fenix:mqtt:takeover";
/** The name of the dispatcher that hands a published message to each node's broker. */
export const MQTT_DISPATCHER = "fenix.mqtt";

/** What travels between nodes for one PUBLISH. */
interface Routed {
  readonly m: MqttMessage;
  /** Shared subscription groups (key `group\0filter`) and the node chosen to serve each. */
  readonly s?: Readonly<Record<string, string>>;
}

/** A takeover announcement: a client id connected on `node`. */
interface Takeover {
  readonly clientId: string;
  readonly node: string;
  readonly broker: string;
  /** Set when the client resumes its session: the id under which the node keeping it sends it over. */
  readonly transfer?: string;
}


/** Broker settings (resolved options of `enableMqtt`). */
export interface BrokerSettings {
  readonly maxQueued: number;
  readonly maxInflight: number;
  readonly retained: { readonly maxMessages: number; readonly maxBytes: number } | null;
}

/** A will waiting for its delay. */
interface PendingWill {
  readonly timer: TimerHandle;
  readonly message: MqttMessage;
  readonly expirySec: number | undefined;
}

/** How often a clustered broker announces its shared groups and looks for new nodes. */
const SYNC_PERIOD_MS = 1_000;
const SYNC_TICK = Symbol("cluster sync");

/** How long a resuming client waits for the other nodes to hand over its session. */
const TRANSFER_TIMEOUT_MS = 1_000;

class SessionExpired {
  constructor(readonly session: Session) {}
}
class WillDue {
  constructor(
    readonly clientId: string,
    readonly message: MqttMessage,
  ) {}
}

/** Sessions that a connection of this node holds, so a takeover elsewhere can close them. */
export interface SessionHolder {
  /** Closes the connection because the client id connected again (on this node or another). */
  takenOver(): void;
}

let brokerSeq = 0;

/** One node's MQTT broker. */
export class Broker extends Process {
  readonly id = `${process.pid}.${++brokerSeq}.${Math.random().toString(36).slice(2, 8)}`;
  readonly #pubsub: PubSub;
  readonly #settings: BrokerSettings;
  readonly #sessions = new Map<string, Session>();
  /** The connection holding each connected client id. */
  readonly #holders = new Map<string, SessionHolder>();
  readonly #tree = new SubscriptionTree<Session, Subscription>();
  readonly #shared = new SubscriptionTree<SharedGroup, SharedGroup>();
  readonly #groups = new Map<string, SharedGroup>();
  readonly #expiries = new Map<Session, TimerHandle>();
  readonly #wills = new Map<string, PendingWill>();
  readonly retained: RetainedStore | null;
  #stamp = 0;
  #stopped = false;
  readonly #sync: ClusterSync;
  /** Session transfers this node asked for. */
  readonly #transfers: TransferRequests;
  /** Client ids that connected on another node while connected here: where their session goes once closed. */
  readonly #handoffs = new Map<string, { readonly node: string; readonly transfer: string | undefined }>();
  #transferSeq = 0;
  #syncTimer: TimerHandle | null = null;

  constructor(runtime: Runtime, pubsub: PubSub, settings: BrokerSettings) {
    super(runtime);
    this.#pubsub = pubsub;
    this.#settings = settings;
    this.retained = settings.retained === null ? null : new RetainedStore({ ...settings.retained, now: () => runtime.clock.now() });
    pubsub.registerDispatcher(MQTT_DISPATCHER, brokerDispatcher);
    pubsub.subscribe(MQTT_TOPIC, this.pid, this);
    pubsub.subscribe(MQTT_TAKEOVER_TOPIC, this.pid, this);
    pubsub.subscribe(MQTT_SYNC_TOPIC, this.pid);
    this.#sync = new ClusterSync(pubsub, this.pid, SYNC_PERIOD_MS, () => runtime.clock.now());
    this.#transfers = new TransferRequests(runtime.clock, TRANSFER_TIMEOUT_MS);
    // A node alone (no adapter) has nobody to sync with: no timer at all.
    if (pubsub.status !== "local") this.#scheduleSync();
  }

  #scheduleSync(): void {
    if (this.#stopped) return;
    this.#syncTimer = this.runtime.clock.setTimeout(() => this.runtime.send(this.pid, SYNC_TICK), SYNC_PERIOD_MS);
  }

  /** This node's shared groups, as announced to the others. */
  #localGroups(): Array<readonly [string, string]> {
    return [...this.#groups.values()].map((group) => [group.key, group.filter] as const);
  }

  /** The node's name (PubSub's). */
  get node(): string {
    return this.#pubsub.nodeName;
  }

  /** Sessions on this node (connected or not). */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** Subscriptions routed by this node's tree (shared and channel ones excluded). */
  get subscriptionCount(): number {
    return this.#tree.size;
  }

  /** Sessions of this node, by client id. */
  session(clientId: string): Session | undefined {
    return this.#sessions.get(clientId);
  }

  // ## Sessions

  /**
   * Opens the session of a connecting client: closes the client id's other connection (here or on another
   * node), resumes the kept session unless `cleanStart` (which ends it, publishing a will still waiting for
   * its delay), and cancels the pending will of a resumed one.
   */
  async openSession(clientId: string, cleanStart: boolean, expirySec: number, holder: SessionHolder): Promise<{ session: Session; present: boolean }> {
    const previous = this.#holders.get(clientId);
    if (previous !== undefined && previous !== holder) previous.takenOver();
    this.#holders.set(clientId, holder);
    // A client resuming a session this node does not keep may have left it on another node: ask for it.
    const transfer = !cleanStart && !this.#sessions.has(clientId) && this.#sync.clustered ? `${this.id}:${++this.#transferSeq}` : undefined;
    this.#pubsub.broadcastFrom(this.pid, MQTT_TAKEOVER_TOPIC, { clientId, node: this.node, broker: this.id, ...(transfer === undefined ? {} : { transfer }) } satisfies Takeover);
    const moved = transfer === undefined ? null : await this.#transfers.request(transfer, this.#pubsub.nodes().filter((node) => node !== this.node));
    if (moved !== null && !this.#sessions.has(clientId)) {
      const restored = this.#newSession(clientId, expirySec);
      restored.restore(moved);
      for (const sub of moved.subscriptions) this.subscribe(restored, sub);
    }
    let session = this.#sessions.get(clientId);
    const expiry = session === undefined ? undefined : this.#expiries.get(session);
    if (expiry !== undefined) {
      this.runtime.clock.clearTimeout(expiry);
      this.#expiries.delete(session!);
    }
    // A session with no expiry ends with its connection, which the takeover is closing: never resumed.
    if (session !== undefined && (cleanStart || session.expirySec === 0)) {
      // The kept session ends here, so a will still waiting for its delay is published now (MQTT 5 §3.1.2.5).
      this.#endSession(session);
      session = undefined;
    }
    // The client came back to its session within the will's delay: the will is not sent.
    const will = this.#wills.get(clientId);
    if (will !== undefined) {
      this.runtime.clock.clearTimeout(will.timer);
      this.#wills.delete(clientId);
    }
    const present = session !== undefined;
    if (session === undefined) session = this.#newSession(clientId, expirySec);
    else session.expirySec = expirySec;
    return { session, present };
  }

  #newSession(clientId: string, expirySec: number): Session {
    const session = new Session(clientId, expirySec, { maxQueued: this.#settings.maxQueued, maxInflight: this.#settings.maxInflight, now: () => this.runtime.clock.now() });
    this.#sessions.set(clientId, session);
    return session;
  }

  /** Removes a session from this node to send it to another: no will, no expiry, nothing routed to it here. */
  #handOff(session: Session): SessionSnapshot {
    const snapshot = session.snapshot();
    for (const sub of session.subscriptions.values()) this.#unroute(session, sub);
    session.clear();
    if (this.#sessions.get(session.clientId) === session) this.#sessions.delete(session.clientId);
    const expiry = this.#expiries.get(session);
    if (expiry !== undefined) {
      this.runtime.clock.clearTimeout(expiry);
      this.#expiries.delete(session);
    }
    const will = this.#wills.get(session.clientId);
    if (will !== undefined) {
      // The client came back (elsewhere) within the will's delay: not sent.
      this.runtime.clock.clearTimeout(will.timer);
      this.#wills.delete(session.clientId);
    }
    return snapshot;
  }

  #answerTransfer(node: string, transfer: string, session: SessionSnapshot | null): void {
    this.#pubsub.directBroadcast(node, MQTT_TAKEOVER_TOPIC, { transfer, node: this.node, session } satisfies SessionTransfer);
  }

  /**
   * The connection of `session` ended: the session ends now (expiry 0) or after its expiry interval; the
   * will, if any, is published after its delay (capped by the session's end).
   */
  closeSession(session: Session, holder: SessionHolder & SessionOutput, will: { message: MqttMessage; delaySec: number; expirySec: number | undefined } | null): void {
    const held = this.#holders.get(session.clientId);
    if (held === holder) this.#holders.delete(session.clientId);
    session.detach(holder);
    const current = this.#sessions.get(session.clientId) === session;
    const handoff = current ? this.#handoffs.get(session.clientId) : undefined;
    if (handoff !== undefined) this.#handoffs.delete(session.clientId);
    // Taken over: the client id connected again, and a will with a delay is not sent — unless that
    // connection started clean, which ended this session (a will is sent at the latest when its session ends).
    const reconnected = (held !== undefined && held !== holder) || handoff !== undefined;
    if (will !== null && !(reconnected && current && will.delaySec > 0)) {
      const delaySec = Math.min(will.delaySec, session.expirySec);
      const { message, expirySec } = will;
      if (delaySec <= 0 || !current || reconnected || this.#stopped) this.#publishWill(message, expirySec);
      else {
        const timer = this.runtime.clock.setTimeout(() => this.runtime.send(this.pid, new WillDue(session.clientId, message)), delaySec * 1000);
        this.#wills.set(session.clientId, { timer, message, expirySec });
      }
    }
    if (handoff !== undefined) {
      // The client connected on another node: its session goes there, or ends when it started clean.
      if (handoff.transfer !== undefined) this.#answerTransfer(handoff.node, handoff.transfer, this.#handOff(session));
      else this.#endSession(session);
      return;
    }
    if (!current || this.#holders.has(session.clientId)) return;
    if (session.expirySec <= 0) {
      this.#endSession(session);
    } else if (Number.isFinite(session.expirySec)) {
      const timer = this.runtime.clock.setTimeout(() => this.runtime.send(this.pid, new SessionExpired(session)), session.expirySec * 1000);
      this.#expiries.set(session, timer);
    }
  }

  #endSession(session: Session): void {
    for (const sub of session.subscriptions.values()) this.#unroute(session, sub);
    session.clear();
    if (this.#sessions.get(session.clientId) === session) this.#sessions.delete(session.clientId);
    const will = this.#wills.get(session.clientId);
    if (will !== undefined) {
      // A delayed will is sent when its session ends, whichever comes first.
      this.runtime.clock.clearTimeout(will.timer);
      this.#wills.delete(session.clientId);
      this.#publishWill(will.message, will.expirySec);
    }
  }

  /** Publishes a will; its Message Expiry Interval counts from now. */
  #publishWill(message: MqttMessage, expirySec: number | undefined): void {
    this.publish(expirySec === undefined ? message : { ...message, expiresAt: this.runtime.clock.now() + expirySec * 1000 });
  }

  // ## Subscriptions

  /** Adds or replaces a subscription of `session`; returns whether it replaced one. */
  subscribe(session: Session, sub: Subscription): boolean {
    const previous = session.subscriptions.get(sub.filter);
    if (previous !== undefined) this.#unroute(session, previous);
    session.subscriptions.set(sub.filter, sub);
    if (sub.bridged) return previous !== undefined;
    if (sub.share !== null) {
      const key = `${sub.share.group}\u0000${sub.share.filter}`;
      let group = this.#groups.get(key);
      if (group === undefined) {
        group = new SharedGroup(key, sub.share.group, sub.share.filter);
        this.#groups.set(key, group);
        this.#shared.set(sub.share.filter, group, group);
        this.#sync.localGroup(key, group.filter, true);
        if (this.#sync.clustered) this.#sync.announce(this.#localGroups());
      }
      group.members.set(session, sub);
    } else {
      this.#tree.set(sub.filter, session, sub);
    }
    return previous !== undefined;
  }

  /** Removes a subscription; returns whether it existed. */
  unsubscribe(session: Session, filter: string): boolean {
    const sub = session.subscriptions.get(filter);
    if (sub === undefined) return false;
    session.subscriptions.delete(filter);
    this.#unroute(session, sub);
    return true;
  }

  #unroute(session: Session, sub: Subscription): void {
    if (sub.bridged) return;
    if (sub.share === null) {
      this.#tree.delete(sub.filter, session);
      return;
    }
    const key = `${sub.share.group}\u0000${sub.share.filter}`;
    const group = this.#groups.get(key);
    if (group === undefined) return;
    group.members.delete(session);
    if (group.members.size === 0) {
      this.#groups.delete(key);
      this.#shared.delete(group.filter, group);
      this.#sync.localGroup(key, group.filter, false);
      if (this.#sync.clustered) this.#sync.announce(this.#localGroups());
    }
  }

  /** The retained messages matching a new subscription's filter (none for shared subscriptions). */
  retainedFor(filter: string): RetainedMessage[] {
    return this.retained === null ? [] : this.retained.match(filter);
  }

  // ## Publishing

  /** Publishes a message to every matching subscription on every node (and stores it if retained). */
  publish(message: MqttMessage): void {
    // Shared groups: this node picks, for each group with members anywhere, the node that serves it.
    const shares = this.#groups.size > 0 || this.#sync.clustered ? this.#sync.choose(message.topic) : undefined;
    const routed: Routed = shares === undefined ? { m: message } : { m: message, s: shares };
    this.#pubsub.broadcast(MQTT_TOPIC, routed, { dispatcher: MQTT_DISPATCHER });
  }

  /** Routes a message that reached this node. */
  route(routed: Routed): void {
    const message = routed.m;
    if (message.expiresAt !== undefined && message.expiresAt <= this.runtime.clock.now()) return;
    if (message.retain && this.retained !== null) {
      this.retained.set({ topic: message.topic, payload: message.payload, qos: message.qos, properties: message.properties as Record<string, unknown> | undefined, storedAt: this.runtime.clock.now(), expiresAt: message.expiresAt });
    }
    const stamp = ++this.#stamp;
    const reached: Session[] = [];
    this.#tree.match(message.topic, (session, sub) => {
      if (sub.noLocal && message.origin === session.clientId) return;
      const qos = (sub.qos < message.qos ? sub.qos : message.qos) as QoS;
      const retain = sub.retainAsPublished && message.retain;
      if (session.routeStamp !== stamp) {
        session.routeStamp = stamp;
        session.routeQos = qos;
        session.routeRetain = retain;
        session.routeIds = sub.identifier === undefined ? undefined : [sub.identifier];
        reached.push(session);
        return;
      }
      if (qos > session.routeQos) session.routeQos = qos;
      if (retain) session.routeRetain = true;
      if (sub.identifier !== undefined) (session.routeIds ??= []).push(sub.identifier);
    });
    for (const session of reached) session.deliver(message, session.routeQos, session.routeRetain, session.routeIds);
    const shares = routed.s;
    this.#shared.match(message.topic, (group) => {
      // Another node was chosen for this group. (A group the publisher did not know of yet, just created
      // here, is served here: at least once until the nodes have heard of it.)
      const chosen = shares?.[group.key];
      if (chosen !== undefined && chosen !== this.node) return;
      const picked = group.pick();
      if (picked === undefined) return;
      const [session, sub] = picked;
      const qos = (sub.qos < message.qos ? sub.qos : message.qos) as QoS;
      session.deliver(message, qos, sub.retainAsPublished && message.retain, sub.identifier === undefined ? undefined : [sub.identifier]);
    });
  }

  // ## Process

  protected handleMessage(message: unknown): void {
    if (message instanceof SessionExpired) {
      if (this.#expiries.get(message.session) === undefined) return;
      this.#expiries.delete(message.session);
      if (!message.session.connected) this.#endSession(message.session);
    } else if (message instanceof WillDue) {
      const will = this.#wills.get(message.clientId);
      if (will === undefined || will.message !== message.message) return;
      this.#wills.delete(message.clientId);
      this.#publishWill(will.message, will.expirySec);
    } else if (message === SYNC_TICK) {
      this.#sync.prune();
      this.#sync.tick(this.#localGroups(), this.retained);
      this.#scheduleSync();
    } else if (this.#sync.receive(message, this.retained)) {
      return;
    } else if (isTransferAnswer(message)) {
      this.#transfers.answer(message);
    } else if (isTakeover(message)) {
      if (message.broker === this.id) return;
      // The client is now served on another node: its connection here closes, and its session goes
      // there (a resumed session) or ends (a clean start) — once the connection has closed, if it is open.
      const holder = this.#holders.get(message.clientId);
      const session = this.#sessions.get(message.clientId);
      if (holder !== undefined && session?.connected === true) {
        this.#handoffs.set(message.clientId, { node: message.node, transfer: message.transfer });
        holder.takenOver();
        return;
      }
      holder?.takenOver();
      if (message.transfer !== undefined) this.#answerTransfer(message.node, message.transfer, session === undefined ? null : this.#handOff(session));
      else if (session !== undefined) this.#endSession(session);
    }
  }

  /** Publishes the wills still waiting (the node stops), and stops routing. */
  shutdown(): void {
    this.#stopped = true;
    if (this.#syncTimer !== null) this.runtime.clock.clearTimeout(this.#syncTimer);
    this.#pubsub.unsubscribe(MQTT_SYNC_TOPIC, this.pid);
    for (const [clientId, will] of this.#wills) {
      this.runtime.clock.clearTimeout(will.timer);
      this.#wills.delete(clientId);
      this.#publishWill(will.message, will.expirySec);
    }
    for (const timer of this.#expiries.values()) this.runtime.clock.clearTimeout(timer);
    this.#expiries.clear();
    this.#pubsub.unsubscribe(MQTT_TOPIC, this.pid);
    this.#pubsub.unsubscribe(MQTT_TAKEOVER_TOPIC, this.pid);
    this.stop("normal");
  }

  /** The pid, for the dispatcher's skip-self check. */
  get processId(): Pid {
    return this.pid;
  }
}

function isTakeover(message: unknown): message is Takeover {
  const m = message as Takeover | null;
  return typeof m === "object" && m !== null && typeof m.clientId === "string" && typeof m.broker === "string";
}

function isRouted(message: unknown): message is Routed {
  const m = message as Routed | null;
  return typeof m === "object" && m !== null && typeof m.m === "object" && m.m !== null && typeof m.m.topic === "string";
}

/** Hands a routed message straight to each subscribed broker (no mailbox hop on the hot path). */
const brokerDispatcher: Dispatcher = (subscribers, from, message, context) => {
  for (const sub of subscribers) {
    if (sub.pid === from) continue;
    const broker = sub.meta;
    if (broker instanceof Broker && isRouted(message)) {
      try {
        broker.route(message);
      } catch (err) {
        context.reportError(err as Error);
      }
    } else context.runtime.send(sub.pid, message);
  }
};
