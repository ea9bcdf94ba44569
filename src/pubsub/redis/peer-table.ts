/**
 * What one Redis adapter knows of the other nodes: which instances it hears (and so which nodes are
 * up), and where each of their frame streams stands, so that a missing sequence number becomes a count
 * of lost frames instead of a silent gap. Pure data: the adapter feeds it envelopes and the time.
 */
import { EnvelopeKind, type Envelope } from "./envelope.js";

/** What an envelope from another instance means for the adapter. */
export interface Sighting {
  /** Frames of this sender's stream that never arrived before this envelope (0 when none). */
  readonly lost: number;
  /** The sender uses this node's own name (a misconfiguration worth reporting). */
  readonly duplicateName: boolean;
  /** The first envelope heard from this instance (a node that just started, or came back). */
  readonly newcomer: boolean;
}

interface Peer {
  readonly node: string;
  lastSeen: number;
  /** The last bus sequence number accounted for, or null before the first bus envelope. */
  bus: number | null;
  /** The last direct sequence number received, or null before the first. */
  direct: number | null;
}

const NOTHING_NEW: Sighting = { lost: 0, duplicateName: false, newcomer: false };

/** The other instances one adapter hears, keyed by instance id. */
export class PeerTable {
  readonly #self: string;
  readonly #timeoutMs: number;
  readonly #peers = new Map<string, Peer>();

  /** @param self - this node's name. @param timeoutMs - how long a silent instance still counts as up. */
  constructor(self: string, timeoutMs: number) {
    this.#self = self;
    this.#timeoutMs = timeoutMs;
  }

  /** Records an envelope from another instance, at time `now`; `frames` is how many frames it carries. */
  saw(envelope: Envelope, now: number, frames = 1): Sighting {
    let peer = this.#peers.get(envelope.instance);
    const newcomer = peer === undefined && envelope.kind !== EnvelopeKind.GOODBYE;
    if (peer === undefined) {
      peer = { node: envelope.node, lastSeen: now, bus: null, direct: null };
      this.#peers.set(envelope.instance, peer);
    }
    peer.lastSeen = now;
    const duplicateName = envelope.node === this.#self;
    let lost = 0;
    switch (envelope.kind) {
      case EnvelopeKind.BROADCAST:
        lost = peer.bus === null ? 0 : missing(peer.bus, envelope.sequence, 1);
        peer.bus = (envelope.sequence + frames - 1) >>> 0;
        break;
      case EnvelopeKind.HEARTBEAT:
        lost = peer.bus === null ? 0 : missing(peer.bus, envelope.sequence, 0);
        peer.bus = envelope.sequence;
        break;
      case EnvelopeKind.DIRECT:
        lost = peer.direct === null ? 0 : missing(peer.direct, envelope.sequence, 1);
        peer.direct = (envelope.sequence + frames - 1) >>> 0;
        break;
      case EnvelopeKind.GOODBYE:
        lost = peer.bus === null ? 0 : missing(peer.bus, envelope.sequence, 0);
        this.#peers.delete(envelope.instance);
        break;
    }
    return lost === 0 && !duplicateName && !newcomer ? NOTHING_NEW : { lost, duplicateName, newcomer };
  }

  /** The names of the nodes heard within the timeout (each once), this node not included. */
  nodes(now: number): string[] {
    const names = new Set<string>();
    for (const peer of this.#peers.values()) if (now - peer.lastSeen <= this.#timeoutMs && peer.node !== this.#self) names.add(peer.node);
    return [...names];
  }

  /** Forgets instances silent for longer than the timeout; returns their node names. */
  prune(now: number): string[] {
    const gone: string[] = [];
    for (const [instance, peer] of this.#peers) {
      if (now - peer.lastSeen > this.#timeoutMs) {
        this.#peers.delete(instance);
        gone.push(peer.node);
      }
    }
    return gone;
  }

  /**
   * Treats every known instance as heard at `now`: after this node's own link was down, the others get
   * a full timeout to show up again, and their next envelope tells how many frames were missed.
   */
  refresh(now: number): void {
    for (const peer of this.#peers.values()) peer.lastSeen = now;
  }
}

/**
 * How many numbers lie strictly between `last` and `next` on a 32-bit circle, where `step` is how far
 * `next` is expected to be (1 for a frame, 0 for a heartbeat repeating the last number). A number that
 * went backwards counts as nothing lost.
 */
function missing(last: number, next: number, step: 0 | 1): number {
  const ahead = (next - last) >>> 0;
  if (ahead > 0x7fffffff) return 0;
  return Math.max(0, ahead - step);
}
