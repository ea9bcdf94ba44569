import { describe, expect, it } from "vitest";
import { matches, mismatch } from "../../../src/testing/match.js";
import { describeValue } from "../../../src/testing/describe-value.js";
import { connectParams, connectQuery } from "../../../src/testing/connect-params.js";

describe("matches: deep-partial patterns and predicates", () => {
  const cases: Array<[string, unknown, unknown, boolean]> = [
    ["no pattern matches anything", { a: 1 }, undefined, true],
    ["an object pattern ignores keys it leaves out", { a: 1, b: 2 }, { a: 1 }, true],
    ["nested objects match partially", { a: { b: 1, c: 2 } }, { a: { b: 1 } }, true],
    ["a differing value fails", { a: 1 }, { a: 2 }, false],
    ["a missing key fails", { a: 1 }, { b: 1 }, false],
    ["undefined in a pattern matches a missing key", { a: 1 }, { b: undefined }, true],
    ["arrays need the same length", { list: [1, 2] }, { list: [1] }, false],
    ["arrays match element by element, objects inside partially", { list: [{ a: 1, b: 2 }] }, { list: [{ a: 1 }] }, true],
    ["bytes match by value", { data: Uint8Array.of(1, 2) }, { data: Uint8Array.of(1, 2) }, true],
    ["bytes of another length fail", Uint8Array.of(1, 2), Uint8Array.of(1), false],
    ["bytes do not match an object", { 0: 1 }, Uint8Array.of(1), false],
    ["an object pattern does not match bytes", Uint8Array.of(1), { 0: 1 }, false],
    ["a top-level predicate decides", { n: 3 }, (p: { n: number }) => p.n > 2, true],
    ["a predicate inside a pattern decides for its value", { at: 5, n: 1 }, { at: (v: number) => v > 0 }, true],
    ["a predicate that returns something else than true fails", { n: 1 }, () => 1, false],
    ["NaN matches NaN", { n: Number.NaN }, { n: Number.NaN }, true],
    ["null matches only null", { n: null }, { n: 0 }, false],
    ["keys of prototype-less objects are found", Object.assign(Object.create(null) as object, { k: 1 }), { k: 1 }, true],
  ];
  it.each(cases)("%s", (_name, actual, pattern, expected) => {
    expect(matches(actual, pattern)).toBe(expected);
  });
});

describe("mismatch: the first difference, named by its path", () => {
  it.each([
    [{ a: { b: 1 } }, { a: { b: 2 } }, "at .a.b: expected 2, got 1"],
    [{ list: [1, 2] }, { list: [1, 3] }, "at .list[1]: expected 3, got 2"],
    [{ "a-b": 1 }, { "a-b": 2 }, 'at ["a-b"]: expected 2, got 1'],
    [{}, { a: 1 }, "at .a: expected 1, but the key is missing"],
    [{ a: [1] }, { a: [1, 2] }, "at .a: expected 2 elements, got 1: [1]"],
    [5, 6, "expected 6, got 5"],
  ])("%j against %j", (actual, pattern, message) => {
    expect(mismatch(actual, pattern)).toBe(message);
  });

  it("says what a predicate returned, or threw", () => {
    function positive(n: number) {
      return n > 0;
    }
    expect(mismatch(-1, positive)).toBe("a predicate (positive) returned false for -1");
    expect(
      mismatch(1, () => {
        throw new Error("nope");
      }),
    ).toBe("a predicate threw nope for 1");
  });
});

describe("describeValue", () => {
  it.each([
    [{ a: 1 }, '{"a":1}'],
    [Uint8Array.of(1, 255), "<2 bytes: 01 ff>"],
    [new Uint8Array(0), "<0 bytes>"],
    [{ data: new Uint8Array(20) }, '{"data":<20 bytes: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 …>}'],
    [undefined, "undefined"],
    ["x".repeat(300), `"${"x".repeat(198)}…`],
  ])("shows %j", (value, text) => {
    expect(describeValue(value)).toBe(text);
  });
});

describe("connect params", () => {
  it("encode as the official client does, vsn last, and reach connect as strings", () => {
    expect(connectQuery({ token: "a b", user: { id: 1 }, tags: ["x", "y"] })).toBe(
      "token=a%20b&user%5Bid%5D=1&tags%5B%5D=x&tags%5B%5D=y&vsn=2.0.0",
    );
    expect(connectParams({ token: "a b", page: 2, ok: true, user: { id: 1 }, tags: ["x"] })).toEqual({
      token: "a b",
      page: "2",
      ok: "true",
      user: { id: "1" },
      tags: { "0": "x" },
      vsn: "2.0.0",
    });
  });
});
