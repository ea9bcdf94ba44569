/**
 * The Fenix server of the benchmarks (see fenix-app.ts for what it serves). Listens on 127.0.0.1, port
 * `PORT` (0 picks one), and prints `READY <port>` once it accepts clients. With `REDIS_URL` it is one
 * node of several linked through Redis: channel prefix `REDIS_PREFIX`, node name `NODE_NAME`.
 */
import { PubSub, Runtime } from "../../src/index.js";
import { RedisAdapter } from "../../src/pubsub/redis/index.js";
import { startBenchEndpoint } from "./fenix-app.js";
import { serveUntilSignalled } from "./lifecycle.js";

const redisUrl = process.env.REDIS_URL;
const pubsub =
  redisUrl === undefined || redisUrl === ""
    ? undefined
    : new PubSub({
        runtime: new Runtime({ node: process.env.NODE_NAME ?? `bench@${process.pid}` }),
        adapter: new RedisAdapter({ url: redisUrl, prefix: process.env.REDIS_PREFIX ?? "fenix", requireConnection: true }),
      });
const endpoint = await startBenchEndpoint(Number(process.env.PORT ?? 0), pubsub);
serveUntilSignalled(endpoint.port, () => endpoint.stop());
