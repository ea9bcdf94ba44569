import { describe, expect, it } from "vitest";
import { isBinaryPayload, isJsonObject, messageFromWire } from "../../../src/protocol/message.js";
import { thrown } from "./thrown.js";

describe("isBinaryPayload", () => {
  it.each([
    ["a Uint8Array", new Uint8Array([1, 2]), true],
    ["a Buffer", Buffer.from([1, 2]), true],
    ["a subarray view", new Uint8Array(8).subarray(2, 4), true],
    ["an ArrayBuffer", new ArrayBuffer(2), false],
    ["a JSON object", { a: 1 }, false],
    ["an array of numbers", [1, 2], false],
    ["a string", "01", false],
    ["null", null, false],
  ])("tells that %s is %s", (_name, value, expected) => {
    expect(isBinaryPayload(value)).toBe(expected);
  });
});

describe("isJsonObject", () => {
  it.each([
    ["an empty object", {}, true],
    ["an object with values", { body: "hi", n: [1] }, true],
    ["an object without prototype", Object.create(null) as unknown, true],
    ["null", null, false],
    ["an array", [], false],
    ["bytes", new Uint8Array(1), false],
    ["a string", "{}", false],
    ["a number", 1, false],
    ["undefined", undefined, false],
  ])("tells that %s is %s", (_name, value, expected) => {
    expect(isJsonObject(value)).toBe(expected);
  });
});

describe("messageFromWire", () => {
  it("returns the five fields as a Message when they are valid", () => {
    expect(messageFromWire("3", "5", "room:42", "new_msg", { body: "hi" })).toEqual({
      joinRef: "3",
      ref: "5",
      topic: "room:42",
      event: "new_msg",
      payload: { body: "hi" },
    });
  });

  it("accepts null refs and a bytes payload", () => {
    const payload = new Uint8Array([1]);
    expect(messageFromWire(null, null, "t", "e", payload)).toEqual({
      joinRef: null,
      ref: null,
      topic: "t",
      event: "e",
      payload,
    });
  });

  it.each([
    ["a numeric join_ref", [1, "5", "t", "e", {}], "FENIX_ERR_PROTOCOL_BAD_FIELD", /join_ref to be a string or null, received 1/],
    ["an undefined ref", ["3", undefined, "t", "e", {}], "FENIX_ERR_PROTOCOL_BAD_FIELD", /ref to be a string or null, received nothing/],
    ["an empty topic", ["3", "5", "", "e", {}], "FENIX_ERR_PROTOCOL_BAD_FIELD", /topic to be a non-empty string, received ""/],
    ["a null event", ["3", "5", "t", null, {}], "FENIX_ERR_PROTOCOL_BAD_FIELD", /event to be a non-empty string, received null/],
    ["an array payload", ["3", "5", "t", "e", [1]], "FENIX_ERR_PROTOCOL_PAYLOAD_NOT_OBJECT", /JSON object.*received \[1\]/],
    ["a string payload", ["3", "5", "t", "e", "hi"], "FENIX_ERR_PROTOCOL_PAYLOAD_NOT_OBJECT", /received "hi"/],
  ] as const)("rejects %s with %s", (_name, fields, code, message) => {
    const [joinRef, ref, topic, event, payload] = fields;
    const error = thrown(() => messageFromWire(joinRef, ref, topic, event, payload));
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });
});
