/**
 * The origin check: loopback and configured hosts by default (never the request's own Host, which DNS
 * rebinding controls), allow-lists with scheme/port/wildcards, functions, off.
 */
import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { compileOriginCheck } from "../../../src/server/endpoint/origin.js";

function request(origin: string | undefined, host = "chat.example.com:4000"): IncomingMessage {
  return { headers: { host, ...(origin === undefined ? {} : { origin }) } } as IncomingMessage;
}

describe("compileOriginCheck", () => {
  it.each([
    [undefined, true],
    ["http://localhost:4000", true],
    ["https://LOCALHOST", true],
    ["http://127.0.0.1:5173", true],
    ["http://127.8.9.10", true],
    ["http://0x7f.1", true],
    ["http://[::1]:4000", true],
    ["http://chat.example.com:4000", false],
    ["http://localhost.evil.example", false],
    ["http://127.0.0.1.evil.example", false],
    ["http://128.0.0.1", false],
    ["http://[::2]", false],
    ["null", false],
    ["not a url", false],
  ])("with true and no hosts, origin %j passes: %s", (origin, expected) => {
    expect(compileOriginCheck(true)(request(origin))).toBe(expected);
  });

  it("with true, refuses a rebinding origin that names the request's own Host", () => {
    const check = compileOriginCheck(true);
    expect(check(request("http://evil.example", "evil.example"))).toBe(false);
    expect(check(request("http://evil.example:4000", "evil.example:4000"))).toBe(false);
  });

  const hosts = compileOriginCheck(true, ["chat.example.com", "*.example.org", "[::2]"]);
  it.each([
    ["http://chat.example.com:4000", "chat.example.com:4000", true],
    ["https://CHAT.example.com", "other.host", true],
    ["http://chat.example.com:9999", "chat.example.com", true],
    ["https://example.org", "example.org", true],
    ["https://a.b.example.org", "example.org", true],
    ["http://[::2]:4000", "[::2]:4000", true],
    ["http://localhost:4000", "chat.example.com", true],
    ["http://evil.example", "evil.example", false],
    ["https://chat.example.com.evil.example", "chat.example.com", false],
    ["https://notexample.org", "notexample.org", false],
  ])("with true and hosts, origin %j (Host %j) passes: %s", (origin, host, expected) => {
    expect(hosts(request(origin, host))).toBe(expected);
  });

  it.each([["https://chat.example.com"], ["chat.example.com:4000"], ["chat.example.com/"], [""], ["*"]])(
    "throws FENIX_ERR_SERVER_BAD_OPTION for the hosts entry %j",
    (entry) => {
      expect(() => compileOriginCheck(true, [entry])).toThrow(expect.objectContaining({ code: "FENIX_ERR_SERVER_BAD_OPTION" }));
      expect(() => compileOriginCheck(false, [entry])).toThrow(expect.objectContaining({ code: "FENIX_ERR_SERVER_BAD_OPTION" }));
    },
  );

  it("reads hosts only with true: an allow-list or a function decides alone", () => {
    expect(compileOriginCheck(["https://app.example"], ["chat.example.com"])(request("https://chat.example.com"))).toBe(false);
    expect(compileOriginCheck(() => false, ["chat.example.com"])(request("https://chat.example.com"))).toBe(false);
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
