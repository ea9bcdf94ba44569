/**
 * History while its store (a private Redis here) is away: the node keeps serving its own clients — joins
 * are answered `recovered: false` with no position, broadcasts reach the node's clients unnumbered and
 * not kept — and once Redis answers again, broadcasts are numbered and fenix/client tracks them from the
 * first one it sees.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Socket, type RecoverResult } from "../../../src/client/index.js";
import { PubSub, Runtime } from "../../../src/index.js";
import { RedisAdapter } from "../../../src/pubsub/redis/index.js";
import { RedisServer, requireRedis } from "../../support/redis.js";
import { startHistoryEndpoint } from "../../support/history-endpoint.js";
import { until } from "../../support/history-clients.js";

const redis = await requireRedis();
const cleanup: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

describe.skipIf(!redis)(`history while Redis is away${redis ? "" : " (skipped: Redis is not running)"}`, () => {
  it("serves the node's own clients unnumbered, then numbers again once Redis is back", async () => {
    const store = await RedisServer.start();
    cleanup.push(() => store.kill());
    await store.kill();
    const runtime = new Runtime({ node: "alone" });
    const adapter = new RedisAdapter({ url: store.url, heartbeatMs: 100, nodeTimeoutMs: 500, reconnect: { minMs: 50, maxMs: 200 }, connectTimeoutMs: 300 });
    const pubsub = new PubSub({ runtime, adapter });
    const errors: string[] = [];
    pubsub.on("error", (error) => errors.push((error as { code?: string }).code ?? ""));
    await pubsub.start();
    const server = await startHistoryEndpoint({ runtime, pubsub });
    cleanup.push(async () => {
      await server.stop();
      await pubsub.stop();
    });
    expect(pubsub.status).toBe("down");

    const socket = new Socket(server.socketUrl, { reconnectAfterMs: () => 50, rejoinAfterMs: () => 50, timeoutMs: 3_000 });
    cleanup.push(() => socket.disconnect());
    const channel = socket.channel("feed:down");
    const received: number[] = [];
    const recoveries: RecoverResult[] = [];
    channel.on("msg", (payload) => received.push((payload as { n: number }).n));
    channel.onRecover((result) => recoveries.push(result));
    socket.connect();
    expect(await channel.join()).toEqual({ hello: true, recovered: false, position: null });
    expect(recoveries).toEqual([{ recovered: false, position: null, reason: "rejoin" }]);

    server.endpoint.broadcast("feed:down", "msg", { n: 1 });
    await until(() => received.length === 1, () => "the unnumbered broadcast");
    expect(channel.position).toBeNull();
    expect(errors).toContain("FENIX_ERR_PUBSUB_HISTORY_UNAVAILABLE");

    await store.restart();
    await until(() => pubsub.status === "up", () => "the link to come back", 10_000);
    server.endpoint.broadcast("feed:down", "msg", { n: 2 });
    server.endpoint.broadcast("feed:down", "msg", { n: 3 });
    await until(() => received.length === 3, () => "the numbered broadcasts");
    expect(received).toEqual([1, 2, 3]);
    expect(channel.position?.offset).toBe(2);
    const history = await server.endpoint.history("feed:down");
    expect(history.messages.map((m) => m.payload)).toEqual([{ n: 2 }, { n: 3 }]);
  });
});
