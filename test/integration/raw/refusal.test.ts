// A connection refused with a reason (`return refuse("token expired")` from connect): over WebSocket the
// reason is in the JSON body of the 403, or — for a client that offers the `fenix.refusal` subprotocol, as
// fenix/client does, since browsers cannot read that body — in a close frame with code 4403; over
// LongPoll it is in the poll answer. `false` stays a bare 403. The testing kit reports the reason too.
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { Endpoint, refuse, silentLogger, Socket, type Params } from "../../../src/index.js";
import { channelTest, ConnectRefusedError } from "../../../src/testing/index.js";
import { longpoll } from "../../support/longpoll-client.js";

class GateSocket extends Socket {
  override connect(params: Params) {
    if (params.token === "expired") return refuse("token expired");
    if (params.token === "long") return refuse("é".repeat(100));
    return params.token === "good";
  }
}

const endpoints: Endpoint[] = [];
afterEach(async () => {
  await Promise.all(endpoints.splice(0).map((e) => e.stop()));
});

async function start() {
  const endpoint = new Endpoint({ port: 0, host: "127.0.0.1", logger: silentLogger });
  endpoint.socket("/socket", GateSocket, { longpoll: { windowMs: 1_000 } });
  await endpoint.start();
  endpoints.push(endpoint);
  return { ws: `${endpoint.url.replace(/^http/, "ws")}/socket/websocket`, http: `${endpoint.url}/socket` };
}

type Outcome = { kind: "http"; status: number; body: string } | { kind: "closed"; code: number; reason: string; protocol: string };

/** Opens a WebSocket and reports how it was refused: an HTTP answer, or an upgrade closed at once. */
function attempt(url: string, protocols: string[] = []): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols);
    ws.on("unexpected-response", (_req, res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ kind: "http", status: res.statusCode ?? 0, body }));
    });
    let protocol = "";
    ws.on("open", () => (protocol = ws.protocol));
    ws.on("close", (code, reason) => resolve({ kind: "closed", code, reason: reason.toString("utf8"), protocol }));
    ws.on("error", (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error);
    });
  });
}

describe("a connection refused with a reason", () => {
  it("is a 403 whose JSON body holds the reason; false stays a bare 403", async () => {
    const { ws } = await start();
    expect(await attempt(`${ws}?vsn=2.0.0&token=expired`)).toEqual({ kind: "http", status: 403, body: '{"reason":"token expired"}' });
    expect(await attempt(`${ws}?vsn=2.0.0&token=bad`)).toEqual({ kind: "http", status: 403, body: "" });
  });

  it("is a close frame with 4403 and the reason for a client that offers the fenix.refusal subprotocol", async () => {
    const { ws } = await start();
    expect(await attempt(`${ws}?vsn=2.0.0&token=expired`, ["phoenix", "fenix.refusal"])).toEqual({
      kind: "closed",
      code: 4403,
      reason: "token expired",
      protocol: "phoenix",
    });
    // A reason is cut to fit a close frame (120 bytes of UTF-8, whole characters).
    const long = await attempt(`${ws}?vsn=2.0.0&token=long`, ["phoenix", "fenix.refusal"]);
    expect(long).toMatchObject({ kind: "closed", code: 4403, reason: "é".repeat(60) });
    // Without a reason there is nothing to tell: a bare 403 whatever the client offers.
    expect(await attempt(`${ws}?vsn=2.0.0&token=bad`, ["phoenix", "fenix.refusal"])).toEqual({ kind: "http", status: 403, body: "" });
    // Accepted connections are not affected by the offer.
    const accepted = await new Promise<string>((resolve) => {
      const client = new WebSocket(`${ws}?vsn=2.0.0&token=good`, ["phoenix", "fenix.refusal"]);
      client.on("open", () => {
        resolve(client.protocol);
        client.close();
      });
    });
    expect(accepted).toBe("phoenix");
  });

  it("is in the LongPoll answer", async () => {
    const { http } = await start();
    expect((await longpoll(http, { query: "vsn=2.0.0&token=expired" })).body).toEqual({ status: 403, reason: "token expired" });
    expect((await longpoll(http, { query: "vsn=2.0.0&token=bad" })).body).toEqual({ status: 403 });
  });

  it("reaches the testing kit's ConnectRefusedError", async () => {
    const kit = await channelTest(GateSocket);
    try {
      const error = await kit.connect({ token: "expired" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectRefusedError);
      expect(error).toMatchObject({ status: 403, reason: "token expired" });
    } finally {
      await kit.stop();
    }
  });
});
