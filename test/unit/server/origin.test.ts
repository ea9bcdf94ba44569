/** The origin check: same host by default, allow-lists with scheme/port/wildcards, functions, off. */
import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { compileOriginCheck } from "../../../src/server/origin.js";

function request(origin: string | undefined, host = "chat.example.com:4000"): IncomingMessage {
  return { headers: { host, ...(origin === undefined ? {} : { origin }) } } as IncomingMessage;
}

describe("compileOriginCheck", () => {
  it.each([
    [undefined, true],
    ["http://chat.example.com:4000", true],
    ["https://chat.example.com", true],
    ["http://CHAT.example.com:9999", true],
    ["http://evil.example.com:4000", false],
    ["null", false],
    ["not a url", false],
  ])("with true, origin %j passes: %s", (origin, expected) => {
    expect(compileOriginCheck(true)(request(origin))).toBe(expected);
  });

  const list = compileOriginCheck(["https://example.com", "//another.com:888", "//*.other.com"]);
  it.each([
    ["https://example.com", true],
    ["https://example.com:443", true],
    ["http://example.com", false],
    ["https://example.com:8443", false],
    ["http://another.com:888", true],
    ["https://another.com:888", true],
    ["http://another.com", false],
    ["http://other.com", true],
    ["https://a.b.other.com", true],
    ["https://notother.com", false],
  ])("with an allow-list, origin %j passes: %s", (origin, expected) => {
    expect(list(request(origin))).toBe(expected);
  });

  it("accepts every origin with false, and asks a function otherwise", () => {
    expect(compileOriginCheck(false)(request("http://anything.test"))).toBe(true);
    const check = compileOriginCheck((origin) => origin.hostname.endsWith(".trusted.test"));
    expect(check(request("https://app.trusted.test"))).toBe(true);
    expect(check(request("https://app.untrusted.test"))).toBe(false);
    expect(check(request(undefined))).toBe(true);
  });
});
