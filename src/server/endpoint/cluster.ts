/**
 * Every core of one machine: `startCluster` runs your server in several `node:cluster` workers that
 * share one listening port, links their PubSubs through the primary (the IPC adapter) so a broadcast in
 * one worker reaches the clients of all, restarts a worker that dies, and stops them all in order.
 */
import cluster, { type Worker } from "node:cluster";
import { availableParallelism, hostname } from "node:os";
import { backoffDelay, type BackoffOptions } from "../../pubsub/backoff.js";
import { IpcAdapter } from "../../pubsub/ipc/ipc-adapter.js";
import { IpcHub } from "../../pubsub/ipc/ipc-hub.js";
import { ServerError, ServerErrorCode } from "../errors.js";
import { consoleLogger, type Logger } from "./logger.js";

/** What a worker's function is given. */
export interface WorkerContext {
  /** This worker's place, 1 to `workers`; a worker started again after a crash takes the same one. */
  readonly slot: number;
  /** This worker's node name, `<name>/w<slot>`: give it to the worker's `Runtime`. */
  readonly nodeName: string;
  /**
   * A PubSub adapter that links this worker to the others through the primary. Use it when the workers
   * are the whole cluster; use the Redis adapter instead to link them with other machines too.
   */
  readonly adapter: IpcAdapter;
}

/** What a worker's function may return: something to stop when the worker is asked to stop. */
export interface Stoppable {
  stop(): unknown;
}

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  /**
   * Starts the server of one worker (build the PubSub with `context.adapter` or your own, the endpoint,
   * and start it). What it returns is stopped when the worker is asked to stop.
   */
  readonly worker: (context: WorkerContext) => Stoppable | void | Promise<Stoppable | void>;
  /** How many workers to run. @defaultValue `os.availableParallelism()` */
  readonly workers?: number;
  /** The first part of the workers' node names. @defaultValue the host name */
  readonly name?: string;
  /** Where the primary reports workers that start, exit and start again. @defaultValue `consoleLogger("info")` */
  readonly logger?: Logger;
  /** Delays before a worker that died is started again (doubling per crash in a row). @defaultValue from 500 ms to 10 s */
  readonly restart?: BackoffOptions;
  /** How long a worker may take to stop before it is killed (ms). @defaultValue 10000 */
  readonly shutdownTimeoutMs?: number;
  /** Stop the workers and exit on SIGINT and SIGTERM (in the primary). @defaultValue true */
  readonly handleSignals?: boolean;
}

/** One running worker, as the primary sees it. */
export interface WorkerInfo {
  readonly slot: number;
  readonly nodeName: string;
  readonly pid: number;
}

/** The primary's handle on its workers. */
export interface ClusterPrimary {
  /** The workers running now. */
  workers(): WorkerInfo[];
  /** Stops every worker (SIGTERM, then SIGKILL after `shutdownTimeoutMs`); none is started again. */
  stop(): Promise<void>;
}

/** A worker tells the primary its function has returned: it serves. */
interface ReadyMessage {
  readonly fenix: "cluster/ready";
}

const SLOT_ENV = "FENIX_CLUSTER_SLOT";
const NAME_ENV = "FENIX_CLUSTER_NAME";
/** A worker that served this long counts as healthy: its next crash restarts it after the first delay again. */
const HEALTHY_AFTER_MS = 30_000;

/**
 * Runs the server in `workers` processes sharing its listening port.
 *
 * @remarks
 * Call it at the top of your program: in the primary it forks the workers (which run the same program),
 * relays PubSub frames between them, and resolves with a {@link ClusterPrimary} once every worker's
 * function has returned; in a worker it runs `options.worker` and resolves with `null`. Connections are
 * spread over the workers by the primary (round-robin). A worker that dies is logged and started again
 * after a backoff; its clients reconnect, to whichever worker accepts them. Workers are forked with
 * `serialization: "advanced"`.
 *
 * @throws ServerError `FENIX_ERR_SERVER_BAD_OPTION` for a bad option; in the primary, rejects when a
 *   worker exits before its function returned (it could not start).
 *
 * @example
 * ```ts
 * await startCluster({
 *   workers: 4,
 *   worker: async ({ nodeName, adapter }) => {
 *     const pubsub = new PubSub({ runtime: new Runtime({ node: nodeName }), adapter });
 *     const endpoint = new Endpoint({ port: 4000, pubsub, children: [pubsub.childSpec()] });
 *     endpoint.socket("/socket", UserSocket);
 *     return endpoint.start();
 *   },
 * });
 * ```
 */
export async function startCluster(options: ClusterOptions): Promise<ClusterPrimary | null> {
  if (typeof options?.worker !== "function") throw badOption("worker must be a function that starts one worker's server");
  const workers = options.workers ?? availableParallelism();
  if (!Number.isInteger(workers) || workers < 1) throw badOption(`workers must be a positive integer; got ${String(workers)}`);
  const name = options.name ?? hostname();
  if (typeof name !== "string" || name === "") throw badOption("name must be a non-empty string");
  if (cluster.isWorker) {
    await runWorker(options, name);
    return null;
  }
  return new Primary(options, workers, name).start();
}

async function runWorker(options: ClusterOptions, name: string): Promise<void> {
  const slot = Number(process.env[SLOT_ENV]);
  const nodeName = process.env[NAME_ENV] ?? `${name}/w${slot}`;
  let server: Stoppable | void;
  try {
    server = await options.worker({ slot, nodeName, adapter: new IpcAdapter() });
  } catch (error) {
    (options.logger ?? consoleLogger("info")).error(`worker ${nodeName} failed to start`, { error });
    process.exit(1);
  }
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    const exit = () => process.exit(0);
    Promise.resolve(server?.stop()).then(exit, exit);
    setTimeout(exit, options.shutdownTimeoutMs ?? 10_000).unref();
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", () => {});
  // A worker never outlives its primary: without it, it cannot reach its siblings or be restarted.
  process.once("disconnect", stop);
  process.send?.({ fenix: "cluster/ready" } satisfies ReadyMessage);
}

class Primary implements ClusterPrimary {
  readonly #options: ClusterOptions;
  readonly #count: number;
  readonly #name: string;
  readonly #logger: Logger;
  readonly #hub = new IpcHub();
  readonly #slots = new Map<Worker, number>();
  readonly #attempts = new Map<number, number>();
  readonly #startedAt = new Map<Worker, number>();
  #stopping = false;

  constructor(options: ClusterOptions, count: number, name: string) {
    this.#options = options;
    this.#count = count;
    this.#name = name;
    this.#logger = options.logger ?? consoleLogger("info");
  }

  async start(): Promise<this> {
    cluster.setupPrimary({ serialization: "advanced" });
    const ready = [];
    for (let slot = 1; slot <= this.#count; slot++) ready.push(this.#fork(slot, true));
    if (this.#options.handleSignals !== false) {
      const shutdown = () => {
        this.stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once("SIGINT", shutdown);
      process.once("SIGTERM", shutdown);
    }
    try {
      await Promise.all(ready);
    } catch (error) {
      await this.stop();
      throw error;
    }
    return this;
  }

  workers(): WorkerInfo[] {
    const list: WorkerInfo[] = [];
    for (const [worker, slot] of this.#slots) {
      if (worker.process.pid !== undefined) list.push({ slot, nodeName: this.#nodeName(slot), pid: worker.process.pid });
    }
    return list.sort((a, b) => a.slot - b.slot);
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    const running = [...this.#slots.keys()];
    await Promise.all(
      running.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            worker.once("exit", () => resolve());
            const kill = setTimeout(() => worker.process.kill("SIGKILL"), this.#options.shutdownTimeoutMs ?? 10_000);
            kill.unref();
            worker.once("exit", () => clearTimeout(kill));
            worker.process.kill("SIGTERM");
          }),
      ),
    );
  }

  #nodeName(slot: number): string {
    return `${this.#name}/w${slot}`;
  }

  /**
   * Forks the worker of `slot`; resolves when it serves. A first worker that exits before it serves
   * rejects (the cluster cannot start: a port in use, a bad configuration); any other is started again.
   */
  #fork(slot: number, first: boolean): Promise<void> {
    const nodeName = this.#nodeName(slot);
    const worker = cluster.fork({ [SLOT_ENV]: String(slot), [NAME_ENV]: nodeName });
    this.#slots.set(worker, slot);
    this.#hub.attach(worker);
    return new Promise<void>((resolve, reject) => {
      let serving = false;
      worker.on("message", (message: unknown) => {
        if ((message as Partial<ReadyMessage> | null)?.fenix !== "cluster/ready" || serving) return;
        serving = true;
        this.#startedAt.set(worker, Date.now());
        this.#logger.info(`worker ${slot} (pid ${worker.process.pid}) serves as node ${nodeName}`);
        resolve();
      });
      worker.once("exit", (code, signal) => {
        this.#hub.detach(worker);
        this.#slots.delete(worker);
        const startedAt = this.#startedAt.get(worker);
        this.#startedAt.delete(worker);
        if (this.#stopping) return;
        const how = signal !== null ? `signal ${signal}` : `code ${code}`;
        if (!serving && first) {
          reject(new ServerError(ServerErrorCode.WORKER_FAILED, `Worker ${slot} (node ${nodeName}) exited with ${how} before it served; see its log above.`));
          return;
        }
        if (startedAt !== undefined && Date.now() - startedAt > HEALTHY_AFTER_MS) this.#attempts.delete(slot);
        const attempt = this.#attempts.get(slot) ?? 0;
        this.#attempts.set(slot, attempt + 1);
        const delay = backoffDelay(attempt, { minMs: 500, maxMs: 10_000, ...this.#options.restart });
        const when = serving ? "" : " before it served";
        this.#logger.error(`worker ${slot} (pid ${worker.process.pid}, node ${nodeName}) exited with ${how}${when}; starting it again in ${delay} ms`, {
          code: ServerErrorCode.WORKER_FAILED,
        });
        setTimeout(() => {
          if (!this.#stopping) void this.#fork(slot, false);
        }, delay).unref();
      });
    });
  }
}

function badOption(detail: string): ServerError {
  return new ServerError(ServerErrorCode.BAD_OPTION, `startCluster: ${detail}.`);
}
