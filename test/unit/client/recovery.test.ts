// History and recovery in fenix/client, against a scripted server speaking the history wire of protocol V2
// (./history-server.ts): positions in `ref`, `since` on rejoins, duplicates dropped, gaps recovered with
// `fenix_recover` (once, the missed messages delivered in order exactly once), `fenix_position` markers,
// epoch changes, `recovered: false` reported, and topics without history left as they were. The client's
// timers run on a VirtualClock; the network is real, so the tests wait for what arrives.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Socket, formatPosition, parsePosition, type Channel, type RecoverResult } from "../../../src/client/index.js";
import { VirtualClock } from "../../../src/index.js";
import { encodeServerBroadcast } from "../../../src/protocol/v2-binary.js";
import { HistoryServer, type Conn } from "./history-server.js";

const ROOM = "room:1";
const RECOVER = "fenix_recover";
const PLAIN = "plain:1";

let server: HistoryServer;
let clock: VirtualClock;
let sockets: Socket[];

beforeEach(async () => {
  server = await HistoryServer.start([ROOM]);
  clock = new VirtualClock();
  sockets = [];
});
afterEach(async () => {
  await Promise.all(sockets.map((socket) => socket.disconnect()));
  await server.close();
});

/** A socket on the virtual clock, connected; resolves with its server-side connection. */
async function connect(): Promise<{ socket: Socket; conn: Conn }> {
  const socket = new Socket(server.url, { clock, reconnectAfterMs: () => 100, rejoinAfterMs: () => 500, timeoutMs: 2_000 });
  sockets.push(socket);
  const n = server.conns.length + 1;
  socket.connect();
  const conn = await server.connections(n);
  return { socket, conn };
}

/** A channel that records the `n` of every `new_msg`, and every recover result. */
function watch(socket: Socket, topic = ROOM, params: Record<string, unknown> = { user: "ana" }): { ch: Channel; seen: unknown[]; results: RecoverResult[] } {
  const ch = socket.channel(topic, params as never);
  const seen: unknown[] = [];
  const results: RecoverResult[] = [];
  ch.on("new_msg", (payload) => seen.push((payload as { n: unknown }).n));
  ch.onRecover((result) => results.push(result));
  return { ch, seen, results };
}

/** A push and its reply: every frame the server sent before the reply has been handled once it resolves. */
async function sync(ch: Channel): Promise<void> {
  await ch.push("ping", {});
}

/** Drops the connection from the server side and lets the client reconnect (on the virtual clock). */
async function reconnect(socket: Socket, conn: Conn): Promise<Conn> {
  const closed = new Promise<void>((resolve) => {
    const off = socket.onClose(() => {
      off();
      resolve();
    });
  });
  const n = server.conns.length + 1;
  conn.ws.terminate();
  await closed;
  clock.advance(100);
  return server.connections(n);
}

const pos = (epoch: string, offset: number) => ({ epoch, offset });

describe("positions and rejoins", () => {
  it("tracks the position, sends since on a reconnect (not on the first join) and receives the missed messages once", async () => {
    const { socket, conn } = await connect();
    const { ch, seen, results } = watch(socket);
    expect(ch.position).toBeNull();
    expect(ch.recovered).toBeNull();
    const reply = await ch.join();
    expect(server.frames(conn, "phx_join")[0]![4]).toEqual({ user: "ana" });
    expect(reply).toEqual({ recovered: false, position: pos("e1", 0) });
    expect(results).toEqual([{ recovered: false, position: pos("e1", 0), reason: "rejoin" }]);
    expect(ch.position).toEqual(pos("e1", 0));
    expect(ch.recovered).toBe(false);

    for (let n = 1; n <= 3; n++) server.broadcast(ROOM, "new_msg", { n });
    await sync(ch);
    expect(seen).toEqual([1, 2, 3]);
    expect(ch.position).toEqual(pos("e1", 3));

    const rejoined = new Promise<void>((resolve) => {
      const off = ch.onJoin(() => {
        off();
        resolve();
      });
    });
    // Lost on the way to this client, then the connection drops.
    server.broadcast(ROOM, "new_msg", { n: 4 }, [conn]);
    server.broadcast(ROOM, "new_msg", { n: 5 }, [conn]);
    const conn2 = await reconnect(socket, conn);
    await rejoined;
    expect(server.frames(conn2, "phx_join")[0]![4]).toEqual({ user: "ana", since: "e1:3" });
    await sync(ch);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(ch.position).toEqual(pos("e1", 5));
    expect(ch.recovered).toBe(true);
    expect(results.at(-1)).toEqual({ recovered: true, position: pos("e1", 5), reason: "rejoin" });
    server.broadcast(ROOM, "new_msg", { n: 6 });
    await sync(ch);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("sends since after a phx_error, computed again with a params function", async () => {
    const { socket, conn } = await connect();
    let calls = 0;
    const ch = socket.channel(ROOM, () => ({ call: ++calls }));
    const seen: unknown[] = [];
    ch.on("new_msg", (payload) => seen.push((payload as { n: unknown }).n));
    await ch.join();
    server.broadcast(ROOM, "new_msg", { n: 1 });
    await sync(ch);
    const joinRef = conn.joins.get(ROOM)!;
    server.send(conn, [joinRef, joinRef, ROOM, "phx_error", {}]);
    await vi.waitFor(() => expect(ch.state).toBe("errored"));
    server.broadcast(ROOM, "new_msg", { n: 2 }); // still in flight from the crashed incarnation: it follows, so it counts
    await vi.waitFor(() => expect(seen).toEqual([1, 2]));
    clock.advance(500);
    await vi.waitFor(() => expect(ch.state).toBe("joined"));
    expect(server.frames(conn, "phx_join").map((frame) => frame[4])).toEqual([{ call: 1 }, { call: 2, since: "e1:2" }]);
    await sync(ch);
    expect(seen).toEqual([1, 2]);
  });

  it("sends the application's own since on the first join and resumes from it", async () => {
    for (let n = 1; n <= 4; n++) server.broadcast(ROOM, "new_msg", { n });
    const { socket, conn } = await connect();
    const { ch, seen, results } = watch(socket, ROOM, { since: "e1:2" });
    await ch.join();
    expect(server.frames(conn, "phx_join")[0]![4]).toEqual({ since: "e1:2" });
    await sync(ch);
    expect(seen).toEqual([3, 4]);
    expect(ch.position).toEqual(pos("e1", 4));
    expect(results).toEqual([{ recovered: true, position: pos("e1", 4), reason: "rejoin" }]);
  });

  it("keeps the position across leave() and join(), and leaves the application's reply keys as they are", async () => {
    server.joinReply = { history: ["hi"] };
    const { socket, conn } = await connect();
    const { ch, seen, results } = watch(socket);
    expect(await ch.join()).toEqual({ history: ["hi"], recovered: false, position: pos("e1", 0) });
    server.broadcast(ROOM, "new_msg", { n: 1 });
    await sync(ch);
    await ch.leave();
    server.broadcast(ROOM, "new_msg", { n: 2 });
    expect(await ch.join()).toEqual({ history: ["hi"], recovered: true, position: pos("e1", 2) });
    expect(server.frames(conn, "phx_join").map((frame) => frame[4])).toEqual([{ user: "ana" }, { user: "ana", since: "e1:1" }]);
    await sync(ch);
    expect(seen).toEqual([1, 2]);
    expect(results.map((result) => result.recovered)).toEqual([false, true]);
  });

  it("reports recovered:false when the gap is beyond the history, and adopts the server's position", async () => {
    const { socket, conn } = await connect();
    const { ch, seen, results } = watch(socket);
    await ch.join();
    server.broadcast(ROOM, "new_msg", { n: 1 });
    await sync(ch);
    for (let n = 2; n <= 10; n++) server.broadcast(ROOM, "new_msg", { n }, [conn]);
    server.trim(ROOM, 6); // 2..5 are gone
    const conn2 = await reconnect(socket, conn);
    await vi.waitFor(() => expect(results).toHaveLength(2));
    expect(server.frames(conn2, "phx_join")[0]![4]).toEqual({ user: "ana", since: "e1:1" });
    expect(results[1]).toEqual({ recovered: false, position: pos("e1", 10), reason: "rejoin" });
    expect(ch.recovered).toBe(false);
    expect(ch.position).toEqual(pos("e1", 10));
    // An old frame is a duplicate now; the next one follows.
    server.send(conn2, [null, "e1:7", ROOM, "new_msg", { n: 7 }]);
    server.broadcast(ROOM, "new_msg", { n: 11 });
    await sync(ch);
    expect(seen).toEqual([1, 11]);
    expect(server.frames(conn2, RECOVER)).toEqual([]);
  });
});

describe("delivery in offset order", () => {
  it("drops duplicates", async () => {
    const { socket, conn } = await connect();
    const { ch, seen } = watch(socket);
    await ch.join();
    for (const n of [1, 2, 2, 1, 3, 3]) server.send(conn, [null, `e1:${n}`, ROOM, "new_msg", { n }]);
    await sync(ch);
    expect(seen).toEqual([1, 2, 3]);
    expect(ch.position).toEqual(pos("e1", 3));
    expect(server.frames(conn, RECOVER)).toEqual([]);
  });

  it("recovers a gap with one fenix_recover and delivers the missed messages in order, exactly once", async () => {
    const { socket, conn } = await connect();
    const { ch, seen, results } = watch(socket);
    await ch.join();
    server.holdRecover = true;
    server.broadcast(ROOM, "new_msg", { n: 1 });
    server.broadcast(ROOM, "new_msg", { n: 2 }, [conn]); // lost for this client
    server.broadcast(ROOM, "new_msg", { n: 3 }, [conn]);
    server.broadcast(ROOM, "new_msg", { n: 4 }); // a gap: asks for what follows 1
    server.broadcast(ROOM, "new_msg", { n: 5 }); // still a gap: dropped, no second recovery
    await vi.waitFor(() => expect(server.frames(conn, RECOVER)).toHaveLength(1));
    const [recover] = server.frames(conn, RECOVER);
    expect(recover![4]).toEqual({ since: "e1:1" });
    expect(recover![0]).toBe(conn.joins.get(ROOM));
    // A message that follows the last one directly still goes through while the recovery is pending.
    server.send(conn, [null, "e1:2", ROOM, "new_msg", { n: 2 }]);
    await sync(ch);
    expect(seen).toEqual([1, 2]);
    expect(results).toHaveLength(1); // the join's
    server.answerRecover(conn, recover!); // ok, then 2..5 (2 is a duplicate now)
    server.broadcast(ROOM, "new_msg", { n: 6 });
    await sync(ch);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(ch.position).toEqual(pos("e1", 6));
    expect(ch.recovered).toBe(true);
    expect(results[1]).toEqual({ recovered: true, position: pos("e1", 5), reason: "gap" });
    expect(server.frames(conn, RECOVER)).toHaveLength(1);
  });

  it("advances on fenix_position markers without calling handlers", async () => {
    const { socket, conn } = await connect();
    const { ch, seen } = watch(socket);
    const markers: unknown[] = [];
    ch.on("fenix_position", (payload) => markers.push(payload));
    await ch.join();
    const joinRef = conn.joins.get(ROOM)!;
    server.send(conn, [null, "e1:1", ROOM, "new_msg", { n: 1 }]);
    server.send(conn, [joinRef, "e1:2", ROOM, "fenix_position", {}]); // a broadcast filtered out for this client
    server.send(conn, [joinRef, "e1:3", ROOM, "new_msg", { n: 3, rewritten: true }]); // handleOut's push
    server.send(conn, [null, "e1:4", ROOM, "new_msg", { n: 4 }]);
    await sync(ch);
    expect(seen).toEqual([1, 3, 4]);
    expect(markers).toEqual([]);
    expect(ch.position).toEqual(pos("e1", 4));
    expect(server.frames(conn, RECOVER)).toEqual([]);
  });

  it("recovers on an epoch change and reports recovered:false with the new position", async () => {
    const { socket, conn } = await connect();
    const { ch, seen, results } = watch(socket);
    await ch.join();
    server.broadcast(ROOM, "new_msg", { n: 1 });
    await sync(ch);
    server.newEpoch(ROOM, "e2");
    server.broadcast(ROOM, "new_msg", { n: 101 }); // e2:1
    await vi.waitFor(() => expect(results).toHaveLength(2));
    expect(server.frames(conn, RECOVER).map((frame) => frame[4])).toEqual([{ since: "e1:1" }]);
    expect(results[1]).toEqual({ recovered: false, position: pos("e2", 1), reason: "gap" });
    expect(ch.recovered).toBe(false);
    expect(ch.position).toEqual(pos("e2", 1));
    server.broadcast(ROOM, "new_msg", { n: 102 });
    await sync(ch);
    expect(seen).toEqual([1, 102]);
  });

  it("reports a recover reply with recovered:false and goes on from its position", async () => {
    const { socket, conn } = await connect();
    const { ch, seen, results } = watch(socket);
    await ch.join();
    server.holdRecover = true;
    server.broadcast(ROOM, "new_msg", { n: 1 });
    for (let n = 2; n <= 8; n++) server.broadcast(ROOM, "new_msg", { n }, [conn]);
    server.broadcast(ROOM, "new_msg", { n: 9 });
    await vi.waitFor(() => expect(server.frames(conn, RECOVER)).toHaveLength(1));
    const [recover] = server.frames(conn, RECOVER);
    server.trim(ROOM, 5);
    server.answerRecover(conn, recover!);
    server.broadcast(ROOM, "new_msg", { n: 10 });
    await sync(ch);
    expect(results[1]).toEqual({ recovered: false, position: pos("e1", 9), reason: "gap" });
    expect(seen).toEqual([1, 10]);
    expect(ch.position).toEqual(pos("e1", 10));
  });

  it("asks again after a recovery that got no reply in time, and never twice at once", async () => {
    const { socket, conn } = await connect();
    const { ch, seen } = watch(socket);
    await ch.join();
    server.holdRecover = true;
    server.broadcast(ROOM, "new_msg", { n: 1 });
    server.broadcast(ROOM, "new_msg", { n: 2 }, [conn]);
    server.broadcast(ROOM, "new_msg", { n: 3 });
    await vi.waitFor(() => expect(server.frames(conn, RECOVER)).toHaveLength(1));
    server.broadcast(ROOM, "new_msg", { n: 4 });
    await sync(ch);
    expect(server.frames(conn, RECOVER)).toHaveLength(1);
    clock.advance(2_000); // the first recovery is given up
    server.holdRecover = false;
    server.broadcast(ROOM, "new_msg", { n: 5 });
    await vi.waitFor(() => expect(server.frames(conn, RECOVER)).toHaveLength(2));
    await sync(ch);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    // A late reply to the first one changes nothing.
    server.answerRecover(conn, server.frames(conn, RECOVER)[0]!);
    await sync(ch);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });

  it("leaves the recovery to the rejoin when the connection drops while one is pending", async () => {
    const { socket, conn } = await connect();
    const { ch, seen } = watch(socket);
    await ch.join();
    server.holdRecover = true;
    server.broadcast(ROOM, "new_msg", { n: 1 });
    server.broadcast(ROOM, "new_msg", { n: 2 }, [conn]);
    server.broadcast(ROOM, "new_msg", { n: 3 });
    await vi.waitFor(() => expect(server.frames(conn, RECOVER)).toHaveLength(1));
    server.holdRecover = false;
    const conn2 = await reconnect(socket, conn);
    await vi.waitFor(() => expect(ch.state).toBe("joined"));
    expect(server.frames(conn2, "phx_join")[0]![4]).toEqual({ user: "ana", since: "e1:1" });
    await sync(ch);
    expect(seen).toEqual([1, 2, 3]);
    expect(server.frames(conn2, RECOVER)).toEqual([]);
  });

  it("does not ask for a recovery before the join reply: the join's since covers it", async () => {
    const { socket, conn } = await connect();
    const { ch, seen } = watch(socket);
    await ch.join();
    server.broadcast(ROOM, "new_msg", { n: 1 });
    await sync(ch);
    const joinRef = conn.joins.get(ROOM)!;
    server.send(conn, [joinRef, joinRef, ROOM, "phx_error", {}]);
    server.send(conn, [null, "e1:3", ROOM, "new_msg", { n: 3 }]); // in flight, after a gap, while errored
    await vi.waitFor(() => expect(ch.state).toBe("errored"));
    server.broadcast(ROOM, "new_msg", { n: 2 }, [conn]);
    server.broadcast(ROOM, "new_msg", { n: 3 }, [conn]);
    clock.advance(500);
    await vi.waitFor(() => expect(ch.state).toBe("joined"));
    await sync(ch);
    expect(seen).toEqual([1, 2, 3]);
    expect(server.frames(conn, RECOVER)).toEqual([]);
  });
});

describe("topics without history", () => {
  it("deliver every message as before: no position, no since, no dedupe, no onRecover", async () => {
    server.joinReply = { hello: "plain" };
    const { socket, conn } = await connect();
    const { ch, seen, results } = watch(socket, PLAIN);
    expect(await ch.join()).toEqual({ hello: "plain" });
    const joinRef = conn.joins.get(PLAIN)!;
    server.broadcast(PLAIN, "new_msg", { n: 1 });
    server.broadcast(PLAIN, "new_msg", { n: 1 });
    server.send(conn, [joinRef, null, PLAIN, "new_msg", { n: 2 }]); // a push
    server.send(conn, [null, "17", PLAIN, "new_msg", { n: 3 }]); // a ref that is no position
    const bytes = encodeServerBroadcast({ topic: PLAIN, event: "new_msg", payload: new Uint8Array([7]) });
    server.sendBinary(conn, bytes);
    await sync(ch);
    expect(seen).toEqual([1, 1, 2, 3, undefined]);
    expect(ch.position).toBeNull();
    expect(ch.recovered).toBeNull();
    expect(results).toEqual([]);
    const conn2 = await reconnect(socket, conn);
    await vi.waitFor(() => expect(ch.state).toBe("joined"));
    expect(server.frames(conn2, "phx_join")[0]![4]).toEqual({ user: "ana" });
    expect(results).toEqual([]);
  });

  it("deliver unpositioned messages on a history topic as they come (binary V2 frames carry no ref)", async () => {
    const { socket, conn } = await connect();
    const { ch, results } = watch(socket);
    const got: unknown[] = [];
    ch.on("blob", (payload) => got.push(payload));
    await ch.join();
    server.sendBinary(conn, encodeServerBroadcast({ topic: ROOM, event: "blob", payload: new Uint8Array([1, 2]) }));
    server.send(conn, [null, null, ROOM, "blob", { json: true }]);
    await sync(ch);
    expect(got).toEqual([new Uint8Array([1, 2]), { json: true }]);
    expect(ch.position).toEqual(pos("e1", 0));
    expect(results).toHaveLength(1);
  });
});

describe("position helpers", () => {
  it("are exported by fenix/client and round-trip the wire form", () => {
    expect(parsePosition("k3x9Qa_b:42")).toEqual(pos("k3x9Qa_b", 42));
    expect(formatPosition(pos("k3x9Qa_b", 42))).toBe("k3x9Qa_b:42");
  });
});
