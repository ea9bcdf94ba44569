/**
 * What every Fenix benchmark server serves: a socket at `/socket` with one channel for `bench:*` topics.
 * Joins are accepted, `ping` is answered with its payload, `shout` is broadcast to the topic (no reply).
 * With `FENIX_HISTORY_SIZE` (and `FENIX_HISTORY_TTL_MS`, default 10 minutes) the route keeps history.
 * Used by the single-process server (fenix.ts) and by each worker of the cluster one (fenix-cluster.ts).
 */
import { Channel, Endpoint, noReply, ok, reply, silentLogger, Socket, type ChannelRoute, type Payload, type PubSub, type RouteOptions } from "../../src/index.js";
import { enableMetrics } from "../../src/metrics/index.js";
import { broadcastOnSignal } from "./lifecycle.js";

class BenchChannel extends Channel {
  override join() {
    return ok();
  }

  override handleIn(event: string, payload: Payload) {
    if (event === "ping") return reply("ok", payload);
    if (event === "shout") {
      this.broadcast("shout", payload);
      return noReply();
    }
    return reply("error", { reason: `unknown event ${event}` });
  }
}

/**
 * `FENIX_HISTORY_SIZE` and `FENIX_HISTORY_TTL_MS` (the history scenario) keep a history of every
 * `bench:*` topic: in memory, or in Redis when the server links through the `RedisAdapter`.
 */
function historyOption(): RouteOptions | null {
  const size = process.env.FENIX_HISTORY_SIZE;
  if (size === undefined || size === "") return null;
  return { history: { size: Number(size), ttlMs: Number(process.env.FENIX_HISTORY_TTL_MS ?? 600_000) } };
}

const history = historyOption();

class BenchSocket extends Socket {
  static override channels: readonly ChannelRoute[] = [history === null ? ["bench:*", BenchChannel] : ["bench:*", BenchChannel, history]];
  override connect() {
    return true;
  }
}

/** A started benchmark endpoint. */
export interface BenchEndpoint {
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Starts the endpoint on 127.0.0.1:`port` (0 picks one). With `pubsub` (linked to other nodes), the
 * endpoint runs it under its supervisor and reports its link problems on stderr; without, the endpoint
 * has a PubSub of its own and nothing leaves the process. With `SCALE_TOPICS`, SIGHUP broadcasts to the
 * scale topics (see lifecycle.ts), `share` saying which of them are this process's to send (a cluster worker's).
 */
export async function startBenchEndpoint(port: number, pubsub?: PubSub, share: { readonly slot: number; readonly of: number } = { slot: 1, of: 1 }): Promise<BenchEndpoint> {
  const linked = pubsub === undefined ? {} : { pubsub, children: [pubsub.childSpec()] };
  const endpoint = new Endpoint({ port, host: "127.0.0.1", logger: silentLogger, checkOrigin: false, ...linked });
  endpoint.socket("/socket", BenchSocket);
  pubsub?.on("error", (error) => process.stderr.write(`${pubsub.nodeName}: ${error.message}\n`));
  // FENIX_TELEMETRY=metrics subscribes fenix/metrics to every telemetry event (the telemetry scenario).
  if (process.env.FENIX_TELEMETRY === "metrics") enableMetrics(endpoint);
  await endpoint.start();
  broadcastOnSignal((topic, payload) => endpoint.broadcast(topic, "shout", payload), share.slot, share.of);
  return {
    port: Number(new URL(endpoint.url).port),
    async stop() {
      await endpoint.stop();
      await pubsub?.stop();
    },
  };
}
