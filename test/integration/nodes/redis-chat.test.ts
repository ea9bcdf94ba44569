/**
 * The chat demo on several nodes — separate processes linked through Redis — with the official
 * `phoenix` client: one chat across nodes (messages, presence, and the rooms' history, kept in Redis
 * Streams: every node's join reply carries the same last messages, and a client that rejoins on another
 * node with `since` recovers what it missed), a LongPoll session reached
 * through any node behind a balancer without sticky sessions, and a socket id disconnected everywhere.
 */
import { LongPoll } from "phoenix";
import { afterEach, describe, expect, it } from "vitest";
import { RoundRobin } from "../../support/nodes/round-robin.js";
import { closeAllClients, connectSocket } from "../../support/phoenix-client.js";
import { REDIS_URL, requireRedis } from "../../support/redis.js";
import { Nodes, enter, newPrefix, nodeOptions, recentBodies, until } from "./support.js";

const redis = await requireRedis();
const nodes = new Nodes();
const balancers: RoundRobin[] = [];

afterEach(async () => {
  await closeAllClients();
  await Promise.all(balancers.splice(0).map((b) => b.close()));
  await nodes.stopAll();
});

describe.skipIf(!redis)(`the chat on several nodes through Redis${redis ? "" : " (skipped: Redis is not running)"}`, () => {
  it("is one chat: messages, presence and history cross nodes, and a node started later has it all at once", async () => {
    const prefix = newPrefix();
    const a = await nodes.start(nodeOptions("a", prefix));
    const b = await nodes.start(nodeOptions("b", prefix));
    const alice = await enter(a.socketUrl, "alice");
    const bob = await enter(b.socketUrl, "bob");
    await until(() => alice.online().join() === "alice,bob" && bob.online().join() === "alice,bob", "alice and bob to see each other");

    await alice.say("hello from a");
    // The history is in Redis: a client joining on b right after alice's message was accepted on a has
    // it in its join reply, without waiting for b to hear of it.
    const early = await enter(b.socketUrl, "early");
    expect(recentBodies(early)).toEqual(["hello from a"]);
    // Order holds per sender; across senders, wait so that both clients see one order.
    await until(() => bob.bodies().includes("hello from a"), "alice's message on b");
    await bob.say("hello from b");
    await until(() => bob.bodies().length === 2 && alice.bodies().length === 2, "both messages on both nodes");
    expect(alice.bodies()).toEqual(["hello from a", "hello from b"]);
    expect(bob.bodies()).toEqual(["hello from a", "hello from b"]);

    early.channel.leave();

    // A node that starts now reads the room's history from Redis at the first join, and everyone sees
    // its user.
    const c = await nodes.start(nodeOptions("c", prefix));
    const carol = await enter(c.socketUrl, "carol");
    expect(recentBodies(carol)).toEqual(["hello from a", "hello from b"]);
    await until(() => [alice, bob, carol].every((p) => p.online().join() === "alice,bob,carol"), "everyone to see carol");
    await carol.say("hello from c");
    await until(() => alice.bodies().includes("hello from c") && bob.bodies().includes("hello from c"), "carol's message on a and b");

    // A client that lost its connection to c rejoins on a with the position it had: it gets
    // `recovered: true` and every message sent meanwhile, on any node, in order, once.
    const { epoch, offset } = (carol.reply as { position: { epoch: string; offset: number } }).position;
    carol.channel.leave();
    await alice.say("while carol is away, from a");
    // As above: across senders, one order once b has seen alice's message.
    await until(() => bob.bodies().includes("while carol is away, from a"), "alice's message on b");
    await bob.say("while carol is away, from b");
    await until(() => alice.bodies().includes("while carol is away, from b"), "both messages on a");
    const back = await enter(a.socketUrl, "carol", "lobby", {}, { since: `${epoch}:${offset}` });
    expect(back.reply).toMatchObject({ recovered: true, node: "a" });
    await until(() => back.bodies().length === 3, "the missed messages");
    expect(back.bodies()).toEqual(["hello from c", "while carol is away, from a", "while carol is away, from b"]);

    // A leave on one node is a presence_diff everywhere.
    bob.channel.leave();
    await until(() => alice.online().join() === "alice,carol" && back.online().join() === "alice,carol", "bob's leave everywhere");
  });

  it("serves a LongPoll client whose requests land on alternate nodes, as one session", async () => {
    const prefix = newPrefix();
    const a = await nodes.start(nodeOptions("a", prefix));
    const b = await nodes.start(nodeOptions("b", prefix));
    const balancer = await RoundRobin.start([a.url, b.url]);
    balancers.push(balancer);

    const polling = await enter(`${balancer.url}/socket`, "poller", "lobby", { transport: LongPoll });
    const watcher = await enter(b.socketUrl, "watcher");
    await until(() => watcher.online().join() === "poller,watcher", "the watcher to see the poller");

    for (const body of ["one", "two", "three"]) await polling.say(body);
    await watcher.say("four");
    await until(() => polling.bodies().length === 4 && watcher.bodies().length === 4, "every message on both clients");
    expect(polling.bodies()).toEqual(["one", "two", "three", "four"]);
    expect(watcher.bodies()).toEqual(["one", "two", "three", "four"]);
    // Both nodes served requests; only one of them holds the session (the other relayed).
    expect(balancer.served.every((n) => n >= 3)).toBe(true);
  });

  it("disconnects a socket id on every node", async () => {
    const prefix = newPrefix();
    const env = (node: string) => ({ ID_NODE_OPTIONS: JSON.stringify({ node, redis: nodeOptions(node, prefix).redis, redisUrl: REDIS_URL }) });
    const a = await nodes.program("a", "id-node.ts", env("a"));
    const b = await nodes.program("b", "id-node.ts", env("b"));
    await until(() => a.output.includes("linked") && b.output.includes("linked"), "both nodes linked");
    const bobOnB = await connectSocket(b.socketUrl, { params: { user: "bob" } });
    const bobOnA = await connectSocket(a.socketUrl, { params: { user: "bob" } });
    const carolOnB = await connectSocket(b.socketUrl, { params: { user: "carol" } });
    const closed = new Map<string, number>();
    for (const [name, socket] of Object.entries({ bobOnB, bobOnA, carolOnB })) socket.onClose((event: { code: number }) => void closed.set(name, event.code));

    a.command("disconnect user:bob");
    await until(() => closed.has("bobOnB") && closed.has("bobOnA"), "bob disconnected on both nodes");
    expect(closed.get("bobOnB")).toBe(1001);
    expect(closed.get("bobOnA")).toBe(1001);
    expect(closed.has("carolOnB")).toBe(false);
  });
});
