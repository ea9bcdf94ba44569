/** The handshake auth token: `base64url.bearer.phx.<unpadded standard base64>` beside `phoenix`. */
import { describe, expect, it } from "vitest";
import { parseSubprotocols } from "../../../src/server/socket/auth-token.js";

const encode = (token: string) => Buffer.from(token, "utf8").toString("base64").replace(/=+$/, "");

describe("parseSubprotocols", () => {
  it("reads the token and keeps the other protocols", () => {
    const offer = parseSubprotocols(`phoenix, base64url.bearer.phx.${encode("SFMyNTY.g2gDYQ.abc")}`);
    expect(offer).toEqual({ protocols: ["phoenix"], authToken: "SFMyNTY.g2gDYQ.abc" });
  });

  it("decodes tokens whose base64 contains + and /", () => {
    const token = "?>~\u00ff token";
    const encoded = Buffer.from(token, "latin1").toString("base64").replace(/=+$/, "");
    expect(encoded).toMatch(/[+/]/);
    expect(parseSubprotocols(`phoenix,base64url.bearer.phx.${encoded}`).authToken).toBe(Buffer.from(token, "latin1").toString("utf8"));
  });

  it.each([
    [undefined, { protocols: [], authToken: undefined }],
    ["", { protocols: [], authToken: undefined }],
    ["phoenix", { protocols: ["phoenix"], authToken: undefined }],
    ["mqtt, chat", { protocols: ["mqtt", "chat"], authToken: undefined }],
    [`phoenix, base64url.bearer.phx.${encode("a")}, base64url.bearer.phx.${encode("b")}`, { protocols: ["phoenix"], authToken: undefined }],
    ["phoenix, base64url.bearer.phx.not*base64", { protocols: ["phoenix"], authToken: undefined }],
  ])("parses %j", (header, expected) => {
    expect(parseSubprotocols(header)).toEqual(expected);
  });
});
