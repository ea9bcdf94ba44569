// A connection the server refuses with a reason (`refuse("token expired")`), as fenix/client sees it over
// WebSocket and LongPoll: one CONNECT_REFUSED error with the reason (not a transport failure), joins that
// fail at once with it instead of timing out, no reconnect — or a slower backoff when configured — and a
// plain refusal (`false`) still reported as a transport failure, retried as before.
import { afterEach, describe, expect, it } from "vitest";
import { Endpoint, refuse, silentLogger, Socket as ServerSocket, Channel, ok, type ChannelRoute, type Params } from "../../../src/index.js";
import { ClientErrorCode, longPollTransport, type ClientError, type SocketOptions } from "../../../src/client/index.js";
import { channel, clock, createSocket, nextOpen, Recorder, until, useClientCleanup } from "./helpers.js";

class Room extends Channel {
  override join() {
    return ok();
  }
}

let attempts = 0;
let accept = false;

class GateSocket extends ServerSocket {
  static override channels: readonly ChannelRoute[] = [["room:*", Room]];
  override connect(params: Params) {
    attempts++;
    if (accept) return true;
    return params.token === "plain" ? false : refuse("token expired");
  }
}

const endpoints: Endpoint[] = [];
useClientCleanup();
afterEach(async () => {
  await Promise.all(endpoints.splice(0).map((e) => e.stop()));
  attempts = 0;
  accept = false;
});

async function start(): Promise<string> {
  const endpoint = new Endpoint({ port: 0, host: "127.0.0.1", logger: silentLogger });
  endpoint.socket("/socket", GateSocket, { longpoll: true });
  await endpoint.start();
  endpoints.push(endpoint);
  return `${endpoint.url.replace(/^http/, "ws")}/socket`;
}

function refusedSocket(url: string, options: SocketOptions = {}) {
  const socket = createSocket(url, { params: { token: "expired" }, ...options });
  const errors = new Recorder<ClientError>();
  socket.onError(errors.record);
  return { socket, errors };
}

describe.each([
  ["WebSocket", {}],
  ["LongPoll", { transport: longPollTransport }],
] as const)("a connection refused with a reason, over %s", (_name, transport) => {
  it("is reported once as CONNECT_REFUSED with the reason, fails the waiting join at once, and stops reconnecting", async () => {
    const url = await start();
    const { socket, errors } = refusedSocket(url, transport);
    const room = channel(socket, "room:1");
    const joined = room.join();
    socket.connect();

    const error = await joined.then(
      () => null,
      (e: ClientError) => e,
    );
    expect(error?.code).toBe(ClientErrorCode.CONNECT_REFUSED);
    expect(error?.response).toEqual({ reason: "token expired" });
    expect(error?.topic).toBe("room:1");
    await errors.waitFor(1);
    expect(errors.values.map((e) => e.code)).toEqual([ClientErrorCode.CONNECT_REFUSED]);
    expect(errors.values[0]!.response).toEqual({ reason: "token expired" });
    expect(socket.state).toBe("closed");

    // No reconnect, however long we wait; no join timeout either.
    clock.advance(60_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(attempts).toBe(1);
    expect(errors.values).toHaveLength(1);

    // A join while refused fails at once with the same reason.
    const again = await channel(socket, "room:2")
      .join()
      .catch((e: ClientError) => e);
    expect((again as ClientError).code).toBe(ClientErrorCode.CONNECT_REFUSED);

    // connect() tries again (with a new token, say), and the errored channel rejoins.
    accept = true;
    const opened = nextOpen(socket);
    socket.connect();
    await opened;
    await until(() => room.state === "joined", "the first channel to rejoin");
  });
});

describe("refusals and reconnecting", () => {
  it("with reconnectAfterRefusalMs, retries on that backoff until the server accepts", async () => {
    const url = await start();
    const delays: number[] = [];
    const { socket, errors } = refusedSocket(url, {
      reconnectAfterRefusalMs: (tries) => {
        delays.push(tries);
        return 1_000 * tries;
      },
    });
    socket.connect();
    await errors.waitFor(1);
    expect(socket.state).toBe("connecting");
    clock.advance(999);
    await new Promise((resolve) => setImmediate(resolve));
    expect(attempts).toBe(1);
    clock.advance(1);
    await until(() => attempts === 2, "the second attempt");
    await errors.waitFor(2);
    expect(delays).toEqual([1, 2]);
    accept = true;
    const opened = nextOpen(socket);
    clock.advance(2_000);
    await opened;
    expect(errors.values.every((e) => e.code === ClientErrorCode.CONNECT_REFUSED)).toBe(true);
  });

  it("a refusal without a reason (connect returned false) stays a transport failure, retried on the usual backoff", async () => {
    const url = await start();
    const socket = createSocket(url, { params: { token: "plain" } });
    const errors = new Recorder<ClientError>();
    socket.onError(errors.record);
    socket.connect();
    await errors.waitFor(1);
    expect(errors.values[0]!.code).toBe(ClientErrorCode.TRANSPORT_ERROR);
    expect(socket.state).toBe("connecting");
    await until(() => clock.nextDue() !== undefined, "a reconnect to be scheduled");
    clock.advance(100);
    await until(() => attempts >= 2, "a reconnect attempt");
  });
});
