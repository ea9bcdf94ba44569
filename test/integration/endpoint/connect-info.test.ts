// What a socket's connect(params, info) learns of a real connection, over WebSocket and LongPoll, and
// that a connect that answers at once or later (a promise) both open the connection.
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { Endpoint, silentLogger, Socket, type ConnectInfo, type Params } from "../../../src/index.js";

const seen: { params: Params; info: ConnectInfo; json: unknown }[] = [];

class InfoSocket extends Socket {
  override connect(params: Params, info: ConnectInfo) {
    seen.push({ params, info, json: JSON.parse(JSON.stringify(info)) });
    return params.wait === "yes" ? new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 20)) : true;
  }
}

let endpoint: Endpoint | null = null;

async function start(): Promise<{ ws: string; http: string }> {
  endpoint = new Endpoint({ port: 0, host: "127.0.0.1", logger: silentLogger, checkOrigin: false });
  endpoint.socket("/socket", InfoSocket, { longpoll: true, authToken: true });
  await endpoint.start();
  return { ws: `${endpoint.url.replace(/^http/, "ws")}/socket/websocket`, http: `${endpoint.url}/socket/longpoll` };
}

afterEach(async () => {
  seen.length = 0;
  await endpoint?.stop();
  endpoint = null;
});

function open(url: string, headers: Record<string, string>, protocols?: string[]): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { headers });
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

describe("ConnectInfo", () => {
  it.each([
    ["answered at once", "no"],
    ["answered by a promise", "yes"],
  ])("tells a WebSocket connect its peer, URI, user agent, x- headers and auth token (connect %s)", async (_name, wait) => {
    const urls = await start();
    const token = Buffer.from("secret-token").toString("base64url");
    const ws = await open(
      `${urls.ws}?vsn=2.0.0&wait=${wait}&room=a+b`,
      { "user-agent": "info-test/1", "x-forwarded-for": "203.0.113.7", "x-request-id": "r1", cookie: "s=1" },
      ["phoenix", `base64url.bearer.phx.${token}`],
    );
    expect(endpoint!.connectionCount).toBe(1);
    const { params, info, json } = seen[0]!;
    expect(params).toMatchObject({ vsn: "2.0.0", wait, room: "a b" });
    expect(info.transport).toBe("websocket");
    expect(info.peer.address).toBe((ws as unknown as { _socket: { localAddress: string } })._socket.localAddress);
    expect(info.peer.port).toBe((ws as unknown as { _socket: { localPort: number } })._socket.localPort);
    expect(info.uri.pathname).toBe("/socket/websocket");
    expect(info.uri.searchParams.get("room")).toBe("a b");
    expect(info.uri.host).toBe(new URL(urls.ws).host);
    expect(info.userAgent).toBe("info-test/1");
    expect(info.xHeaders).toEqual({ "x-forwarded-for": "203.0.113.7", "x-request-id": "r1" });
    expect(info.authToken).toBe("secret-token");
    // Serialized (a log line, say), it shows the same fields.
    expect(json).toEqual({
      peer: { address: info.peer.address, port: info.peer.port },
      uri: info.uri.href,
      userAgent: "info-test/1",
      xHeaders: { "x-forwarded-for": "203.0.113.7", "x-request-id": "r1" },
      authToken: "secret-token",
      transport: "websocket",
    });
    ws.close();
  });

  it("reads the same fields after the connection closed", async () => {
    const urls = await start();
    const ws = await open(`${urls.ws}?vsn=2.0.0`, { "x-trace": "t" });
    const port = (ws as unknown as { _socket: { localPort: number } })._socket.localPort;
    ws.close();
    await new Promise((resolve) => ws.once("close", resolve));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const { info } = seen[0]!;
    expect(info.peer).toEqual({ address: "127.0.0.1", port });
    expect(info.xHeaders).toEqual({ "x-trace": "t" });
    expect(info.uri.searchParams.get("vsn")).toBe("2.0.0");
  });

  it("tells a LongPoll connect its transport, headers and token", async () => {
    const urls = await start();
    const response = await fetch(`${urls.http}?vsn=2.0.0&x=1`, {
      headers: { "user-agent": "poller/2", "x-phoenix-authtoken": "lp-token", "x-custom": "c" },
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { status: number }).status).toBe(410);
    const { params, info } = seen[0]!;
    expect(params).toMatchObject({ vsn: "2.0.0", x: "1" });
    expect(info.transport).toBe("longpoll");
    expect(info.peer.address).toBe("127.0.0.1");
    expect(info.userAgent).toBe("poller/2");
    expect(info.authToken).toBe("lp-token");
    expect(info.xHeaders).toMatchObject({ "x-custom": "c", "x-phoenix-authtoken": "lp-token" });
    expect(info.uri.pathname).toBe("/socket/longpoll");
  });
});
