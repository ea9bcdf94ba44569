import { describe, expect, it } from "vitest";
import { BINARY_META_MAX_BYTES, BinaryKind, Reserved, isReservedEvent } from "../../../src/protocol/reserved.js";

describe("Reserved", () => {
  it("names the protocol's topic and events as they appear on the wire", () => {
    expect(Reserved).toEqual({
      PHOENIX_TOPIC: "phoenix",
      HEARTBEAT: "heartbeat",
      JOIN: "phx_join",
      LEAVE: "phx_leave",
      REPLY: "phx_reply",
      CLOSE: "phx_close",
      ERROR: "phx_error",
      POSITION: "fenix_position",
      RECOVER: "fenix_recover",
    });
  });
});

describe("isReservedEvent", () => {
  it.each([
    ["heartbeat", true],
    ["phx_join", true],
    ["phx_leave", true],
    ["phx_reply", true],
    ["phx_close", true],
    ["phx_error", true],
    ["fenix_position", true],
    ["fenix_recover", true],
    ["phoenix", false],
    ["new_msg", false],
    ["presence_diff", false],
    ["PHX_JOIN", false],
    ["", false],
  ])("tells that %j is reserved: %s", (event, expected) => {
    expect(isReservedEvent(event)).toBe(expected);
  });
});

describe("binary frame constants", () => {
  it("limits meta fields to 255 bytes, the most a one-byte length can say", () => {
    expect(BINARY_META_MAX_BYTES).toBe(255);
  });

  it("numbers the kinds push 0, reply 1, broadcast 2", () => {
    expect(BinaryKind).toEqual({ PUSH: 0, REPLY: 1, BROADCAST: 2 });
  });
});
