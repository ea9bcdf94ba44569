import { describe, expect, it } from "vitest";
import type { Broadcast, Message, Reply } from "../../../src/protocol/message.js";
import { V1JsonSerializer } from "../../../src/protocol/v1-json.js";
import { hex } from "./hex.js";
import { thrown } from "./thrown.js";

describe("V1JsonSerializer", () => {
  it("speaks vsn 1.0.0 without binary support", () => {
    expect(V1JsonSerializer.vsn).toBe("1.0.0");
    expect(V1JsonSerializer.supportsBinary).toBe(false);
  });

  describe("encodePush", () => {
    it.each<[string, Message, string]>([
      [
        "a server push, without its join_ref",
        { joinRef: "3", ref: null, topic: "room:42", event: "new_msg", payload: { body: "hi" } },
        '{"topic":"room:42","event":"new_msg","payload":{"body":"hi"},"ref":null}',
      ],
      [
        "a phx_close whose ref is the join ref",
        { joinRef: "3", ref: "3", topic: "room:42", event: "phx_close", payload: {} },
        '{"topic":"room:42","event":"phx_close","payload":{},"ref":"3"}',
      ],
      [
        "a phx_error with a reason",
        { joinRef: null, ref: "3", topic: "room:42", event: "phx_error", payload: { reason: "channel_crash" } },
        '{"topic":"room:42","event":"phx_error","payload":{"reason":"channel_crash"},"ref":"3"}',
      ],
    ])("encodes %s", (_name, message, frame) => {
      expect(V1JsonSerializer.encodePush(message)).toBe(frame);
    });
  });

  describe("encodeReply", () => {
    it.each<[string, Reply, string]>([
      [
        "an ok join reply",
        { joinRef: "3", ref: "3", topic: "room:42", status: "ok", response: {} },
        '{"topic":"room:42","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"3"}',
      ],
      [
        "an unmatched-topic error reply",
        { joinRef: null, ref: "4", topic: "room:1", status: "error", response: { reason: "unmatched topic" } },
        '{"topic":"room:1","event":"phx_reply","payload":{"status":"error","response":{"reason":"unmatched topic"}},"ref":"4"}',
      ],
      [
        "a heartbeat reply",
        { joinRef: null, ref: "12", topic: "phoenix", status: "ok", response: {} },
        '{"topic":"phoenix","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"12"}',
      ],
    ])("encodes %s", (_name, reply, frame) => {
      expect(V1JsonSerializer.encodeReply(reply)).toBe(frame);
    });
  });

  describe("encodeBroadcast", () => {
    it("encodes a broadcast with a null ref", () => {
      const broadcast: Broadcast = { topic: "room:42", event: "new_msg", payload: { body: "hi" } };
      expect(V1JsonSerializer.encodeBroadcast(broadcast)).toBe(
        '{"topic":"room:42","event":"new_msg","payload":{"body":"hi"},"ref":null}',
      );
    });
  });

  describe("decode", () => {
    it.each<[string, string, Message]>([
      [
        "a join without join_ref",
        '{"topic":"room:42","event":"phx_join","payload":{"last_seen":17},"ref":"3"}',
        { joinRef: null, ref: "3", topic: "room:42", event: "phx_join", payload: { last_seen: 17 } },
      ],
      [
        "a push with an optional join_ref",
        '{"topic":"room:42","event":"new_msg","payload":{"body":"hi"},"ref":"5","join_ref":"3"}',
        { joinRef: "3", ref: "5", topic: "room:42", event: "new_msg", payload: { body: "hi" } },
      ],
      [
        "a push with a null ref and keys in any order",
        '{"ref":null,"payload":{},"event":"ping","topic":"room:42","join_ref":null}',
        { joinRef: null, ref: null, topic: "room:42", event: "ping", payload: {} },
      ],
      [
        "a heartbeat",
        '{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"6"}',
        { joinRef: null, ref: "6", topic: "phoenix", event: "heartbeat", payload: {} },
      ],
    ])("decodes %s", (_name, frame, message) => {
      expect(V1JsonSerializer.decode(frame, false)).toEqual(message);
      expect(V1JsonSerializer.decode(Buffer.from(frame), false)).toEqual(message);
    });

    it.each([
      ["text that is not JSON", "{topic:", "FENIX_ERR_PROTOCOL_MALFORMED_JSON", /JSON, received "\{topic:"/],
      ["a V2 array", '[null,"6","phoenix","heartbeat",{}]', "FENIX_ERR_PROTOCOL_BAD_SHAPE", /JSON object with keys.*received \[null/],
      ["an object without ref", '{"topic":"t","event":"e","payload":{}}', "FENIX_ERR_PROTOCOL_BAD_SHAPE", /without ref:/],
      ["an object without topic and payload", '{"event":"e","ref":"1"}', "FENIX_ERR_PROTOCOL_BAD_SHAPE", /without topic, payload:/],
      ["a numeric topic", '{"topic":1,"event":"e","payload":{},"ref":"1"}', "FENIX_ERR_PROTOCOL_UNROUTABLE", /topic to be a string, received 1/],
      ["an object join_ref", '{"topic":"t","event":"e","payload":{},"ref":"1","join_ref":{}}', "FENIX_ERR_PROTOCOL_BAD_FIELD", /join_ref/],
    ])("rejects %s with %s", (_name, frame, code, message) => {
      const error = thrown(() => V1JsonSerializer.decode(frame, false));
      expect(error.code).toBe(code);
      expect(error.message).toMatch(message);
    });

    it("rejects every binary frame with close code 1003", () => {
      const error = thrown(() => V1JsonSerializer.decode(hex("00 01 02 04 02 31 32 32 74 3a c3 a9 65 76 01 02 03"), true));
      expect(error.code).toBe("FENIX_ERR_PROTOCOL_BINARY_UNSUPPORTED");
      expect(error.closeCode).toBe(1003);
      expect(error.message).toMatch(/V1 serializer.*17 bytes.*vsn=2\.0\.0/);
    });
  });

  describe("encoding bytes", () => {
    const payload = hex("01 02 03");
    it.each<[string, () => unknown]>([
      ["a push", () => V1JsonSerializer.encodePush({ joinRef: "3", ref: null, topic: "t", event: "e", payload })],
      ["a reply", () => V1JsonSerializer.encodeReply({ joinRef: "3", ref: "4", topic: "t", status: "ok", response: payload })],
      ["a broadcast", () => V1JsonSerializer.encodeBroadcast({ topic: "t", event: "e", payload })],
    ])("refuses %s with a bytes payload", (_name, fn) => {
      const error = thrown(fn);
      expect(error.code).toBe("FENIX_ERR_PROTOCOL_BINARY_UNSUPPORTED");
      expect(error.message).toMatch(/3 bytes .* on topic "t"/);
    });
  });
});
