import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RealClock, assertDelay, realClock } from "../../../src/runtime/clock/clock.js";
import { RuntimeError, RuntimeErrorCode } from "../../../src/runtime/errors.js";

describe("RealClock", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("reads the time from Date.now", () => {
    vi.setSystemTime(1_700_000_000_000);
    expect(new RealClock().now()).toBe(1_700_000_000_000);
  });

  it("runs a timer once after its delay and can clear it before", () => {
    const clock = new RealClock();
    const log: string[] = [];
    clock.setTimeout(() => log.push("fired"), 100);
    const cleared = clock.setTimeout(() => log.push("cleared"), 100);
    clock.clearTimeout(cleared);
    vi.advanceTimersByTime(99);
    expect(log).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(log).toEqual(["fired"]);
    vi.advanceTimersByTime(1_000);
    expect(log).toEqual(["fired"]);
  });

  it("unrefs its timers so they never keep the process alive", () => {
    const unref = vi.fn();
    const spy = vi.spyOn(globalThis, "setTimeout").mockReturnValue({ unref } as unknown as ReturnType<typeof setTimeout>);
    try {
      realClock.setTimeout(() => {}, 10);
    } finally {
      spy.mockRestore();
    }
    expect(unref).toHaveBeenCalledOnce();
  });

  it("waits delays longer than the host's timer limit in hops instead of firing early", () => {
    const clock = new RealClock();
    let fired = false;
    const limit = 2_147_483_647;
    const handle = clock.setTimeout(() => (fired = true), limit + 1_000);
    vi.advanceTimersByTime(limit);
    expect(fired).toBe(false);
    vi.advanceTimersByTime(1_000);
    expect(fired).toBe(true);
    clock.clearTimeout(handle);
  });

  it("can clear a long timer between hops", () => {
    const clock = new RealClock();
    let fired = false;
    const limit = 2_147_483_647;
    const handle = clock.setTimeout(() => (fired = true), limit + 1_000);
    vi.advanceTimersByTime(limit + 10);
    clock.clearTimeout(handle);
    vi.advanceTimersByTime(10_000);
    expect(fired).toBe(false);
  });
});

describe("assertDelay", () => {
  it.each([[0], [1], [2.5], [1e12]])("accepts %s", (ms) => {
    expect(() => assertDelay(ms)).not.toThrow();
  });

  it.each([[-1], [Number.NaN], [Number.POSITIVE_INFINITY], ["10" as unknown as number]])("rejects %s, naming the argument", (ms) => {
    expect(() => assertDelay(ms, "timeout")).toThrow(RuntimeError);
    expect(() => assertDelay(ms, "timeout")).toThrow(/^timeout must be a finite number/);
    expect(() => assertDelay(ms)).toThrow(expect.objectContaining({ code: RuntimeErrorCode.BAD_ARGUMENT }));
  });
});
