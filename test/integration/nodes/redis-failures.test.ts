/**
 * The chat on several nodes (separate processes, linked through Redis) when things break: a node killed
 * with SIGKILL and started again, a node started while Redis is away, Redis restarted under traffic, a
 * node's connection to Redis stalled (a partition). No process crashes, each node keeps serving its own
 * clients (their messages, unnumbered and not kept in the rooms' history meanwhile), cross-node delivery
 * resumes by itself, presence converges, and the nodes log each gap with its code.
 */
import { afterEach, describe, expect, it } from "vitest";
import { closeAllClients, quietPeriod } from "../../support/phoenix-client.js";
import { RedisServer, requireRedis } from "../../support/redis.js";
import { TcpProxy } from "../../support/tcp-proxy.js";
import { DOWN_PERIOD_MS, Nodes, enter, newPrefix, nodeOptions, recentBodies, until } from "./support.js";

const redis = await requireRedis();
const nodes = new Nodes();
const cleanup: (() => Promise<void>)[] = [];

afterEach(async () => {
  await closeAllClients();
  await nodes.stopAll();
  for (const step of cleanup.splice(0)) await step();
});

/** Long enough for presence to hide a silent node, with room for a loaded machine. */
const PRESENCE_SETTLES_MS = DOWN_PERIOD_MS + 6_000;

describe.skipIf(!redis)(`the chat on several nodes when things fail${redis ? "" : " (skipped: Redis is not running)"}`, () => {
  it("drops a node killed with SIGKILL from presence after the down period, and catches it up when it returns", async () => {
    const prefix = newPrefix();
    const a = await nodes.start(nodeOptions("a", prefix));
    const b = await nodes.start(nodeOptions("b", prefix));
    const alice = await enter(a.socketUrl, "alice");
    const bob = await enter(b.socketUrl, "bob");
    await until(() => bob.online().join() === "alice,bob", "bob to see alice");

    const killedAt = Date.now();
    await a.kill();
    await until(() => bob.online().join() === "bob", "alice's presence to go with node a", PRESENCE_SETTLES_MS);
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(DOWN_PERIOD_MS - 200);
    await bob.say("while a is away");
    await until(() => bob.bodies().includes("while a is away"), "b to serve bob alone");
    void alice;

    await a.start();
    const back = await enter(a.socketUrl, "alice");
    await until(() => back.online().join() === "alice,bob" && bob.online().join() === "alice,bob", "presence to converge again", PRESENCE_SETTLES_MS);
    // The room's history is in Redis: what was said while a was away is in the join reply on a.
    expect(recentBodies(back)).toEqual(["while a is away"]);
    await back.say("a is back");
    await until(() => bob.bodies().includes("a is back"), "a's messages to reach b again");
    expect(b.running).toBe(true);
  });

  it("starts a node while Redis is away: it serves its own clients, says so, and joins the others once Redis answers", async () => {
    const server = await RedisServer.start();
    cleanup.push(() => server.kill());
    await server.kill();
    const prefix = newPrefix();
    const a = await nodes.start(nodeOptions("a", prefix, server.url));
    expect(a.output).toMatch(/FENIX_ERR_PUBSUB_ADAPTER_DOWN/);
    expect(a.output).toMatch(/cannot be reached/);
    const alice = await enter(a.socketUrl, "alice");
    const anna = await enter(a.socketUrl, "anna");
    // No history to read: the join reply has no messages, and the page keeps what it shows.
    expect(alice.reply).not.toHaveProperty("messages");
    await until(() => anna.online().join() === "alice,anna", "a to show its own clients each other");
    await alice.say("alone on a");
    await until(() => anna.bodies().includes("alone on a"), "a to serve its own clients");

    await server.restart();
    const b = await nodes.start(nodeOptions("b", prefix, server.url));
    const bob = await enter(b.socketUrl, "bob");
    await until(() => [alice, bob].every((p) => p.online().join() === "alice,anna,bob"), "a to join the cluster once Redis answers", PRESENCE_SETTLES_MS);
    await bob.say("hello a");
    await until(() => alice.bodies().includes("hello a") && anna.bodies().includes("hello a"), "b's messages to reach a");
    await alice.say("hello b");
    await until(() => bob.bodies().includes("hello b"), "a's messages to reach b");
    expect(alice.bodies()).toEqual(["alone on a", "hello a", "hello b"]);
    expect(bob.bodies()).toEqual(["hello a", "hello b"]);
    expect(a.output).toMatch(/the link to the other nodes is up/);
  });

  it("keeps every node serving its own clients while Redis restarts, then links them again", async () => {
    const server = await RedisServer.start();
    cleanup.push(() => server.kill());
    const prefix = newPrefix();
    const a = await nodes.start(nodeOptions("a", prefix, server.url));
    const b = await nodes.start(nodeOptions("b", prefix, server.url));
    const alice = await enter(a.socketUrl, "alice");
    const bob = await enter(b.socketUrl, "bob");
    await until(() => alice.online().join() === "alice,bob" && bob.online().join() === "alice,bob", "alice and bob to see each other");
    await alice.say("before");
    await until(() => bob.bodies().includes("before"), "traffic across nodes");

    await server.kill();
    await until(() => /FENIX_ERR_PUBSUB_ADAPTER_DOWN/.test(a.output) && /FENIX_ERR_PUBSUB_ADAPTER_DOWN/.test(b.output), "both nodes to log the link down");
    await alice.say("during the outage");
    await until(() => alice.bodies().includes("during the outage"), "a to serve alice locally");
    // Long enough for presence to hide the other node on both sides.
    await until(() => alice.online().join() === "alice" && bob.online().join() === "bob", "each node to hide the other's presences", PRESENCE_SETTLES_MS);

    await server.restart();
    await until(() => alice.online().join() === "alice,bob" && bob.online().join() === "alice,bob", "presence to converge after the restart", PRESENCE_SETTLES_MS);
    await alice.say("after");
    await bob.say("after, from b");
    await until(() => bob.bodies().includes("after") && alice.bodies().includes("after, from b"), "delivery across nodes to resume");
    expect(alice.bodies()).toEqual(["before", "during the outage", "after", "after, from b"]);
    expect(bob.bodies()).toEqual(["before", "after", "after, from b"]);
    // a kept serving alice while it could not keep her message: it says so with the code.
    expect(a.output).toMatch(/FENIX_ERR_PUBSUB_HISTORY_UNAVAILABLE/);
    for (const node of [a, b]) {
      expect(node.output).toMatch(/the link to the other nodes is up again, after \d+ ms down/);
      expect(node.running).toBe(true);
    }
    // The restarted Redis lost the room's history (it keeps no data): a new join starts from what follows.
    const carol = await enter(b.socketUrl, "carol");
    expect(recentBodies(carol)).toEqual(["after", "after, from b"]);
  });

  it("survives a partition (a node's connection to Redis stalled) and converges once it heals", async () => {
    const server = await RedisServer.start();
    const proxy = await TcpProxy.start(server.port);
    cleanup.push(() => proxy.close(), () => server.kill());
    const prefix = newPrefix();
    const a = await nodes.start(nodeOptions("a", prefix, proxy.url));
    const b = await nodes.start(nodeOptions("b", prefix, server.url));
    const alice = await enter(a.socketUrl, "alice");
    const anna = await enter(a.socketUrl, "anna");
    const bob = await enter(b.socketUrl, "bob");
    await until(() => [alice, anna, bob].every((p) => p.online().join() === "alice,anna,bob"), "everyone to see everyone");

    proxy.pause();
    await until(() => bob.online().join() === "bob" && alice.online().join() === "alice,anna", "each side to hide the other", PRESENCE_SETTLES_MS);
    expect(a.output).toMatch(/FENIX_ERR_PUBSUB_ADAPTER_DOWN.*|No heartbeat came back/);
    await alice.say("inside a");
    await bob.say("inside b");
    await until(() => anna.bodies().includes("inside a") && bob.bodies().includes("inside b"), "each side to chat on its own");
    await quietPeriod(100);
    expect(bob.bodies()).not.toContain("inside a");

    proxy.resume();
    await until(() => [alice, anna, bob].every((p) => p.online().join() === "alice,anna,bob"), "presence to converge after the partition", PRESENCE_SETTLES_MS);
    await bob.say("healed");
    await until(() => alice.bodies().includes("healed") && anna.bodies().includes("healed"), "b's messages to reach a again");
    await alice.say("healed too");
    await until(() => bob.bodies().includes("healed too"), "a's messages to reach b again");
    expect(bob.bodies()).toEqual(["inside b", "healed", "healed too"]);
    expect(anna.bodies()).toEqual(["inside a", "healed", "healed too"]);
    expect(a.output).toMatch(/FENIX_ERR_PUBSUB_MESSAGES_LOST/);
  });
});
