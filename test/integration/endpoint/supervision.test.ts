// The endpoint's supervision tree: PubSub and one connection supervisor per socket mount run under the
// endpoint's supervisor; a crash in either is restarted without disturbing the rest, and stop() shuts
// the tree down in order (connections closed with 1012, channels' terminate run).
import { afterEach, describe, expect, it } from "vitest";
import {
  Channel,
  DynamicSupervisor,
  Endpoint,
  GenServer,
  ok,
  silentLogger,
  Socket,
  Supervisor,
  type ChannelRoute,
  type ExitReason,
  type Pid,
} from "../../../src/index.js";
import { closeRawResources, play, RawClient, refusedStatus } from "../../support/raw-client.js";

const terminated: Array<{ topic: string; reason: ExitReason }> = [];

class RecordingChannel extends Channel {
  override join() {
    return ok();
  }
  override terminate(reason: ExitReason) {
    terminated.push({ topic: this.topic, reason });
  }
}

class TreeSocket extends Socket {
  static override channels: readonly ChannelRoute[] = [["tree:*", RecordingChannel]];
}

const endpoints: Endpoint[] = [];
afterEach(async () => {
  await closeRawResources();
  await Promise.all(endpoints.splice(0).map((e) => e.stop()));
  terminated.length = 0;
});

async function treeEndpoint() {
  const endpoint = new Endpoint({ port: 0, host: "127.0.0.1", logger: silentLogger });
  endpoint.socket("/socket", TreeSocket);
  endpoint.socket("/admin", TreeSocket);
  await endpoint.start();
  endpoints.push(endpoint);
  const url = (path: string) => `${endpoint.url.replace(/^http/, "ws")}${path}/websocket`;
  return { endpoint, url };
}

async function joined(url: string, topic: string, ref = "1"): Promise<RawClient> {
  const client = await RawClient.connect(url);
  await play(
    client,
    `
    C→S ["${ref}","${ref}","${topic}","phx_join",{}]
    S→C ["${ref}","${ref}","${topic}","phx_reply",{"status":"ok","response":{}}]
    `,
  );
  return client;
}

async function childPid(supervisor: Pid, id: string): Promise<Pid> {
  const child = (await Supervisor.whichChildren(supervisor)).find((c) => c.id === id);
  if (child?.pid == null) throw new Error(`no running child ${id}`);
  return child.pid;
}

describe("the endpoint's supervision tree", () => {
  it("runs PubSub and one connection supervisor per socket mount, each connection under its mount", async () => {
    const { endpoint, url } = await treeEndpoint();
    const tree = endpoint.supervisor!;
    expect((await Supervisor.whichChildren(tree)).map((c) => c.id)).toEqual(["pubsub", "socket:/socket", "socket:/admin"]);
    await joined(url("/socket"), "tree:a");
    await joined(url("/socket"), "tree:b");
    await joined(url("/admin"), "tree:c");
    const sockets = await DynamicSupervisor.countChildren(await childPid(tree, "socket:/socket"));
    const admin = await DynamicSupervisor.countChildren(await childPid(tree, "socket:/admin"));
    expect([sockets.active, admin.active]).toEqual([2, 1]);
  });

  it("restarts a crashed PubSub process without losing any subscription", async () => {
    const { endpoint, url } = await treeEndpoint();
    const client = await joined(url("/socket"), "tree:pubsub");
    const before = await childPid(endpoint.supervisor!, "pubsub");
    endpoint.runtime.exit(before, "kill");
    await expect.poll(async () => (await childPid(endpoint.supervisor!, "pubsub")) !== before).toBe(true);
    endpoint.broadcast("tree:pubsub", "after", { ok: true });
    expect(await client.nextText()).toBe('[null,null,"tree:pubsub","after",{"ok":true}]');
  });

  it("restarts a crashed connection supervisor: its connections close with 1012, the other mount is untouched, new connections work", async () => {
    const { endpoint, url } = await treeEndpoint();
    const victim = await joined(url("/socket"), "tree:victim");
    const bystander = await joined(url("/admin"), "tree:bystander");
    const before = await childPid(endpoint.supervisor!, "socket:/socket");
    endpoint.runtime.exit(before, new Error("test crash of a connection supervisor"));
    expect((await victim.closed()).code).toBe(1012);
    await expect.poll(async () => (await childPid(endpoint.supervisor!, "socket:/socket")) !== before).toBe(true);
    await joined(url("/socket"), "tree:again");
    endpoint.broadcast("tree:bystander", "still", {});
    expect(await bystander.nextText()).toBe('[null,null,"tree:bystander","still",{}]');
  });

  it("shuts down in order on stop(): every connection closes with 1012 and its channels terminate with shutdown", async () => {
    const { endpoint, url } = await treeEndpoint();
    const clients = [await joined(url("/socket"), "tree:1"), await joined(url("/admin"), "tree:2")];
    const tree = endpoint.supervisor!;
    await endpoint.stop();
    endpoints.length = 0;
    for (const client of clients) expect((await client.closed()).code).toBe(1012);
    expect(endpoint.runtime.isAlive(tree)).toBe(false);
    expect(terminated.map((t) => t.topic).sort()).toEqual(["tree:1", "tree:2"]);
    expect(terminated.every((t) => t.reason === "shutdown")).toBe(true);
    expect(endpoint.connectionCount).toBe(0);
  });
});

describe("the endpoint's children option", () => {
  it("starts user children after PubSub and before the sockets, and stops them after every connection closed", async () => {
    const log: string[] = [];
    class Service extends GenServer {
      override init() {
        log.push("service started");
        this.trapExits = true;
      }
      override terminate(reason: ExitReason) {
        log.push(`service stopped: ${String(reason)}, channels terminated before: ${terminated.length}`);
      }
    }
    const endpoint = new Endpoint({
      port: 0,
      host: "127.0.0.1",
      logger: silentLogger,
      children: [{ id: "service", start: (parent) => GenServer.startLink(Service, undefined, parent) }],
    });
    endpoint.socket("/socket", TreeSocket);
    await endpoint.start();
    expect((await Supervisor.whichChildren(endpoint.supervisor!)).map((c) => c.id)).toEqual(["pubsub", "service", "socket:/socket"]);
    const client = await joined(`${endpoint.url.replace(/^http/, "ws")}/socket/websocket`, "tree:x");
    await endpoint.stop();
    expect(log).toEqual(["service started", "service stopped: shutdown, channels terminated before: 1"]);
    expect((await client.closed()).code).toBe(1012);
  });
});

describe("a dead supervision tree", () => {
  it("refuses new connections with 503 instead of upgrading them", async () => {
    const { endpoint, url } = await treeEndpoint();
    endpoint.runtime.exit(endpoint.supervisor!, "kill");
    expect(await refusedStatus(url("/socket"))).toBe(503);
  });
});
