/**
 * A load-generator connection: a {@link WireClient} that has done its protocol's opening and joined its
 * topics, then counts what it receives. A few connections are samplers that decode frames to measure
 * latency; the rest only count.
 */
import { DIALECTS, type Dialect, type ServerName } from "./dialects.js";
import { WireClient, type FrameSink } from "./wire-client.js";

/** Where a server listens. */
export interface Target {
  readonly server: ServerName;
  readonly host: string;
  readonly port: number;
  /** The local address to connect from (such as 127.0.3.7), so that many connections do not share one address's ephemeral ports. @defaultValue the system's choice */
  readonly localAddress?: string;
}

/** What a connection does with each frame once it is set up. */
export type FrameHandler = (text: string | null) => void;

/** A connected, opened client with a switchable frame handler. */
export class BenchConnection implements FrameSink {
  readonly dialect: Dialect;
  wantsText = true;
  #handler: FrameHandler = () => {};
  #client: WireClient | null = null;
  #nextRef = 1;

  constructor(readonly target: Target) {
    this.dialect = DIALECTS[target.server];
  }

  /** Opens the connection and runs the protocol's opening. */
  async open(): Promise<void> {
    // The server's first frame may arrive with the upgrade answer: listen before opening.
    const [first, ...rest] = this.dialect.opening;
    const opened = first === undefined ? null : this.#until((text) => text.startsWith(first.waitFor));
    this.#client = await WireClient.open(this.target.host, this.target.port, this.dialect.path, this, this.target.localAddress);
    if (first === undefined) return;
    await opened;
    if (first.send !== null) this.#client.send(first.send);
    for (const step of rest) {
      const seen = this.#until((text) => text.startsWith(step.waitFor));
      await seen;
      if (step.send !== null) this.#client.send(step.send);
    }
  }

  /** A new request id. */
  ref(): number {
    return this.#nextRef++;
  }

  /** Joins `topic`; resolves once the server accepted. Returns the join's ref (its join ref). */
  async join(topic: string): Promise<number> {
    const ref = this.ref();
    const accepted = this.#until((text) => this.dialect.isJoinOk(text));
    this.send(this.dialect.join(topic, ref));
    await accepted;
    return ref;
  }

  /** Sends one text frame. */
  send(text: string): void {
    this.#client!.send(text);
  }

  /** Sends a WebSocket ping, so that a connection that only listens is not closed as idle. */
  keepAlive(): void {
    this.#client?.ping();
  }

  /** Routes frames to `handler`; `wantsText` says whether they are decoded. */
  handle(handler: FrameHandler, wantsText: boolean): void {
    this.#handler = handler;
    this.wantsText = wantsText;
  }

  frame(text: string | null): void {
    this.#handler(text);
  }

  get closed(): boolean {
    return this.#client?.closed ?? true;
  }

  close(): void {
    this.#client?.destroy();
  }

  #until(matches: (text: string) => boolean, timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.target.server}: no expected frame within ${timeoutMs} ms`)), timeoutMs);
      this.handle((text) => {
        if (text !== null && matches(text)) {
          clearTimeout(timer);
          this.handle(() => {}, true);
          resolve();
        }
      }, true);
    });
  }
}

/**
 * Opens `count` connections, `concurrency` at a time, running `setup` on each (opening and joins).
 * `target` is where they all connect, or where the connection of each index does. Resolves with the
 * connections in order.
 */
export async function openMany(
  target: Target | ((index: number) => Target),
  count: number,
  concurrency: number,
  setup: (connection: BenchConnection, index: number) => Promise<void>,
): Promise<BenchConnection[]> {
  const connections: BenchConnection[] = new Array<BenchConnection>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const connection = new BenchConnection(typeof target === "function" ? target(index) : target);
      await connection.open();
      await setup(connection, index);
      connections[index] = connection;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return connections;
}

/** Closes every connection. */
export function closeAll(connections: readonly BenchConnection[]): void {
  for (const connection of connections) connection?.close();
}
