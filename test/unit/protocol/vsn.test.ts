import { describe, expect, it } from "vitest";
import { DEFAULT_SERIALIZERS, negotiateSerializer } from "../../../src/protocol/vsn.js";
import { V1JsonSerializer } from "../../../src/protocol/v1-json.js";
import { V2JsonSerializer } from "../../../src/protocol/v2-json.js";
import type { Serializer } from "../../../src/protocol/serializer.js";

describe("negotiateSerializer", () => {
  it.each<[string, unknown, Serializer | null]>([
    ["an absent vsn", undefined, V1JsonSerializer],
    ["1.0.0", "1.0.0", V1JsonSerializer],
    ["1.0.9", "1.0.9", V1JsonSerializer],
    ["2.0.0", "2.0.0", V2JsonSerializer],
    ["2.0.12", "2.0.12", V2JsonSerializer],
    ["2.1.0", "2.1.0", null],
    ["1.1.0", "1.1.0", null],
    ["3.0.0", "3.0.0", null],
    ["0.0.1", "0.0.1", null],
    ["2.0", "2.0", null],
    ["2", "2", null],
    ["2.0.0.0", "2.0.0.0", null],
    ["2.0.x", "2.0.x", null],
    ["v2.0.0", "v2.0.0", null],
    ["2.0.0-rc.1", "2.0.0-rc.1", null],
    ["a padded 2.0.0", " 2.0.0", null],
    ["a leading zero", "02.0.0", null],
    ["an empty string", "", null],
    ["garbage", "latest", null],
    ["null", null, null],
    ["a number", 2, null],
    ["an array", ["2.0.0"], null],
    ["an object", { vsn: "2.0.0" }, null],
  ])("maps %s to the right serializer or null", (_name, vsn, expected) => {
    expect(negotiateSerializer(vsn)).toBe(expected);
  });

  it("offers V1 then V2 by default", () => {
    expect(DEFAULT_SERIALIZERS).toEqual([V1JsonSerializer, V2JsonSerializer]);
  });

  it("chooses only among the serializers it is given", () => {
    expect(negotiateSerializer(undefined, [V2JsonSerializer])).toBeNull();
    expect(negotiateSerializer("2.0.3", [V2JsonSerializer])).toBe(V2JsonSerializer);
  });
});
