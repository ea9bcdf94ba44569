/**
 * An endpoint with server-side Presence for tests: `room:*` channels track the connecting user (the
 * `user` connect param, also the socket id `user:<user>`) with meta `{ node, online_at }` after the join,
 * push `presence_state`, and answer an `away` push by updating their meta. Several can share a bus as
 * nodes of one cluster.
 */
import { Channel, Endpoint, ok, Presence, PubSub, reply, Runtime, silentLogger, Socket, type ChannelRoute, type Params } from "../../src/index.js";
import { MemoryAdapter, type MemoryBus } from "../../src/pubsub/index.js";

/** A started presence endpoint. */
export interface PresenceEndpoint {
  readonly endpoint: Endpoint;
  readonly presence: Presence;
  /** `ws://127.0.0.1:<port>/socket` */
  readonly socketUrl: string;
  stop(): Promise<void>;
}

/** Starts one; `bus` makes it a node (named `node`) of a cluster on that memory bus. */
export async function startPresenceEndpoint(options: { bus?: MemoryBus; node?: string; broadcastPeriodMs?: number } = {}): Promise<PresenceEndpoint> {
  const node = options.node ?? "nonode";
  const runtime = new Runtime({ node });
  const pubsub = new PubSub({ runtime, ...(options.bus !== undefined ? { adapter: new MemoryAdapter(options.bus) } : {}) });
  const presence = new Presence(pubsub, { broadcastPeriodMs: options.broadcastPeriodMs ?? 100 });
  const AFTER_JOIN = Symbol("after join");

  class RoomChannel extends Channel<{ user: string }> {
    override join() {
      this.send(AFTER_JOIN);
      return ok();
    }
    override handleInfo(message: unknown) {
      if (message !== AFTER_JOIN) return;
      presence.track(this, this.assigns.user, { node, online_at: 1 });
      this.push("presence_state", presence.list(this.topic));
    }
    override handleIn(event: string, payload: unknown) {
      if (event === "away") presence.update(this, this.assigns.user, (meta) => ({ ...meta, away: (payload as { away: boolean }).away }));
      return reply("ok");
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

  const endpoint = new Endpoint({
    port: 0,
    host: "127.0.0.1",
    logger: silentLogger,
    runtime,
    pubsub,
    children: [pubsub.childSpec(), presence.childSpec()],
  });
  endpoint.socket("/socket", UserSocket);
  await endpoint.start();
  return {
    endpoint,
    presence,
    socketUrl: `${endpoint.url.replace(/^http/, "ws")}/socket`,
    stop: async () => {
      await endpoint.stop();
      await pubsub.stop();
    },
  };
}
