/**
 * The two Redis channel layouts the Redis adapter could use, reduced to what differs, for the layout
 * experiment (`npm run bench:layout`): every frame on one bus channel that every node reads, or each
 * topic on a channel of its own that only nodes with subscribers read. Neither has heartbeats or
 * sequence numbers; the real adapter (the bus, with both) runs beside them in the experiment.
 */
import { createClient } from "@redis/client";
import type { AdapterHost, PubSubAdapter } from "../../src/pubsub/index.js";
import { decodeNodeFrameHeader } from "../../src/pubsub/node-frame.js";

/** Which layout, and (per topic) the topics this node subscribes to. */
export interface LayoutOptions {
  readonly url: string;
  readonly prefix: string;
  readonly layout: "bus" | "topic";
  /** The topics with subscribers on this node (the topic layout subscribes to their channels). */
  readonly topics: readonly string[];
  /** Every node of the experiment, for nodes(). */
  readonly nodes: readonly string[];
}

type Client = ReturnType<typeof createClient>;

export class LayoutAdapter implements PubSubAdapter {
  readonly #options: LayoutOptions;
  #pub: Client | null = null;
  #sub: Client | null = null;
  #host: AdapterHost | null = null;
  #self = 0;

  constructor(options: LayoutOptions) {
    this.#options = options;
  }

  async start(host: AdapterHost): Promise<void> {
    this.#host = host;
    this.#self = this.#options.nodes.indexOf(host.nodeName);
    this.#pub = createClient({ url: this.#options.url });
    this.#sub = createClient({ url: this.#options.url });
    await Promise.all([this.#pub.connect(), this.#sub.connect()]);
    const { prefix, layout, topics } = this.#options;
    const channels = layout === "bus" ? [`${prefix}:bus`] : topics.map((t) => `${prefix}:t:${t}`);
    // The first byte says who sent the frame, so a node drops its own (Redis echoes them on the bus).
    const listener = (message: Buffer) => {
      if (message[0] !== this.#self) this.#host!.deliver(message.subarray(1));
    };
    for (let i = 0; i < channels.length; i += 500) await this.#sub.subscribe(channels.slice(i, i + 500), listener, true);
  }

  async stop(): Promise<void> {
    this.#pub?.destroy();
    this.#sub?.destroy();
  }

  broadcast(frame: Uint8Array): void {
    const channel = this.#options.layout === "bus" ? `${this.#options.prefix}:bus` : `${this.#options.prefix}:t:${decodeNodeFrameHeader(frame).topic}`;
    const data = Buffer.allocUnsafe(frame.byteLength + 1);
    data[0] = this.#self;
    data.set(frame, 1);
    this.#pub!.publish(channel, data).catch(() => {});
  }

  directBroadcast(): void {
    throw new Error("the layout experiment sends no direct broadcasts");
  }

  nodes(): readonly string[] {
    return this.#options.nodes;
  }

  /** Median time to subscribe to a channel nobody uses yet (the topic layout's cost at a first join), in µs. */
  async subscribeLatency(count: number): Promise<number> {
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      const started = process.hrtime.bigint();
      await this.#sub!.subscribe(`${this.#options.prefix}:probe:${i}`, () => {}, true);
      times.push(Number(process.hrtime.bigint() - started) / 1000);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)]!;
  }
}
