import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isRestartDue, resolveChildSpec } from "../../../src/runtime/supervisor/child-spec.js";
import type { RestartType } from "../../../src/runtime/supervisor/child-spec.js";
import { RuntimeErrorCode } from "../../../src/runtime/errors.js";
import { shutdown } from "../../../src/runtime/process/exit-reason.js";
import { RestartIntensity } from "../../../src/runtime/supervisor/restart-intensity.js";

describe("RestartIntensity", () => {
  it("allows maxRestarts restarts in the window and refuses the next one", () => {
    const intensity = new RestartIntensity(3, 5);
    expect([0, 100, 200].map((t) => intensity.record(t))).toEqual([true, true, true]);
    expect(intensity.record(300)).toBe(false);
  });

  it("lets restarts leave the window once they are maxSeconds old", () => {
    const intensity = new RestartIntensity(2, 1);
    expect(intensity.record(0)).toBe(true);
    expect(intensity.record(500)).toBe(true);
    expect(intensity.record(1_000)).toBe(true); // the one at 0 has left
    expect(intensity.record(1_499)).toBe(false); // 500, 1000, 1499 are all within 1 s
  });

  it("refuses every restart with maxRestarts 0", () => {
    const intensity = new RestartIntensity(0, 5);
    expect(intensity.record(0)).toBe(false);
  });

  it("defaults to 3 restarts in 5 seconds", () => {
    const intensity = new RestartIntensity();
    expect([intensity.maxRestarts, intensity.maxSeconds]).toEqual([3, 5]);
  });

  it.each<[unknown, unknown]>([
    [-1, 5],
    [1.5, 5],
    [Number.NaN, 5],
    ["3", 5],
    [3, 0],
    [3, -1],
    [3, Infinity],
  ])("rejects maxRestarts %j with maxSeconds %j", (maxRestarts, maxSeconds) => {
    expect(() => new RestartIntensity(maxRestarts as number, maxSeconds as number)).toThrow(
      expect.objectContaining({ code: RuntimeErrorCode.BAD_ARGUMENT }),
    );
  });

  it("agrees with counting every recorded restart in the window (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 1, max: 10 }),
        fc.array(fc.integer({ min: 0, max: 3_000 }), { maxLength: 40 }),
        (maxRestarts, maxSeconds, gaps) => {
          const intensity = new RestartIntensity(maxRestarts, maxSeconds);
          const times: number[] = [];
          let now = 0;
          for (const gap of gaps) {
            now += gap;
            times.push(now);
            const inWindow = times.filter((t) => now - t < maxSeconds * 1000).length;
            expect(intensity.record(now)).toBe(inWindow <= maxRestarts);
          }
        },
      ),
    );
  });
});

describe("child specs", () => {
  const start = () => null;

  it("fills in the defaults: permanent worker, 5000 ms; a supervisor waits forever", () => {
    expect(resolveChildSpec({ id: "w", start }, "spec")).toEqual({ id: "w", start, restart: "permanent", shutdown: 5_000, type: "worker" });
    expect(resolveChildSpec({ id: "s", start, type: "supervisor" }, "spec").shutdown).toBe("infinity");
  });

  it("lets a DynamicSupervisor spec leave out its id", () => {
    expect(resolveChildSpec({ start }, "spec", false).id).toBe("");
    expect(() => resolveChildSpec({ id: 7, start }, "spec", false)).toThrow(expect.objectContaining({ code: RuntimeErrorCode.BAD_CHILD_SPEC }));
  });

  it.each<[string, unknown, string]>([
    ["not an object", "worker", "must be an object"],
    ["a missing id", { start }, "id must be a non-empty string"],
    ["a start that is not a function", { id: "a", start: "Worker" }, "start must be a function"],
    ["a misspelt key", { id: "a", start, shutdwn: 10 }, 'unknown key "shutdwn"'],
    ["a bad restart", { id: "a", start, restart: "never" }, 'restart must be "permanent", "transient" or "temporary"'],
    ["a negative shutdown", { id: "a", start, shutdown: -5 }, "shutdown must be a finite number of ms > 0"],
    ["an infinite number as shutdown", { id: "a", start, shutdown: Infinity }, '"infinity"'],
    ["a bad type", { id: "a", start, type: "process" }, 'type must be "worker" or "supervisor"'],
  ])("rejects %s with a message that names the fix", (_name, spec, message) => {
    expect(() => resolveChildSpec(spec, "children[0]")).toThrow(
      expect.objectContaining({ code: RuntimeErrorCode.BAD_CHILD_SPEC, message: expect.stringContaining(message) }),
    );
  });

  it.each<[RestartType, unknown, boolean]>([
    ["permanent", "normal", true],
    ["permanent", new Error("x"), true],
    ["transient", "normal", false],
    ["transient", "shutdown", false],
    ["transient", shutdown("bye"), false],
    ["transient", "killed", true],
    ["temporary", new Error("x"), false],
  ])("restarts a %s child after %j: %s", (restart, reason, expected) => {
    expect(isRestartDue(restart, reason)).toBe(expected);
  });
});
