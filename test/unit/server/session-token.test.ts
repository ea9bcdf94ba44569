import { describe, expect, it } from "vitest";
import { SESSION_TOKEN_MAX_AGE_MS, SessionTokens } from "../../../src/server/longpoll/session-token.js";

const SECRET = "0123456789abcdef0123456789abcdef";

describe("SessionTokens", () => {
  it("verifies its own tokens and returns their claims", () => {
    const tokens = new SessionTokens(SECRET, "/socket");
    const token = tokens.sign({ session: "s1", node: "node.a" });
    expect(tokens.verify(token)).toEqual({ session: "s1", node: "node.a" });
  });

  it.each([
    ["missing", undefined],
    ["empty", ""],
    ["no signature", "abc"],
    ["garbage", "not.a-token"],
  ])("refuses a %s token", (_name, token) => {
    expect(new SessionTokens(SECRET, "/socket").verify(token)).toBeNull();
  });

  it("refuses a token whose body or signature was changed", () => {
    const tokens = new SessionTokens(SECRET, "/socket");
    const [body, mac] = tokens.sign({ session: "s1", node: "a" }).split(".") as [string, string];
    const forged = Buffer.from(JSON.stringify([1, "s2", "a", Date.now()])).toString("base64url");
    expect(tokens.verify(`${forged}.${mac}`)).toBeNull();
    expect(tokens.verify(`${body}.${mac.slice(1)}`)).toBeNull();
  });

  it("refuses tokens of another secret or another mount", () => {
    const token = new SessionTokens(SECRET, "/socket").sign({ session: "s", node: "a" });
    expect(new SessionTokens(`${SECRET}x`, "/socket").verify(token)).toBeNull();
    expect(new SessionTokens(SECRET, "/other").verify(token)).toBeNull();
  });

  it("refuses tokens older than 14 days", () => {
    let now = 1_000_000;
    const tokens = new SessionTokens(SECRET, "/socket", () => now);
    const token = tokens.sign({ session: "s", node: "a" });
    now += SESSION_TOKEN_MAX_AGE_MS;
    expect(tokens.verify(token)).not.toBeNull();
    now += 1;
    expect(tokens.verify(token)).toBeNull();
  });
});
