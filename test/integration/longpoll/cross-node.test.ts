// LongPoll across nodes: two endpoints (two runtimes, one PubSub each on a shared MemoryBus, the same
// secretKeyBase). A session opened on node A is polled and posted to through node B, which relays the
// requests to A over PubSub.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DynamicSupervisor, PubSub, Runtime, Supervisor } from "../../../src/index.js";
import { MemoryAdapter, MemoryBus } from "../../../src/pubsub/index.js";
import { frame, longpoll, openSession, pollFrames } from "../../support/longpoll-client.js";
import { startTestEndpoint, type TestEndpoint } from "../../support/test-endpoint.js";

const SECRET = "a-test-secret-key-base-of-at-least-32-chars";
/**
 * Long enough that a loaded machine never reclaims a session between two of the test's requests (a session
 * not polled within 0.5 × windowMs ends) nor times out a relay (pubsubTimeoutMs): at 200 / 100 ms a full
 * parallel run once answered 410.
 */
const WINDOW_MS = 600;
const RELAY_TIMEOUT_MS = 300;

interface Node {
  readonly server: TestEndpoint;
  readonly pubsub: PubSub;
  readonly base: string;
}

async function startNode(bus: MemoryBus, name: string, secretKeyBase = SECRET): Promise<Node> {
  const runtime = new Runtime({ node: name });
  const pubsub = new PubSub({ runtime, adapter: new MemoryAdapter(bus) });
  await pubsub.start();
  const server = await startTestEndpoint({ runtime, pubsub, secretKeyBase }, { longpoll: { windowMs: WINDOW_MS, pubsubTimeoutMs: RELAY_TIMEOUT_MS } });
  return { server, pubsub, base: `${server.httpUrl}/socket` };
}

let nodes: Node[] = [];
let a: Node;
let b: Node;

beforeEach(async () => {
  const bus = new MemoryBus();
  a = await startNode(bus, "a");
  b = await startNode(bus, "b");
  nodes = [a, b];
});
afterEach(async () => {
  for (const node of nodes) {
    await node.server.stop();
    await node.pubsub.stop();
  }
});

describe("LongPoll across nodes", () => {
  it("polls and posts through another node: the session stays on the node that opened it", async () => {
    const token = await openSession(a.base);
    expect(a.server.endpoint.connectionCount).toBe(1);

    expect((await longpoll(b.base, { token, body: [frame("1", "1", "echo:x", "phx_join")] })).body).toEqual({ status: 200 });
    const [reply] = await pollFrames(b.base, token, 1);
    expect(reply).toMatchObject(["1", "1", "echo:x", "phx_reply", { status: "ok" }]);

    // A parked poll relayed through B is answered when a frame arrives on A.
    const parked = longpoll(b.base, { token });
    await longpoll(a.base, { token, body: [frame("1", "2", "echo:x", "ping", { via: "a" })] });
    expect((await parked).body).toEqual({
      status: 200,
      token,
      messages: [frame("1", "2", "echo:x", "phx_reply", { status: "ok", response: { via: "a" } })],
    });

    // Nothing to deliver: 204 after the window, through the relay too.
    expect((await longpoll(b.base, { token })).body).toEqual({ status: 204, token, messages: [] });
    expect(b.server.endpoint.connectionCount).toBe(0);
    expect(a.server.endpoint.connectionCount).toBe(1);
  });

  it("keeps the session alive while it is polled through another node", async () => {
    const token = await openSession(a.base);
    for (let i = 0; i < 3; i++) expect((await longpoll(b.base, { token })).body?.status).toBe(204);
    expect(a.server.endpoint.connectionCount).toBe(1);
  });

  it("answers as for an unknown session when the session's node does not answer in time", async () => {
    const token = await openSession(a.base, "vsn=2.0.0&user=gone");
    a.server.endpoint.disconnect("user_socket:gone");
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await longpoll(b.base, { token, body: [frame(null, "1", "phoenix", "heartbeat")] })).body).toEqual({ status: 410 });
    const fresh = await longpoll(b.base, { token });
    expect(fresh.body?.status).toBe(410);
    expect(fresh.body?.token).not.toBe(token);
    expect(b.server.endpoint.connectionCount).toBe(1);
  });

  it("relays a 408 from the session's node when its socket does not handle a posted line in time", async () => {
    const token = await openSession(a.base);
    const [mount] = (await Supervisor.whichChildren(a.server.endpoint.supervisor!)).filter((c) => c.id === "socket:/socket");
    const [connection] = await DynamicSupervisor.whichChildren(mount!.pid!);
    a.server.endpoint.runtime.suspend(connection!.pid!);
    expect((await longpoll(b.base, { token, body: [frame(null, "1", "phoenix", "heartbeat")] })).body).toEqual({ status: 408 });
    a.server.endpoint.runtime.resume(connection!.pid!);
    expect(await pollFrames(b.base, token, 1)).toEqual([[null, "1", "phoenix", "phx_reply", { status: "ok", response: {} }]]);
  });

  it("refuses tokens signed with another secret", async () => {
    const bus = new MemoryBus();
    const other = await startNode(bus, "c", "another-secret-key-base-of-32-chars-or-more");
    nodes.push(other);
    const token = await openSession(a.base);
    expect((await longpoll(other.base, { token, body: [frame(null, "1", "phoenix", "heartbeat")] })).body).toEqual({ status: 410 });
  });
});
