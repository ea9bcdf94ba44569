/** Query params as the official client encodes them: flat, nested by brackets, arrays as indexes. */
import { describe, expect, it } from "vitest";
import { parseQueryParams } from "../../../src/server/socket/query-params.js";

const plain = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;

describe("parseQueryParams", () => {
  it.each([
    ["", {}],
    ["?token=abc&vsn=2.0.0", { token: "abc", vsn: "2.0.0" }],
    ["token=abc&user%5Bid%5D=1&vsn=2.0.0", { token: "abc", user: { id: "1" }, vsn: "2.0.0" }],
    ["a%5B0%5D=x&a%5B1%5D=y", { a: { "0": "x", "1": "y" } }],
    ["a[]=x&a[]=y", { a: { "0": "x", "1": "y" } }],
    ["deep[a][b][c]=1", { deep: { a: { b: { c: "1" } } } }],
    ["name=J%C3%BCrgen+M", { name: "Jürgen M" }],
    ["flag", { flag: "" }],
    ["x=1&x=2", { x: "2" }],
    ["bad=%E0%A4%A&ok=1", { ok: "1" }],
  ])("parses %j", (query, expected) => {
    expect(plain(parseQueryParams(query))).toEqual(expected);
  });

  it("drops keys that would reach Object.prototype", () => {
    const params = parseQueryParams("__proto__[polluted]=1&constructor[prototype][x]=1&a[__proto__][y]=2&ok=1");
    expect(plain(params)).toEqual({ ok: "1", a: {} });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
