/**
 * The Redis adapter: the nodes of a cluster share broadcasts through Redis Pub/Sub, with the official
 * client (`@redis/client`). One bus channel carries every broadcast and every node's heartbeat; one
 * channel per node carries direct broadcasts. The link is judged by its own heartbeats: a node that
 * hears itself knows both its connections work end to end; one that stops hearing itself reports the
 * link down, keeps serving its own clients, and reconnects with backoff.
 */
import { createClient, type RedisClientOptions } from "@redis/client";
import type { AdapterHost, PubSubAdapter } from "../adapter.js";
import type { HistoryStore } from "../history/history-store.js";
import { backoffDelay, type BackoffOptions } from "../backoff.js";
import { PubSubError, PubSubErrorCode } from "../errors.js";
import { EnvelopeKind, EnvelopeWriter, readEnvelope, readFrames } from "./envelope.js";
import { PeerTable } from "./peer-table.js";
import { RedisHistory } from "./redis-history.js";

/** Options of {@link RedisAdapter}. */
export interface RedisAdapterOptions {
  /**
   * Where Redis listens, as `redis[s]://[[user][:password]@]host[:port][/db]`.
   * @defaultValue `"redis://127.0.0.1:6379"` (unless `client` says otherwise)
   */
  readonly url?: string;
  /**
   * Options handed to the client as they are (TLS, credentials, a Unix socket path…); `url` is added
   * when given. Fenix sets `disableOfflineQueue` and the reconnect strategy itself.
   */
  readonly client?: RedisClientOptions;
  /**
   * The prefix of the channels this cluster uses: `<prefix>:bus` and `<prefix>:node:<name>`. Nodes that
   * share a prefix (on one Redis) form one cluster; other prefixes never see each other.
   * @defaultValue `"fenix"`
   */
  readonly prefix?: string;
  /** How often a node announces itself on the bus (ms). @defaultValue 1000 */
  readonly heartbeatMs?: number;
  /**
   * A node not heard from for this long leaves {@link RedisAdapter.nodes}; a node that does not hear its
   * own heartbeat for this long declares its link down and reconnects (ms).
   * @defaultValue 5 × `heartbeatMs`
   */
  readonly nodeTimeoutMs?: number;
  /** Delays between reconnect attempts. @defaultValue from 100 ms, doubling, up to 5000 ms */
  readonly reconnect?: BackoffOptions;
  /**
   * How long `start()` waits for the first connection (ms). After it, or after the first refused
   * connection, `start()` goes on with the link down (see `requireConnection`).
   * @defaultValue 5000
   */
  readonly connectTimeoutMs?: number;
  /**
   * Whether `start()` (and so `endpoint.start()`) fails when Redis cannot be reached at start. By
   * default the node starts anyway, serves its own clients, reports `FENIX_ERR_PUBSUB_ADAPTER_DOWN` and
   * keeps trying, so that a Redis outage never keeps a node from serving the clients it does have.
   * @defaultValue false
   */
  readonly requireConnection?: boolean;
  /**
   * Most publishes waiting for Redis's answer; past it, frames are dropped and counted as lost rather
   * than queued without bound behind a stalled connection.
   * @defaultValue 10000
   */
  readonly maxPendingPublishes?: number;
  /**
   * How long Redis keeps a history topic's epoch and last offset (the `<prefix>:history-meta:<topic>`
   * key) after the topic's last broadcast or read (ms); never less than the topic's `ttlMs`. Once it is
   * gone, the topic starts a new epoch: clients that were behind cannot recover and are told so.
   * @defaultValue 24 hours
   */
  readonly metaTtlMs?: number;
}

type Client = ReturnType<typeof createClient>;
type Status = "new" | "connecting" | "up" | "down" | "stopped";

interface Generation {
  readonly id: number;
  readonly pub: Client;
  readonly sub: Client;
  pubReady: boolean;
  subscribed: boolean;
  /** When this pair was opened: a pair that never carries an echo is replaced after the timeout. */
  readonly openedAt: number;
}

/** A node name shared with another live node is reported at most this often. */
const DUPLICATE_REPORT_MS = 60_000;
/** Most frames, and bytes, in one envelope: a longer burst leaves in several. */
const BATCH_FRAMES = 512;
const BATCH_BYTES = 1024 * 1024;

/**
 * A {@link PubSubAdapter} over Redis Pub/Sub.
 *
 * @remarks
 * Every broadcast is published once, on the bus channel, as the node frame the PubSub encoded plus a
 * small envelope (sender, sequence number); each node drops what it sent itself and reads the topic of
 * the rest before decoding anything. Delivery is at-most-once, ordered per sender, like Redis Pub/Sub.
 * Frames lost between nodes (a Redis restart, a stalled connection) are counted from the gaps in the
 * sequence numbers and reported as `FENIX_ERR_PUBSUB_MESSAGES_LOST`; a link that goes down is reported
 * as `FENIX_ERR_PUBSUB_ADAPTER_DOWN`, and `pubsub.status` follows it. Every node needs a unique node
 * name (the runtime's `node`).
 *
 * Topics with history keep their streams in Redis (see {@link RedisAdapter.history}): their broadcasts
 * travel through a script that numbers and keeps them, then on the `<prefix>:history` channel.
 *
 * @example
 * ```ts
 * import { RedisAdapter } from "fenix/redis";
 *
 * const runtime = new Runtime({ node: `chat-${process.env.HOSTNAME}` });
 * const pubsub = new PubSub({ runtime, adapter: new RedisAdapter({ url: process.env.REDIS_URL }) });
 * const endpoint = new Endpoint({ pubsub, children: [pubsub.childSpec()] });
 * ```
 */
export class RedisAdapter implements PubSubAdapter {
  readonly #options: RedisAdapterOptions;
  readonly #prefix: string;
  readonly #heartbeatMs: number;
  readonly #timeoutMs: number;
  readonly #busChannel: string;
  #host: AdapterHost | null = null;
  #writer: EnvelopeWriter | null = null;
  #peers: PeerTable | null = null;
  #directChannel = "";
  #status: Status = "new";
  #generation: Generation | null = null;
  #generations = 0;
  #attempts = 0;
  #timer: ReturnType<typeof setInterval> | null = null;
  #reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  #lastEcho = 0;
  #downSince = 0;
  #busSequence = 0;
  readonly #directSequences = new Map<string, number>();
  /** Frames sent this event-loop turn, in order, with their node (null: the bus); flushed at its end. */
  #queue: Uint8Array[] = [];
  #queueTo: (string | null)[] = [];
  #flushQueued = false;
  #pending = 0;
  #unsent = 0;
  #lastCause: unknown = null;
  #lastDuplicateReport = -Infinity;
  #lastWelcome = -Infinity;
  #onFirstEcho: (() => void) | null = null;
  #onFirstFailure: (() => void) | null = null;
  /** Frames Redis did not take while the link was up (failed publishes, too many waiting): reported each tick. */
  #dropped = 0;
  readonly #history: RedisHistory;

  /**
   * The history store of this cluster, in Redis: per topic a stream `<prefix>:history:<topic>` and a hash
   * `<prefix>:history-meta:<topic>` (epoch, last offset); appends are numbered and published by one
   * script, so every node delivers a topic's messages in offset order.
   */
  readonly history: HistoryStore;

  constructor(options: RedisAdapterOptions = {}) {
    this.#options = options;
    this.#prefix = options.prefix ?? "fenix";
    if (typeof this.#prefix !== "string" || this.#prefix === "") throw badOption("prefix must be a non-empty string");
    this.#heartbeatMs = positive(options.heartbeatMs ?? 1_000, "heartbeatMs");
    this.#timeoutMs = positive(options.nodeTimeoutMs ?? this.#heartbeatMs * 5, "nodeTimeoutMs");
    if (this.#timeoutMs < 2 * this.#heartbeatMs) throw badOption(`nodeTimeoutMs (${this.#timeoutMs}) must be at least twice heartbeatMs (${this.#heartbeatMs})`);
    positive(options.connectTimeoutMs ?? 5_000, "connectTimeoutMs");
    positive(options.maxPendingPublishes ?? 10_000, "maxPendingPublishes");
    if (options.metaTtlMs !== undefined) positive(options.metaTtlMs, "metaTtlMs");
    const url = options.url ?? options.client?.url;
    if (url !== undefined && !/^rediss?:\/\/[^\s]*$/.test(url)) throw badOption(`url must look like redis://host:port or rediss://host:port; got ${JSON.stringify(url.replace(/\/\/[^@/]*@/, "//…@"))}`);
    this.#busChannel = `${this.#prefix}:bus`;
    this.#history = new RedisHistory(
      {
        publisher: () => (this.#generation?.pubReady === true ? this.#generation.pub : null),
        host: () => this.#host,
      },
      { prefix: this.#prefix, ...(options.metaTtlMs !== undefined ? { metaTtlMs: options.metaTtlMs } : {}), ...(options.maxPendingPublishes !== undefined ? { maxPending: options.maxPendingPublishes } : {}) },
    );
    this.history = this.#history;
  }

  /** Where this adapter connects, for messages (credentials left out). */
  get target(): string {
    const url = this.#options.url ?? this.#options.client?.url;
    if (url !== undefined) {
      try {
        const parsed = new URL(url);
        parsed.username = "";
        parsed.password = "";
        return parsed.toString();
      } catch {
        return "the configured Redis URL";
      }
    }
    const socket = this.#options.client?.socket as { path?: string; host?: string; port?: number } | undefined;
    if (socket?.path !== undefined) return `unix:${socket.path}`;
    return `redis://${socket?.host ?? "127.0.0.1"}:${socket?.port ?? 6379}`;
  }

  /**
   * Connects and subscribes. Resolves one heartbeat period after the link is up (so that {@link nodes}
   * lists the other live nodes by then), or once Redis refused the first connection or
   * `connectTimeoutMs` passed: then the link is reported down and retried in the background.
   * @throws PubSubError `FENIX_ERR_PUBSUB_ADAPTER_DOWN` when Redis cannot be reached and
   *   `requireConnection` is set; `FENIX_ERR_PUBSUB_ADAPTER_FAILED` for a node name Redis cannot carry.
   */
  async start(host: AdapterHost): Promise<void> {
    if (this.#status !== "new") throw new PubSubError(PubSubErrorCode.ADAPTER_FAILED, "A RedisAdapter serves one PubSub and starts once; create one per PubSub.");
    if (Buffer.byteLength(host.nodeName) > 255) {
      throw new PubSubError(PubSubErrorCode.ADAPTER_FAILED, `The node name "${host.nodeName.slice(0, 40)}…" is longer than 255 bytes.`);
    }
    this.#host = host;
    this.#writer = new EnvelopeWriter(host.nodeName);
    this.#peers = new PeerTable(host.nodeName, this.#timeoutMs);
    this.#directChannel = `${this.#prefix}:node:${host.nodeName}`;
    this.#status = "connecting";
    this.#downSince = Date.now();
    const firstEcho = new Promise<void>((resolve) => (this.#onFirstEcho = resolve));
    const firstFailure = new Promise<void>((resolve) => (this.#onFirstFailure = resolve));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#options.connectTimeoutMs ?? 5_000)));
    this.#open();
    this.#timer = setInterval(() => this.#tick(), this.#heartbeatMs);
    this.#timer.unref();
    await Promise.race([firstEcho, firstFailure, timeout]);
    clearTimeout(timer);
    this.#onFirstFailure = null;
    // The status moved while we waited (TypeScript cannot know).
    if ((this.#status as Status) === "up") {
      // Every live node answers a newcomer's first heartbeat at once, and heartbeats every heartbeatMs
      // anyway: after one period, nodes() lists the whole cluster for whoever starts serving next.
      await new Promise((resolve) => setTimeout(resolve, this.#heartbeatMs));
      return;
    }
    const error = this.#downError(`Redis at ${this.target} cannot be reached`);
    if (this.#options.requireConnection === true) {
      await this.stop();
      throw error;
    }
    this.#markDown(error);
  }

  /** Says goodbye (so the others forget this node at once) and closes both connections. */
  async stop(): Promise<void> {
    if (this.#status === "stopped" || this.#status === "new") {
      this.#status = "stopped";
      return;
    }
    const wasUp = this.#status === "up";
    this.#status = "stopped";
    if (this.#timer !== null) clearInterval(this.#timer);
    if (this.#reconnectTimer !== null) clearTimeout(this.#reconnectTimer);
    const generation = this.#generation;
    this.#generation = null;
    if (generation === null) return;
    if (wasUp) {
      this.#flush();
      const goodbye = generation.pub.publish(this.#busChannel, this.#writer!.write(EnvelopeKind.GOODBYE, this.#busSequence));
      await Promise.race([goodbye.catch(() => {}), new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
    }
    this.#close(generation);
  }

  broadcast(frame: Uint8Array): void {
    this.#enqueue(null, frame);
  }

  directBroadcast(node: string, frame: Uint8Array): void {
    this.#enqueue(node, frame);
  }

  nodes(): readonly string[] {
    const self = this.#host?.nodeName;
    if (self === undefined) return [];
    if (this.#status !== "up") return [self];
    return [self, ...this.#peers!.nodes(this.#lastEcho)];
  }

  // ## Connections

  /** Opens a new pair of connections (publisher, subscriber); the previous pair, if any, is closed. */
  #open(): void {
    const previous = this.#generation;
    if (previous !== null) this.#close(previous);
    const id = ++this.#generations;
    const base = this.#options.client ?? {};
    const socket = {
      ...(base.socket ?? {}),
      reconnectStrategy: (retries: number) => (this.#generation?.id === id ? backoffDelay(retries, this.#options.reconnect) : false),
    };
    const options = {
      ...base,
      ...(this.#options.url !== undefined ? { url: this.#options.url } : {}),
      socket,
      disableOfflineQueue: true,
    } as RedisClientOptions;
    const node = this.#host!.nodeName;
    const pub = createClient({ ...options, name: `fenix:pub:${node}` });
    const sub = createClient({ ...options, name: `fenix:sub:${node}` });
    const generation: Generation = { id, pub, sub, pubReady: false, subscribed: false, openedAt: Date.now() };
    this.#generation = generation;
    const current = () => this.#generation === generation;
    const failed = (error: Error) => {
      if (!current()) return;
      this.#lastCause = error;
      this.#onFirstFailure?.();
      if (this.#status === "up") this.#markDown(this.#downError("The connection to Redis was lost", error));
    };
    pub.on("error", failed);
    sub.on("error", failed);
    pub.on("ready", () => {
      if (!current()) return;
      generation.pubReady = true;
      this.#history.connected(pub);
      this.#heartbeat();
    });
    pub.on("end", () => (generation.pubReady = false));
    pub.on("reconnecting", () => (generation.pubReady = false));
    pub.connect().catch(ignore);
    sub
      .connect()
      // A replaced pair may still flush what it had buffered: only the current pair delivers.
      .then(() =>
        Promise.all([
          sub.subscribe([this.#busChannel, this.#directChannel], (message) => current() && this.#receive(message as unknown as Buffer), true),
          sub.subscribe(this.#history.channel, (message) => current() && this.#history.receive(message as unknown as Buffer), true),
        ]),
      )
      .then(
        () => {
          if (!current()) return;
          generation.subscribed = true;
          this.#heartbeat();
        },
        ignore,
      );
  }

  #close(generation: Generation): void {
    for (const client of [generation.pub, generation.sub]) {
      try {
        client.destroy();
      } catch {
        // Already closed.
      }
    }
  }

  // ## Heartbeats and the link's status

  #tick(): void {
    if (this.#status === "stopped") return;
    const now = Date.now();
    this.#heartbeat();
    if (this.#dropped > 0) {
      this.#report(lost(`${this.#dropped} frame(s) for other nodes were not taken by Redis (a failed publish, or more than maxPendingPublishes waiting for an answer)`));
      this.#dropped = 0;
    }
    this.#history.tick();
    const generation = this.#generation;
    if (this.#status === "up") {
      if (now - this.#lastEcho > this.#timeoutMs) {
        this.#markDown(this.#downError(`No heartbeat came back from Redis for ${now - this.#lastEcho} ms: the connection is stalled`));
        this.#reopenLater();
      } else {
        // Judged against this node's own last echo, not the wall clock: a peer is silent only if the
        // link carried this node's heartbeats meanwhile.
        this.#peers!.prune(this.#lastEcho);
      }
    } else if (generation !== null && now - generation.openedAt > this.#timeoutMs) {
      // This pair has not carried a heartbeat for a whole timeout: refused, stuck in its handshake, or
      // stalled while claiming to work. Start afresh with a new pair.
      this.#reopenLater();
    }
  }

  #heartbeat(): void {
    const generation = this.#generation;
    if (generation === null || !generation.pubReady || !generation.subscribed) return;
    // Frames queued this turn go first, so the heartbeat's number covers them.
    this.#flush();
    generation.pub.publish(this.#busChannel, this.#writer!.write(EnvelopeKind.HEARTBEAT, this.#busSequence)).catch(ignore);
  }

  #reopenLater(): void {
    if (this.#reconnectTimer !== null) return;
    const delay = backoffDelay(this.#attempts++, this.#options.reconnect);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      if (this.#status !== "stopped" && this.#status !== "up") this.#open();
    }, delay);
    this.#reconnectTimer.unref();
  }

  #echoed(): void {
    this.#lastEcho = Date.now();
    if (this.#status === "up" || this.#status === "stopped") return;
    const wasDown = this.#status === "down";
    const downMs = this.#lastEcho - this.#downSince;
    this.#status = "up";
    this.#attempts = 0;
    this.#peers!.refresh(this.#lastEcho);
    this.#onFirstEcho?.();
    this.#onFirstEcho = null;
    this.#host!.reportStatus(true);
    if (wasDown && this.#unsent > 0) {
      this.#report(lost(`${this.#unsent} frame(s) for other nodes could not be sent while the link to Redis was down (${downMs} ms)`));
    }
    this.#unsent = 0;
  }

  #markDown(error: PubSubError): void {
    if (this.#status === "down" || this.#status === "stopped") return;
    this.#status = "down";
    this.#downSince = Date.now();
    this.#report(error);
    this.#host!.reportStatus(false);
  }

  #downError(what: string, cause: unknown = this.#lastCause): PubSubError {
    const detail = describeCause(cause);
    return new PubSubError(
      PubSubErrorCode.ADAPTER_DOWN,
      `${what}${detail === "" ? "" : ` (${detail})`}: node ${this.#host!.nodeName} serves its own clients only, and retries.`,
      cause === null ? undefined : { cause },
    );
  }

  // ## Sending and receiving

  #enqueue(to: string | null, frame: Uint8Array): void {
    if (this.#status !== "up") {
      this.#unsent++;
      return;
    }
    this.#queue.push(frame);
    this.#queueTo.push(to);
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(this.#flush);
    }
  }

  /**
   * Publishes the frames queued this turn: each run of frames for the same channel in one envelope (up
   * to BATCH_FRAMES frames or BATCH_BYTES), runs in their order, so one node's frames keep their order
   * across the bus and the node channels.
   */
  readonly #flush = (): void => {
    this.#flushQueued = false;
    const frames = this.#queue;
    const to = this.#queueTo;
    if (frames.length === 0) return;
    this.#queue = [];
    this.#queueTo = [];
    let start = 0;
    while (start < frames.length) {
      const target = to[start]!;
      let end = start + 1;
      let bytes = frames[start]!.byteLength;
      while (end < frames.length && to[end] === target && end - start < BATCH_FRAMES && bytes + frames[end]!.byteLength <= BATCH_BYTES) {
        bytes += frames[end]!.byteLength;
        end++;
      }
      this.#publishRun(target, frames.slice(start, end));
      start = end;
    }
  };

  #publishRun(target: string | null, frames: Uint8Array[]): void {
    if (target === null) {
      const first = (this.#busSequence + 1) >>> 0;
      this.#busSequence = (this.#busSequence + frames.length) >>> 0;
      this.#publish(this.#busChannel, this.#writer!.write(EnvelopeKind.BROADCAST, first, frames), frames.length);
      return;
    }
    const first = ((this.#directSequences.get(target) ?? 0) + 1) >>> 0;
    this.#directSequences.set(target, (first + frames.length - 1) >>> 0);
    this.#publish(`${this.#prefix}:node:${target}`, this.#writer!.write(EnvelopeKind.DIRECT, first, frames), frames.length);
  }

  #publish(channel: string, data: Buffer, frames: number): void {
    const generation = this.#generation;
    if (generation === null) return;
    if (this.#pending >= (this.#options.maxPendingPublishes ?? 10_000)) {
      this.#dropped += frames;
      return;
    }
    this.#pending++;
    generation.pub.publish(channel, data).then(this.#published, () => {
      this.#pending--;
      this.#dropped += frames;
    });
  }

  readonly #published = (): void => {
    this.#pending--;
  };

  #receive(data: Buffer): void {
    const envelope = readEnvelope(data);
    if (envelope === null) {
      this.#report(new PubSubError(PubSubErrorCode.BAD_FRAME, `A message on ${this.#busChannel} was dropped: it is not a Fenix envelope this build can read (run the same Fenix version on every node; keep other publishers off the channel).`));
      return;
    }
    if (envelope.instance === this.#writer!.instance) {
      if (envelope.kind === EnvelopeKind.HEARTBEAT) this.#echoed();
      return;
    }
    const carriesFrames = envelope.kind === EnvelopeKind.BROADCAST || envelope.kind === EnvelopeKind.DIRECT;
    const frames = carriesFrames ? readFrames(envelope.body) : null;
    if (carriesFrames && frames === null) {
      this.#report(new PubSubError(PubSubErrorCode.BAD_FRAME, `An envelope from node ${envelope.node} was dropped: its frames are cut short.`));
      return;
    }
    const sighting = this.#peers!.saw(envelope, Date.now(), frames?.length ?? 0);
    if (sighting.newcomer) this.#welcome();
    if (sighting.duplicateName) this.#duplicateName();
    if (sighting.lost > 0) {
      this.#report(lost(`${sighting.lost} frame(s) from node ${envelope.node} never arrived (a gap in its ${envelope.kind === EnvelopeKind.DIRECT ? "direct" : "bus"} sequence)`));
    }
    if (frames !== null) for (const frame of frames) this.#host!.deliver(frame);
  }

  /** Answers a node heard for the first time with a heartbeat at once, so it learns of this one quickly. */
  #welcome(): void {
    const now = Date.now();
    if (this.#status !== "up" || now - this.#lastWelcome < this.#heartbeatMs / 4) return;
    this.#lastWelcome = now;
    this.#heartbeat();
  }

  #duplicateName(): void {
    const now = Date.now();
    if (now - this.#lastDuplicateReport < DUPLICATE_REPORT_MS) return;
    this.#lastDuplicateReport = now;
    const node = this.#host!.nodeName;
    this.#report(
      new PubSubError(
        PubSubErrorCode.DUPLICATE_NODE,
        `Another live node on ${this.#busChannel} uses this node's name "${node}": their direct broadcasts and presence mix. Give every node its own name (new Runtime({ node })).`,
      ),
    );
  }

  #report(error: Error): void {
    this.#host?.reportError(error);
  }
}

function ignore(): void {}

function lost(detail: string): PubSubError {
  return new PubSubError(PubSubErrorCode.MESSAGES_LOST, `${detail}; delivery between nodes is at-most-once, they are not sent again.`);
}

function describeCause(cause: unknown): string {
  if (cause === null || cause === undefined) return "";
  const code = (cause as { code?: unknown }).code;
  const message = cause instanceof Error ? cause.message : String(cause);
  return typeof code === "string" && !message.includes(code) ? `${code}: ${message}` : message;
}

function positive(value: number, name: string): number {
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) throw badOption(`${name} must be a positive number; got ${String(value)}`);
  return value;
}

function badOption(detail: string): PubSubError {
  return new PubSubError(PubSubErrorCode.ADAPTER_FAILED, `RedisAdapter: ${detail}.`);
}
