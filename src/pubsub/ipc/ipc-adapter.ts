/**
 * The cluster IPC adapter: the workers of one machine (`node:cluster`) share broadcasts through their
 * primary, over Node's IPC channel, with no broker to run. Frames leave in batches, one IPC message per
 * event-loop turn, so a burst of broadcasts costs one message, not one each. The primary also keeps the
 * workers' shared topic history: appends go to it (batched the same way) and come back positioned to
 * every worker; reads are requests it answers.
 */
import type { AdapterHost, PubSubAdapter } from "../adapter.js";
import { PubSubError, PubSubErrorCode } from "../errors.js";
import type { HistoryQuery, HistoryRetention, HistoryStore, StoredHistory } from "../history/history-store.js";
import { isIpcMessage, type AppendEntry, type IpcPort, type PositionedMessage, type ReadResultMessage } from "./ipc-messages.js";

/** Options of {@link IpcAdapter}. */
export interface IpcAdapterOptions {
  /**
   * The worker's end of the IPC channel.
   * @defaultValue `process` (a cluster worker, or a child process forked with an IPC channel)
   */
  readonly port?: IpcPort;
  /** How long `start()` waits for the primary to answer (ms). @defaultValue 5000 */
  readonly connectTimeoutMs?: number;
  /**
   * How long a history read waits for the primary to answer before it rejects with
   * `FENIX_ERR_PUBSUB_HISTORY_UNAVAILABLE` (ms).
   * @defaultValue 5000
   */
  readonly historyReadTimeoutMs?: number;
}

interface PendingRead {
  readonly resolve: (history: StoredHistory<Uint8Array>) => void;
  readonly reject: (error: Error) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/**
 * A {@link PubSubAdapter} between the workers of a `node:cluster`, relayed by an {@link IpcHub} in the
 * primary. `startCluster` sets both up; use this class directly only with your own cluster code.
 *
 * @remarks
 * The workers must be forked with `serialization: "advanced"` (frames are `Uint8Array`s). Delivery is
 * at-most-once and ordered per sender, like every adapter. If the primary goes away, the link is down
 * for good (`FENIX_ERR_PUBSUB_ADAPTER_DOWN`): a worker cannot reach its siblings without it.
 */
export class IpcAdapter implements PubSubAdapter {
  readonly #options: IpcAdapterOptions;
  #port: IpcPort | null = null;
  #host: AdapterHost | null = null;
  #nodes: readonly string[] = [];
  #up = false;
  #frames: Uint8Array[] = [];
  #to: (string | null)[] = [];
  #appends: AppendEntry[] = [];
  #flushQueued = false;
  #readIds = 0;
  readonly #reads = new Map<number, PendingRead>();
  readonly #listener = (message: unknown) => this.#receive(message);
  #joined: ((error?: Error) => void) | null = null;

  /**
   * The history the workers share, kept by the primary's {@link IpcHub}.
   *
   * @remarks
   * `append` sends the frame to the primary (batched with the others of this event-loop turn), which
   * positions it and sends it to every worker, this one included; while the link is down the frame is
   * dropped and `FENIX_ERR_PUBSUB_HISTORY_UNAVAILABLE` reported. `read` asks the primary (after sending
   * this worker's pending appends, so that it sees them) and rejects with
   * `FENIX_ERR_PUBSUB_HISTORY_UNAVAILABLE` when the link is down, the adapter stops, or no answer comes
   * within `historyReadTimeoutMs`.
   */
  readonly history: HistoryStore = {
    append: (topic, frame, retention) => this.#append(topic, frame, retention),
    read: (topic, query, retention) => this.#read(topic, query, retention),
  };

  constructor(options: IpcAdapterOptions = {}) {
    this.#options = options;
  }

  /**
   * Introduces this worker to the primary and resolves once it answered with the node list.
   * @throws PubSubError `FENIX_ERR_PUBSUB_ADAPTER_FAILED` outside a process with an IPC channel, or when
   *   the primary does not answer; `FENIX_ERR_PUBSUB_DUPLICATE_NODE` when another worker has the name.
   */
  async start(host: AdapterHost): Promise<void> {
    const port = this.#options.port ?? (typeof process.send === "function" ? (process as unknown as IpcPort) : null);
    if (port === null) {
      throw new PubSubError(PubSubErrorCode.ADAPTER_FAILED, "IpcAdapter needs an IPC channel: run it in a cluster worker (see startCluster), or pass options.port.");
    }
    this.#port = port;
    this.#host = host;
    port.on("message", this.#listener);
    if (port === (process as unknown as IpcPort)) process.once("disconnect", this.#primaryGone);
    const joined = new Promise<void>((resolve, reject) => (this.#joined = (error) => (error === undefined ? resolve() : reject(error))));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new PubSubError(PubSubErrorCode.ADAPTER_FAILED, `The cluster primary did not answer within ${this.#options.connectTimeoutMs ?? 5_000} ms; is an IpcHub relaying for this worker?`)),
        this.#options.connectTimeoutMs ?? 5_000,
      );
    });
    this.#send({ fenix: "pubsub/hello", node: host.nodeName });
    try {
      await Promise.race([joined, timeout]);
    } catch (error) {
      this.#detach();
      throw error;
    } finally {
      clearTimeout(timer);
      this.#joined = null;
    }
  }

  stop(): void {
    if (this.#port === null) return;
    this.#flush();
    this.#send({ fenix: "pubsub/bye" });
    this.#detach();
  }

  broadcast(frame: Uint8Array): void {
    this.#queue(null, frame);
  }

  directBroadcast(node: string, frame: Uint8Array): void {
    this.#queue(node, frame);
  }

  nodes(): readonly string[] {
    return this.#up ? this.#nodes : this.#host === null ? [] : [this.#host.nodeName];
  }

  #queue(to: string | null, frame: Uint8Array): void {
    // Without the primary there is nobody to send to; its loss was reported when the channel closed.
    if (!this.#up) return;
    this.#frames.push(frame);
    this.#to.push(to);
    this.#flushSoon();
  }

  #append(topic: string, frame: Uint8Array, retention: HistoryRetention): void {
    if (!this.#up) {
      this.#host?.reportError(
        new PubSubError(PubSubErrorCode.HISTORY_UNAVAILABLE, `A broadcast on history topic "${topic}" was dropped: node ${this.#host.nodeName} is not linked to the cluster primary, which keeps the history.`),
      );
      return;
    }
    this.#appends.push({ topic, frame, size: retention.size, ttlMs: retention.ttlMs });
    this.#flushSoon();
  }

  #read(topic: string, query: HistoryQuery, retention: HistoryRetention): Promise<StoredHistory<Uint8Array>> {
    if (!this.#up) {
      return Promise.reject(new PubSubError(PubSubErrorCode.HISTORY_UNAVAILABLE, `The history of "${topic}" cannot be read: this worker is not linked to the cluster primary, which keeps it.`));
    }
    this.#flush();
    const id = ++this.#readIds;
    const timeoutMs = this.#options.historyReadTimeoutMs ?? 5_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#reads.delete(id);
        reject(new PubSubError(PubSubErrorCode.HISTORY_UNAVAILABLE, `The cluster primary did not answer a read of the history of "${topic}" within ${timeoutMs} ms.`));
      }, timeoutMs);
      this.#reads.set(id, { resolve, reject, timer });
      const request = { fenix: "pubsub/read", id, topic, limit: query.limit, size: retention.size, ttlMs: retention.ttlMs } as const;
      this.#send(query.after === undefined ? request : { ...request, after: query.after });
    });
  }

  #flushSoon(): void {
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushQueued = false;
    if (this.#frames.length > 0) {
      const frames = this.#frames;
      const to = this.#to;
      this.#frames = [];
      this.#to = [];
      this.#send({ fenix: "pubsub/frames", frames, to });
    }
    if (this.#appends.length > 0) {
      const appends = this.#appends;
      this.#appends = [];
      this.#send({ fenix: "pubsub/append", appends });
    }
  }

  #receive(message: unknown): void {
    if (!isIpcMessage(message)) return;
    const host = this.#host;
    if (host === null) return;
    switch (message.fenix) {
      case "pubsub/nodes":
        this.#nodes = message.nodes;
        if (!this.#up) {
          this.#up = true;
          host.reportStatus(true);
          this.#joined?.();
        }
        return;
      case "pubsub/frames":
        for (const frame of message.frames) {
          if (frame instanceof Uint8Array) host.deliver(frame);
          else {
            host.reportError(
              new PubSubError(PubSubErrorCode.BAD_FRAME, 'A frame from the cluster primary arrived as an object, not bytes: fork the workers with serialization: "advanced".'),
            );
            return;
          }
        }
        return;
      case "pubsub/positioned":
        this.#positioned(host, message);
        return;
      case "pubsub/read-result":
        this.#answered(message);
        return;
      case "pubsub/refused":
        this.#joined?.(new PubSubError(PubSubErrorCode.DUPLICATE_NODE, `The cluster primary refused this worker: ${message.reason}. Give every worker its own node name.`));
        return;
      default:
        return;
    }
  }

  #positioned(host: AdapterHost, message: PositionedMessage): void {
    for (const { frame, epoch, offset } of message.frames) {
      if (!(frame instanceof Uint8Array)) {
        host.reportError(
          new PubSubError(PubSubErrorCode.BAD_FRAME, 'A history frame from the cluster primary arrived as an object, not bytes: fork the workers with serialization: "advanced".'),
        );
        return;
      }
      host.deliverPositioned(frame, { epoch, offset });
    }
  }

  #answered(message: ReadResultMessage): void {
    const pending = this.#reads.get(message.id);
    if (pending === undefined) return;
    this.#reads.delete(message.id);
    clearTimeout(pending.timer);
    if ("error" in message) {
      pending.reject(new PubSubError(PubSubErrorCode.HISTORY_UNAVAILABLE, `The cluster primary could not read the history: ${message.error}.`));
      return;
    }
    const entries = [];
    for (const { offset, frame } of message.entries) {
      if (!(frame instanceof Uint8Array)) {
        pending.reject(
          new PubSubError(PubSubErrorCode.BAD_FRAME, 'A history frame from the cluster primary arrived as an object, not bytes: fork the workers with serialization: "advanced".'),
        );
        return;
      }
      entries.push({ offset, data: frame });
    }
    pending.resolve({ position: { epoch: message.epoch, offset: message.offset }, entries });
  }

  /** Rejects the reads still waiting for the primary: it will not answer them now. */
  #abandonReads(why: string): void {
    const reads = [...this.#reads.values()];
    this.#reads.clear();
    for (const pending of reads) {
      clearTimeout(pending.timer);
      pending.reject(new PubSubError(PubSubErrorCode.HISTORY_UNAVAILABLE, `A history read was abandoned: ${why}.`));
    }
  }

  readonly #primaryGone = (): void => {
    if (!this.#up || this.#host === null) return;
    this.#up = false;
    this.#abandonReads("the IPC channel to the cluster primary closed");
    this.#host.reportError(
      new PubSubError(PubSubErrorCode.ADAPTER_DOWN, `The IPC channel to the cluster primary closed: node ${this.#host.nodeName} serves its own clients only.`),
    );
    this.#host.reportStatus(false);
  };

  #send(message: Parameters<IpcPort["send"]>[0]): void {
    try {
      this.#port?.send(message, ignore);
    } catch {
      // The channel is closed: the "disconnect" event reports it.
    }
  }

  #detach(): void {
    this.#port?.off("message", this.#listener);
    if (this.#port === (process as unknown as IpcPort)) process.off("disconnect", this.#primaryGone);
    this.#port = null;
    this.#up = false;
    this.#frames = [];
    this.#to = [];
    this.#appends = [];
    this.#abandonReads("the adapter stopped");
  }
}

function ignore(): void {}
