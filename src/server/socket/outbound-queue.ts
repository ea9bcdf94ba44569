/**
 * The held-back tail of one connection's outbound stream, for connections joined to a route whose
 * slow-consumer policy can drop messages. While the transport is congested (its own queue is past its
 * hold mark), frames wait here in order instead of in the transport, where they could no longer be
 * dropped; when the transport drains they are written out, oldest first. Once the bytes queued here and in
 * the transport pass the connection's budget, the routes' policies decide what goes: `keepLatest` frames
 * are replaced by newer ones of the same topic and event as they arrive, `dropOldest` frames are dropped
 * oldest first, and if what is left still does not fit the connection must close.
 */
import type { Frame } from "../../protocol/serializer.js";
import type { SlowConsumerPolicy } from "../channel/channel-route.js";

/** The transport side the queue writes to. */
export interface OutboundTransport {
  send(frame: Frame): void;
  sendEncoded(data: Uint8Array, binary: boolean): void;
  /** Bytes the transport holds for the client. */
  readonly bufferedBytes: number;
  /** Whether the transport is past its hold mark: frames written now would wait in it. */
  readonly congested?: boolean;
}

/** What the queue asks and tells its connection. */
export interface OutboundOwner {
  /** The policy a push or broadcast of `event` on `topic` falls under (`"disconnect"`: never dropped). */
  policyOf(topic: string, event: string): SlowConsumerPolicy;
  /** A queued frame was dropped under its route's policy. */
  dropped(topic: string, event: string, policy: DroppingPolicy, bytes: number): void;
  /** What is queued passed the budget and nothing more may be dropped: the connection must close. */
  overBudget(buffered: number): void;
}

/** The policies that drop. */
export type DroppingPolicy = Exclude<SlowConsumerPolicy, "disconnect">;

const SEND = 0;
const TEXT = 1;
const BINARY = 2;

class Held {
  constructor(
    /** The frame, or null once dropped or written. */
    public data: Frame | null,
    /** SEND: written with `send`; TEXT or BINARY: encoded bytes written with `sendEncoded`. */
    readonly kind: number,
    readonly bytes: number,
    readonly policy: SlowConsumerPolicy,
    readonly topic: string,
    readonly event: string,
    /** The `keepLatest` key (topic and event), or null. */
    readonly key: string | null,
  ) {}
}

/** Compact the array once this many written frames sit before the head (and they are most of it). */
const COMPACT_AT = 1024;

/** @internal One connection's held-back frames (see the module header). */
export class OutboundQueue {
  readonly #transport: OutboundTransport;
  readonly #budget: number;
  readonly #owner: OutboundOwner;
  #frames: Held[] = [];
  /** The next frame to write. */
  #head = 0;
  /** Frames before this index are written, dropped, or never droppable by age: where dropping resumes. */
  #scan = 0;
  /** Bytes of the frames held (not dropped, not written). */
  #bytes = 0;
  /** The latest held frame of each `keepLatest` topic and event. */
  #latest: Map<string, Held> | null = null;

  /** @param budget - bytes the transport and this queue may hold together before policies apply. */
  constructor(transport: OutboundTransport, budget: number, owner: OutboundOwner) {
    this.#transport = transport;
    this.#budget = budget;
    this.#owner = owner;
  }

  /** Bytes held here, not yet handed to the transport. */
  get heldBytes(): number {
    return this.#bytes;
  }

  /** Frames held here. */
  get heldFrames(): number {
    let n = 0;
    for (let i = this.#head; i < this.#frames.length; i++) if (this.#frames[i]!.data !== null) n++;
    return n;
  }

  /** Writes a frame, or holds it while the transport is congested. `topic` and `event` name a push; null for replies and control frames. */
  send(frame: Frame, topic: string | null, event: string | null): void {
    if (this.#head === this.#frames.length && this.#transport.congested !== true) this.#transport.send(frame);
    else this.#hold(frame, SEND, typeof frame === "string" ? Buffer.byteLength(frame, "utf8") : frame.byteLength, topic, event);
  }

  /** Writes an encoded broadcast, or holds it while the transport is congested. */
  sendEncoded(data: Uint8Array, binary: boolean, topic: string | null, event: string | null): void {
    if (this.#head === this.#frames.length && this.#transport.congested !== true) this.#transport.sendEncoded(data, binary);
    else this.#hold(data, binary ? BINARY : TEXT, data.byteLength, topic, event);
  }

  /** The transport has room again: writes held frames, oldest first, until it is congested again. */
  drained(): void {
    const frames = this.#frames;
    const transport = this.#transport;
    while (this.#head < frames.length && transport.congested !== true) {
      const held = frames[this.#head++]!;
      const data = held.data;
      if (data === null) continue;
      held.data = null;
      this.#bytes -= held.bytes;
      if (held.key !== null && this.#latest!.get(held.key) === held) this.#latest!.delete(held.key);
      if (held.kind === SEND) transport.send(data);
      else transport.sendEncoded(data as Uint8Array, held.kind === BINARY);
    }
    if (this.#head === frames.length) {
      this.#frames = [];
      this.#head = 0;
      this.#scan = 0;
    } else if (this.#head >= COMPACT_AT && this.#head * 2 > frames.length) {
      this.#frames = frames.slice(this.#head);
      this.#scan = Math.max(0, this.#scan - this.#head);
      this.#head = 0;
    }
    if (this.#scan < this.#head) this.#scan = this.#head;
  }

  /** Forgets every held frame (the connection closes). */
  clear(): void {
    this.#frames = [];
    this.#head = 0;
    this.#scan = 0;
    this.#bytes = 0;
    this.#latest = null;
  }

  #hold(data: Frame, kind: number, bytes: number, topic: string | null, event: string | null): void {
    const policy = topic === null || event === null ? "disconnect" : this.#owner.policyOf(topic, event);
    let key: string | null = null;
    if (policy === "keepLatest") {
      key = `${topic}\u0000${event}`;
      const latest = (this.#latest ??= new Map());
      const older = latest.get(key);
      if (older !== undefined) this.#drop(older);
    }
    const held = new Held(data, kind, bytes, policy, topic ?? "", event ?? "", key);
    this.#frames.push(held);
    if (key !== null) this.#latest!.set(key, held);
    this.#bytes += bytes;
    const budget = this.#budget;
    if (this.#transport.bufferedBytes + this.#bytes <= budget) return;
    const frames = this.#frames;
    while (this.#scan < frames.length && this.#transport.bufferedBytes + this.#bytes > budget) {
      const candidate = frames[this.#scan]!;
      if (candidate.data !== null && candidate.policy === "dropOldest") this.#drop(candidate);
      this.#scan++;
    }
    const total = this.#transport.bufferedBytes + this.#bytes;
    if (total > budget) this.#owner.overBudget(total);
  }

  #drop(held: Held): void {
    held.data = null;
    this.#bytes -= held.bytes;
    if (held.key !== null && this.#latest?.get(held.key) === held) this.#latest.delete(held.key);
    this.#owner.dropped(held.topic, held.event, held.policy as DroppingPolicy, held.bytes);
  }
}
