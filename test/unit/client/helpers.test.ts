// Small pure parts of the client: backoff schedules, param serialization, the auth-token subprotocols,
// and the frame codec (text and binary).
import { describe, expect, it } from "vitest";
import { authTokenProtocols, defaultReconnectAfterMs, defaultRejoinAfterMs, serializeParams } from "../../../src/client/index.js";
import { decodeMessage, encodeMessage } from "../../../src/client/codec.js";
import { decodeClientPush, encodeServerBroadcast, encodeServerReply } from "../../../src/protocol/v2-binary.js";

describe("backoff", () => {
  it("follows the official client's schedules", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 50].map(defaultReconnectAfterMs)).toEqual([10, 50, 100, 150, 200, 250, 500, 1000, 2000, 5000, 5000]);
    expect([1, 2, 3, 4, 20].map(defaultRejoinAfterMs)).toEqual([1000, 2000, 5000, 10_000, 10_000]);
  });
});

describe("serializeParams", () => {
  it("uses bracket syntax for nested values and skips null and undefined", () => {
    expect(serializeParams({ token: "abc", user: { id: 1 } })).toBe("token=abc&user%5Bid%5D=1");
    expect(serializeParams({ a: [1, 2], b: null, c: undefined, d: "é&" })).toBe("a%5B0%5D=1&a%5B1%5D=2&d=%C3%A9%26");
  });
});

describe("authTokenProtocols", () => {
  it("offers phoenix and the unpadded standard base64 of the token", () => {
    expect(authTokenProtocols("hello-token")).toEqual(["phoenix", "base64url.bearer.phx.aGVsbG8tdG9rZW4"]);
    expect(authTokenProtocols("é")[1]).toBe("base64url.bearer.phx.w6k");
  });
});

describe("codec", () => {
  it("encodes JSON payloads as V2 arrays and bytes as binary pushes", () => {
    expect(encodeMessage({ joinRef: "1", ref: "2", topic: "t", event: "e", payload: { a: 1 } })).toBe('["1","2","t","e",{"a":1}]');
    const bytes = encodeMessage({ joinRef: "1", ref: "22", topic: "t:é", event: "ev", payload: new Uint8Array([1, 2, 3]).buffer });
    expect([...(bytes as Uint8Array)]).toEqual([0, 1, 2, 4, 2, 0x31, 0x32, 0x32, 0x74, 0x3a, 0xc3, 0xa9, 0x65, 0x76, 1, 2, 3]);
    expect(decodeClientPush(bytes as Uint8Array).event).toBe("ev");
  });

  it("decodes text frames and binary replies and broadcasts; ignores garbage", () => {
    expect(decodeMessage('["1",null,"t","e",{"x":1}]')).toEqual({ joinRef: "1", ref: null, topic: "t", event: "e", payload: { x: 1 } });
    const reply = encodeServerReply({ joinRef: "1", ref: "5", topic: "t", status: "ok", response: new Uint8Array([7]) });
    const decoded = decodeMessage(reply.slice().buffer);
    expect(decoded).toMatchObject({ joinRef: "1", ref: "5", topic: "t", event: "phx_reply" });
    expect((decoded!.payload as { status: string }).status).toBe("ok");
    const broadcast = encodeServerBroadcast({ topic: "t", event: "b", payload: new Uint8Array([8]) });
    expect(decodeMessage(broadcast.slice().buffer)).toMatchObject({ joinRef: null, ref: null, event: "b" });
    expect(decodeMessage("not json")).toBeUndefined();
    expect(decodeMessage("[1,2]")).toBeUndefined();
    expect(decodeMessage(new Uint8Array([9]).buffer)).toBeUndefined();
  });
});
