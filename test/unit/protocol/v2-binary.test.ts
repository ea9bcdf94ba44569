import { describe, expect, it } from "vitest";
import {
  decodeClientPush,
  decodeServerFrame,
  encodeClientPush,
  encodeServerBroadcast,
  encodeServerPush,
  encodeServerReply,
} from "../../../src/protocol/v2-binary.js";
import type { Message } from "../../../src/protocol/message.js";
import type { ServerFrame } from "../../../src/protocol/v2-binary.js";
import { hex, toHex } from "./hex.js";
import { thrown } from "./thrown.js";

describe("client push (kind 0, 5-byte header)", () => {
  it.each<[string, Message, string]>([
    [
      "the worked example with a two-byte é in the topic",
      { joinRef: "1", ref: "22", topic: "t:é", event: "ev", payload: hex("01 02 03") },
      "00 01 02 04 02 | 31 | 32 32 | 74 3a c3 a9 | 65 76 | 01 02 03",
    ],
    [
      "null refs as empty fields and an empty payload",
      { joinRef: null, ref: null, topic: "t", event: "e", payload: hex("") },
      "00 00 00 01 01 | 74 | 65",
    ],
    [
      "a four-byte emoji in the event",
      { joinRef: "10", ref: "11", topic: "room", event: "😀", payload: hex("ff") },
      "00 02 02 04 04 | 31 30 | 31 31 | 72 6f 6f 6d | f0 9f 98 80 | ff",
    ],
  ])("encodes %s", (_name, message, frame) => {
    expect(toHex(encodeClientPush(message))).toBe(toHex(hex(frame)));
  });

  it.each<[string, string, Message]>([
    [
      "the worked example",
      "00 01 02 04 02 | 31 | 32 32 | 74 3a c3 a9 | 65 76 | 01 02 03",
      { joinRef: "1", ref: "22", topic: "t:é", event: "ev", payload: hex("01 02 03") },
    ],
    [
      "empty refs as null",
      "00 00 00 01 01 | 74 | 65",
      { joinRef: null, ref: null, topic: "t", event: "e", payload: hex("") },
    ],
    [
      "a long ASCII topic and a three-byte character in the event",
      "00 01 01 15 04 | 37 | 38 | 72 6f 6f 6d 3a 6c 6f 62 62 79 3a 31 32 33 34 35 36 37 38 39 30 | 65 e2 82 ac | 0a 0b",
      { joinRef: "7", ref: "8", topic: "room:lobby:1234567890", event: "e€", payload: hex("0a 0b") },
    ],
  ])("decodes %s", (_name, frame, message) => {
    expect(decodeClientPush(hex(frame))).toEqual(message);
  });

  it("decodes a Buffer and returns the payload as a view into it", () => {
    const frame = Buffer.from(hex("00 01 02 04 02 31 32 32 74 3a c3 a9 65 76 01 02 03"));
    const payload = decodeClientPush(frame).payload as Uint8Array;
    expect(payload.buffer).toBe(frame.buffer);
    expect(payload.byteOffset).toBe(frame.byteOffset + 14);
    expect(toHex(payload)).toBe("01 02 03");
  });

  it.each([
    ["an empty frame", "", /received an empty frame/],
    ["a header cut short", "00 01 02 04", /5-byte header, received only 4 bytes/],
    ["meta lengths past the end", "00 01 02 04 02 31 32 32 74 3a", /at least 14 bytes.*9 bytes of meta.*received 10 bytes/],
    ["a reply kind, which only servers send", "01 00 00 01 01 74 65", /kind byte 1 \(sent only by servers\)/],
    ["a broadcast kind, which only servers send", "02 01 01 74 65", /kind byte 2 \(sent only by servers\)/],
    ["an unknown kind", "09 00 00 01 01 74 65", /received kind byte 9\./],
    ["a topic that is not UTF-8", "00 00 00 02 01 c3 28 65", /UTF-8, received invalid bytes at offsets 5–6/],
    ["a long topic that is not UTF-8", `00 00 00 12 01 ${"61 ".repeat(17)}ff 65`, /UTF-8/],
  ])("rejects %s as malformed", (_name, frame, message) => {
    const error = thrown(() => decodeClientPush(hex(frame)));
    expect(error.code).toBe("FENIX_ERR_PROTOCOL_MALFORMED_BINARY");
    expect(error.closeCode).toBe(1007);
    expect(error.message).toMatch(message);
  });

  it("reads an empty topic and event as empty strings, for the routes to decide", () => {
    expect(decodeClientPush(hex("00 00 01 00 00 | 31 | 09"))).toEqual({ joinRef: null, ref: "1", topic: "", event: "", payload: hex("09") });
  });

  it("refuses to encode a JSON payload", () => {
    const error = thrown(() => encodeClientPush({ joinRef: "1", ref: "2", topic: "t", event: "e", payload: { a: 1 } }));
    expect(error.code).toBe("FENIX_ERR_PROTOCOL_PAYLOAD_NOT_BINARY");
    expect(error.message).toMatch(/received \{"a":1\}/);
  });
});

describe("server frames", () => {
  it.each<[string, () => Uint8Array, string, ServerFrame]>([
    [
      "a push (kind 0, 4-byte header, no ref) on a multibyte topic",
      () => encodeServerPush({ joinRef: "3", ref: null, topic: "sala:ñ", event: "msg", payload: hex("01 02") }),
      "00 01 07 03 | 33 | 73 61 6c 61 3a c3 b1 | 6d 73 67 | 01 02",
      { kind: "push", joinRef: "3", topic: "sala:ñ", event: "msg", payload: hex("01 02") },
    ],
    [
      "a push with a null join_ref",
      () => encodeServerPush({ joinRef: null, ref: null, topic: "t:é", event: "e", payload: hex("aa") }),
      "00 00 04 01 | 74 3a c3 a9 | 65 | aa",
      { kind: "push", joinRef: null, topic: "t:é", event: "e", payload: hex("aa") },
    ],
    [
      "a reply (kind 1, 5-byte header) on a multibyte topic",
      () => encodeServerReply({ joinRef: "3", ref: "5", topic: "sala:ñ", status: "ok", response: hex("01 02 03") }),
      "01 01 01 07 02 | 33 | 35 | 73 61 6c 61 3a c3 b1 | 6f 6b | 01 02 03",
      { kind: "reply", joinRef: "3", ref: "5", topic: "sala:ñ", status: "ok", payload: hex("01 02 03") },
    ],
    [
      "a reply with a null join_ref and a custom status",
      () => encodeServerReply({ joinRef: null, ref: "12", topic: "t:é", status: "queued", response: hex("") }),
      "01 00 02 04 06 | 31 32 | 74 3a c3 a9 | 71 75 65 75 65 64",
      { kind: "reply", joinRef: null, ref: "12", topic: "t:é", status: "queued", payload: hex("") },
    ],
    [
      "a broadcast (kind 2, 3-byte header) on a multibyte topic",
      () => encodeServerBroadcast({ topic: "sala:ñ", event: "msg", payload: hex("ff fe") }),
      "02 07 03 | 73 61 6c 61 3a c3 b1 | 6d 73 67 | ff fe",
      { kind: "broadcast", topic: "sala:ñ", event: "msg", payload: hex("ff fe") },
    ],
  ])("encodes and decodes %s", (_name, encode, frame, decoded) => {
    expect(toHex(encode())).toBe(toHex(hex(frame)));
    expect(decodeServerFrame(hex(frame))).toEqual(decoded);
  });

  it("decodes an empty ref in a reply as null", () => {
    expect(decodeServerFrame(hex("01 00 00 01 02 | 74 | 6f 6b"))).toEqual({
      kind: "reply",
      joinRef: null,
      ref: null,
      topic: "t",
      status: "ok",
      payload: hex(""),
    });
  });

  it("drops the ref of a push, which the server push format cannot carry", () => {
    const frame = encodeServerPush({ joinRef: "3", ref: "3", topic: "t", event: "phx_close", payload: hex("") });
    expect(toHex(frame)).toBe(toHex(hex("00 01 01 09 | 33 | 74 | 70 68 78 5f 63 6c 6f 73 65")));
  });

  it("encodes a lone surrogate as the three bytes of U+FFFD, as TextEncoder does", () => {
    const frame = encodeServerBroadcast({ topic: "a\ud800", event: "e", payload: hex("") });
    expect(toHex(frame)).toBe(toHex(hex("02 04 01 | 61 ef bf bd | 65")));
  });

  it("keeps a leading byte order mark as part of a meta string", () => {
    const frame = encodeServerBroadcast({ topic: "\ufefft", event: "e", payload: hex("") });
    expect(toHex(frame)).toBe(toHex(hex("02 04 01 | ef bb bf 74 | 65")));
    expect(decodeServerFrame(frame)).toMatchObject({ topic: "\ufefft" });
  });

  it.each([
    ["an empty frame", "", /received an empty frame/],
    ["an unknown kind", "03 00 00", /received kind byte 3\./],
    ["a push header cut short", "00 01 01", /4-byte header, received only 3 bytes/],
    ["a reply whose meta runs past the end", "01 01 01 01 02 33 35 74 6f", /at least 10 bytes/],
    ["a broadcast whose meta runs past the end", "02 05 01 74 65", /at least 9 bytes/],
  ])("rejects %s as malformed", (_name, frame, message) => {
    const error = thrown(() => decodeServerFrame(hex(frame)));
    expect(error.code).toBe("FENIX_ERR_PROTOCOL_MALFORMED_BINARY");
    expect(error.message).toMatch(message);
  });

  it.each<[string, () => unknown]>([
    ["a push", () => encodeServerPush({ joinRef: "1", ref: null, topic: "t", event: "e", payload: {} })],
    ["a reply", () => encodeServerReply({ joinRef: "1", ref: "2", topic: "t", status: "ok", response: {} })],
    ["a broadcast", () => encodeServerBroadcast({ topic: "t", event: "e", payload: {} })],
  ])("refuses to encode %s with a JSON payload", (_name, fn) => {
    expect(thrown(fn).code).toBe("FENIX_ERR_PROTOCOL_PAYLOAD_NOT_BINARY");
  });
});

describe("the 255-byte meta limit", () => {
  const ok255 = "a".repeat(255);
  const long256 = "a".repeat(256);
  const payload = hex("00");

  it.each<[string, (value: string) => Uint8Array]>([
    ["client push join_ref", (v) => encodeClientPush({ joinRef: v, ref: "1", topic: "t", event: "e", payload })],
    ["client push ref", (v) => encodeClientPush({ joinRef: "1", ref: v, topic: "t", event: "e", payload })],
    ["client push topic", (v) => encodeClientPush({ joinRef: "1", ref: "1", topic: v, event: "e", payload })],
    ["client push event", (v) => encodeClientPush({ joinRef: "1", ref: "1", topic: "t", event: v, payload })],
    ["server push join_ref", (v) => encodeServerPush({ joinRef: v, ref: null, topic: "t", event: "e", payload })],
    ["server push topic", (v) => encodeServerPush({ joinRef: "1", ref: null, topic: v, event: "e", payload })],
    ["server push event", (v) => encodeServerPush({ joinRef: "1", ref: null, topic: "t", event: v, payload })],
    ["reply join_ref", (v) => encodeServerReply({ joinRef: v, ref: "1", topic: "t", status: "ok", response: payload })],
    ["reply ref", (v) => encodeServerReply({ joinRef: "1", ref: v, topic: "t", status: "ok", response: payload })],
    ["reply topic", (v) => encodeServerReply({ joinRef: "1", ref: "1", topic: v, status: "ok", response: payload })],
    ["reply status", (v) => encodeServerReply({ joinRef: "1", ref: "1", topic: "t", status: v, response: payload })],
    ["broadcast topic", (v) => encodeServerBroadcast({ topic: v, event: "e", payload })],
    ["broadcast event", (v) => encodeServerBroadcast({ topic: "t", event: v, payload })],
  ])("accepts a 255-byte %s and refuses a 256-byte one", (field, encode) => {
    const frame = encode(ok255);
    expect(Array.from(frame)).toContain(255);
    const error = thrown(() => encode(long256));
    expect(error.code).toBe("FENIX_ERR_PROTOCOL_META_TOO_LONG");
    expect(error.closeCode).toBe(1008);
    expect(error.message).toContain(field.split(" ").pop());
    expect(error.message).toMatch(/at most 255 UTF-8 bytes.*received 256 bytes/);
  });

  it("counts UTF-8 bytes, not characters", () => {
    const frame = encodeServerBroadcast({ topic: "é".repeat(127) + "a", event: "e", payload: hex("") });
    expect(frame[1]).toBe(255);
    expect(decodeServerFrame(frame)).toEqual({ kind: "broadcast", topic: "é".repeat(127) + "a", event: "e", payload: hex("") });
    const error = thrown(() => encodeServerBroadcast({ topic: "é".repeat(128), event: "e", payload: hex("") }));
    expect(error.code).toBe("FENIX_ERR_PROTOCOL_META_TOO_LONG");
    expect(error.message).toMatch(/received 256 bytes/);
  });

  it("counts a surrogate pair as four bytes", () => {
    expect(encodeServerBroadcast({ topic: "😀".repeat(63) + "abc", event: "e", payload: hex("") })[1]).toBe(255);
    expect(thrown(() => encodeServerBroadcast({ topic: "😀".repeat(64), event: "e", payload: hex("") })).code).toBe(
      "FENIX_ERR_PROTOCOL_META_TOO_LONG",
    );
  });
});
