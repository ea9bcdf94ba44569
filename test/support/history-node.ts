/**
 * A node program for the history tests across processes: the history endpoint (test/support/
 * history-endpoint.ts) on PubSub over Redis, with the options in `HISTORY_NODE_OPTIONS` (JSON: `node`,
 * `redisUrl`, `redis`). Prints `READY <url>`, then `linked` once it sees another node.
 */
import { PubSub, Runtime } from "../../src/index.js";
import { RedisAdapter, type RedisAdapterOptions } from "../../src/pubsub/redis/index.js";
import { startHistoryEndpoint } from "./history-endpoint.js";

const options = JSON.parse(process.env.HISTORY_NODE_OPTIONS ?? "{}") as { node: string; redisUrl: string; redis?: RedisAdapterOptions };

const runtime = new Runtime({ node: options.node });
const pubsub = new PubSub({ runtime, adapter: new RedisAdapter({ ...options.redis, url: options.redisUrl }) });
await pubsub.start();
const server = await startHistoryEndpoint({ runtime, pubsub });
process.stdout.write(`READY ${server.endpoint.url}\n`);

const linked = setInterval(() => {
  if (pubsub.nodes().length > 1) {
    clearInterval(linked);
    process.stdout.write("linked\n");
  }
}, 20);

process.once("SIGTERM", () => {
  const exit = () => process.exit(0);
  server.stop().then(() => pubsub.stop()).then(exit, exit);
});
