// Forced disconnects by socket id with the official phoenix client, over each transport: every connection
// with the id is closed (1001 over WebSocket, 3410 session_gone over LongPoll), reconnects and rejoins by
// itself; connections with another id are untouched.
import { describe, expect, it } from "vitest";
import type { Channel, Socket } from "phoenix";
import { clientTransport } from "../../support/client-transport.js";
import { useTestEndpoint, connectSocket, join, ping, push, Recorder } from "../../support/phoenix-client.js";

const server = useTestEndpoint();

interface User {
  readonly socket: Socket;
  readonly channel: Channel;
  readonly joins: Recorder<unknown>;
  readonly opens: Recorder;
  readonly closes: Recorder<CloseEvent>;
}

/** Connects as `user` (socket id `user_socket:<user>`), joins `topic`, and records joins, opens and closes. */
async function connectAs(user: string, topic: string): Promise<User> {
  const socket = await connectSocket(server.socketUrl, { params: { user } });
  const channel = socket.channel(topic);
  const watched = { socket, channel, joins: new Recorder<unknown>(), opens: new Recorder(), closes: new Recorder<CloseEvent>() };
  socket.onOpen(watched.opens.record);
  socket.onClose(watched.closes.record);
  channel.join().receive("ok", watched.joins.record);
  await watched.joins.waitFor(1);
  return watched;
}

/** Waits until the user's connection was closed as a forced disconnect, opened again, and its channel rejoined. */
async function expectReconnectedAndRejoined(user: User): Promise<void> {
  const [close] = await user.closes.waitFor(1);
  expect(close?.code).toBe(clientTransport.forcedDisconnectCloseCode);
  await user.opens.waitFor(1);
  await user.joins.waitFor(2);
  expect(user.channel.state).toBe("joined");
  expect(await push(user.channel, "ping", { back: true })).toEqual({ status: "ok", response: { back: true } });
}

describe("forced disconnect by socket id", () => {
  it("closes every connection of the id with endpoint.disconnect; they reconnect and rejoin, others are unaffected", async () => {
    const aliceTab1 = await connectAs("alice", "echo:a1");
    const aliceTab2 = await connectAs("alice", "echo:a2");
    const bob = await connectAs("bob", "echo:b");

    server.endpoint.disconnect("user_socket:alice");

    await expectReconnectedAndRejoined(aliceTab1);
    await expectReconnectedAndRejoined(aliceTab2);
    await ping(bob.socket);
    expect(bob.closes.count).toBe(0);
    expect(bob.joins.count).toBe(1);
    expect(await push(bob.channel, "ping", {})).toMatchObject({ status: "ok" });
  });

  it("closes the connection when a channel broadcasts disconnect on its own socket id (disconnect_me)", async () => {
    const alice = await connectAs("alice", "echo:self");
    const bob = await connectAs("bob", "echo:self");

    void push(alice.channel, "disconnect_me", { id: "user_socket:alice" }, { timeout: 200 });

    await expectReconnectedAndRejoined(alice);
    await ping(bob.socket);
    expect(bob.closes.count).toBe(0);
  });

  it("lets a client without a socket id through a disconnect of some id", async () => {
    const anonymous = await connectSocket(server.socketUrl);
    const closes = new Recorder<CloseEvent>();
    anonymous.onClose(closes.record);
    const alice = await connectAs("alice", "echo:x");
    const channel = anonymous.channel("echo:x");
    await join(channel);

    server.endpoint.disconnect("user_socket:alice");

    await expectReconnectedAndRejoined(alice);
    await ping(anonymous);
    expect(closes.count).toBe(0);
  });
});
