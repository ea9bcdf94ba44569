import { describe, expect, it } from "vitest";
import { FenixError } from "../../../src/errors/fenix-error.js";
import { RuntimeError, RuntimeErrorCode } from "../../../src/runtime/errors.js";
import { Runtime } from "../../../src/runtime/process/runtime.js";
import { VirtualClock } from "../../../src/runtime/clock/virtual-clock.js";

describe("RuntimeError", () => {
  it("is a FenixError with a stable code and a cause", () => {
    const cause = new Error("root");
    const err = new RuntimeError(RuntimeErrorCode.BAD_ARGUMENT, "bad delay", { cause });
    expect(err).toBeInstanceOf(FenixError);
    expect(err.name).toBe("RuntimeError");
    expect(err.code).toBe("FENIX_ERR_RUNTIME_BAD_ARGUMENT");
    expect(err.cause).toBe(cause);
  });

  it("names every code FENIX_ERR_RUNTIME_<KEY>", () => {
    for (const [key, code] of Object.entries(RuntimeErrorCode)) expect(code).toBe(`FENIX_ERR_RUNTIME_${key}`);
  });
});

describe("Runtime options", () => {
  it("defaults to node nonode and uses the given clock", () => {
    const clock = new VirtualClock();
    const runtime = new Runtime({ clock });
    expect(runtime.node).toBe("nonode");
    expect(runtime.clock).toBe(clock);
  });

  it.each<[string, object]>([
    ["an empty node name", { node: "" }],
    ["a node name that is not a string", { node: 7 }],
    ["an onCrash that is not a function", { onCrash: "log" }],
  ])("rejects %s with BAD_ARGUMENT", (_name, options) => {
    expect(() => new Runtime(options)).toThrow(expect.objectContaining({ code: RuntimeErrorCode.BAD_ARGUMENT }));
  });

  it("hands out a new ref on every makeRef", () => {
    const runtime = new Runtime({ node: "n1", clock: new VirtualClock() });
    const a = runtime.makeRef();
    const b = runtime.makeRef();
    expect(a).not.toBe(b);
    expect(a.id).not.toBe(b.id);
  });
});
