// One person per name in a chat room: a join under a name someone else uses in the room is refused with
// {reason: "name_taken", name}, while the tabs of one person (one `identity` join param) share their name.
// Clients that send no identity (the official page, scripts) share names with each other only. The rule
// is checked in the channel on one node (fenix/testing), across two nodes on a memory bus with the
// official client, and as pure code.
import type { Channel } from "phoenix";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Presence, PubSub, Runtime, VirtualClock, silentLogger, type JsonObject, type Presences } from "../../../src/index.js";
import { MemoryAdapter, MemoryBus } from "../../../src/pubsub/index.js";
import { channelTest, type ChannelTest, type TestJoinResult } from "../../../src/testing/index.js";
import { chatSocket } from "../../../examples/chat/chat-socket.js";
import { startChatServer, type ChatServer } from "../../../examples/chat/server.js";
import { foldName, nameTakenFrom, personOf } from "../../../examples/chat/room-names.js";
import { closeAllClients, connectSocket, join, type Reply } from "../../support/phoenix-client.js";

/** Identities as the page makes them: 16 random bytes in base64url. */
const ADA = "p8Yb3xk2Qm5VdJ0sW1nZeA";
const EVE = "Lq4rT9uEo7iW2yXcV6bN3g";

const joined = { status: "ok", response: expect.anything() };
const taken = (name: string) => ({ status: "error", response: { reason: "name_taken", name } });

/** The reply's status and response, as the tests compare them. */
const outcome = (result: TestJoinResult) => ({ status: result.status, response: result.response });

// The rule lives in the chat channel, so one node's tests drive the channel in process (fenix/testing),
// with the demo's own socket and presence, on a virtual clock; across nodes real sockets are used.
describe("names in a chat room", () => {
  let kit: ChannelTest;
  let presence: Presence;

  beforeAll(async () => {
    const pubsub = new PubSub({ runtime: new Runtime({ clock: new VirtualClock() }) });
    presence = new Presence(pubsub);
    kit = await channelTest(chatSocket(presence), { pubsub, children: [pubsub.childSpec(), presence.childSpec()] });
  });
  afterAll(() => kit?.stop());

  /** A channel of the room on its own connection: another tab, or another browser. */
  async function joinIn(room: string, params: { name: string; identity?: unknown }): Promise<TestJoinResult> {
    return (await kit.connect()).tryJoin(`room:${room}`, params as JsonObject);
  }

  it("let the tabs of one person share a name, and refuse it to anyone else", async () => {
    expect(outcome(await joinIn("names-1", { name: "ada", identity: ADA }))).toEqual(joined);
    expect(outcome(await joinIn("names-1", { name: "ada", identity: ADA }))).toEqual(joined);
    expect(outcome(await joinIn("names-1", { name: "ada", identity: EVE }))).toEqual(taken("ada"));
    expect(presence.get("room:names-1", "ada")?.metas).toHaveLength(2);
  });

  it("take names that read the same for one name", async () => {
    await joinIn("names-fold", { name: "Ada", identity: ADA });
    for (const name of ["ada", "ADA", " ada ", "ＡＤＡ"]) {
      expect(outcome(await joinIn("names-fold", { name, identity: EVE }))).toEqual(taken("Ada"));
    }
    // The person who holds it may use another spelling in another tab.
    expect(outcome(await joinIn("names-fold", { name: "ADA", identity: ADA }))).toEqual(joined);
  });

  it("are per room", async () => {
    await joinIn("names-room-a", { name: "ada", identity: ADA });
    expect(outcome(await joinIn("names-room-b", { name: "ada", identity: EVE }))).toEqual(joined);
  });

  it("free a name when its person's last tab leaves", async () => {
    const first = await joinIn("names-leave", { name: "ada", identity: ADA });
    const second = await joinIn("names-leave", { name: "ada", identity: ADA });
    if (first.status !== "ok" || second.status !== "ok") throw new Error("both tabs should have joined");
    await first.channel.leave();
    await kit.settle();
    expect(presence.get("room:names-leave", "ada")?.metas).toHaveLength(1);
    expect(outcome(await joinIn("names-leave", { name: "ada", identity: EVE }))).toEqual(taken("ada"));
    await second.channel.leave();
    await kit.settle();
    expect(presence.get("room:names-leave", "ada")).toBeUndefined();
    expect(outcome(await joinIn("names-leave", { name: "ada", identity: EVE }))).toEqual(joined);
  });

  it("let clients without an identity share a name with each other, never with a person who has one", async () => {
    expect(outcome(await joinIn("names-anon", { name: "phil" }))).toEqual(joined);
    expect(outcome(await joinIn("names-anon", { name: "phil" }))).toEqual(joined);
    expect(outcome(await joinIn("names-anon", { name: "phil", identity: ADA }))).toEqual(taken("phil"));
    await joinIn("names-anon", { name: "ada", identity: ADA });
    expect(outcome(await joinIn("names-anon", { name: "ada" }))).toEqual(taken("ada"));
  });

  it.each([
    ["an empty identity", ""],
    ["a short identity", "abc"],
    ["an identity with other characters", "p8Yb3xk2Qm5VdJ0s W1nZeA"],
    ["an identity that is not a string", 42],
  ])("refuse %s with {reason: \"invalid identity\"}", async (_what, identity) => {
    expect(outcome(await joinIn("names-bad", { name: "ada", identity }))).toEqual({ status: "error", response: { reason: "invalid identity" } });
  });

  it("show other clients a fingerprint of the identity, never the identity", async () => {
    const watcher = await (await kit.connect()).join("room:names-private", { name: "bob", identity: EVE });
    await joinIn("names-private", { name: "ada", identity: ADA });
    const seen = await watcher.assertPresence("ada");
    expect(seen.metas).toEqual([expect.objectContaining({ person: personOf(ADA) })]);
    expect(JSON.stringify(watcher.presence())).not.toContain(ADA);
  });

  it("give a free name to one person only, when several join with it at once", async () => {
    // Connected first, so that the joins reach the channel processes together.
    const sockets = await Promise.all(Array.from({ length: 6 }, () => kit.connect()));
    const replies = await Promise.all(sockets.map((socket, i) => socket.tryJoin("room:names-race", { name: "ada", identity: `racer-${i}-identity-0000` })));
    expect(replies.filter((reply) => reply.status === "ok")).toHaveLength(1);
    expect(replies.filter((reply) => reply.status === "error").map((reply) => reply.response)).toEqual(Array(5).fill({ reason: "name_taken", name: "ada" }));
  });
});

/** A channel of the room on its own connection to a node, with the official client. */
async function joinAs(socketUrl: string, room: string, params: { name: string; identity?: unknown }): Promise<{ channel: Channel; reply: Reply }> {
  const channel = (await connectSocket(socketUrl)).channel(`room:${room}`, params);
  const reply = await join(channel);
  // The official client retries a refused join forever; stop it, so it cannot take the name later.
  if (reply.status !== "ok") channel.leave();
  return { channel, reply };
}

describe("names across nodes", () => {
  const bus = new MemoryBus();
  const nodes: ChatServer[] = [];
  const socketUrl = (node: ChatServer) => `${node.url.replace(/^http/, "ws")}/socket`;

  beforeAll(async () => {
    for (const nodeName of ["names-a", "names-b"]) {
      nodes.push(
        await startChatServer({
          port: 0,
          host: "127.0.0.1",
          logger: silentLogger,
          nodeName,
          adapter: new MemoryAdapter(bus),
          presence: { broadcastPeriodMs: 20 },
        }),
      );
    }
  });
  afterAll(async () => {
    await closeAllClients();
    await Promise.all(nodes.map((node) => node.stop()));
  });

  it("refuse a name held on another node once the nodes have merged, and let its person in there", async () => {
    const [a, b] = nodes as [ChatServer, ChatServer];
    expect((await joinAs(socketUrl(a), "across", { name: "ada", identity: ADA })).reply).toEqual(joined);
    await expect.poll(() => b.presence.get("room:across", "ada")).toBeDefined();
    expect((await joinAs(socketUrl(b), "across", { name: "ada", identity: EVE })).reply).toEqual(taken("ada"));
    expect((await joinAs(socketUrl(b), "across", { name: "ADA" })).reply).toEqual(taken("ada"));
    expect((await joinAs(socketUrl(b), "across", { name: "ada", identity: ADA })).reply).toEqual(joined);
    await expect.poll(() => a.presence.get("room:across", "ada")?.metas.map((m) => m.node).sort()).toEqual(["names-a", "names-b"]);
  });
});

describe("the name rule", () => {
  const meta = (person?: string) => ({ phx_ref: "r", ...(person === undefined ? {} : { person }) });
  const room = (entries: Record<string, (string | undefined)[]>): Presences =>
    Object.fromEntries(Object.entries(entries).map(([name, people]) => [name, { metas: people.map(meta) }]));

  it.each([
    ["an empty room", {}, "ada", "p1", undefined],
    ["a name only this person uses", { ada: ["p1", "p1"] }, "ada", "p1", undefined],
    ["a name someone else uses", { ada: ["p2"] }, "ada", "p1", "ada"],
    ["a name someone else also uses (a race across nodes)", { ada: ["p1", "p2"] }, "ada", "p1", "ada"],
    ["a name that reads the same", { Ada: ["p2"] }, "ada", "p1", "Ada"],
    ["another name", { bob: ["p2"] }, "ada", "p1", undefined],
    ["a name clients without identity use, for one without", { phil: [undefined] }, "phil", null, undefined],
    ["a name clients without identity use, for a person", { phil: [undefined] }, "phil", "p1", "phil"],
    ["a person's name, for a client without identity", { ada: ["p1"] }, "ada", null, "ada"],
  ] as const)("nameTakenFrom: %s", (_what, entries, name, person, expected) => {
    expect(nameTakenFrom(room(entries as Record<string, (string | undefined)[]>), name, person)).toBe(expected);
  });

  it("fingerprints an identity the same way every time, differently for each identity", () => {
    expect(personOf(ADA)).toBe(personOf(ADA));
    expect(personOf(ADA)).not.toBe(personOf(EVE));
    expect(personOf(ADA)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(personOf(undefined)).toBeNull();
    expect(personOf(null)).toBeNull();
    expect(personOf("x".repeat(65))).toBeUndefined();
  });

  it("folds case and compatibility forms, not accents", () => {
    expect(foldName("ＡＤＡ")).toBe(foldName("ada"));
    expect(foldName("Zoë")).not.toBe(foldName("Zoe"));
  });
});
