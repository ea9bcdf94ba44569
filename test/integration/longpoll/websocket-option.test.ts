// The `websocket` socket option: LongPoll-only mounts, a per-request predicate that refuses chosen
// upgrades with 404, and the official client falling back from a refused WebSocket to LongPoll by itself.
import { afterEach, describe, expect, it } from "vitest";
import { LongPoll, type Socket } from "phoenix";
import WebSocket from "ws";
import { Endpoint, ServerErrorCode, silentLogger } from "../../../src/index.js";
import { closeAllClients, connectSocket, createSocket, join, push, recordEvent, Recorder } from "../../support/phoenix-client.js";
import { refusedStatus } from "../../support/raw-client.js";
import { startTestEndpoint, TestSocket, type TestEndpoint } from "../../support/test-endpoint.js";
import { openSession } from "../../support/longpoll-client.js";

const servers: TestEndpoint[] = [];
afterEach(async () => {
  await closeAllClients();
  for (const server of servers.splice(0)) await server.stop();
});

/** The transport class a socket uses now (public on the client, missing from its published types). */
const transportOf = (socket: Socket): unknown => (socket as unknown as { transport: unknown }).transport;

/** Refuses the upgrade of clients whose connect params carry `refuse_ws=1`. */
const refuseFlagged = (request: { url?: string }) => !/[?&]refuse_ws=1(&|$)/.test(request.url ?? "");

async function serve(websocket: boolean | ((request: { url?: string }) => boolean)): Promise<TestEndpoint> {
  const server = await startTestEndpoint({}, { longpoll: { windowMs: 200 }, websocket });
  servers.push(server);
  return server;
}

describe("the websocket socket option", () => {
  it("false serves LongPoll only: upgrades get 404, LongPoll sessions open", async () => {
    const server = await serve(false);
    expect(await refusedStatus(server.websocketUrl)).toBe(404);
    expect(await openSession(`${server.httpUrl}/socket`)).toEqual(expect.any(String));
    const plain = await fetch(`${server.httpUrl}/socket/websocket`);
    expect(plain.status).toBe(404);
    await plain.text();
  });

  it("a function refuses the upgrades it picks with 404 and accepts the others", async () => {
    const server = await serve(refuseFlagged);
    expect(await refusedStatus(server.websocketUrl, { params: { refuse_ws: "1" } })).toBe(404);
    const socket = await connectSocket(server.socketUrl, { transport: WebSocket, params: { refuse_ws: "0" } });
    expect(await join(socket.channel("echo:ws"))).toMatchObject({ status: "ok" });
  });

  it("lets the official client fall back to LongPoll when its upgrade is refused, and chat with a WebSocket client", async () => {
    const server = await serve(refuseFlagged);
    const fallback = createSocket(server.socketUrl, {
      transport: WebSocket,
      longPollFallbackMs: 2_000,
      params: { refuse_ws: "1", user: "lp" },
    });
    const errors = new Recorder<unknown>();
    const opens = new Recorder();
    fallback.onError(errors.record);
    fallback.onOpen(opens.record);
    fallback.connect();
    // The refused upgrade is the one error; the client switches transports at once, not after 2 s.
    await opens.waitFor(1, 1_500);
    expect(errors.count).toBe(1);
    expect(transportOf(fallback)).toBe(LongPoll);
    const direct = await connectSocket(server.socketUrl, { transport: WebSocket, params: { user: "ws" } });
    expect(transportOf(direct)).toBe(WebSocket);

    const lpChannel = fallback.channel("echo:fallback");
    const wsChannel = direct.channel("echo:fallback");
    const lpNews = recordEvent(lpChannel, "news");
    const wsNews = recordEvent(wsChannel, "news");
    await join(lpChannel);
    await join(wsChannel);
    await push(lpChannel, "broadcast", { event: "news", payload: { from: "lp" } });
    await push(wsChannel, "broadcast", { event: "news", payload: { from: "ws" } });
    const expected = [{ from: "lp" }, { from: "ws" }];
    expect(await lpNews.waitFor(2)).toEqual(expected);
    expect(await wsNews.waitFor(2)).toEqual(expected);
  });

  it("refuses a mount with neither transport, and a websocket option of the wrong type", () => {
    const endpoint = new Endpoint({ logger: silentLogger });
    expect(() => endpoint.socket("/none", TestSocket, { websocket: false })).toThrow(
      expect.objectContaining({ code: ServerErrorCode.BAD_OPTION }) as Error,
    );
    expect(() => endpoint.socket("/odd", TestSocket, { websocket: "yes" as unknown as boolean })).toThrow(
      expect.objectContaining({ code: ServerErrorCode.BAD_OPTION }) as Error,
    );
  });
});
