// maxConnectionsPerAddress: a client address gets that many open connections on a mount (WebSocket and
// LongPoll sessions together); one more is answered HTTP 429 before `connect` runs, and the slot comes back
// when a connection closes. Other addresses are not affected.
import WebSocket from "ws";
import { describe, expect, it } from "vitest";
import { Endpoint, ServerErrorCode, silentLogger } from "../../../src/index.js";
import { TestSocket } from "../../support/test-endpoint.js";
import { connectSocket, join } from "../../support/phoenix-client.js";
import { longpoll, openSession } from "../../support/longpoll-client.js";
import { connectUrl, refusedStatus } from "../../support/raw-client.js";
import { delay, recordClientErrors, serve } from "./serve.js";

const OTHER_ADDRESS = "127.0.0.2";

/** Opens a raw WebSocket from `localAddress` and resolves once it is open. */
function openFrom(websocketUrl: string, localAddress: string): Promise<WebSocket> {
  const ws = new WebSocket(connectUrl(websocketUrl), { localAddress, perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve(ws));
    ws.once("unexpected-response", (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
    ws.once("error", reject);
  });
}

/** Retries `attempt` every 20 ms until it resolves true (or 3 s pass). */
async function eventually(attempt: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 3_000;
  while (!(await attempt())) {
    if (Date.now() > deadline) throw new Error("the condition did not become true within 3 s");
    await delay(20);
  }
}

describe("maxConnectionsPerAddress over WebSocket", () => {
  it("answers the upgrade beyond the limit with HTTP 429, and accepts again once a connection closed", async () => {
    const server = await serve({ maxConnectionsPerAddress: 2 });
    const errors = recordClientErrors(server);
    const first = await connectSocket(server.socketUrl);
    const second = await connectSocket(server.socketUrl);
    expect((await join(second.channel("echo:ok"))).status).toBe("ok");

    expect(await refusedStatus(server.websocketUrl)).toBe(429);
    const refusal = errors.find((error) => error.code === ServerErrorCode.TOO_MANY_CONNECTIONS);
    expect(refusal).toMatchObject({ status: 429 });
    // The ones already open are untouched.
    expect(first.isConnected() && second.isConnected()).toBe(true);
    expect(server.endpoint.connectionCount).toBe(2);

    await new Promise<void>((resolve) => first.disconnect(resolve));
    await eventually(async () => {
      try {
        const ws = await openFrom(server.websocketUrl, "127.0.0.1");
        ws.terminate();
        return true;
      } catch {
        return false;
      }
    });
  });

  it("counts each address apart", async () => {
    const server = await serve({ maxConnectionsPerAddress: 1 });
    const local = await openFrom(server.websocketUrl, "127.0.0.1");
    expect(await refusedStatus(server.websocketUrl)).toBe(429);
    const other = await openFrom(server.websocketUrl, OTHER_ADDRESS);
    expect(other.readyState).toBe(WebSocket.OPEN);
    local.terminate();
    other.terminate();
  });

  it("gives the slot back when connect refuses the client", async () => {
    const server = await serve({ maxConnectionsPerAddress: 1 });
    expect(await refusedStatus(`${server.websocketUrl}`, { params: { token: "bad" } })).toBe(403);
    expect(await refusedStatus(`${server.websocketUrl}`, { params: { token: "bad" } })).toBe(403);
    const ws = await openFrom(server.websocketUrl, "127.0.0.1");
    ws.terminate();
  });
});

describe("maxConnectionsPerAddress over LongPoll", () => {
  it("answers a new session beyond the limit with HTTP 429, counting WebSocket connections too", async () => {
    const server = await serve({ maxConnectionsPerAddress: 2 });
    const errors = recordClientErrors(server);
    const base = server.socketUrl.replace(/^ws/, "http");
    await openSession(base);
    const ws = await openFrom(server.websocketUrl, "127.0.0.1");

    const refused = await longpoll(base);
    expect(refused.http).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(await refusedStatus(server.websocketUrl)).toBe(429);
    expect(errors.filter((error) => error.code === ServerErrorCode.TOO_MANY_CONNECTIONS)).toHaveLength(2);

    // Closing the WebSocket frees a slot for a session.
    ws.terminate();
    await eventually(async () => (await longpoll(base)).body?.status === 410);
  });
});

describe("option checks", () => {
  it("refuses bad limit options with FENIX_ERR_SERVER_BAD_OPTION", () => {
    const endpoint = new Endpoint({ port: 0, logger: silentLogger });
    const bad = [
      { maxConnectionsPerAddress: 0 },
      { maxTopicLength: -1 },
      { maxEventLength: 0 },
      { rateLimit: { messagesPerSec: -5 } },
      { rateLimit: { bytesPerSec: Number.POSITIVE_INFINITY } },
      { topicRateLimit: { messagesPerSec: 10, burst: 0 } },
    ];
    for (const [i, options] of bad.entries()) {
      expect(() => endpoint.socket(`/s${i}`, TestSocket, options)).toThrow(expect.objectContaining({ code: ServerErrorCode.BAD_OPTION }));
    }
  });
});
