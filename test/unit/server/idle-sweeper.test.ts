// The idle sweeper: one timer per runtime and timeout for every connection; a connection silent for the
// whole timeout is told within a quarter of the timeout, an active one never, and the timer stops when
// no connection is left.
import { describe, expect, it } from "vitest";
import { Process, Runtime, VirtualClock, type Pid } from "../../../src/index.js";
import { IdleSweeper } from "../../../src/server/socket/idle-sweeper.js";

const IDLE = Symbol("idle");

class Connection extends Process {
  lastSeen: number;
  told: number[] = [];
  constructor(runtime: Runtime) {
    super(runtime);
    this.lastSeen = runtime.clock.now();
  }
  protected handleMessage(message: unknown): void {
    if (message === IDLE) this.told.push(this.runtime.clock.now());
  }
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

async function advance(clock: VirtualClock, ms: number, step = 10): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(step);
    await settle();
  }
}

describe("IdleSweeper", () => {
  it("tells a silent connection between 1 and 1.2 timeouts, and never an active one", async () => {
    const clock = new VirtualClock();
    const runtime = new Runtime({ clock });
    const sweeper = IdleSweeper.of(runtime, 400, IDLE);
    const silent = new Connection(runtime);
    const active = new Connection(runtime);
    sweeper.add(silent);
    sweeper.add(active);
    for (let t = 0; t < 1000; t += 50) {
      await advance(clock, 50);
      active.lastSeen = clock.now();
    }
    expect(active.told).toEqual([]);
    expect(silent.told.length).toBeGreaterThan(0);
    expect(silent.told[0]).toBeGreaterThanOrEqual(400);
    expect(silent.told[0]).toBeLessThanOrEqual(480);
  });

  it("keeps to 1.2 timeouts plus one timer's lateness whatever the moment of the last frame (sweeps keep to their grid)", async () => {
    const clock = new VirtualClock();
    const runtime = new Runtime({ clock });
    const sweeper = IdleSweeper.of(runtime, 400, IDLE);
    const connections: Connection[] = [];
    // Clock steps of 15 ms: every sweep fires up to 15 ms after it is due, as on a busy event loop.
    // One connection hears its last frame at every step, so some do right after a sweep (the worst case).
    for (let k = 0; k < 40; k++) {
      const connection = new Connection(runtime);
      connections.push(connection);
      sweeper.add(connection);
      await advance(clock, 7, 7);
    }
    await advance(clock, 1_200, 15);
    for (const connection of connections) {
      expect(connection.told.length).toBeGreaterThan(0);
      const silence = connection.told[0]! - connection.lastSeen;
      expect(silence).toBeGreaterThanOrEqual(400);
      // 1.2 timeouts plus one timer's lateness (a clock step): within the documented 1.25.
      expect(silence).toBeLessThanOrEqual(480 + 15);
    }
  });

  it("is shared per runtime and timeout, and stops its timer once no connection is left", () => {
    const clock = new VirtualClock();
    const runtime = new Runtime({ clock });
    const sweeper = IdleSweeper.of(runtime, 400, IDLE);
    expect(IdleSweeper.of(runtime, 400, IDLE)).toBe(sweeper);
    expect(IdleSweeper.of(runtime, 800, IDLE)).not.toBe(sweeper);
    expect(IdleSweeper.of(new Runtime({ clock }), 400, IDLE)).not.toBe(sweeper);
    const member = { pid: new Connection(runtime).pid as Pid, lastSeen: 0 };
    sweeper.add(member);
    expect(clock.pendingTimers()).toBe(1);
    sweeper.delete(member);
    expect(clock.pendingTimers()).toBe(0);
  });
});
