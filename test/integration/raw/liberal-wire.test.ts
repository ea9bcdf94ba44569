// The wire is as liberal as Phoenix's: integer refs and join refs are echoed back as received, any JSON
// value is a payload (passed to join and handleIn, and a reply may answer with one), a binary join payload
// reaches join as bytes, and a topic or event that is not a string is answered like an unmatched topic —
// the connection stays open. Raw frames (V2, V1, binary, LongPoll) and the official client.
import { afterEach, describe, expect, it } from "vitest";
import { Channel, Endpoint, isBinaryPayload, ok, reply, silentLogger, Socket, type AnyPayload, type ChannelRoute } from "../../../src/index.js";
import { encodeClientPush } from "../../../src/protocol/v2-binary.js";
import { closeRawResources, play, RawClient } from "../../support/raw-client.js";
import { longpoll, openSession, pollFrames } from "../../support/longpoll-client.js";
import { closeAllClients, connectSocket, join, push } from "../../support/phoenix-client.js";

/** Answers with what it received: the join payload in the join reply, a push's payload in its reply. */
class WhatChannel extends Channel {
  override join(_topic: string, payload: AnyPayload) {
    return ok(isBinaryPayload(payload) ? { bytes: [...payload] } : { got: payload });
  }

  override handleIn(event: string, payload: AnyPayload) {
    if (event === "push_back") this.push("pushed", { n: 1 });
    return reply("ok", payload);
  }
}

class WhatSocket extends Socket {
  static override channels: readonly ChannelRoute[] = [["what:*", WhatChannel]];
}

const endpoints: Endpoint[] = [];

afterEach(async () => {
  await closeAllClients();
  await closeRawResources();
  await Promise.all(endpoints.splice(0).map((e) => e.stop()));
});

async function start() {
  const endpoint = new Endpoint({ port: 0, host: "127.0.0.1", logger: silentLogger });
  endpoint.socket("/socket", WhatSocket, { longpoll: { windowMs: 1_000 } });
  await endpoint.start();
  endpoints.push(endpoint);
  const errors: string[] = [];
  endpoint.on("clientError", (error) => errors.push(error.code));
  const base = endpoint.url.replace(/^http/, "ws");
  return { endpoint, errors, ws: `${base}/socket/websocket`, socketUrl: `${base}/socket`, http: `${endpoint.url}/socket` };
}

describe("integer refs", () => {
  it("are echoed back as integers on heartbeats, joins, replies, pushes, leaves and phx_close", async () => {
    const { endpoint, errors, ws } = await start();
    const client = await RawClient.connect(ws);
    await play(
      client,
      `
      C→S [null,1,"phoenix","heartbeat",{}]
      S→C [null,1,"phoenix","phx_reply",{"status":"ok","response":{}}]
      C→S [2,2,"what:a","phx_join",{}]
      S→C [2,2,"what:a","phx_reply",{"status":"ok","response":{"got":{}}}]
      C→S [2,3,"what:a","push_back",{"x":1}]
      S→C [2,null,"what:a","pushed",{"n":1}]
      S→C [2,3,"what:a","phx_reply",{"status":"ok","response":{"x":1}}]
      C→S [null,4,"what:a","ping",{}]
      S→C [2,4,"what:a","phx_reply",{"status":"ok","response":{}}]
      `,
    );
    endpoint.broadcast("what:a", "news", { n: 2 });
    expect(await client.nextText()).toBe('[null,null,"what:a","news",{"n":2}]');
    // A stale integer join ref is dropped like a stale string one; the current one is matched by value.
    client.send('[1,5,"what:a","ping",{}]');
    await play(
      client,
      `
      C→S [2,6,"what:a","phx_leave",{}]
      S→C [2,6,"what:a","phx_reply",{"status":"ok","response":{}}]
      S→C [2,2,"what:a","phx_close",{}]
      `,
    );
    expect(errors).toEqual([]);
  });

  it("work on V1 (JSON objects) and over LongPoll", async () => {
    const { http, ws } = await start();
    const v1 = await RawClient.connect(ws, { vsn: null });
    await play(
      v1,
      `
      C→S {"topic":"what:v1","event":"phx_join","payload":"hello","ref":7}
      S→C {"topic":"what:v1","event":"phx_reply","payload":{"status":"ok","response":{"got":"hello"}},"ref":7}
      `,
    );
    const token = await openSession(http);
    await longpoll(http, { token, body: ['[9,9,"what:lp","phx_join",[1,2]]', '[null,10,"phoenix","heartbeat",{}]'] });
    expect(await pollFrames(http, token, 2)).toEqual([
      [9, 9, "what:lp", "phx_reply", { status: "ok", response: { got: [1, 2] } }],
      [null, 10, "phoenix", "phx_reply", { status: "ok", response: {} }],
    ] as unknown);
  });
});

describe("payloads that are not objects", () => {
  it("reach join and handleIn as sent (string, number, array, null, boolean), and replies carry them back", async () => {
    const { errors, ws } = await start();
    const client = await RawClient.connect(ws);
    await play(
      client,
      `
      C→S ["1","1","what:a","phx_join","params as a string"]
      S→C ["1","1","what:a","phx_reply",{"status":"ok","response":{"got":"params as a string"}}]
      C→S ["1","2","what:a","echo","x"]
      S→C ["1","2","what:a","phx_reply",{"status":"ok","response":"x"}]
      C→S ["1","3","what:a","echo",[1,"two",{"three":3}]]
      S→C ["1","3","what:a","phx_reply",{"status":"ok","response":[1,"two",{"three":3}]}]
      C→S ["1","4","what:a","echo",42.5]
      S→C ["1","4","what:a","phx_reply",{"status":"ok","response":42.5}]
      C→S ["1","5","what:a","echo",null]
      S→C ["1","5","what:a","phx_reply",{"status":"ok","response":null}]
      C→S ["1","6","what:a","echo",false]
      S→C ["1","6","what:a","phx_reply",{"status":"ok","response":false}]
      `,
    );
    expect(client.isOpen).toBe(true);
    expect(errors).toEqual([]);
  });

  it("a binary join frame reaches join as bytes", async () => {
    const { ws } = await start();
    const client = await RawClient.connect(ws);
    client.sendBinary(encodeClientPush({ joinRef: "1", ref: "1", topic: "what:bin", event: "phx_join", payload: new Uint8Array([1, 2, 3]) }));
    expect(await client.nextText()).toBe('["1","1","what:bin","phx_reply",{"status":"ok","response":{"bytes":[1,2,3]}}]');
  });

  it("the official client pushes them and reads the replies", async () => {
    const { socketUrl } = await start();
    const socket = await connectSocket(socketUrl);
    const channel = socket.channel("what:official", {});
    expect(await join(channel)).toEqual({ status: "ok", response: { got: {} } });
    // (The official client sends a falsy payload as {}.)
    for (const value of ["text", [1, 2], 7, true]) {
      expect(await push(channel, "echo", value as object)).toEqual({ status: "ok", response: value });
    }
  });
});

describe("topics and events that are not strings", () => {
  it("are answered like an unmatched topic, echoing refs and topic as received; the connection stays open", async () => {
    const { errors, ws } = await start();
    const client = await RawClient.connect(ws);
    await play(
      client,
      `
      C→S [null,"1",42,"phx_join",{}]
      S→C [null,"1",42,"phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]
      C→S [null,2,{"a":1},"ping",{}]
      S→C [null,2,{"a":1},"phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]
      C→S ["3","3","what:a","phx_join",{}]
      S→C ["3","3","what:a","phx_reply",{"status":"ok","response":{"got":{}}}]
      C→S ["3","4","what:a",7,{}]
      S→C [null,"4","what:a","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]
      C→S ["3","5","what:a","echo","still joined"]
      S→C ["3","5","what:a","phx_reply",{"status":"ok","response":"still joined"}]
      `,
    );
    // Without a ref there is nothing to answer.
    client.send('[null,null,null,"ping",{}]');
    client.send('[null,"6","phoenix","heartbeat",{}]');
    expect(await client.nextText()).toBe('[null,"6","phoenix","phx_reply",{"status":"ok","response":{}}]');
    expect(errors).toEqual([]);
  });

  it("the official client joining a numeric topic is refused with unmatched topic", async () => {
    const { socketUrl } = await start();
    const socket = await connectSocket(socketUrl);
    const channel = socket.channel(42 as unknown as string, {});
    expect(await join(channel)).toEqual({ status: "error", response: { reason: "unmatched topic" } });
    expect(socket.isConnected()).toBe(true);
  });

  it("refs that are neither strings, numbers nor null still close the connection (1008)", async () => {
    const { errors, ws } = await start();
    const client = await RawClient.connect(ws);
    client.send('[null,{"r":1},"phoenix","heartbeat",{}]');
    expect(await client.closed()).toEqual({ code: 1008, reason: "FENIX_ERR_PROTOCOL_BAD_FIELD" });
    expect(errors).toEqual(["FENIX_ERR_PROTOCOL_BAD_FIELD"]);
  });
});
