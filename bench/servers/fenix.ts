/**
 * The Fenix server of the benchmarks: a socket at `/socket` with one channel for `bench:*` topics. Joins
 * are accepted, `ping` is answered with its payload, `shout` is broadcast to the topic (no reply).
 * Listens on 127.0.0.1, port `PORT` (0 picks one), and prints `READY <port>` once it accepts clients.
 */
import { Channel, Endpoint, noReply, ok, reply, silentLogger, Socket, type ChannelRoute, type Payload } from "../../src/index.js";
import { serveUntilSignalled } from "./lifecycle.js";

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

class BenchSocket extends Socket {
  static override channels: readonly ChannelRoute[] = [["bench:*", BenchChannel]];
  override connect() {
    return true;
  }
}

const endpoint = new Endpoint({ port: Number(process.env.PORT ?? 0), host: "127.0.0.1", logger: silentLogger, checkOrigin: false });
endpoint.socket("/socket", BenchSocket);
await endpoint.start();
serveUntilSignalled(Number(new URL(endpoint.url).port), () => endpoint.stop());
