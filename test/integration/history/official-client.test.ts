/**
 * The official `phoenix` client recovers through join params alone: it keeps the ref of the last
 * broadcast it saw (`channel.onMessage`) and sends it as `since` on every rejoin. While a publisher sends a
 * numbered sequence and the client's connection is dropped again and again, over WebSocket and LongPoll,
 * the client must end with exactly the sequence; after a gap beyond the history it is told `recovered: false`.
 */
import type { Channel, Socket } from "phoenix";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LONGPOLL, WEBSOCKET, type ClientTransport } from "../../support/client-transport.js";
import { closeAllClients, connectSocket, withTimeout } from "../../support/phoenix-client.js";
import { startHistoryEndpoint, type HistoryEndpoint } from "../../support/history-endpoint.js";

let server: HistoryEndpoint;

beforeEach(async () => {
  server = await startHistoryEndpoint();
});

afterEach(async () => {
  await closeAllClients();
  await server.stop();
});

/** A channel that sends its last position as `since` on each join, as docs/history.md shows. */
interface RecoveringChannel {
  readonly channel: Channel;
  readonly received: number[];
  readonly replies: { recovered: boolean }[];
}

function recoveringChannel(socket: Socket, topic: string): RecoveringChannel {
  let since: string | null = null;
  const channel = socket.channel(topic, () => (since === null ? {} : { since }));
  const received: number[] = [];
  const replies: { recovered: boolean }[] = [];
  const onMessage = channel.onMessage.bind(channel);
  channel.onMessage = (event, payload, ref) => {
    if (typeof ref === "string" && ref.includes(":") && event !== "phx_reply") since = ref;
    return onMessage(event, payload, ref);
  };
  channel.on("msg", (payload: { n: number }) => {
    received.push(payload.n);
  });
  channel.join().receive("ok", (reply: { recovered: boolean; position: { epoch: string; offset: number } }) => {
    replies.push(reply);
    since ??= `${reply.position.epoch}:${reply.position.offset}`;
  });
  return { channel, received, replies };
}

/** Resolves once `check` holds, polling every few ms. */
async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  await withTimeout(
    (async () => {
      while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
    })(),
    ms,
    what,
  );
}

/** Drops the client's connection the way a network failure does: the client reconnects by itself. */
function dropConnection(socket: Socket): void {
  (socket as unknown as { conn: { close(code?: number, reason?: string): void } | null }).conn?.close(4000, "dropped");
}

describe.each([WEBSOCKET, LONGPOLL])("the official client over $name", (transport: ClientTransport) => {
  it("ends with exactly the published sequence while its connection is dropped repeatedly", async () => {
    const socket = await connectSocket(server.socketUrl, transport.clientOptions);
    const client = recoveringChannel(socket, "seq:official");
    await until(() => client.replies.length === 1, "the first join");
    const total = 400;
    let sent = 0;
    const publisher = setInterval(() => {
      for (let i = 0; i < 4 && sent < total; i++) server.endpoint.broadcast("seq:official", "msg", { n: ++sent });
      if (sent === total) clearInterval(publisher);
    }, 3);
    let drops = 0;
    const dropper = setInterval(() => {
      if (sent === total) return clearInterval(dropper);
      dropConnection(socket);
      drops++;
    }, 60);
    await until(() => client.received.length >= total && sent === total, `all ${total} messages (got ${client.received.length})`, 20_000);
    clearInterval(dropper);
    expect(drops).toBeGreaterThanOrEqual(2);
    expect(client.replies.length).toBeGreaterThanOrEqual(2);
    expect(client.received).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(client.replies.slice(1).every((r) => r.recovered)).toBe(true);
  });

  it("is told recovered: false when it missed more than the history keeps", async () => {
    const socket = await connectSocket(server.socketUrl, transport.clientOptions);
    const client = recoveringChannel(socket, "feed:gap");
    await until(() => client.replies.length === 1, "the first join");
    socket.disconnect();
    for (let n = 1; n <= 60; n++) server.endpoint.broadcast("feed:gap", "msg", { n });
    socket.connect();
    await until(() => client.replies.length === 2, "the rejoin");
    expect(client.replies[1]).toMatchObject({ recovered: false, position: { offset: 60 } });
    expect(client.received).toEqual([]);
    server.endpoint.broadcast("feed:gap", "msg", { n: 61 });
    await until(() => client.received.length === 1, "the next live message");
    expect(client.received).toEqual([61]);
  });
});
