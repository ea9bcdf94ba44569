/**
 * The official `phoenix` client recovers through join params alone: it keeps the ref of the last
 * broadcast it saw (`channel.onMessage`) and sends it as `since` on every rejoin. While a publisher sends a
 * numbered sequence and the client's connection is dropped again and again, over WebSocket and LongPoll,
 * the client must end with exactly the sequence; after a gap beyond the history it is told `recovered: false`.
 */
import type { Socket } from "phoenix";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LONGPOLL, WEBSOCKET, type ClientTransport } from "../../support/client-transport.js";
import { closeAllClients, connectSocket } from "../../support/phoenix-client.js";
import { followOfficial, publish, sequence, until } from "../../support/history-clients.js";
import { startHistoryEndpoint, type HistoryEndpoint } from "../../support/history-endpoint.js";

let server: HistoryEndpoint;

beforeEach(async () => {
  server = await startHistoryEndpoint();
});

afterEach(async () => {
  await closeAllClients();
  await server.stop();
});

/** Drops the client's connection the way a network failure does: the client reconnects by itself. */
function dropConnection(socket: Socket): void {
  (socket as unknown as { conn: { close(code?: number, reason?: string): void } | null }).conn?.close(4000, "dropped");
}

describe.each([WEBSOCKET, LONGPOLL])("the official client over $name", (transport: ClientTransport) => {
  it("ends with exactly the published sequence while its connection is dropped repeatedly", async () => {
    const socket = await connectSocket(server.socketUrl, transport.clientOptions);
    const client = followOfficial(socket, "seq:official");
    await until(() => client.replies.length === 1, () => "the first join");
    const total = 400;
    const publisher = publish((n) => server.endpoint.broadcast("seq:official", "msg", { n }), total);
    let drops = 0;
    const dropper = setInterval(() => {
      dropConnection(socket);
      drops++;
    }, 60);
    await publisher.done;
    clearInterval(dropper);
    await until(() => client.received.length >= total, () => `all ${total} messages (got ${client.received.length})`);
    expect(drops).toBeGreaterThanOrEqual(2);
    expect(client.replies.length).toBeGreaterThanOrEqual(2);
    expect(client.received).toEqual(sequence(total));
    expect(client.replies.slice(1).every((r) => r.recovered)).toBe(true);
  });

  it("is told recovered: false when it missed more than the history keeps", async () => {
    const socket = await connectSocket(server.socketUrl, transport.clientOptions);
    const client = followOfficial(socket, "feed:gap");
    await until(() => client.replies.length === 1, () => "the first join");
    socket.disconnect();
    for (let n = 1; n <= 60; n++) server.endpoint.broadcast("feed:gap", "msg", { n });
    socket.connect();
    await until(() => client.replies.length === 2, () => "the rejoin");
    expect(client.replies[1]).toMatchObject({ recovered: false, position: { offset: 60 } });
    expect(client.received).toEqual([]);
    server.endpoint.broadcast("feed:gap", "msg", { n: 61 });
    await until(() => client.received.length === 1, () => "the next live message");
    expect(client.received).toEqual([61]);
  });
});
