// One person per name in a chat room: a join under a name someone else uses in the room is refused with
// {reason: "name_taken", name}, while the tabs of one person (one `identity` join param) share their name.
// Clients that send no identity (the official page, scripts) share names with each other only. The rule
// is checked over one node with the official client, across two nodes on a memory bus, and as pure code.
import type { Channel } from "phoenix";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryAdapter, MemoryBus, silentLogger, type Presences } from "../../../src/index.js";
import { startChatServer, type ChatServer } from "../../../examples/chat/server.js";
import { foldName, nameTakenFrom, personOf } from "../../../examples/chat/room-names.js";
import { useChatServer } from "../../support/chat-server.js";
import { closeAllClients, connectSocket, join, type Reply } from "../../support/phoenix-client.js";

const chat = useChatServer();

/** Identities as the page makes them: 16 random bytes in base64url. */
const ADA = "p8Yb3xk2Qm5VdJ0sW1nZeA";
const EVE = "Lq4rT9uEo7iW2yXcV6bN3g";

/** A channel of the room on its own connection: another tab, or another browser. */
async function joinAs(socketUrl: string, room: string, params: { name: string; identity?: unknown }): Promise<{ channel: Channel; reply: Reply }> {
  const channel = (await connectSocket(socketUrl)).channel(`room:${room}`, params);
  const reply = await join(channel);
  // The official client retries a refused join forever; stop it, so it cannot take the name later.
  if (reply.status !== "ok") channel.leave();
  return { channel, reply };
}

const joined = { status: "ok", response: expect.anything() };
const taken = (name: string) => ({ status: "error", response: { reason: "name_taken", name } });

describe("names in a chat room", () => {
  it("let the tabs of one person share a name, and refuse it to anyone else", async () => {
    expect((await joinAs(chat.socketUrl, "names-1", { name: "ada", identity: ADA })).reply).toEqual(joined);
    expect((await joinAs(chat.socketUrl, "names-1", { name: "ada", identity: ADA })).reply).toEqual(joined);
    expect((await joinAs(chat.socketUrl, "names-1", { name: "ada", identity: EVE })).reply).toEqual(taken("ada"));
    expect(chat.server.presence.get("room:names-1", "ada")?.metas).toHaveLength(2);
  });

  it("take names that read the same for one name", async () => {
    await joinAs(chat.socketUrl, "names-fold", { name: "Ada", identity: ADA });
    for (const name of ["ada", "ADA", " ada ", "ＡＤＡ"]) {
      expect((await joinAs(chat.socketUrl, "names-fold", { name, identity: EVE })).reply).toEqual(taken("Ada"));
    }
    // The person who holds it may use another spelling in another tab.
    expect((await joinAs(chat.socketUrl, "names-fold", { name: "ADA", identity: ADA })).reply).toEqual(joined);
  });

  it("are per room", async () => {
    await joinAs(chat.socketUrl, "names-room-a", { name: "ada", identity: ADA });
    expect((await joinAs(chat.socketUrl, "names-room-b", { name: "ada", identity: EVE })).reply).toEqual(joined);
  });

  it("free a name when its person's last tab leaves", async () => {
    const first = await joinAs(chat.socketUrl, "names-leave", { name: "ada", identity: ADA });
    const second = await joinAs(chat.socketUrl, "names-leave", { name: "ada", identity: ADA });
    first.channel.leave();
    await expect.poll(() => chat.server.presence.get("room:names-leave", "ada")?.metas.length).toBe(1);
    expect((await joinAs(chat.socketUrl, "names-leave", { name: "ada", identity: EVE })).reply).toEqual(taken("ada"));
    second.channel.leave();
    await expect.poll(() => chat.server.presence.get("room:names-leave", "ada")).toBeUndefined();
    expect((await joinAs(chat.socketUrl, "names-leave", { name: "ada", identity: EVE })).reply).toEqual(joined);
  });

  it("let clients without an identity share a name with each other, never with a person who has one", async () => {
    expect((await joinAs(chat.socketUrl, "names-anon", { name: "phil" })).reply).toEqual(joined);
    expect((await joinAs(chat.socketUrl, "names-anon", { name: "phil" })).reply).toEqual(joined);
    expect((await joinAs(chat.socketUrl, "names-anon", { name: "phil", identity: ADA })).reply).toEqual(taken("phil"));
    await joinAs(chat.socketUrl, "names-anon", { name: "ada", identity: ADA });
    expect((await joinAs(chat.socketUrl, "names-anon", { name: "ada" })).reply).toEqual(taken("ada"));
  });

  it.each([
    ["an empty identity", ""],
    ["a short identity", "abc"],
    ["an identity with other characters", "p8Yb3xk2Qm5VdJ0s W1nZeA"],
    ["an identity that is not a string", 42],
  ])("refuse %s with {reason: \"invalid identity\"}", async (_what, identity) => {
    expect((await joinAs(chat.socketUrl, "names-bad", { name: "ada", identity })).reply).toEqual({ status: "error", response: { reason: "invalid identity" } });
  });

  it("show other clients a fingerprint of the identity, never the identity", async () => {
    await joinAs(chat.socketUrl, "names-private", { name: "ada", identity: ADA });
    const presences = chat.server.presence.list("room:names-private");
    expect(presences.ada?.metas).toEqual([expect.objectContaining({ person: personOf(ADA) })]);
    expect(JSON.stringify(presences)).not.toContain(ADA);
  });

  it("give a free name to one person only, when several join with it at once", async () => {
    // Connected first, so that the joins reach the node together.
    const sockets = await Promise.all(Array.from({ length: 6 }, () => connectSocket(chat.socketUrl)));
    const channels = sockets.map((socket, i) => socket.channel("room:names-race", { name: "ada", identity: `racer-${i}-identity-0000` }));
    const replies = await Promise.all(channels.map((channel) => join(channel)));
    for (const [i, reply] of replies.entries()) if (reply.status !== "ok") channels[i]!.leave();
    expect(replies.filter((reply) => reply.status === "ok")).toHaveLength(1);
    expect(replies.filter((reply) => reply.status === "error").map((reply) => reply.response)).toEqual(Array(5).fill({ reason: "name_taken", name: "ada" }));
  });
});

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
          historySyncMs: 50,
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
