import { describe, expect, it } from "vitest";
import { FenixError } from "../../../src/errors/fenix-error.js";
import { ProtocolError, ProtocolErrorCode } from "../../../src/protocol/errors.js";
import { V1JsonSerializer } from "../../../src/protocol/v1-json.js";
import { V2JsonSerializer } from "../../../src/protocol/v2-json.js";
import { hex } from "./hex.js";
import { thrown } from "./thrown.js";

describe("ProtocolErrorCode", () => {
  it("lists every code with its stable FENIX_ERR_PROTOCOL_ value", () => {
    expect(ProtocolErrorCode).toEqual({
      MALFORMED_JSON: "FENIX_ERR_PROTOCOL_MALFORMED_JSON",
      MALFORMED_BINARY: "FENIX_ERR_PROTOCOL_MALFORMED_BINARY",
      BAD_SHAPE: "FENIX_ERR_PROTOCOL_BAD_SHAPE",
      BAD_FIELD: "FENIX_ERR_PROTOCOL_BAD_FIELD",
      UNROUTABLE: "FENIX_ERR_PROTOCOL_UNROUTABLE",
      PAYLOAD_NOT_BINARY: "FENIX_ERR_PROTOCOL_PAYLOAD_NOT_BINARY",
      BINARY_UNSUPPORTED: "FENIX_ERR_PROTOCOL_BINARY_UNSUPPORTED",
      META_TOO_LONG: "FENIX_ERR_PROTOCOL_META_TOO_LONG",
    });
  });
});

describe("ProtocolError", () => {
  it.each([
    ["FENIX_ERR_PROTOCOL_MALFORMED_JSON", 1007],
    ["FENIX_ERR_PROTOCOL_MALFORMED_BINARY", 1007],
    ["FENIX_ERR_PROTOCOL_BAD_SHAPE", 1008],
    ["FENIX_ERR_PROTOCOL_BAD_FIELD", 1008],
    ["FENIX_ERR_PROTOCOL_UNROUTABLE", 1008],
    ["FENIX_ERR_PROTOCOL_PAYLOAD_NOT_BINARY", 1008],
    ["FENIX_ERR_PROTOCOL_BINARY_UNSUPPORTED", 1003],
    ["FENIX_ERR_PROTOCOL_META_TOO_LONG", 1008],
  ] as const)("maps %s to close code %i", (code, closeCode) => {
    const error = new ProtocolError(code, "m");
    expect(error.code).toBe(code);
    expect(error.closeCode).toBe(closeCode);
  });

  it("is a FenixError named ProtocolError that keeps its cause", () => {
    const cause = new SyntaxError("x");
    const error = new ProtocolError(ProtocolErrorCode.MALFORMED_JSON, "Expected a JSON array.", { cause });
    expect(error).toBeInstanceOf(FenixError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("ProtocolError");
    expect(error.message).toBe("Expected a JSON array.");
    expect(error.cause).toBe(cause);
  });

  it.each([
    ["a V2 text frame that is not JSON", () => V2JsonSerializer.decode("[null,", false), "FENIX_ERR_PROTOCOL_MALFORMED_JSON", 1007],
    ["a text frame that is not UTF-8", () => V2JsonSerializer.decode(hex("5b ff 5d"), false), "FENIX_ERR_PROTOCOL_MALFORMED_JSON", 1007],
    ["a truncated binary frame", () => V2JsonSerializer.decode(hex("00 01 02 04"), true), "FENIX_ERR_PROTOCOL_MALFORMED_BINARY", 1007],
    ["a V2 array of four elements", () => V2JsonSerializer.decode('[null,"1","t","e"]', false), "FENIX_ERR_PROTOCOL_BAD_SHAPE", 1008],
    ["a V1 object without ref", () => V1JsonSerializer.decode('{"topic":"t","event":"e","payload":{}}', false), "FENIX_ERR_PROTOCOL_BAD_SHAPE", 1008],
    ["an object ref", () => V2JsonSerializer.decode('[null,{},"t","e",{}]', false), "FENIX_ERR_PROTOCOL_BAD_FIELD", 1008],
    ["a numeric event", () => V2JsonSerializer.decode('[null,"1","t",7,"x"]', false), "FENIX_ERR_PROTOCOL_UNROUTABLE", 1008],
    ["a binary frame sent to V1", () => V1JsonSerializer.decode(hex("00 00 00 01 01 74 65"), true), "FENIX_ERR_PROTOCOL_BINARY_UNSUPPORTED", 1003],
    ["bytes encoded with V1", () => V1JsonSerializer.encodeBroadcast({ topic: "t", event: "e", payload: hex("01") }), "FENIX_ERR_PROTOCOL_BINARY_UNSUPPORTED", 1003],
    ["a 256-byte topic in a binary frame", () => V2JsonSerializer.encodeBroadcast({ topic: "t".repeat(256), event: "e", payload: hex("01") }), "FENIX_ERR_PROTOCOL_META_TOO_LONG", 1008],
  ])("raises it for %s", (_name, fn, code, closeCode) => {
    const error = thrown(fn);
    expect(error.code).toBe(code);
    expect(error.closeCode).toBe(closeCode);
  });
});
