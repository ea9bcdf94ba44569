/**
 * A node program for tests of socket ids across nodes: a socket at `/socket` whose id is
 * `user:<user>` (the `user` connect param), an accept-all `room:*` channel, and PubSub over Redis with
 * the options in `ID_NODE_OPTIONS` (JSON: `node`, `redisUrl`, `redis`). Reads commands on stdin:
 * `disconnect <id>` calls `endpoint.disconnect(id)`. Prints `READY <url>`, then `linked` once it sees
 * another node.
 */
import { createInterface } from "node:readline";
import { Channel, Endpoint, PubSub, Runtime, Socket, consoleLogger, ok, type ChannelRoute, type Params } from "../../../src/index.js";
import { RedisAdapter, type RedisAdapterOptions } from "../../../src/pubsub/redis/index.js";

const options = JSON.parse(process.env.ID_NODE_OPTIONS ?? "{}") as { node: string; redisUrl: string; redis?: RedisAdapterOptions };

class RoomChannel extends Channel {
  override join() {
    return ok();
  }
}

class UserSocket extends Socket<{ user: string }> {
  static override channels: readonly ChannelRoute[] = [["room:*", RoomChannel]];
  override connect(params: Params) {
    this.assigns.user = String(params.user);
    return true;
  }
  override id() {
    return `user:${this.assigns.user}`;
  }
}

const runtime = new Runtime({ node: options.node });
const pubsub = new PubSub({ runtime, adapter: new RedisAdapter({ ...options.redis, url: options.redisUrl }) });
const endpoint = new Endpoint({ pubsub, port: 0, host: "127.0.0.1", logger: consoleLogger("info"), children: [pubsub.childSpec()] });
endpoint.socket("/socket", UserSocket);
await endpoint.start();
process.stdout.write(`READY ${endpoint.url}\n`);

const linked = setInterval(() => {
  if (pubsub.nodes().length > 1) {
    clearInterval(linked);
    process.stdout.write("linked\n");
  }
}, 20);

createInterface({ input: process.stdin }).on("line", (line) => {
  const [command, argument] = line.trim().split(/\s+/, 2);
  if (command === "disconnect" && argument !== undefined) endpoint.disconnect(argument);
});
process.once("SIGTERM", () => {
  const exit = () => process.exit(0);
  endpoint.stop().then(() => pubsub.stop()).then(exit, exit);
  setTimeout(exit, 3_000).unref();
});
