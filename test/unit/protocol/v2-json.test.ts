import { describe, expect, it } from "vitest";
import type { Broadcast, Message, Reply } from "../../../src/protocol/message.js";
import type { Frame } from "../../../src/protocol/serializer.js";
import { V2JsonSerializer } from "../../../src/protocol/v2-json.js";
import { hex, toHex } from "./hex.js";
import { thrown } from "./thrown.js";

describe("V2JsonSerializer", () => {
  it("speaks vsn 2.0.0 with binary support", () => {
    expect(V2JsonSerializer.vsn).toBe("2.0.0");
    expect(V2JsonSerializer.supportsBinary).toBe(true);
  });

  describe("encodePush", () => {
    it.each<[string, Message, string]>([
      [
        "a server push with its join_ref and a null ref",
        { joinRef: "4", ref: null, topic: "room:1", event: "some_event", payload: { n: 1 } },
        '["4",null,"room:1","some_event",{"n":1}]',
      ],
      [
        "a phx_close whose ref is the join ref",
        { joinRef: "4", ref: "4", topic: "room:1", event: "phx_close", payload: {} },
        '["4","4","room:1","phx_close",{}]',
      ],
      [
        "a phx_error with its reason",
        { joinRef: "4", ref: "4", topic: "room:1", event: "phx_error", payload: { reason: "channel_crash" } },
        '["4","4","room:1","phx_error",{"reason":"channel_crash"}]',
      ],
      [
        "a payload with non-ASCII text and nested values",
        { joinRef: "4", ref: null, topic: "sala:ñ", event: "msg", payload: { t: "é😀", list: [1, null, { a: true }] } },
        '["4",null,"sala:ñ","msg",{"t":"é😀","list":[1,null,{"a":true}]}]',
      ],
    ])("encodes %s", (_name, message, frame) => {
      expect(V2JsonSerializer.encodePush(message)).toBe(frame);
    });
  });

  describe("encodeReply", () => {
    it.each<[string, Reply, string]>([
      [
        "an ok join reply",
        { joinRef: "4", ref: "4", topic: "room:1", status: "ok", response: { welcome: true } },
        '["4","4","room:1","phx_reply",{"status":"ok","response":{"welcome":true}}]',
      ],
      [
        "a refused join",
        { joinRef: "4", ref: "4", topic: "room:1", status: "error", response: { reason: "unauthorized" } },
        '["4","4","room:1","phx_reply",{"status":"error","response":{"reason":"unauthorized"}}]',
      ],
      [
        "the unmatched-topic reply with a null join_ref",
        { joinRef: null, ref: "4", topic: "room:1", status: "error", response: { reason: "unmatched topic" } },
        '[null,"4","room:1","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]',
      ],
      [
        "the too-many-channels reply",
        { joinRef: "4", ref: "4", topic: "room:1", status: "error", response: { reason: "too many channels joined" } },
        '["4","4","room:1","phx_reply",{"status":"error","response":{"reason":"too many channels joined"}}]',
      ],
      [
        "a reply with a custom status",
        { joinRef: "4", ref: "7", topic: "room:1", status: "queued", response: {} },
        '["4","7","room:1","phx_reply",{"status":"queued","response":{}}]',
      ],
      [
        "a heartbeat reply",
        { joinRef: null, ref: "12", topic: "phoenix", status: "ok", response: {} },
        '[null,"12","phoenix","phx_reply",{"status":"ok","response":{}}]',
      ],
    ])("encodes %s", (_name, reply, frame) => {
      expect(V2JsonSerializer.encodeReply(reply)).toBe(frame);
    });
  });

  describe("encodeBroadcast", () => {
    it("encodes a broadcast with null join_ref and ref", () => {
      const broadcast: Broadcast = { topic: "room:1", event: "some_event", payload: { n: 1 } };
      expect(V2JsonSerializer.encodeBroadcast(broadcast)).toBe('[null,null,"room:1","some_event",{"n":1}]');
    });
  });

  describe("decode", () => {
    it.each<[string, string, Message]>([
      [
        "a join, whose join_ref equals its ref",
        '["4","4","room:1","phx_join",{"token":"abc"}]',
        { joinRef: "4", ref: "4", topic: "room:1", event: "phx_join", payload: { token: "abc" } },
      ],
      [
        "a push",
        '["4","7","room:1","new_msg",{"body":"hi"}]',
        { joinRef: "4", ref: "7", topic: "room:1", event: "new_msg", payload: { body: "hi" } },
      ],
      [
        "a leave",
        '["4","9","room:1","phx_leave",{}]',
        { joinRef: "4", ref: "9", topic: "room:1", event: "phx_leave", payload: {} },
      ],
      [
        "a heartbeat with a null join_ref",
        '[null,"12","phoenix","heartbeat",{}]',
        { joinRef: null, ref: "12", topic: "phoenix", event: "heartbeat", payload: {} },
      ],
      [
        "a push that wants no reply (null ref)",
        '["4",null,"room:1","typing",{}]',
        { joinRef: "4", ref: null, topic: "room:1", event: "typing", payload: {} },
      ],
      [
        "a frame with extra elements, which are ignored",
        '["4","7","room:1","new_msg",{"body":"hi"},"extra",{"x":1},7]',
        { joinRef: "4", ref: "7", topic: "room:1", event: "new_msg", payload: { body: "hi" } },
      ],
      [
        "a frame with surrounding whitespace and non-ASCII text",
        ' [ "4" , "7" , "sala:ñ" , "msg" , { "t" : "é😀" } ]\n',
        { joinRef: "4", ref: "7", topic: "sala:ñ", event: "msg", payload: { t: "é😀" } },
      ],
      [
        "empty-string refs as they are",
        '["","","room:1","e",{}]',
        { joinRef: "", ref: "", topic: "room:1", event: "e", payload: {} },
      ],
    ])("decodes %s", (_name, frame, message) => {
      expect(V2JsonSerializer.decode(frame, false)).toEqual(message);
    });

    it("decodes a text frame handed over as a Buffer", () => {
      const frame = Buffer.from('["4","7","sala:ñ","msg",{"t":"é"}]');
      expect(V2JsonSerializer.decode(frame, false)).toEqual({
        joinRef: "4",
        ref: "7",
        topic: "sala:ñ",
        event: "msg",
        payload: { t: "é" },
      });
    });

    it.each([
      ["text that is not JSON", '["4","7",', "FENIX_ERR_PROTOCOL_MALFORMED_JSON", /received "\[\\"4\\",\\"7\\","/],
      ["an empty text frame", "", "FENIX_ERR_PROTOCOL_MALFORMED_JSON", /received ""/],
      ["a V1 object", '{"topic":"t","event":"e","payload":{},"ref":"1"}', "FENIX_ERR_PROTOCOL_BAD_SHAPE", /JSON array \[join_ref, ref, topic, event, payload\], received \{"topic"/],
      ["an array of four elements", '[null,"12","phoenix","heartbeat"]', "FENIX_ERR_PROTOCOL_BAD_SHAPE", /received 4 elements: \[null,"12","phoenix","heartbeat"\]/],
      ["an empty array", "[]", "FENIX_ERR_PROTOCOL_BAD_SHAPE", /received 0 elements/],
      ["a JSON string", '"hello"', "FENIX_ERR_PROTOCOL_BAD_SHAPE", /received "hello"/],
      ["an object join_ref", '[{},"7","room:1","e",{}]', "FENIX_ERR_PROTOCOL_BAD_FIELD", /join_ref to be a string, a number or null, received \{\}/],
      ["a boolean ref", '["4",true,"room:1","e",{}]', "FENIX_ERR_PROTOCOL_BAD_FIELD", /ref to be a string, a number or null, received true/],
      ["a numeric topic", '["4","7",1,"e",{}]', "FENIX_ERR_PROTOCOL_UNROUTABLE", /topic to be a string, received 1/],
      ["a null event", '["4","7","room:1",null,{}]', "FENIX_ERR_PROTOCOL_UNROUTABLE", /event to be a string, received null/],
    ])("rejects %s with %s", (_name, frame, code, message) => {
      const error = thrown(() => V2JsonSerializer.decode(frame, false));
      expect(error.code).toBe(code);
      expect(error.message).toMatch(message);
    });

    it("rejects text bytes that are not UTF-8", () => {
      const error = thrown(() => V2JsonSerializer.decode(hex("5b 22 ff 22 5d"), false));
      expect(error.code).toBe("FENIX_ERR_PROTOCOL_MALFORMED_JSON");
      expect(error.message).toMatch(/5 bytes that are not valid UTF-8/);
    });

    it("shows at most 80 characters of a long received value", () => {
      const error = thrown(() => V2JsonSerializer.decode(`["4","7","room:1",{"e":"${"x".repeat(500)}"},{}]`, false));
      expect(error.message.length).toBeLessThan(200);
      expect(error.message).toContain("…");
    });

    it("rejects a string that claims to be a binary frame", () => {
      const error = thrown(() => V2JsonSerializer.decode("\u0000\u0000", true));
      expect(error.code).toBe("FENIX_ERR_PROTOCOL_MALFORMED_BINARY");
    });
  });

  describe("bytes payloads", () => {
    it("encodes a push with bytes as a binary server push, dropping the ref", () => {
      const frame = V2JsonSerializer.encodePush({ joinRef: "3", ref: "9", topic: "t:é", event: "ev", payload: hex("01 02") });
      expect(frame).toBeInstanceOf(Uint8Array);
      expect(toHex(frame as Uint8Array)).toBe("00 01 04 02 33 74 3a c3 a9 65 76 01 02");
    });

    it("encodes a reply with a bytes response as a binary reply", () => {
      const frame = V2JsonSerializer.encodeReply({ joinRef: "3", ref: "9", topic: "t", status: "ok", response: hex("ff") });
      expect(toHex(frame as Uint8Array)).toBe("01 01 01 01 02 33 39 74 6f 6b ff");
    });

    it("encodes a broadcast with bytes as a binary broadcast", () => {
      const frame = V2JsonSerializer.encodeBroadcast({ topic: "t", event: "e", payload: Buffer.from([7, 8]) });
      expect(toHex(frame as Uint8Array)).toBe("02 01 01 74 65 07 08");
    });

    it("decodes a binary client push", () => {
      expect(V2JsonSerializer.decode(hex("00 01 02 04 02 | 31 | 32 32 | 74 3a c3 a9 | 65 76 | 01 02 03"), true)).toEqual({
        joinRef: "1",
        ref: "22",
        topic: "t:é",
        event: "ev",
        payload: hex("01 02 03"),
      });
    });

    it.each([
      ["a reply (kind 1)", "01 00 01 01 01 37 74 65"],
      ["a broadcast (kind 2)", "02 01 01 74 65"],
      ["an unknown kind", "07 00 00 01 01 74 65"],
    ])("rejects a binary frame that is %s", (_name, frame) => {
      const error = thrown(() => V2JsonSerializer.decode(hex(frame), true));
      expect(error.code).toBe("FENIX_ERR_PROTOCOL_MALFORMED_BINARY");
      expect(error.closeCode).toBe(1007);
    });
  });

  describe("the join, presence, push, broadcast, leave transcript", () => {
    it("decodes every client frame", () => {
      const frames: [string, Message][] = [
        [
          '["3","3","room:42","phx_join",{"last_seen":17}]',
          { joinRef: "3", ref: "3", topic: "room:42", event: "phx_join", payload: { last_seen: 17 } },
        ],
        [
          '["3","5","room:42","new_msg",{"body":"hi"}]',
          { joinRef: "3", ref: "5", topic: "room:42", event: "new_msg", payload: { body: "hi" } },
        ],
        [
          '[null,"6","phoenix","heartbeat",{}]',
          { joinRef: null, ref: "6", topic: "phoenix", event: "heartbeat", payload: {} },
        ],
        [
          '["3","8","room:42","phx_leave",{}]',
          { joinRef: "3", ref: "8", topic: "room:42", event: "phx_leave", payload: {} },
        ],
      ];
      for (const [frame, message] of frames) expect(V2JsonSerializer.decode(frame, false)).toEqual(message);
    });

    it("encodes every server frame exactly", () => {
      const meta = { phx_ref: "F8x…", online_at: "…" };
      const frames: [Frame, string][] = [
        [
          V2JsonSerializer.encodeReply({ joinRef: "3", ref: "3", topic: "room:42", status: "ok", response: {} }),
          '["3","3","room:42","phx_reply",{"status":"ok","response":{}}]',
        ],
        [
          V2JsonSerializer.encodePush({
            joinRef: "3",
            ref: null,
            topic: "room:42",
            event: "presence_state",
            payload: { u1: { metas: [meta] } },
          }),
          '["3",null,"room:42","presence_state",{"u1":{"metas":[{"phx_ref":"F8x…","online_at":"…"}]}}]',
        ],
        [
          V2JsonSerializer.encodeBroadcast({
            topic: "room:42",
            event: "presence_diff",
            payload: { joins: { u1: { metas: [meta] } }, leaves: {} },
          }),
          '[null,null,"room:42","presence_diff",{"joins":{"u1":{"metas":[{"phx_ref":"F8x…","online_at":"…"}]}},"leaves":{}}]',
        ],
        [
          V2JsonSerializer.encodeBroadcast({ topic: "room:42", event: "new_msg", payload: { body: "hi" } }),
          '[null,null,"room:42","new_msg",{"body":"hi"}]',
        ],
        [
          V2JsonSerializer.encodeReply({ joinRef: "3", ref: "5", topic: "room:42", status: "ok", response: {} }),
          '["3","5","room:42","phx_reply",{"status":"ok","response":{}}]',
        ],
        [
          V2JsonSerializer.encodeReply({ joinRef: null, ref: "6", topic: "phoenix", status: "ok", response: {} }),
          '[null,"6","phoenix","phx_reply",{"status":"ok","response":{}}]',
        ],
        [
          V2JsonSerializer.encodeReply({ joinRef: "3", ref: "8", topic: "room:42", status: "ok", response: {} }),
          '["3","8","room:42","phx_reply",{"status":"ok","response":{}}]',
        ],
        [
          V2JsonSerializer.encodePush({ joinRef: "3", ref: "3", topic: "room:42", event: "phx_close", payload: {} }),
          '["3","3","room:42","phx_close",{}]',
        ],
      ];
      for (const [encoded, expected] of frames) expect(encoded).toBe(expected);
    });
  });
});
