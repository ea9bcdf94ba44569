/**
 * The cluster IPC adapter: the workers of one machine (`node:cluster`) share broadcasts through their
 * primary, over Node's IPC channel, with no broker to run. Frames leave in batches, one IPC message per
 * event-loop turn, so a burst of broadcasts costs one message, not one each.
 */
import type { AdapterHost, PubSubAdapter } from "../adapter.js";
import { PubSubError, PubSubErrorCode } from "../errors.js";
import { isIpcMessage, type IpcPort } from "./ipc-messages.js";

/** Options of {@link IpcAdapter}. */
export interface IpcAdapterOptions {
  /**
   * The worker's end of the IPC channel.
   * @defaultValue `process` (a cluster worker, or a child process forked with an IPC channel)
   */
  readonly port?: IpcPort;
  /** How long `start()` waits for the primary to answer (ms). @defaultValue 5000 */
  readonly connectTimeoutMs?: number;
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
  #flushQueued = false;
  readonly #listener = (message: unknown) => this.#receive(message);
  #joined: ((error?: Error) => void) | null = null;

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
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushQueued = false;
    if (this.#frames.length === 0) return;
    const frames = this.#frames;
    const to = this.#to;
    this.#frames = [];
    this.#to = [];
    this.#send({ fenix: "pubsub/frames", frames, to });
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
      case "pubsub/refused":
        this.#joined?.(new PubSubError(PubSubErrorCode.DUPLICATE_NODE, `The cluster primary refused this worker: ${message.reason}. Give every worker its own node name.`));
        return;
      default:
        return;
    }
  }

  readonly #primaryGone = (): void => {
    if (!this.#up || this.#host === null) return;
    this.#up = false;
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
  }
}

function ignore(): void {}
