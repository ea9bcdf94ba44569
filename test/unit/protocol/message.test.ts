import { describe, expect, it } from "vitest";
import { isBinaryPayload, isJsonObject, messageFromWire } from "../../../src/protocol/message.js";
import { UnroutableMessageError } from "../../../src/protocol/errors.js";
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
    ["integer refs", [1, 5, "t", "e", {}]],
    ["an empty topic and event", ["3", "5", "", "", {}]],
    ["an array payload", ["3", "5", "t", "e", [1]]],
    ["a string payload", ["3", "5", "t", "e", "hi"]],
    ["a null payload", ["3", "5", "t", "e", null]],
  ] as const)("accepts %s as received", (_name, fields) => {
    const [joinRef, ref, topic, event, payload] = fields;
    expect(messageFromWire(joinRef, ref, topic, event, payload)).toEqual({ joinRef, ref, topic, event, payload });
  });

  it.each([
    ["an object join_ref", [{ a: 1 }, "5", "t", "e", {}], "FENIX_ERR_PROTOCOL_BAD_FIELD", /join_ref to be a string, a number or null, received \{"a":1\}/],
    ["an undefined ref", ["3", undefined, "t", "e", {}], "FENIX_ERR_PROTOCOL_BAD_FIELD", /ref to be a string, a number or null, received nothing/],
    ["a boolean ref", ["3", true, "t", "e", {}], "FENIX_ERR_PROTOCOL_BAD_FIELD", /received true/],
    ["a missing payload", ["3", "5", "t", "e", undefined], "FENIX_ERR_PROTOCOL_BAD_FIELD", /payload/],
    ["a numeric topic", ["3", "5", 42, "e", {}], "FENIX_ERR_PROTOCOL_UNROUTABLE", /topic to be a string, received 42/],
    ["a null event", ["3", "5", "t", null, {}], "FENIX_ERR_PROTOCOL_UNROUTABLE", /event to be a string, received null/],
  ] as const)("rejects %s with %s", (_name, fields, code, message) => {
    const [joinRef, ref, topic, event, payload] = fields;
    const error = thrown(() => messageFromWire(joinRef, ref, topic, event, payload));
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });

  it("an unroutable message keeps its refs and topic as received, to be answered", () => {
    const error = thrown(() => messageFromWire(7, "8", { t: 1 }, "e", {}));
    expect(error).toBeInstanceOf(UnroutableMessageError);
    expect(error).toMatchObject({ joinRef: 7, ref: "8", topic: { t: 1 } });
  });
});
