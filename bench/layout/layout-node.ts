/**
 * One node of the layout experiment, run as its own process: a PubSub on the adapter named in
 * `LAYOUT_NODE` (JSON: node, adapter "real" | "bus" | "topic", url, prefix, nodes, subscribed topics,
 * all topics), one counting subscriber process per subscribed topic. Commands on stdin: `publish <rate>
 * <seconds>` (round-robin over all topics; answers `SENT <n>`), `count` (answers `COUNT <n>`),
 * `probe <n>` (median SUBSCRIBE time in µs; answers `PROBE <µs>`). Prints `READY` once linked.
 */
import { createInterface } from "node:readline";
import { Process, PubSub, Runtime } from "../../src/index.js";
import { type PubSubAdapter } from "../../src/pubsub/index.js";
import { RedisAdapter } from "../../src/pubsub/redis/index.js";
import { LayoutAdapter } from "./layout-adapters.js";

interface NodeConfig {
  readonly node: string;
  readonly adapter: "real" | "bus" | "topic";
  readonly url: string;
  readonly prefix: string;
  readonly nodes: readonly string[];
  readonly subscribed: readonly string[];
  readonly topics: readonly string[];
}

const config = JSON.parse(process.env.LAYOUT_NODE ?? "{}") as NodeConfig;
let received = 0;

class Counter extends Process {
  protected handleMessage(): void {
    received++;
  }
}

const layout =
  config.adapter === "real" ? null : new LayoutAdapter({ url: config.url, prefix: config.prefix, layout: config.adapter, topics: config.subscribed, nodes: config.nodes });
const adapter: PubSubAdapter = layout ?? new RedisAdapter({ url: config.url, prefix: config.prefix });
const runtime = new Runtime({ node: config.node });
const pubsub = new PubSub({ runtime, adapter });
await pubsub.start();
for (const topic of config.subscribed) pubsub.subscribe(topic, new Counter(runtime).pid);
while (pubsub.nodes().length < config.nodes.length) await new Promise((resolve) => setTimeout(resolve, 20));
process.stdout.write("READY\n");

const body = "The quick brown fox jumps over the lazy dog while the five boxing wizards jump quickly; ".padEnd(100, ".");

async function publish(rate: number, seconds: number): Promise<number> {
  const total = Math.round(rate * seconds);
  const started = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) * rate) / 1000) + 1);
    for (; sent < due; sent++) pubsub.broadcast(config.topics[sent % config.topics.length]!, { n: sent, body });
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return sent;
}

const commands = createInterface({ input: process.stdin });
commands.on("close", () => process.exit(0));
commands.on("line", (line) => {
  const [command, a, b] = line.trim().split(/\s+/);
  if (command === "publish") {
    const before = process.cpuUsage();
    void publish(Number(a), Number(b)).then((n) => {
      const used = process.cpuUsage(before);
      if (process.env.LAYOUT_DEBUG) process.stderr.write(`cpu per broadcast: user ${(used.user / n).toFixed(2)} µs, system ${(used.system / n).toFixed(2)} µs\n`);
      process.stdout.write(`SENT ${n}\n`);
    });
  }
  else if (command === "count") process.stdout.write(`COUNT ${received}\n`);
  else if (command === "probe" && layout !== null) void layout.subscribeLatency(Number(a)).then((us) => process.stdout.write(`PROBE ${us}\n`));
});
