// The wire formats over real sockets: V1 objects for clients that send no vsn (no join_ref, keys in the order
// topic/event/payload/ref) and V2 binary frames (kinds 0, 1 and 2), checked byte by byte.
import { afterEach, describe, expect, it } from "vitest";
import { decodeServerFrame } from "../../../src/protocol/index.js";
import { closeRawResources, joinEcho, play, RawClient, serveRaw } from "../../support/raw-client.js";
import { hex, toHex } from "../../unit/protocol/hex.js";

afterEach(closeRawResources);

describe("V1 (no vsn)", () => {
  it("speaks JSON objects without join_ref, keys in the order topic, event, payload, ref", async () => {
    const server = await serveRaw();
    const client = await RawClient.connect(server.websocketUrl, { vsn: null });
    await play(
      client,
      `
      C→S {"topic":"echo:v1","event":"phx_join","payload":{},"ref":"1"}
      S→C {"topic":"echo:v1","event":"phx_reply","payload":{"status":"ok","response":{"joined":"echo:v1","user":null}},"ref":"1"}
      C→S {"topic":"echo:v1","event":"push","payload":{"event":"pushed","payload":{"a":1}},"ref":"2"}
      S→C {"topic":"echo:v1","event":"pushed","payload":{"a":1},"ref":null}
      S→C {"topic":"echo:v1","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"2"}
      C→S {"topic":"echo:v1","event":"broadcast","payload":{"event":"news","payload":{"b":2}},"ref":"3"}
      S→C {"topic":"echo:v1","event":"news","payload":{"b":2},"ref":null}
      S→C {"topic":"echo:v1","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"3"}
      C→S {"topic":"phoenix","event":"heartbeat","payload":{},"ref":"4"}
      S→C {"topic":"phoenix","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"4"}
      C→S {"topic":"nowhere","event":"phx_join","payload":{},"ref":"5"}
      S→C {"topic":"nowhere","event":"phx_reply","payload":{"status":"error","response":{"reason":"unmatched topic"}},"ref":"5"}
      C→S {"topic":"echo:v1","event":"phx_leave","payload":{},"ref":"6"}
      S→C {"topic":"echo:v1","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"6"}
      S→C {"topic":"echo:v1","event":"phx_close","payload":{},"ref":"1"}
      `,
    );
    await client.expectSilence();
  });

  it("gets the same broadcast as a V2 client on the topic, each in its own format", async () => {
    const server = await serveRaw();
    const v1 = await RawClient.connect(server.websocketUrl, { vsn: "1.0.0" });
    const v2 = await RawClient.connect(server.websocketUrl);
    await play(
      v1,
      `
      C→S {"topic":"echo:mix","event":"phx_join","payload":{},"ref":"1"}
      S→C {"topic":"echo:mix","event":"phx_reply","payload":{"status":"ok","response":{"joined":"echo:mix","user":null}},"ref":"1"}
      `,
    );
    await joinEcho(v2, "echo:mix", "1");
    server.endpoint.broadcast("echo:mix", "news", { n: 1 });
    expect(await v1.nextText()).toBe('{"topic":"echo:mix","event":"news","payload":{"n":1},"ref":null}');
    expect(await v2.nextText()).toBe('[null,null,"echo:mix","news",{"n":1}]');
  });
});

describe("V2 binary frames", () => {
  // join_ref "1", ref "2", topic "echo:bin", event "binary", payload 01 02 03.
  const clientPush = hex("00 01 01 08 06 | 31 | 32 | 65 63 68 6f 3a 62 69 6e | 62 69 6e 61 72 79 | 01 02 03");

  it("answers a kind 0 push with a push (kind 0), a broadcast (kind 2) and a reply (kind 1), byte for byte", async () => {
    const server = await serveRaw();
    const client = await RawClient.connect(server.websocketUrl);
    await joinEcho(client, "echo:bin", "1");
    client.sendBinary(clientPush);

    // The echo channel reverses the bytes, pushes them, broadcasts them, then replies with them.
    const push = await client.nextBinary();
    expect(toHex(push)).toBe(toHex(hex("00 01 08 0b | 31 | 65 63 68 6f 3a 62 69 6e | 62 69 6e 61 72 79 5f 70 75 73 68 | 03 02 01")));
    expect(decodeServerFrame(push)).toEqual({ kind: "push", joinRef: "1", topic: "echo:bin", event: "binary_push", payload: hex("03 02 01") });

    const broadcast = await client.nextBinary();
    expect(toHex(broadcast)).toBe(
      toHex(hex("02 08 10 | 65 63 68 6f 3a 62 69 6e | 62 69 6e 61 72 79 5f 62 72 6f 61 64 63 61 73 74 | 03 02 01")),
    );
    expect(decodeServerFrame(broadcast)).toEqual({ kind: "broadcast", topic: "echo:bin", event: "binary_broadcast", payload: hex("03 02 01") });

    const reply = await client.nextBinary();
    expect(toHex(reply)).toBe(toHex(hex("01 01 01 08 02 | 31 | 32 | 65 63 68 6f 3a 62 69 6e | 6f 6b | 03 02 01")));
    expect(decodeServerFrame(reply)).toEqual({ kind: "reply", joinRef: "1", ref: "2", topic: "echo:bin", status: "ok", payload: hex("03 02 01") });

    // Text frames still work on the same connection.
    await play(
      client,
      `
      C→S ["1","3","echo:bin","ping",{}]
      S→C ["1","3","echo:bin","phx_reply",{"status":"ok","response":{}}]
      `,
    );
    await client.expectSilence();
  });

  it("accepts a binary push with empty refs to a joined topic and answers with empty ref fields", async () => {
    const server = await serveRaw();
    const client = await RawClient.connect(server.websocketUrl);
    await joinEcho(client, "echo:bin", "1");
    // join_ref and ref empty (null), topic "echo:bin", event "ping", payload ff: the echo channel replies with the payload.
    client.sendBinary(hex("00 00 00 08 04 | 65 63 68 6f 3a 62 69 6e | 70 69 6e 67 | ff"));
    expect(toHex(await client.nextBinary())).toBe(toHex(hex("01 01 00 08 02 | 31 | 65 63 68 6f 3a 62 69 6e | 6f 6b | ff")));
  });

  it("delivers a binary broadcast as kind 2 to other V2 clients and skips V1 clients, which stay connected", async () => {
    const server = await serveRaw();
    const sender = await RawClient.connect(server.websocketUrl);
    const other = await RawClient.connect(server.websocketUrl);
    const legacy = await RawClient.connect(server.websocketUrl, { vsn: null });
    await joinEcho(sender, "echo:bin", "1");
    await joinEcho(other, "echo:bin", "7");
    legacy.send('{"topic":"echo:bin","event":"phx_join","payload":{},"ref":"1"}');
    expect(await legacy.nextText()).toBe(
      '{"topic":"echo:bin","event":"phx_reply","payload":{"status":"ok","response":{"joined":"echo:bin","user":null}},"ref":"1"}',
    );

    sender.sendBinary(clientPush);
    expect(toHex(await other.nextBinary())).toBe(
      toHex(hex("02 08 10 | 65 63 68 6f 3a 62 69 6e | 62 69 6e 61 72 79 5f 62 72 6f 61 64 63 61 73 74 | 03 02 01")),
    );
    await legacy.expectSilence();
    await play(
      legacy,
      `
      C→S {"topic":"phoenix","event":"heartbeat","payload":{},"ref":"2"}
      S→C {"topic":"phoenix","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"2"}
      `,
    );
  });
});
