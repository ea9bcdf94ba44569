/**
 * An MQTT session: what the broker keeps for one client id across its connections — subscriptions, the
 * outbound QoS 1 and 2 messages in flight and queued, and the inbound QoS 2 packet ids awaiting PUBREL.
 * A session outlives its connection for the session expiry interval (MQTT 5) or until a clean session
 * (MQTT 3.1.1); while it has no connection, QoS 1 and 2 messages queue up (bounded), QoS 0 ones are dropped.
 */
import type { QoS } from "mqtt-packet";
import type { SharedFilter } from "../topic.js";
import type { MqttMessage } from "../message.js";
import { ReasonCode } from "../reason-codes.js";

/** Options of one subscription (MQTT 5 subscription options; MQTT 3.1.1 clients get the defaults). */
export interface Subscription {
  /** The filter as subscribed, `$share/…` included. */
  readonly filter: string;
  /** The group and inner filter of a shared subscription, else null. */
  readonly share: SharedFilter | null;
  readonly qos: QoS;
  readonly noLocal: boolean;
  readonly retainAsPublished: boolean;
  readonly retainHandling: 0 | 1 | 2;
  /** The MQTT 5 subscription identifier, if any. */
  readonly identifier: number | undefined;
  /** Whether the filter names a channel topic (served by the channel bridge, not the broker's tree). */
  readonly bridged: boolean;
}

/** What a session writes through while a connection is attached. */
export interface SessionOutput {
  /** The client's Receive Maximum (QoS 1 and 2 PUBLISHes it accepts unacknowledged). */
  readonly receiveMaximum: number;
  /** Writes a PUBLISH; false when the client cannot take it (over its Maximum Packet Size): it is dropped. */
  writePublish(message: MqttMessage, qos: QoS, retain: boolean, packetId: number, dup: boolean, subscriptionIds: readonly number[] | undefined): boolean;
  /** Writes a PUBREL. */
  writePubrel(packetId: number): void;
}

/** A QoS 1 or 2 message on its way to the client. */
interface Outgoing {
  readonly message: MqttMessage;
  readonly qos: 1 | 2;
  readonly retain: boolean;
  readonly subscriptionIds: readonly number[] | undefined;
  packetId: number;
  /** `publish` until acknowledged (PUBACK, or PUBREC for QoS 2), then `pubrel` until PUBCOMP. */
  state: "publish" | "pubrel";
}

/**
 * A session as plain data, to move it to another node when its client reconnects there. `expirySec` is -1
 * for a session that never expires (JSON has no Infinity).
 */
export interface SessionSnapshot {
  readonly clientId: string;
  readonly expirySec: number;
  readonly subscriptions: readonly Subscription[];
  readonly inflight: readonly OutgoingSnapshot[];
  readonly queue: readonly OutgoingSnapshot[];
  readonly nextPacketId: number;
  readonly inboundQos2: readonly number[];
}

/** An outgoing message as plain data. */
export interface OutgoingSnapshot {
  readonly message: MqttMessage;
  readonly qos: 1 | 2;
  readonly retain: boolean;
  readonly subscriptionIds: readonly number[] | null;
  readonly packetId: number;
  readonly state: "publish" | "pubrel";
}

/** Counters the broker reports (dropped messages are never silent). */
export interface SessionDrops {
  /** Messages dropped because the queue was full. */
  queueFull: number;
  /** Messages dropped because they expired before they could be sent. */
  expired: number;
  /** Messages dropped because they exceeded the client's Maximum Packet Size. */
  tooLarge: number;
}

/** One client id's session on this node. */
export class Session {
  readonly clientId: string;
  /** The subscriptions, by filter as subscribed. */
  readonly subscriptions = new Map<string, Subscription>();
  /** Session Expiry Interval in seconds (0: ends with the connection; Infinity: never). */
  expirySec: number;
  /** The attached connection's output, or null while the client is away. */
  #output: SessionOutput | null = null;
  /** Messages sent and not yet acknowledged, by packet id, oldest first. */
  readonly #inflight = new Map<number, Outgoing>();
  /** Messages waiting for room in the client's Receive Maximum, or for the client to come back. */
  #queue: Outgoing[] = [];
  #queueHead = 0;
  readonly #maxQueued: number;
  readonly #maxInflight: number;
  #nextPacketId = 1;
  /** Packet ids of QoS 2 PUBLISHes received and forwarded, whose PUBREL has not come yet. */
  readonly inboundQos2 = new Set<number>();
  readonly drops: SessionDrops = { queueFull: 0, expired: 0, tooLarge: 0 };
  /** Per-route scratch used by the broker to merge overlapping subscriptions (see broker.ts). */
  routeStamp = 0;
  routeQos: QoS = 0;
  routeRetain = false;
  routeIds: number[] | undefined = undefined;
  readonly #now: () => number;

  constructor(clientId: string, expirySec: number, limits: { maxQueued: number; maxInflight: number; now: () => number }) {
    this.clientId = clientId;
    this.expirySec = expirySec;
    this.#maxQueued = limits.maxQueued;
    this.#maxInflight = limits.maxInflight;
    this.#now = limits.now;
  }

  /** The session as plain data (see {@link SessionSnapshot}). */
  snapshot(): SessionSnapshot {
    const plain = (out: Outgoing): OutgoingSnapshot => ({
      message: out.message,
      qos: out.qos,
      retain: out.retain,
      subscriptionIds: out.subscriptionIds === undefined ? null : [...out.subscriptionIds],
      packetId: out.packetId,
      state: out.state,
    });
    return {
      clientId: this.clientId,
      expirySec: Number.isFinite(this.expirySec) ? this.expirySec : -1,
      subscriptions: [...this.subscriptions.values()],
      inflight: [...this.#inflight.values()].map(plain),
      queue: this.#queue.slice(this.#queueHead).map(plain),
      nextPacketId: this.#nextPacketId,
      inboundQos2: [...this.inboundQos2],
    };
  }

  /** Takes over the messages of a snapshot (subscriptions are the broker's to route). */
  restore(snapshot: SessionSnapshot): void {
    const outgoing = (o: OutgoingSnapshot): Outgoing => ({
      message: o.message,
      qos: o.qos,
      retain: o.retain,
      subscriptionIds: o.subscriptionIds ?? undefined,
      packetId: o.packetId,
      state: o.state,
    });
    for (const o of snapshot.inflight) this.#inflight.set(o.packetId, outgoing(o));
    this.#queue = snapshot.queue.map(outgoing);
    this.#queueHead = 0;
    this.#nextPacketId = snapshot.nextPacketId >= 1 && snapshot.nextPacketId <= 65535 ? snapshot.nextPacketId : 1;
    for (const id of snapshot.inboundQos2) this.inboundQos2.add(id);
  }

  /** Whether a connection is attached. */
  get connected(): boolean {
    return this.#output !== null;
  }

  /** Messages in flight (sent, unacknowledged). */
  get inflightCount(): number {
    return this.#inflight.size;
  }

  /** Messages queued behind the in-flight window or for an absent client. */
  get queuedCount(): number {
    return this.#queue.length - this.#queueHead;
  }

  /**
   * Attaches a connection. When the session is resumed, every unacknowledged message is sent again
   * (PUBLISH with DUP, or PUBREL), in the order first sent, then the queue flows.
   */
  attach(output: SessionOutput): void {
    this.#output = output;
    for (const out of this.#inflight.values()) {
      if (out.state === "pubrel") output.writePubrel(out.packetId);
      else if (!output.writePublish(out.message, out.qos, out.retain, out.packetId, true, out.subscriptionIds)) {
        this.#inflight.delete(out.packetId);
        this.drops.tooLarge++;
      }
    }
    this.#pump();
  }

  /** Detaches `output` (if still attached); what is in flight stays, to be sent again on resume. */
  detach(output: SessionOutput): void {
    if (this.#output === output) this.#output = null;
  }

  /** Delivers a message at the given QoS and retain flag (already reduced to the subscription's). */
  deliver(message: MqttMessage, qos: QoS, retain: boolean, subscriptionIds: readonly number[] | undefined): void {
    const output = this.#output;
    if (qos === 0) {
      if (output !== null && !output.writePublish(message, 0, retain, 0, false, subscriptionIds)) this.drops.tooLarge++;
      return;
    }
    const outgoing: Outgoing = { message, qos, retain, subscriptionIds, packetId: 0, state: "publish" };
    if (output !== null && this.queuedCount === 0 && this.#inflight.size < this.#window(output)) {
      this.#send(output, outgoing);
      return;
    }
    if (this.queuedCount >= this.#maxQueued) {
      this.drops.queueFull++;
      return;
    }
    this.#queue.push(outgoing);
  }

  /** PUBACK for a QoS 1 message. Unknown ids are ignored (a duplicate acknowledgement). */
  puback(packetId: number): void {
    const out = this.#inflight.get(packetId);
    if (out === undefined || out.qos !== 1) return;
    this.#inflight.delete(packetId);
    this.#pump();
  }

  /**
   * PUBREC for a QoS 2 message: answered with PUBREL, unless the client refused the message (reason code
   * 0x80 or above, MQTT 5), which ends its delivery. Returns the reason code of the PUBREL owed — 0x92
   * (packet identifier not found) when no QoS 2 message is in flight under that id — or null for none.
   */
  pubrec(packetId: number, reasonCode: number): number | null {
    const out = this.#inflight.get(packetId);
    if (out === undefined || out.qos !== 2) return reasonCode >= 0x80 ? null : ReasonCode.PACKET_IDENTIFIER_NOT_FOUND;
    if (reasonCode >= 0x80) {
      this.#inflight.delete(packetId);
      this.#pump();
      return null;
    }
    out.state = "pubrel";
    return ReasonCode.SUCCESS;
  }

  /** PUBCOMP for a QoS 2 message: its delivery is complete. */
  pubcomp(packetId: number): void {
    const out = this.#inflight.get(packetId);
    if (out === undefined || out.state !== "pubrel") return;
    this.#inflight.delete(packetId);
    this.#pump();
  }

  /** Drops everything (the session ends). */
  clear(): void {
    this.#inflight.clear();
    this.#queue = [];
    this.#queueHead = 0;
    this.inboundQos2.clear();
    this.subscriptions.clear();
  }

  #window(output: SessionOutput): number {
    return Math.min(output.receiveMaximum, this.#maxInflight);
  }

  #send(output: SessionOutput, out: Outgoing): void {
    const expiresAt = out.message.expiresAt;
    if (expiresAt !== undefined && expiresAt <= this.#now()) {
      this.drops.expired++;
      return;
    }
    out.packetId = this.#allocate();
    this.#inflight.set(out.packetId, out);
    if (!output.writePublish(out.message, out.qos, out.retain, out.packetId, false, out.subscriptionIds)) {
      this.#inflight.delete(out.packetId);
      this.drops.tooLarge++;
    }
  }

  #pump(): void {
    const output = this.#output;
    if (output === null || this.#queueHead === this.#queue.length) return;
    const window = this.#window(output);
    while (this.#queueHead < this.#queue.length && this.#inflight.size < window && this.#output === output) {
      const out = this.#queue[this.#queueHead]!;
      this.#queue[this.#queueHead++] = undefined as unknown as Outgoing;
      this.#send(output, out);
    }
    if (this.#queueHead === this.#queue.length) {
      if (this.#queueHead > 0) this.#queue = [];
      this.#queueHead = 0;
    } else if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#queueHead);
      this.#queueHead = 0;
    }
  }

  /** The next packet id not in flight (1…65535). */
  #allocate(): number {
    for (let i = 0; i < 65535; i++) {
      const id = this.#nextPacketId;
      this.#nextPacketId = id === 65535 ? 1 : id + 1;
      if (!this.#inflight.has(id)) return id;
    }
    // Unreachable: the window is at most 65535 and a full window is never sent to.
    throw new RangeError("no free packet id");
  }
}
