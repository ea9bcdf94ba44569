import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RestartType } from "../../../src/runtime/supervisor/child-spec.js";
import { Supervisor } from "../../../src/runtime/supervisor/supervisor.js";
import type { SupervisorStrategy } from "../../../src/runtime/supervisor/supervisor.js";
import { settle } from "./probe.js";
import { newRuntime, watchExit, workerSpec } from "./supervisor-fixtures.js";

const strategy = fc.constantFrom<SupervisorStrategy>("oneForOne", "oneForAll", "restForOne");
/** Reasons that are not clean, so every permanent or transient child that gets one is restarted. */
const abnormal = fc.oneof(
  fc.constantFrom<unknown>("boom", "kill", "killed", "noproc"),
  fc.string().map((message) => new Error(message)),
  fc.record({ code: fc.integer() }),
);
/** One crash: which running child (modulo how many run), why, and how long after the previous one (ms). */
const crash = fc.record({ pick: fc.nat(), reason: abnormal, after: fc.integer({ min: 0, max: 400 }) });

async function build(restarts: RestartType[], chosen: SupervisorStrategy, maxRestarts: number) {
  const env = newRuntime();
  const log: string[] = [];
  const children = restarts.map((restart, i) => workerSpec(env.runtime, log, `c${i}`, { restart }));
  const sup = await Supervisor.start({ runtime: env.runtime, strategy: chosen, children, maxRestarts, maxSeconds: 5 });
  return { ...env, sup, exit: watchExit(env.runtime, sup) };
}

describe("Supervisor (property)", () => {
  it("keeps every permanent and transient child alive, listed once, after any crashes below the intensity", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom<RestartType>("permanent", "transient", "temporary"), { minLength: 1, maxLength: 6 }),
        strategy,
        fc.integer({ min: 0, max: 6 }).chain((maxRestarts) =>
          fc.tuple(fc.constant(maxRestarts), fc.array(crash, { maxLength: maxRestarts })),
        ),
        async (restarts, chosen, [maxRestarts, crashes]) => {
          const { runtime, clock, sup, exit } = await build(restarts, chosen, maxRestarts);
          for (const { pick, reason, after } of crashes) {
            const running = (await Supervisor.whichChildren(sup)).filter((c) => c.pid !== null);
            if (running.length === 0) break;
            runtime.exit(running[pick % running.length]!.pid!, reason);
            await settle();
            clock.advance(after);
          }
          expect(exit.ended).toBe(false);
          const children = await Supervisor.whichChildren(sup);
          const ids = children.map((c) => c.id);
          expect(new Set(ids).size).toBe(ids.length);
          restarts.forEach((restart, i) => {
            const listed = children.filter((c) => c.id === `c${i}`);
            if (restart === "temporary") {
              expect(listed.length).toBeLessThanOrEqual(1);
            } else {
              expect(listed).toHaveLength(1);
            }
            for (const child of listed) expect(child.pid !== null && runtime.isAlive(child.pid)).toBe(true);
          });
          await Supervisor.stop(sup);
          expect(runtime.processCount).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("ends the supervisor and every child after more crashes than the intensity within the window", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom<RestartType>("permanent", "transient"), { minLength: 1, maxLength: 6 }),
        strategy,
        fc.integer({ min: 0, max: 6 }).chain((maxRestarts) =>
          fc.tuple(
            fc.constant(maxRestarts),
            // Over the intensity, all within 5 s: at most 10 gaps of 400 ms.
            fc.array(crash, { minLength: maxRestarts + 1, maxLength: maxRestarts + 3 }),
          ),
        ),
        async (restarts, chosen, [maxRestarts, crashes]) => {
          const { runtime, clock, sup, exit } = await build(restarts, chosen, maxRestarts);
          for (const { pick, reason, after } of crashes) {
            if (!runtime.isAlive(sup)) break;
            const running = (await Supervisor.whichChildren(sup)).filter((c) => c.pid !== null);
            runtime.exit(running[pick % running.length]!.pid!, reason);
            await settle();
            clock.advance(after);
          }
          expect(exit).toEqual({ ended: true, reason: "shutdown" });
          expect(runtime.processCount).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });
});
