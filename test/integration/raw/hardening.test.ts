// Hardening over raw sockets: handshakes checked before the socket's connect runs, WebSocket pings count
// as activity, and callback results or payloads of the wrong shape are refused with typed errors.
import { connect as tcpConnect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  Channel,
  Endpoint,
  ok,
  ServerErrorCode,
  silentLogger,
  Socket,
  type ChannelRoute,
  type JsonObject,
} from "../../../src/index.js";
import { ClientErrors, closeRawResources, play, RawClient, serveRaw } from "../../support/raw-client.js";

afterEach(closeRawResources);

/** Answers joins with a response that is not a payload, and `socket_ref` pushes from outside handleIn. */
class OddChannel extends Channel {
  override join(_topic: string, payload: JsonObject) {
    // A function is no JSON value (any JSON value, an array say, is a valid response).
    if (payload.bad_response === true) return ok((() => 1) as unknown as JsonObject);
    this.send("socket_ref_outside");
    return ok();
  }
  override handleInfo(message: unknown) {
    if (message === "socket_ref_outside") {
      try {
        this.socketRef();
      } catch (err) {
        this.push("socket_ref_error", { code: (err as { code?: string }).code ?? "none" });
      }
    }
  }
}

let connects = 0;
class CountingSocket extends Socket {
  static override channels: readonly ChannelRoute[] = [["odd:*", OddChannel]];
  override connect() {
    connects++;
    return true;
  }
}

const endpoints: Endpoint[] = [];
afterEach(async () => {
  await Promise.all(endpoints.splice(0).map((e) => e.stop()));
});

async function oddEndpoint(): Promise<{ endpoint: Endpoint; websocketUrl: string }> {
  const endpoint = new Endpoint({ port: 0, host: "127.0.0.1", logger: silentLogger });
  endpoint.socket("/socket", CountingSocket);
  await endpoint.start();
  endpoints.push(endpoint);
  return { endpoint, websocketUrl: `${endpoint.url.replace(/^http/, "ws")}/socket/websocket` };
}

/** Sends a hand-written upgrade request and returns the status line of the answer. */
function rawUpgrade(url: string, headers: Record<string, string>): Promise<string> {
  const { hostname, port, pathname, search } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(Number(port), hostname, () => {
      const lines = [`GET ${pathname}${search} HTTP/1.1`, `Host: ${hostname}:${port}`, "Connection: Upgrade", "Upgrade: websocket"];
      for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
      socket.write(`${lines.join("\r\n")}\r\n\r\n`);
    });
    let answer = "";
    socket.on("data", (chunk) => (answer += chunk.toString("latin1")));
    socket.on("close", () => resolve(answer.split("\r\n", 1)[0] ?? ""));
    socket.on("error", reject);
    socket.setTimeout(3_000, () => socket.destroy(new Error("no answer")));
  });
}

describe("the upgrade", () => {
  it.each([
    ["no Sec-WebSocket-Key", { "Sec-WebSocket-Version": "13" }],
    ["a malformed Sec-WebSocket-Key", { "Sec-WebSocket-Key": "short", "Sec-WebSocket-Version": "13" }],
    ["an unknown Sec-WebSocket-Version", { "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "7" }],
  ])("answers 400 to %s without running the socket's connect", async (_name, headers) => {
    const { endpoint, websocketUrl } = await oddEndpoint();
    const errors: string[] = [];
    endpoint.on("clientError", (error) => errors.push(error.code));
    const before = connects;
    expect(await rawUpgrade(`${websocketUrl}?vsn=2.0.0`, headers)).toBe("HTTP/1.1 400 Bad Request");
    expect(connects).toBe(before);
    expect(errors).toEqual([ServerErrorCode.BAD_UPGRADE]);
  });
});

describe("activity", () => {
  it("counts WebSocket pings as activity for the idle timeout", async () => {
    const server = await serveRaw({}, { idleTimeoutMs: 200 });
    const errors = new ClientErrors(server);
    const pinging = await RawClient.connect(server.websocketUrl);
    const silent = await RawClient.connect(server.websocketUrl);
    const timer = setInterval(() => pinging.ping(), 50);
    try {
      expect((await silent.closed()).code).toBe(1001);
      expect((await errors.next()).error.code).toBe(ServerErrorCode.IDLE_TIMEOUT);
      await new Promise((resolve) => setTimeout(resolve, 250));
      expect(pinging.isOpen).toBe(true);
    } finally {
      clearInterval(timer);
    }
  });
});

describe("shapes", () => {
  it("answers a join whose ok() response is not a payload with join crashed", async () => {
    const { websocketUrl } = await oddEndpoint();
    const client = await RawClient.connect(websocketUrl);
    await play(
      client,
      `
      C→S ["1","1","odd:1","phx_join",{"bad_response":true}]
      S→C ["1","1","odd:1","phx_reply",{"status":"error","response":{"reason":"join crashed"}}]
      `,
    );
  });

  it("refuses socketRef() outside handleIn with FENIX_ERR_SERVER_NOT_IN_HANDLE_IN", async () => {
    const { websocketUrl } = await oddEndpoint();
    const client = await RawClient.connect(websocketUrl);
    await play(
      client,
      `
      C→S ["1","1","odd:1","phx_join",{}]
      S→C ["1","1","odd:1","phx_reply",{"status":"ok","response":{}}]
      S→C ["1",null,"odd:1","socket_ref_error",{"code":"FENIX_ERR_SERVER_NOT_IN_HANDLE_IN"}]
      `,
    );
  });

  it("refuses an endpoint broadcast whose payload is not a JSON object or bytes", async () => {
    const { endpoint } = await oddEndpoint();
    for (const payload of [[1, 2], "text", 42, null]) {
      expect(() => endpoint.broadcast("odd:1", "e", payload as unknown as JsonObject)).toThrow(
        expect.objectContaining({ code: ServerErrorCode.BAD_PAYLOAD }),
      );
    }
  });
});
