// Clients that break the rules, one case each: bad frames close only that connection with a precise close
// code and a `clientError`; bad handshakes are refused with an HTTP status. A bystander on the same endpoint
// must keep being served every time, and a flood of pushes is answered in order.
import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { ProtocolErrorCode, ServerErrorCode, type SocketOptions } from "../../../src/index.js";
import {
  Bystander,
  ClientErrors,
  closeRawResources,
  echoJoinReply,
  RawClient,
  refusedStatus,
  serveRaw,
  type RawConnectOptions,
} from "../../support/raw-client.js";
import { hex } from "../../unit/protocol/hex.js";

afterEach(closeRawResources);

interface BadFrameCase {
  readonly name: string;
  /** What the bad client sends after joining the bystander's topic. */
  readonly frame: string | Uint8Array;
  readonly binary?: boolean;
  readonly vsn?: string | null;
  readonly socketOptions?: SocketOptions;
  readonly closeCode: number;
  /** The close reason: the error code for protocol errors, empty when `ws` itself closes. */
  readonly reason: string;
  readonly errorCode: string;
}

const P = ProtocolErrorCode;
const S = ServerErrorCode;

const badFrames: BadFrameCase[] = [
  { name: "malformed JSON", frame: '[null,"1","phoenix","heartbeat",{}', closeCode: 1007, reason: P.MALFORMED_JSON, errorCode: P.MALFORMED_JSON },
  { name: "an array of 4", frame: '[null,"1","phoenix","heartbeat"]', closeCode: 1008, reason: P.BAD_SHAPE, errorCode: P.BAD_SHAPE },
  { name: "an object ref", frame: '[null,{"r":1},"phoenix","heartbeat",{}]', closeCode: 1008, reason: P.BAD_FIELD, errorCode: P.BAD_FIELD },
  { name: "a boolean join_ref", frame: '[true,"2","echo:a","phx_join",{}]', closeCode: 1008, reason: P.BAD_FIELD, errorCode: P.BAD_FIELD },
  { name: "an object on V2", frame: '{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"1"}', closeCode: 1008, reason: P.BAD_SHAPE, errorCode: P.BAD_SHAPE },
  {
    name: "a truncated binary frame",
    // A client push header declaring an 8-byte topic and a 6-byte event, cut after the join_ref.
    frame: hex("00 01 01 08 06 | 31"),
    binary: true,
    closeCode: 1007,
    reason: P.MALFORMED_BINARY,
    errorCode: P.MALFORMED_BINARY,
  },
  { name: "a binary frame of unknown kind", frame: hex("07 00 00 01 01 | 74 | 65"), binary: true, closeCode: 1007, reason: P.MALFORMED_BINARY, errorCode: P.MALFORMED_BINARY },
  {
    name: "a binary frame on a V1 connection",
    frame: hex("00 00 01 07 04 | 31 | 65 63 68 6f 3a 62 79 | 70 69 6e 67 | 01"),
    binary: true,
    vsn: null,
    closeCode: 1003,
    reason: P.BINARY_UNSUPPORTED,
    errorCode: P.BINARY_UNSUPPORTED,
  },
  { name: "a V1 object without ref", frame: '{"topic":"phoenix","event":"heartbeat","payload":{}}', vsn: null, closeCode: 1008, reason: P.BAD_SHAPE, errorCode: P.BAD_SHAPE },
  {
    name: "a frame over maxFrameBytes (1024)",
    frame: `[null,"1","echo:a","ping",{"pad":"${"x".repeat(2_000)}"}]`,
    socketOptions: { maxFrameBytes: 1024 },
    closeCode: 1009,
    reason: "",
    errorCode: S.FRAME_TOO_LARGE,
  },
  // ws validates UTF-8 itself and closes before the frame reaches the serializer.
  { name: "a text frame of invalid UTF-8", frame: hex("5b 22 ff fe 22 5d"), closeCode: 1007, reason: "", errorCode: S.BAD_FRAME },
];

/** Joins the bystander's topic as a V1 or V2 client, so the closed connection was a live subscriber. */
async function joinAsV(client: RawClient, topic: string, vsn: string | null | undefined): Promise<void> {
  if (vsn === null) {
    client.send(`{"topic":"${topic}","event":"phx_join","payload":{},"ref":"1"}`);
    expect(await client.nextText()).toBe(
      `{"topic":"${topic}","event":"phx_reply","payload":{"status":"ok","response":{"joined":"${topic}","user":null}},"ref":"1"}`,
    );
  } else {
    client.send(["1", "1", topic, "phx_join", {}]);
    expect(await client.nextText()).toBe(echoJoinReply(topic, "1"));
  }
}

describe("a bad frame", () => {
  it.each(badFrames)("($name) closes that connection only, with its close code and a clientError", async (c) => {
    const server = await serveRaw({}, c.socketOptions);
    const errors = new ClientErrors(server);
    const bystander = await Bystander.join(server);
    const bad = await RawClient.connect(server.websocketUrl, { vsn: c.vsn });
    await joinAsV(bad, bystander.topic, c.vsn);

    if (c.binary === true) bad.sendBinary(c.frame as Uint8Array);
    else bad.send(c.frame);

    expect(await bad.closed()).toEqual({ code: c.closeCode, reason: c.reason });
    const { error, context } = await errors.next();
    expect(error.code).toBe(c.errorCode);
    expect(error.closeCode ?? error.status).toBe(c.closeCode);
    // The listener's context has every field as its own (the address too): it can be spread or logged.
    expect({ ...context }).toMatchObject({ path: "/socket", transport: "websocket", address: "127.0.0.1" });
    await bystander.expectServed();
    expect(errors.all).toHaveLength(1);
  });
});

describe("maxFrameBytes (1024)", () => {
  it("accepts a frame of exactly 1024 bytes", async () => {
    const server = await serveRaw({}, { maxFrameBytes: 1024 });
    const client = await RawClient.connect(server.websocketUrl);
    await joinAsV(client, "echo:a", "2.0.0");
    const head = '["1","2","echo:a","ping",{"pad":"';
    const tail = '"}]';
    const pad = "x".repeat(1024 - head.length - tail.length);
    client.send(head + pad + tail);
    expect(await client.nextText()).toBe(`["1","2","echo:a","phx_reply",{"status":"ok","response":{"pad":"${pad}"}}]`);
  });
});

interface BadHandshakeCase {
  readonly name: string;
  readonly options: RawConnectOptions;
  readonly status: number;
  /** The reported code, or null where docs/protocol.md says the refusal is not a client error. */
  readonly errorCode: string | null;
}

const badHandshakes: BadHandshakeCase[] = [
  { name: "vsn=3.0.0", options: { vsn: "3.0.0" }, status: 403, errorCode: S.UNSUPPORTED_VSN },
  { name: "vsn=2.1.0", options: { vsn: "2.1.0" }, status: 403, errorCode: S.UNSUPPORTED_VSN },
  { name: "vsn=abc", options: { vsn: "abc" }, status: 403, errorCode: S.UNSUPPORTED_VSN },
  { name: "an Origin of another host", options: { headers: { Origin: "https://evil.example" } }, status: 403, errorCode: S.ORIGIN_REFUSED },
  { name: "an unparsable Origin", options: { headers: { Origin: "null" } }, status: 403, errorCode: S.ORIGIN_REFUSED },
  { name: "subprotocols without phoenix", options: { protocols: ["chat", "v2.json"] }, status: 403, errorCode: S.BAD_SUBPROTOCOL },
  // The socket's own refusal is logged, not reported (docs/protocol.md, "The connect pipeline").
  { name: "token=bad (connect refuses)", options: { params: { token: "bad" } }, status: 403, errorCode: null },
];

/** Sends one plain HTTP GET to `url` with extra headers; resolves with its status and body. */
function httpGet(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { connection: "close", ...headers } }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject).end();
  });
}

describe("a bad handshake", () => {
  it.each(badHandshakes)("($name) is refused with HTTP $status", async (c) => {
    const server = await serveRaw();
    const errors = new ClientErrors(server);
    const bystander = await Bystander.join(server);

    expect(await refusedStatus(server.websocketUrl, c.options)).toBe(c.status);
    if (c.errorCode !== null) {
      const { error, context } = await errors.next();
      expect(error.code).toBe(c.errorCode);
      expect(error.status).toBe(c.status);
      expect({ ...context }).toEqual({ path: "/socket", transport: "websocket", address: "127.0.0.1", socketId: null });
    }
    await bystander.expectServed();
    expect(errors.all).toHaveLength(c.errorCode === null ? 0 : 1);
    expect(server.endpoint.connectionCount).toBe(1);
  });

  it("(a plain GET to the WebSocket path) is answered 400, and not reported", async () => {
    const server = await serveRaw();
    const errors = new ClientErrors(server);
    const bystander = await Bystander.join(server);

    expect(await httpGet(`${server.websocketUrl.replace(/^ws/, "http")}?vsn=2.0.0`, {})).toEqual({
      status: 400,
      body: "Expected a WebSocket upgrade.\n",
    });
    await bystander.expectServed();
    expect(errors.all).toEqual([]);
  });

  it("(an upgrade to another protocol) is answered 400 with FENIX_ERR_SERVER_BAD_UPGRADE", async () => {
    const server = await serveRaw();
    const errors = new ClientErrors(server);
    const bystander = await Bystander.join(server);

    const answer = await httpGet(`${server.websocketUrl.replace(/^ws/, "http")}?vsn=2.0.0`, { connection: "Upgrade", upgrade: "h2c" });
    expect(answer.status).toBe(400);
    const { error } = await errors.next();
    expect(error.code).toBe(S.BAD_UPGRADE);
    expect(error.status).toBe(400);
    await bystander.expectServed();
  });
});

describe("a flood", () => {
  it("gets replies to 2,000 pushes sent back to back, in order", async () => {
    const server = await serveRaw();
    const bystander = await Bystander.join(server);
    const client = await RawClient.connect(server.websocketUrl);
    await joinAsV(client, "echo:flood", "2.0.0");
    const count = 2_000;
    for (let n = 1; n <= count; n++) client.send(`["1","p${n}","echo:flood","ping",{"n":${n}}]`);
    for (let n = 1; n <= count; n++) {
      expect(await client.nextText()).toBe(`["1","p${n}","echo:flood","phx_reply",{"status":"ok","response":{"n":${n}}}]`);
    }
    await client.expectSilence();
    await bystander.expectServed();
  });
});
