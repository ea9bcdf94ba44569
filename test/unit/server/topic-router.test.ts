/** Topic routing: trailing-`*` prefix patterns, exact patterns, the bare `*`, first match wins. */
import { describe, expect, it } from "vitest";
import { ServerErrorCode } from "../../../src/index.js";
import { compileTopicPattern, TopicRouter } from "../../../src/server/channel/topic-pattern.js";

describe("compileTopicPattern", () => {
  it.each([
    ["room:*", "room:lobby", true],
    ["room:*", "room:", true],
    ["room:*", "room", false],
    ["room:*", "rooms:1", false],
    ["room:lobby", "room:lobby", true],
    ["room:lobby", "room:lobby2", false],
    ["*", "anything:at all", true],
    ["*", "", true],
    ["a:b:*", "a:b:c:d", true],
  ])("pattern %j matches %j: %s", (pattern, topic, expected) => {
    expect(compileTopicPattern(pattern).matches(topic)).toBe(expected);
  });

  it.each(["room:*:x", "*room", "a*b", ""])("refuses the pattern %j with a typed error", (pattern) => {
    expect(() => compileTopicPattern(pattern)).toThrow(expect.objectContaining({ code: ServerErrorCode.BAD_TOPIC_PATTERN }));
  });
});

describe("TopicRouter", () => {
  it("routes to the first matching pattern in declaration order", () => {
    const router = new TopicRouter<string>([
      ["room:admin", "admin"],
      ["room:*", "room"],
      ["*", "fallback"],
      ["room:other", "never"],
    ]);
    expect(router.match("room:admin")).toBe("admin");
    expect(router.match("room:other")).toBe("room");
    expect(router.match("game:1")).toBe("fallback");
    expect(router.patterns).toEqual(["room:admin", "room:*", "*", "room:other"]);
  });

  it("returns undefined when nothing matches", () => {
    expect(new TopicRouter([["room:*", 1]]).match("game:1")).toBeUndefined();
  });
});
