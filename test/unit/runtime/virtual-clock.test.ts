import { describe, expect, it } from "vitest";
import { realClock } from "../../../src/runtime/clock/clock.js";
import { RuntimeErrorCode } from "../../../src/runtime/errors.js";
import { VirtualClock } from "../../../src/runtime/clock/virtual-clock.js";
import { randomInt, seededRandom } from "./seeded-random.js";

describe("VirtualClock", () => {
  it("starts at the given time and moves only when advanced", () => {
    expect(new VirtualClock().now()).toBe(0);
    const clock = new VirtualClock(1_000);
    expect(clock.now()).toBe(1_000);
    clock.advance(250);
    expect(clock.now()).toBe(1_250);
    clock.advance(0);
    expect(clock.now()).toBe(1_250);
  });

  it("runs due timers in time order, ties in creation order, with now() at each timer's due time", () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const at = (name: string) => () => log.push(`${name}@${clock.now()}`);
    clock.setTimeout(at("c"), 30);
    clock.setTimeout(at("a"), 10);
    clock.setTimeout(at("b1"), 20);
    clock.setTimeout(at("b2"), 20);
    clock.setTimeout(at("later"), 100);
    clock.advance(50);
    expect(log).toEqual(["a@10", "b1@20", "b2@20", "c@30"]);
    expect(clock.now()).toBe(50);
    expect(clock.pendingTimers()).toBe(1);
  });

  it("runs a timer due exactly at the target time", () => {
    const clock = new VirtualClock();
    let fired = false;
    clock.setTimeout(() => (fired = true), 10);
    clock.advance(10);
    expect(fired).toBe(true);
  });

  it("runs timers created while advancing when they fall due within the advance", () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    clock.setTimeout(() => {
      log.push(`outer@${clock.now()}`);
      clock.setTimeout(() => log.push(`zero@${clock.now()}`), 0);
      clock.setTimeout(() => log.push(`inner@${clock.now()}`), 5);
      clock.setTimeout(() => log.push(`beyond@${clock.now()}`), 50);
    }, 10);
    clock.setTimeout(() => log.push(`sibling@${clock.now()}`), 10);
    clock.advance(20);
    expect(log).toEqual(["outer@10", "sibling@10", "zero@10", "inner@15"]);
    clock.advance(40);
    expect(log.at(-1)).toBe("beyond@60");
  });

  it("runs a repeating timer once per period", () => {
    const clock = new VirtualClock();
    const beats: number[] = [];
    const beat = (): void => {
      beats.push(clock.now());
      clock.setTimeout(beat, 30);
    };
    clock.setTimeout(beat, 30);
    clock.advance(100);
    expect(beats).toEqual([30, 60, 90]);
  });

  it("does not run cleared timers and does not count them as pending", () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const a = clock.setTimeout(() => log.push("a"), 10);
    clock.setTimeout(() => log.push("b"), 20);
    expect(clock.pendingTimers()).toBe(2);
    clock.clearTimeout(a);
    clock.clearTimeout(a);
    expect(clock.pendingTimers()).toBe(1);
    clock.advance(30);
    expect(log).toEqual(["b"]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it("lets a timer clear a later one", () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const later = clock.setTimeout(() => log.push("later"), 20);
    clock.setTimeout(() => clock.clearTimeout(later), 10);
    clock.advance(30);
    expect(log).toEqual([]);
  });

  it("ignores handles of other clocks", () => {
    const clock = new VirtualClock();
    const other = new VirtualClock();
    let fired = false;
    const handle = other.setTimeout(() => (fired = true), 5);
    clock.clearTimeout(handle);
    clock.clearTimeout(realClock.setTimeout(() => {}, 1_000));
    other.advance(5);
    expect(fired).toBe(true);
  });

  it("jumps to the next timer with runNext and reports when none is left", () => {
    const clock = new VirtualClock(100);
    const log: number[] = [];
    clock.setTimeout(() => log.push(clock.now()), 40);
    clock.setTimeout(() => log.push(clock.now()), 15);
    expect(clock.runNext()).toBe(true);
    expect(clock.now()).toBe(115);
    expect(clock.runNext()).toBe(true);
    expect(clock.runNext()).toBe(false);
    expect(log).toEqual([115, 140]);
    expect(clock.now()).toBe(140);
  });

  it("lets a throwing timer's error out of advance, stopping at that timer", () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    clock.setTimeout(() => {
      throw new Error("timer failed");
    }, 10);
    clock.setTimeout(() => log.push("after"), 20);
    expect(() => clock.advance(30)).toThrow("timer failed");
    expect(clock.now()).toBe(10);
    expect(clock.pendingTimers()).toBe(1);
    clock.advance(20);
    expect(log).toEqual(["after"]);
  });

  it("never moves backwards when advance is called from inside a timer", () => {
    const clock = new VirtualClock();
    const seen: number[] = [];
    clock.setTimeout(() => clock.advance(100), 10);
    clock.setTimeout(() => seen.push(clock.now()), 50);
    clock.advance(20);
    expect(seen).toEqual([50]);
    expect(clock.now()).toBe(110);
  });

  it.each([[-5], [Number.NaN], [Number.POSITIVE_INFINITY]])("rejects the delay %s", (ms) => {
    const clock = new VirtualClock();
    expect(() => clock.setTimeout(() => {}, ms)).toThrow(expect.objectContaining({ code: RuntimeErrorCode.BAD_ARGUMENT }));
    expect(() => clock.advance(ms)).toThrow(expect.objectContaining({ code: RuntimeErrorCode.BAD_ARGUMENT }));
  });

  it("fires 2,000 random timers in (due, creation) order, with random clears", () => {
    for (const seed of [1, 2, 3, 42, 2024]) {
      const random = seededRandom(seed);
      const clock = new VirtualClock();
      const fired: { due: number; seq: number }[] = [];
      const live = new Set<number>();
      const handles = [];
      for (let seq = 0; seq < 2_000; seq++) {
        const due = randomInt(random, 500);
        live.add(seq);
        handles.push(clock.setTimeout(() => fired.push({ due, seq }), due));
      }
      for (let i = 0; i < 300; i++) {
        const seq = randomInt(random, 2_000);
        const handle = handles[seq];
        if (handle) clock.clearTimeout(handle);
        live.delete(seq);
      }
      expect(clock.pendingTimers()).toBe(live.size);
      clock.advance(250);
      clock.advance(250);
      expect(fired.map((f) => f.seq).sort((x, y) => x - y)).toEqual([...live].sort((x, y) => x - y));
      for (let i = 1; i < fired.length; i++) {
        const [prev, cur] = [fired[i - 1]!, fired[i]!];
        expect(prev.due < cur.due || (prev.due === cur.due && prev.seq < cur.seq)).toBe(true);
      }
    }
  });
});
