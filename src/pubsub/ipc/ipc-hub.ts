/**
 * The primary's side of the cluster IPC adapter: it knows each worker's node name and relays frames
 * between workers — a broadcast to every other worker, a direct broadcast to the one named — in the
 * order they were sent. It also keeps the history of history topics for all workers: it positions the
 * frames workers append, in arrival order, sends them to every worker, and answers reads. It decodes
 * nothing: the bytes a worker encoded once are passed on (and kept) as they are.
 */
import { TopicStreams } from "../history/topic-streams.js";
import { isIpcMessage, type AppendMessage, type FramesMessage, type IpcPort, type PositionedFrame, type ReadMessage } from "./ipc-messages.js";

/** Options of {@link IpcHub}. */
export interface IpcHubOptions {
  /** The time in ms, for the history's ttls (tests inject their own clock). @defaultValue `Date.now` */
  readonly now?: () => number;
  /**
   * How long the epoch and last offset of a topic nobody broadcasts to or reads are kept (ms).
   * @defaultValue 24 hours
   */
  readonly historyMetaTtlMs?: number;
  /**
   * How often expired history messages and unused topics are dropped (ms), while a worker is joined.
   * @defaultValue 30000
   */
  readonly historySweepIntervalMs?: number;
}

interface Member {
  readonly port: IpcPort;
  readonly listener: (message: unknown) => void;
  node: string | null;
}

/**
 * Relays PubSub frames between the workers attached to it, and keeps their shared topic history.
 *
 * @remarks
 * The history streams belong to the hub: they outlive the workers that appended to them, and last as
 * long as the primary process.
 *
 * @example
 * ```ts
 * // In the primary (startCluster does this for you):
 * const hub = new IpcHub();
 * cluster.on("fork", (worker) => hub.attach(worker));
 * cluster.on("exit", (worker) => hub.detach(worker));
 * ```
 */
export class IpcHub {
  readonly #members = new Map<IpcPort, Member>();
  readonly #streams: TopicStreams<Uint8Array>;
  /** Positioned frames not sent yet (they leave together, on a microtask). */
  #positioned: PositionedFrame[] = [];
  #flushQueued = false;

  constructor(options: IpcHubOptions = {}) {
    this.#streams = new TopicStreams({ now: options.now, metaTtlMs: options.historyMetaTtlMs, sweepIntervalMs: options.historySweepIntervalMs });
  }

  /** Starts relaying for a worker (it joins once it says hello). */
  attach(port: IpcPort): void {
    if (this.#members.has(port)) return;
    const member: Member = { port, listener: (message) => this.#receive(member, message), node: null };
    this.#members.set(port, member);
    port.on("message", member.listener);
  }

  /** Stops relaying for a worker (it exited); the others learn that its node is gone. */
  detach(port: IpcPort): void {
    const member = this.#members.get(port);
    if (member === undefined) return;
    port.off("message", member.listener);
    this.#members.delete(port);
    if (member.node !== null) this.#announce();
  }

  /**
   * The history streams the hub keeps for its nodes (how many messages and topics; `sweep()` drops
   * expired ones, which the hub does by itself every `historySweepIntervalMs` while a worker is joined).
   */
  get streams(): TopicStreams<Uint8Array> {
    return this.#streams;
  }

  /** The node names of the workers that joined. */
  nodes(): string[] {
    const names: string[] = [];
    for (const member of this.#members.values()) if (member.node !== null) names.push(member.node);
    return names;
  }

  #receive(from: Member, message: unknown): void {
    if (!isIpcMessage(message)) return;
    switch (message.fenix) {
      case "pubsub/hello": {
        const taken = [...this.#members.values()].some((m) => m !== from && m.node === message.node);
        if (taken) {
          send(from.port, { fenix: "pubsub/refused", reason: `another worker already uses the node name "${message.node}"` });
          return;
        }
        from.node = message.node;
        this.#announce();
        return;
      }
      case "pubsub/bye":
        if (from.node === null) return;
        from.node = null;
        this.#announce();
        return;
      case "pubsub/frames":
        if (from.node !== null) this.#relay(from, message);
        return;
      case "pubsub/append":
        if (from.node !== null) this.#append(message);
        return;
      case "pubsub/read":
        this.#read(from, message);
        return;
      default:
        return;
    }
  }

  /** Positions the appended frames in arrival order; they leave for every worker on a microtask. */
  #append(batch: AppendMessage): void {
    if (!Array.isArray(batch.appends)) return;
    for (const append of batch.appends) {
      // A malformed entry (not from an IpcAdapter) is skipped; the frame itself is the workers' to check.
      if (typeof append?.topic !== "string" || !isNumber(append.size) || !isNumber(append.ttlMs)) continue;
      const retention = { size: append.size, ttlMs: append.ttlMs };
      const { epoch, offset } = this.#streams.append(append.topic, append.frame, retention);
      this.#positioned.push({ frame: append.frame, epoch, offset });
    }
    if (this.#positioned.length > 0 && !this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(() => this.#flushPositioned());
    }
  }

  /** Sends the positioned frames not sent yet to every joined worker, in one message each. */
  #flushPositioned(): void {
    this.#flushQueued = false;
    if (this.#positioned.length === 0) return;
    const frames = this.#positioned;
    this.#positioned = [];
    for (const member of this.#members.values()) if (member.node !== null) send(member.port, { fenix: "pubsub/positioned", frames });
  }

  /** Answers a read, after the positioned frames of the appends it sees (so they arrive first). */
  #read(from: Member, request: ReadMessage): void {
    const { id, topic, after, limit, size, ttlMs } = request;
    if (!isNumber(id)) return;
    if (from.node === null) {
      send(from.port, { fenix: "pubsub/read-result", id, error: "this worker has not joined the cluster (no hello, or it said bye)" });
      return;
    }
    if (typeof topic !== "string" || !isNumber(limit) || !isNumber(size) || !isNumber(ttlMs) || (after !== undefined && !isNumber(after))) {
      send(from.port, { fenix: "pubsub/read-result", id, error: "malformed read request" });
      return;
    }
    this.#flushPositioned();
    const query = after === undefined ? { limit } : { after, limit };
    const found = this.#streams.read(topic, query, { size, ttlMs });
    send(from.port, {
      fenix: "pubsub/read-result",
      id,
      epoch: found.position.epoch,
      offset: found.position.offset,
      entries: found.entries.map((entry) => ({ offset: entry.offset, frame: entry.data })),
    });
  }

  /** Sends each other worker, in one message, the frames of the batch meant for it, in order. */
  #relay(from: Member, batch: FramesMessage): void {
    const { frames, to } = batch;
    for (const member of this.#members.values()) {
      if (member === from || member.node === null) continue;
      let mine: Uint8Array[] | null = null;
      for (let i = 0; i < frames.length; i++) {
        const target = to?.[i] ?? null;
        if (target === null || target === member.node) (mine ??= []).push(frames[i]!);
      }
      if (mine !== null) send(member.port, { fenix: "pubsub/frames", frames: mine });
    }
  }

  #announce(): void {
    const nodes = this.nodes();
    for (const member of this.#members.values()) if (member.node !== null) send(member.port, { fenix: "pubsub/nodes", nodes });
    // Sweep the history while a worker is joined (announce follows every join and leave).
    if (nodes.length > 0) this.#streams.startSweeping();
    else this.#streams.stopSweeping();
  }
}

function isNumber(value: unknown): value is number {
  return typeof value === "number" && !Number.isNaN(value);
}

/** A worker that just died may still be attached: a failed send is its exit, which detach handles. */
function send(port: IpcPort, message: Parameters<IpcPort["send"]>[0]): void {
  try {
    port.send(message, ignore);
  } catch {
    // The channel closed; the worker's exit event follows.
  }
}

function ignore(): void {}
