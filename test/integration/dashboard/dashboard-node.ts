/**
 * A node for the dashboard's tests: an endpoint on 127.0.0.1 port 0 with a `room:*` channel (messages
 * broadcast to the room, a join refused on request, a crash on request) and the dashboard enabled. Several
 * share a `MemoryBus` as nodes of one cluster. Clients are fenix/client sockets with short backoffs,
 * closed by `closeClients()`.
 */
import { vi } from "vitest";
import { Channel, Endpoint, PubSub, Runtime, Socket, error, ok, reply, silentLogger, type ChannelRoute, type JsonObject, type ChildSpec, type Payload } from "../../../src/index.js";
import { MemoryAdapter, type MemoryBus } from "../../../src/pubsub/index.js";
import { Socket as ClientSocket, type Channel as ClientChannel, type SocketOptions as ClientOptions } from "../../../src/client/index.js";
import { enableDashboard, type Dashboard, type DashboardOptions, type DashboardView } from "../../../src/dashboard/index.js";

/** `room:*`: `msg` is broadcast to the room and answered ok; `crash` throws; a join with `{refuse: true}` is refused. */
export class RoomChannel extends Channel {
  override join(_topic: string, payload: JsonObject) {
    return payload.refuse === true ? error({ reason: "refused on request" }) : ok();
  }

  override handleIn(event: string, payload: Payload) {
    if (event === "crash") throw new Error("crash on request (dashboard test)");
    if (event === "msg") {
      this.broadcast("msg", payload);
      return reply("ok");
    }
    return reply("ok", { echo: event });
  }
}

class RoomSocket extends Socket {
  static override channels: readonly ChannelRoute[] = [["room:*", RoomChannel]];
}

/** A running test node. */
export interface DashboardNode {
  readonly endpoint: Endpoint;
  readonly dashboard: Dashboard;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** `ws://127.0.0.1:<port>/socket` */
  readonly socketUrl: string;
  stop(): Promise<void>;
}

/** Starts a node; with `bus`, a node named `node` of a cluster on that bus. */
export async function startDashboardNode(
  options: { bus?: MemoryBus; node?: string; dashboard?: DashboardOptions; children?: (runtime: Runtime) => ChildSpec[] } = {},
): Promise<DashboardNode> {
  const runtime = new Runtime({ node: options.node ?? "solo" });
  const pubsub = new PubSub({ runtime, ...(options.bus !== undefined ? { adapter: new MemoryAdapter(options.bus) } : {}) });
  const children = [pubsub.childSpec(), ...(options.children?.(runtime) ?? [])];
  const endpoint = new Endpoint({ pubsub, port: 0, host: "127.0.0.1", logger: silentLogger, children });
  endpoint.socket("/socket", RoomSocket);
  const dashboard = enableDashboard(endpoint, { sampleMs: 100, ...options.dashboard });
  await endpoint.start();
  await dashboard.start();
  return {
    endpoint,
    dashboard,
    url: endpoint.url,
    socketUrl: `${endpoint.url.replace(/^http/, "ws")}/socket`,
    stop: async () => {
      await endpoint.stop();
      await pubsub.stop();
    },
  };
}

const clients = new Set<ClientSocket>();

/** A connected fenix/client socket with short backoffs (closed by {@link closeClients}). */
export function connectClient(url: string, options: ClientOptions = {}): ClientSocket {
  const socket = new ClientSocket(url, { reconnectAfterMs: () => 50, rejoinAfterMs: () => 50, timeoutMs: 3_000, ...options });
  socket.connect();
  clients.add(socket);
  return socket;
}

/** Disconnects every client made by {@link connectClient}. */
export async function closeClients(): Promise<void> {
  await Promise.all([...clients].map((socket) => socket.disconnect()));
  clients.clear();
}

/** A client on `node`'s dashboard channel, and the views it received. */
export interface AdminClient {
  readonly socket: ClientSocket;
  readonly channel: ClientChannel;
  readonly views: DashboardView[];
  /** The latest view received, or `undefined`. */
  latest(): DashboardView | undefined;
}

/** Joins `node`'s dashboard channel, as the page does. */
export async function connectAdmin(node: DashboardNode, options: ClientOptions = {}): Promise<AdminClient> {
  const socket = connectClient(`${node.url.replace(/^http/, "ws")}${node.dashboard.socketPath}`, options);
  const channel = socket.channel("fenix:dashboard");
  const views: DashboardView[] = [];
  channel.on("view", (view) => views.push(view as unknown as DashboardView));
  await channel.join();
  return { socket, channel, views, latest: () => views.at(-1) };
}

/** Waits until `check` holds (processes and sockets work on real time here). */
export async function until(check: () => boolean, what: string, timeout = 5_000): Promise<void> {
  await vi.waitUntil(check, { timeout, interval: 10 }).catch(() => {
    throw new Error(`timed out waiting for ${what}`);
  });
}
