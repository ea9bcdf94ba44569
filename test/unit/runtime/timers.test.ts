import { describe, expect, it } from "vitest";
import { RuntimeError, RuntimeErrorCode } from "../../../src/runtime/errors.js";
import { Runtime } from "../../../src/runtime/process/runtime.js";
import { VirtualClock } from "../../../src/runtime/clock/virtual-clock.js";
import { Probe, settle } from "./probe.js";

describe("Runtime: sendAfter and cancelTimer", () => {
  it("sends the message once the clock has advanced by the delay, not before", async () => {
    const clock = new VirtualClock();
    const runtime = new Runtime({ clock });
    const probe = new Probe(runtime);
    runtime.sendAfter(probe.pid, "tick", 100);
    clock.advance(99);
    await settle();
    expect(probe.received).toEqual([]);
    clock.advance(1);
    await settle();
    expect(probe.received).toEqual(["tick"]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it("sends timers in due order", async () => {
    const clock = new VirtualClock();
    const runtime = new Runtime({ clock });
    const probe = new Probe(runtime);
    runtime.sendAfter(probe.pid, "late", 20);
    runtime.sendAfter(probe.pid, "early", 10);
    runtime.sendAfter(probe.pid, "early-too", 10);
    clock.advance(30);
    await settle();
    expect(probe.received).toEqual(["early", "early-too", "late"]);
  });

  it("sends nothing after cancelTimer", async () => {
    const clock = new VirtualClock();
    const runtime = new Runtime({ clock });
    const probe = new Probe(runtime);
    const handle = runtime.sendAfter(probe.pid, "tick", 50);
    runtime.cancelTimer(handle);
    runtime.cancelTimer(handle);
    clock.advance(100);
    await settle();
    expect(probe.received).toEqual([]);
  });

  it("drops the message when the process has ended before the timer fires", () => {
    const clock = new VirtualClock();
    const runtime = new Runtime({ clock });
    const probe = new Probe(runtime);
    runtime.sendAfter(probe.pid, "tick", 10);
    probe.halt();
    expect(() => clock.advance(10)).not.toThrow();
    expect(probe.received).toEqual([]);
  });

  it.each([[-1], [Number.NaN], [Number.POSITIVE_INFINITY]])("rejects the delay %s with BAD_ARGUMENT", (ms) => {
    const runtime = new Runtime({ clock: new VirtualClock() });
    const probe = new Probe(runtime);
    const attempt = (): unknown => runtime.sendAfter(probe.pid, "tick", ms);
    expect(attempt).toThrow(RuntimeError);
    expect(attempt).toThrow(expect.objectContaining({ code: RuntimeErrorCode.BAD_ARGUMENT }));
  });
});
