/**
 * History across nodes on a MemoryBus (the bus keeps the streams, as Redis does between machines): every
 * node sees one order of positions, and a client whose node stopped recovers from another node.
 */
import { afterEach, describe, expect, it } from "vitest";
import { PubSub, Runtime } from "../../../src/index.js";
import { MemoryAdapter, MemoryBus } from "../../../src/pubsub/index.js";
import { RawClient } from "../../support/raw-client.js";
import { startHistoryEndpoint, type HistoryEndpoint } from "../../support/history-endpoint.js";

type Frame = [string | null, string | null, string, string, Record<string, unknown>];

const servers: HistoryEndpoint[] = [];
const clients: RawClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function node(bus: MemoryBus, name: string): Promise<HistoryEndpoint> {
  const runtime = new Runtime({ node: name });
  const pubsub = new PubSub({ runtime, adapter: new MemoryAdapter(bus) });
  await pubsub.start();
  const server = await startHistoryEndpoint({ runtime, pubsub });
  servers.push(server);
  return server;
}

async function connect(server: HistoryEndpoint): Promise<RawClient> {
  const client = await RawClient.connect(server.websocketUrl);
  clients.push(client);
  return client;
}

const next = async (client: RawClient): Promise<Frame> => JSON.parse(await client.nextText()) as Frame;

async function join(client: RawClient, topic: string, params: Record<string, unknown> = {}): Promise<{ recovered: boolean; position: { epoch: string; offset: number } }> {
  client.send(["1", "1", topic, "phx_join", params]);
  const frame = await next(client);
  expect(frame[3]).toBe("phx_reply");
  return (frame[4] as { response: { recovered: boolean; position: { epoch: string; offset: number } } }).response;
}

describe("history across nodes", () => {
  it("gives broadcasts from every node one sequence of positions, the same on every node", async () => {
    const bus = new MemoryBus();
    const a = await node(bus, "a");
    const b = await node(bus, "b");
    const onA = await connect(a);
    const onB = await connect(b);
    const { position } = await join(onA, "feed:x");
    expect((await join(onB, "feed:x")).position).toEqual(position);
    for (let i = 0; i < 10; i++) (i % 2 === 0 ? a : b).endpoint.broadcast("feed:x", "msg", { i });
    const seenA: unknown[] = [];
    const seenB: unknown[] = [];
    for (let i = 1; i <= 10; i++) {
      const fa = await next(onA);
      const fb = await next(onB);
      expect(fa[1]).toBe(`${position.epoch}:${i}`);
      expect(fb).toEqual(fa);
      seenA.push(fa[4].i);
      seenB.push(fb[4].i);
    }
    expect(seenA).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(seenB).toEqual(seenA);
  });

  it("lets a client whose node stopped recover on another node", async () => {
    const bus = new MemoryBus();
    const a = await node(bus, "a");
    const b = await node(bus, "b");
    const client = await connect(a);
    const { position } = await join(client, "feed:y");
    b.endpoint.broadcast("feed:y", "msg", { n: 1 });
    expect((await next(client))[1]).toBe(`${position.epoch}:1`);
    await a.stop();
    servers.splice(servers.indexOf(a), 1);
    for (let n = 2; n <= 4; n++) b.endpoint.broadcast("feed:y", "msg", { n });
    const moved = await connect(b);
    expect(await join(moved, "feed:y", { since: `${position.epoch}:1` })).toEqual({ hello: true, recovered: true, position: { epoch: position.epoch, offset: 4 } });
    for (let n = 2; n <= 4; n++) expect(await next(moved)).toEqual([null, `${position.epoch}:${n}`, "feed:y", "msg", { n }]);
  });
});
