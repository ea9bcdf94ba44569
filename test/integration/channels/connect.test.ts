// The official phoenix client connecting to Fenix, over each transport: accepted and refused connections,
// connect params (nested ones included), and the authToken handshake.
import { beforeEach, describe, expect, it } from "vitest";
import { useTestEndpoint, connectSocket, createSocket, join, push, Recorder } from "../../support/phoenix-client.js";

const server = useTestEndpoint();
let authUrl: string;

beforeEach(async () => {
  authUrl = `${server.httpUrl.replace(/^http/, "ws")}/auth`;
});

describe("connecting with the official client", () => {
  it("opens a connection that the client reports as open", async () => {
    const socket = await connectSocket(server.socketUrl);

    expect(socket.isConnected()).toBe(true);
    expect(socket.connectionState()).toBe("open");
    expect(server.endpoint.connectionCount).toBe(1);
  });

  it("refuses a connection whose connect() says no: the client sees errors, never opens, and keeps retrying", async () => {
    const socket = createSocket(server.socketUrl, { params: { token: "bad" } });
    const errors = new Recorder<unknown>();
    const opens = new Recorder();
    socket.onError(errors.record);
    socket.onOpen(opens.record);
    socket.connect();

    // One error per attempt: three of them show the client retrying on its reconnect backoff.
    await errors.waitFor(3);
    expect(opens.count).toBe(0);
    expect(socket.isConnected()).toBe(false);
    expect(server.endpoint.connectionCount).toBe(0);
  });

  it("passes connect params to the socket, nested objects parsed back into nested params", async () => {
    const socket = await connectSocket(server.socketUrl, { params: { user: { id: 1, name: "ann" }, plain: "x y" } });
    const channel = socket.channel("echo:params");
    await join(channel);

    const reply = await push(channel, "connect_params");

    expect(reply).toEqual({
      status: "ok",
      response: { params: { user: { id: "1", name: "ann" }, plain: "x y", vsn: "2.0.0" } },
    });
  });

  it("names the connection from its params: the user param reaches the channel's assigns", async () => {
    const socket = await connectSocket(server.socketUrl, { params: { user: "alice" } });

    const reply = await join(socket.channel("echo:who"));

    expect(reply).toEqual({ status: "ok", response: { joined: "echo:who", user: "alice" } });
  });
});

describe("authToken", () => {
  it("connects with the right token passed as authToken", async () => {
    const socket = await connectSocket(authUrl, { authToken: "good-token" });

    expect(socket.isConnected()).toBe(true);
    expect(await join(socket.channel("echo:auth"))).toMatchObject({ status: "ok" });
  });

  it("refuses a wrong token: the client gets errors and never opens", async () => {
    const socket = createSocket(authUrl, { authToken: "bad" });
    const errors = new Recorder<unknown>();
    const opens = new Recorder();
    socket.onError(errors.record);
    socket.onOpen(opens.record);
    socket.connect();

    await errors.waitFor(2);
    expect(opens.count).toBe(0);
    expect(server.endpoint.connectionCount).toBe(0);
  });
});
