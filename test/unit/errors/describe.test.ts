import { describe, expect, it } from "vitest";
import { DESCRIBE_MAX_CHARS, describeValue, truncate } from "../../../src/errors/describe.js";
import { replicaId } from "../../../src/presence/replica.js";
import { encodeNodeFrame } from "../../../src/pubsub/node-frame.js";
import { resolveChildSpec } from "../../../src/runtime/supervisor/child-spec.js";
import { RuntimeError, RuntimeErrorCode } from "../../../src/runtime/errors.js";
import { Pid, Ref } from "../../../src/runtime/process/pid.js";
import { Registry } from "../../../src/runtime/registry/registry.js";
import { Runtime } from "../../../src/runtime/process/runtime.js";
import { decodeTerm, encodeTerm } from "../../../src/server/token/etf.js";

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}
class Empty {}
class Named {
  toString(): string {
    return "Named<1>";
  }
}
class Widget {}

describe("truncate", () => {
  it("keeps texts of up to 80 characters whole", () => {
    expect(DESCRIBE_MAX_CHARS).toBe(80);
    expect(truncate("y".repeat(80))).toBe("y".repeat(80));
    expect(truncate("")).toBe("");
  });

  it("cuts longer texts to 79 characters and an ellipsis", () => {
    expect(truncate("y".repeat(81))).toBe(`${"y".repeat(79)}…`);
  });

  it("cuts to the length it is given", () => {
    expect(truncate("abcdef", 4)).toBe("abc…");
    expect(truncate("abcdef", 6)).toBe("abcdef");
    expect(truncate("abcdef", 1)).toBe("…");
  });

  it("treats a length below 1 as 1 and Infinity as no limit", () => {
    expect(truncate("abc", 0)).toBe("…");
    expect(truncate("abc", -5)).toBe("…");
    expect(truncate("x".repeat(500), Infinity)).toBe("x".repeat(500));
  });

  it("never splits a surrogate pair", () => {
    const text = `abc${"😀".repeat(10)}`;
    const cut = truncate(text, 5); // "abc" + half of 😀 would be 4 characters: keeps "abc"
    expect(cut).toBe("abc…");
    expect(truncate(text, 6)).toBe("abc😀".slice(0, 5) + "…");
    expect(truncate(text, 6)).toHaveLength(6);
  });
});

describe("describeValue", () => {
  it.each<[string, unknown, string]>([
    ["undefined", undefined, "nothing"],
    ["null", null, "null"],
    ["a number", 7, "7"],
    ["NaN", Number.NaN, "NaN"],
    ["a negative float", -1.5, "-1.5"],
    ["a boolean", true, "true"],
    ["a bigint", 10n, "10n"],
    ["a symbol", Symbol("s"), "Symbol(s)"],
    ["a string", "hi", '"hi"'],
    ["a string with quotes", 'say "hi"', '"say \\"hi\\""'],
    ["the empty string", "", '""'],
    ["an array", [1, "a"], '[1,"a"]'],
    ["a plain object", { a: 1 }, '{"a":1}'],
    ["an object without prototype", Object.assign(Object.create(null) as object, { k: "v" }), '{"k":"v"}'],
    ["bytes", new Uint8Array(3), "3 bytes"],
    ["one byte", new Uint8Array(1), "1 byte"],
    ["a Buffer", Buffer.from("abcd"), "4 bytes"],
    ["an ArrayBuffer", new ArrayBuffer(5), "5 bytes"],
    ["another typed array", new Float64Array(2), "a Float64Array of 16 bytes"],
    ["a named function", function handler() {}, "the function handler"],
    ["an anonymous function", (() => () => {})(), "a function"],
    ["a class", Point, "the class Point"],
    ["an Error", new TypeError("boom"), "TypeError: boom"],
    ["an error with a code", new RuntimeError(RuntimeErrorCode.BAD_ARGUMENT, "bad"), "RuntimeError [FENIX_ERR_RUNTIME_BAD_ARGUMENT]: bad"],
    ["a Pid", new Pid(3, "n1"), new Pid(3, "n1").toString()],
    ["a Ref", new Ref(9), new Ref(9).toString()],
    ["an instance with its own toString", new Named(), "Named<1>"],
    ["an instance with fields", new Point(1, 2), 'a Point {"x":1,"y":2}'],
    ["an instance without fields", new Empty(), "an Empty"],
    ["an instance whose class starts with a consonant", new Widget(), "a Widget"],
    ["a Map", new Map([[1, 2]]), "a Map of 1 entry"],
    ["a Set", new Set([1, 2]), "a Set of 2 items"],
    ["a Date", new Date(0), "a Date 1970-01-01T00:00:00.000Z"],
    ["an invalid Date", new Date(Number.NaN), "an invalid Date"],
  ])("describes %s", (_name, value, expected) => {
    expect(describeValue(value)).toBe(expected);
  });

  it("describes values JSON cannot write by their kind", () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const list: unknown[] = [1, 2];
    list.push(list);
    expect(describeValue(cycle)).toBe("an object");
    expect(describeValue(list)).toBe("an array of 3 items");
    expect(describeValue({ n: 1n })).toBe("an object");
  });

  it("describes a value it cannot even inspect without throwing", () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(describeValue(proxy)).toBe("an unreadable value");
    const hostile = {
      toJSON() {
        throw new Error("no");
      },
    };
    expect(describeValue(hostile)).toBe("an object");
    class Broken {
      readonly n = 1;
      toString(): string {
        throw new Error("no");
      }
    }
    expect(describeValue(new Broken())).toBe('a Broken {"n":1}');
  });

  it("cuts long values to 80 characters", () => {
    const described = describeValue({ list: "x".repeat(200) });
    expect(described).toHaveLength(80);
    expect(described.endsWith("…")).toBe(true);
  });

  it("cuts long strings inside their quotes", () => {
    const described = describeValue("x".repeat(200));
    expect(described).toHaveLength(80);
    expect(described).toBe(`"${"x".repeat(77)}…"`);
    expect(describeValue("x".repeat(78))).toBe(`"${"x".repeat(78)}"`);
    expect(describeValue("x".repeat(79))).toBe(`"${"x".repeat(77)}…"`);
  });

  it("keeps the quotes balanced when escapes make a string longer", () => {
    const described = describeValue("\n".repeat(100), 20);
    expect(described.length).toBeLessThanOrEqual(20);
    expect(described.startsWith('"')).toBe(true);
    expect(described.endsWith('…"')).toBe(true);
    expect(JSON.parse(described)).toMatch(/^\n+…$/);
  });

  it("cuts to the length it is given", () => {
    expect(describeValue([1, 2, 3, 4, 5], 6)).toBe("[1,2,…");
    expect(describeValue("abcdef", 6)).toBe('"abc…"');
    expect(describeValue("abcdef", 1)).toBe("…");
    const long = { key: "k".repeat(500) };
    expect(describeValue(long, 200)).toHaveLength(200);
    expect(describeValue(long, 1000)).toBe(JSON.stringify(long));
  });
});

describe("error messages of every layer", () => {
  function messageOf(fn: () => unknown): string {
    try {
      fn();
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error("expected a throw");
  }

  it("show received values the same way", () => {
    expect(messageOf(() => resolveChildSpec({ id: ["a"], start: () => null }, "children[0]"))).toContain('received ["a"].');
    expect(messageOf(() => resolveChildSpec({ id: "a", start: () => null, type: undefined, restart: "always" }, "children[0]"))).toContain(
      'received "always".',
    );
    expect(messageOf(() => replicaId("", 1))).toContain('received "".');
    expect(messageOf(() => replicaId("n", -1))).toContain("received -1.");
    expect(messageOf(() => decodeTerm(42 as unknown as Uint8Array))).toContain("got 42");
    expect(messageOf(() => encodeTerm(new Widget()))).toContain("a Widget is not a plain object");
    expect(messageOf(() => encodeNodeFrame("t", "d", undefined))).toContain("it is nothing.");
  });

  it("show a Pid as the Pid, not as JSON", async () => {
    const runtime = new Runtime();
    const registry = new Registry({ keys: "unique", runtime });
    expect(messageOf(() => registry.register("k", undefined as unknown as Pid))).toContain("pid must be a Pid, received nothing.");
    expect(messageOf(() => new Registry({ keys: "many" as "unique", runtime }))).toContain('received "many".');
  });
});
