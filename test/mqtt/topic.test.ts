/** MQTT topic names and filters: validity, shared filters, and matching with `+`, `#` and the `$` rule. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isValidTopicFilter, isValidTopicName, parseSharedFilter, topicMatches } from "../../src/mqtt/topic.js";

describe("isValidTopicName", () => {
  it.each([
    "sport/tennis/player1",
    "sport",
    "/",
    "/finance",
    "finance/",
    "a//b",
    "$SYS/broker/uptime",
    " ",
    "ünïcødé/主题/😀",
    "a".repeat(65_535),
  ])("accepts %j", (name) => {
    expect(isValidTopicName(name)).toBe(true);
  });

  it.each([
    ["empty", ""],
    ["a +", "sport/+"],
    ["a # ", "sport/#"],
    ["a + inside a level", "sp+ort"],
    ["a # inside a level", "sp#ort"],
    ["U+0000", "a\u0000b"],
    ["65 536 ASCII bytes", "a".repeat(65_536)],
    ["65 536 UTF-8 bytes from 2-byte characters", "é".repeat(32_768)],
    ["more than 65 535 bytes from 3-byte characters", "主".repeat(21_846)],
    ["more than 65 535 bytes from 4-byte characters", "😀".repeat(16_384)],
    ["an unpaired high surrogate", "a\ud800"],
    ["an unpaired low surrogate", "\udc00a"],
  ])("refuses %s", (_, name) => {
    expect(isValidTopicName(name)).toBe(false);
  });

  it("counts UTF-8 bytes, not UTF-16 code units", () => {
    expect(isValidTopicName("é".repeat(32_767) + "a")).toBe(true); // 65 535 bytes
    expect(isValidTopicName("主".repeat(21_845))).toBe(true); // 65 535 bytes
    expect(isValidTopicName("😀".repeat(16_383) + "abc")).toBe(true); // 65 535 bytes
    expect(isValidTopicName("😀".repeat(16_383) + "abcd")).toBe(false); // 65 536 bytes
  });
});

describe("isValidTopicFilter", () => {
  it.each([
    "sport/tennis/player1/#",
    "sport/#",
    "#",
    "+",
    "+/tennis/#",
    "sport/+/player1",
    "+/+",
    "/+",
    "+/",
    "//",
    "a//b",
    "/a",
    "$SYS/#",
    "$share/group/a",
    "a/+/+/#",
    "a".repeat(65_535),
  ])("accepts %j", (filter) => {
    expect(isValidTopicFilter(filter)).toBe(true);
  });

  it.each([
    ["empty", ""],
    ["# not last", "sport/tennis/#/ranking"],
    ["# sharing a level", "sport/tennis#"],
    ["# before other characters", "#a"],
    ["## as a level", "a/##"],
    ["+ sharing a level", "sport+"],
    ["+ after other characters in a level", "sport/ten+"],
    ["+ before other characters in a level", "+a/b"],
    ["++ as a level", "a/++"],
    ["+# as a level", "+#"],
    ["U+0000", "a/\u0000"],
    ["65 536 bytes", "a".repeat(65_536)],
    ["an unpaired surrogate", "a/\ud83d"],
  ])("refuses %s", (_, filter) => {
    expect(isValidTopicFilter(filter)).toBe(false);
  });
});

describe("parseSharedFilter", () => {
  it.each(["sport/#", "#", "$share", "$SYS/#", "$sharex/g/a", "share/g/a", "a/$share/g/b"])("returns null for the ordinary filter %j", (filter) => {
    expect(parseSharedFilter(filter)).toBeNull();
  });

  it.each([
    ["$share/consumer1/sport/tennis/+", "consumer1", "sport/tennis/+"],
    ["$share/consumer2/sport/tennis/+", "consumer2", "sport/tennis/+"],
    ["$share/g/#", "g", "#"],
    ["$share/g/+", "g", "+"],
    ["$share/g//finance", "g", "/finance"],
    ["$share/g/a/", "g", "a/"],
    ["$share/$g/$SYS/#", "$g", "$SYS/#"],
  ])("splits %j into group %j and filter %j", (shared, group, filter) => {
    expect(parseSharedFilter(shared)).toEqual({ group, filter });
  });

  it.each([
    ["nothing after the prefix", "$share/"],
    ["no filter part", "$share/group"],
    ["an empty filter", "$share/group/"],
    ["an empty group", "$share//a"],
    ["+ as the group", "$share/+/a"],
    ["# as the group", "$share/#/a"],
    ["+ inside the group", "$share/g+/a"],
    ["# inside the group", "$share/g#/a"],
    ["U+0000 in the group", "$share/g\u0000/a"],
    ["an invalid inner filter", "$share/g/a/#/b"],
    ["an inner filter with a broken +", "$share/g/a+"],
    ["a whole string over 65 535 bytes", `$share/g/${"a".repeat(65_530)}`],
  ])("returns undefined for %s", (_, shared) => {
    expect(parseSharedFilter(shared)).toBeUndefined();
  });
});

describe("topicMatches", () => {
  it.each([
    // MQTT 3.1.1 §4.7.1.2 / 5.0 §4.7.1.2, the multi-level wildcard.
    ["sport/tennis/player1/#", "sport/tennis/player1", true],
    ["sport/tennis/player1/#", "sport/tennis/player1/ranking", true],
    ["sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true],
    ["sport/tennis/player1/#", "sport/tennis/player2", false],
    ["sport/tennis/player1/#", "sport/tennis", false],
    ["sport/#", "sport", true],
    ["sport/#", "sport/", true],
    ["#", "sport/tennis/player1", true],
    ["#", "/", true],
    ["a/#", "a", true],
    ["a/#", "a/", true],
    ["a/#", "a/b/c", true],
    ["a/#", "ab", false],
    ["a/#", "b/a", false],
    // §4.7.1.3, the single-level wildcard.
    ["sport/tennis/+", "sport/tennis/player1", true],
    ["sport/tennis/+", "sport/tennis/player2", true],
    ["sport/tennis/+", "sport/tennis/player1/ranking", false],
    ["sport/+", "sport", false],
    ["sport/+", "sport/", true],
    ["sport/+", "sport/tennis/player1", false],
    ["+/+", "/finance", true],
    ["/+", "/finance", true],
    ["+", "/finance", false],
    ["+", "finance", true],
    ["+/tennis/#", "sport/tennis/player1", true],
    ["+/tennis/#", "sport/tennis", true],
    ["+/tennis/#", "sport/golf", false],
    ["sport/+/player1", "sport/tennis/player1", true],
    ["sport/+/player1", "sport//player1", true],
    ["sport/+/player1", "sport/player1", false],
    ["+/+/#", "a/b", true],
    ["+/+/#", "a", false],
    // Exact levels, empty levels and case.
    ["sport/tennis", "sport/tennis", true],
    ["sport/tennis", "Sport/tennis", false],
    ["sport/tennis", "sport/tennis/", false],
    ["sport/tennis/", "sport/tennis/", true],
    ["a//b", "a//b", true],
    ["a//b", "a/b", false],
    ["a/+/b", "a//b", true],
    ["/", "/", true],
    ["+/+", "/", true],
    ["ACCOUNTS", "Accounts", false],
    ["a/b", "a/b/c", false],
    ["a/b/c", "a/b", false],
  ])("%j matches %j: %s", (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });

  it.each([
    // §4.7.2: a filter starting with a wildcard does not match a topic starting with `$`.
    ["#", "$SYS/broker/clients", false],
    ["#", "$SYS", false],
    ["+/monitor/Clients", "$SYS/monitor/Clients", false],
    ["+/x", "$a/x", false],
    ["+", "$", false],
    ["+/#", "$SYS/x", false],
    ["$SYS/#", "$SYS/x", true],
    ["$SYS/#", "$SYS", true],
    ["$SYS/monitor/+", "$SYS/monitor/Clients", true],
    ["$SYS/+/Clients", "$SYS/monitor/Clients", true],
    // Only the first level counts: `$` further on is an ordinary character.
    ["#", "a/$SYS", true],
    ["a/+", "a/$b", true],
    ["+/+", "a/$b", true],
    ["#", "x$/y", true],
  ])("the $ rule: %j matches %j: %s", (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });
});

describe("topicMatches, properties", () => {
  // Levels from a small alphabet so that random filters and topics often share levels.
  const nameLevel = fc.constantFrom("a", "b", "", "$x", "$SYS", "é");
  const filterLevel = fc.oneof(nameLevel, fc.constant("+"));
  // A single empty level would be the empty string, which is not a valid name or filter.
  const topicArb = fc
    .array(nameLevel, { minLength: 1, maxLength: 5 })
    .map((levels) => levels.join("/"))
    .filter((topic) => topic.length > 0);
  const filterArb = fc
    .tuple(fc.array(filterLevel, { minLength: 1, maxLength: 5 }), fc.boolean())
    .map(([levels, hash]) => (hash ? [...levels.slice(0, -1), "#"] : levels).join("/"))
    .filter((filter) => filter.length > 0);

  /** An independent reference: the filter as a regular expression. */
  function reference(filter: string, topic: string): boolean {
    if (/^[+#]/.test(filter) && topic.startsWith("$")) return false;
    const escape = (level: string): string => level.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const levels = filter.split("/");
    const hash = levels.at(-1) === "#";
    const fixed = (hash ? levels.slice(0, -1) : levels).map((level) => (level === "+" ? "[^/]*" : escape(level)));
    const source = hash ? (fixed.length === 0 ? ".*" : `${fixed.join("/")}(/.*)?`) : fixed.join("/");
    return new RegExp(`^${source}$`, "su").test(topic);
  }

  it("generated filters and topics are valid", () => {
    fc.assert(
      fc.property(filterArb, topicArb, (filter, topic) => {
        expect(isValidTopicFilter(filter)).toBe(true);
        expect(isValidTopicName(topic)).toBe(true);
      }),
    );
  });

  it("agrees with a regular-expression reference", () => {
    fc.assert(
      fc.property(filterArb, topicArb, (filter, topic) => {
        expect(topicMatches(filter, topic)).toBe(reference(filter, topic));
      }),
      { numRuns: 2000 },
    );
  });

  it("a valid topic name is a valid filter that matches itself", () => {
    fc.assert(
      fc.property(topicArb, (topic) => {
        expect(isValidTopicFilter(topic)).toBe(true);
        expect(topicMatches(topic, topic)).toBe(true);
      }),
    );
  });

  it("a topic built by filling in a filter's wildcards matches it, unless the $ rule forbids", () => {
    fc.assert(
      fc.property(filterArb, fc.array(nameLevel, { minLength: 5, maxLength: 5 }), fc.array(nameLevel, { maxLength: 3 }), (filter, fill, tail) => {
        const levels = filter.split("/");
        const topicLevels: string[] = [];
        levels.forEach((level, i) => {
          if (level === "+") topicLevels.push(fill[i]!);
          else if (level === "#") topicLevels.push(...tail);
          else topicLevels.push(level);
        });
        const topic = topicLevels.join("/");
        fc.pre(topic.length > 0);
        const dollarBlocked = (filter.startsWith("+") || filter.startsWith("#")) && topic.startsWith("$");
        expect(topicMatches(filter, topic)).toBe(!dollarBlocked);
      }),
    );
  });
});
