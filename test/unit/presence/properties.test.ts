/**
 * Properties of the replicated presence state, on 2–4 replicas driven by random operations (see sim.ts):
 * merge is commutative, associative and idempotent; any delivery order — with duplicates, reordering,
 * losses, stale full states and catch-up transfers — converges; the diffs every call returns rebuild
 * exactly what each replica shows; replicaDown hides and replicaUp restores; removeDown is final.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { PresenceWire } from "../../../src/presence/index.js";
import { cloneFragment, joinInto } from "../../../src/presence/fragment.js";
import { decodeWire, encodeFragment } from "../../../src/presence/wire.js";
import { IDS, Sim, downUpOp, dropOp, holdings, localOp, netOp, visible, type Op, type SimOptions } from "./sim.js";

const replicas = fc.integer({ min: 2, max: 4 });
const caps = fc.constantFrom<readonly number[] | undefined>(undefined, [1, 3, 8], []);
const ops = (extra: fc.Arbitrary<Op>[] = [], maxLength = 60) =>
  fc.array(fc.oneof({ weight: 3, arbitrary: localOp }, { weight: 3, arbitrary: netOp }, ...extra.map((arbitrary) => ({ weight: 1, arbitrary }))), {
    maxLength,
    size: "max", // fast-check's default size would keep programs at about ten steps
  });

function build(n: number, program: readonly Op[], options: SimOptions = {}): Sim {
  const sim = new Sim(n, options);
  sim.run(program, false);
  return sim;
}

/** Source `k` of a built sim: a replica's full state, or one of the deltas it sent. */
function source(sim: Sim, k: number): PresenceWire {
  const total = sim.n + sim.sent.length;
  const at = k % total;
  return at < sim.n ? sim.states[at]!.extract() : sim.sent[at - sim.n]!.wire;
}

describe("merge is a lattice join", () => {
  it("is commutative: two sources merged in either order give the same state", () => {
    fc.assert(
      fc.property(replicas, ops(), fc.nat(), fc.nat(), fc.nat(), (n, program, x, i, j) => {
        const one = build(n, program);
        const two = build(n, program);
        const [wi, wj] = [source(one, i), source(one, j)];
        const target1 = one.states[x % n]!;
        const target2 = two.states[x % n]!;
        target1.merge(wi);
        target1.merge(wj);
        target2.merge(wj);
        target2.merge(wi);
        expect(holdings(target1)).toEqual(holdings(target2));
        expect(visible(target1)).toEqual(visible(target2));
      }),
    );
  });

  it("is associative: (x ⊔ a) ⊔ b equals x ⊔ (a ⊔ b) for full states", () => {
    fc.assert(
      fc.property(replicas, ops(), fc.nat(), fc.nat(), fc.nat(), (n, program, x, i, j) => {
        const [xi, ai, bi] = [x % n, i % n, j % n];
        const left = build(n, program);
        const wa = left.states[ai]!.extract();
        const wb = left.states[bi]!.extract();
        left.states[xi]!.merge(wa);
        left.states[xi]!.merge(wb);

        const pair = build(n, program);
        pair.states[ai]!.merge(wb);
        const right = build(n, program);
        right.states[xi]!.merge(pair.states[ai]!.extract());

        expect(holdings(left.states[xi]!)).toEqual(holdings(right.states[xi]!));
        expect(visible(left.states[xi]!)).toEqual(visible(right.states[xi]!));
      }),
    );
  });

  it("is idempotent: merging the same state or delta again changes nothing and reports nothing", () => {
    fc.assert(
      fc.property(replicas, ops(), fc.nat(), fc.nat(), (n, program, x, k) => {
        const sim = build(n, program);
        const target = sim.states[x % n]!;
        const wire = source(sim, k);
        target.merge(wire);
        const after = holdings(target);
        expect(target.merge(wire)).toEqual({ joins: [], leaves: [] });
        expect(target.merge(JSON.parse(JSON.stringify(wire)) as PresenceWire)).toEqual({ joins: [], leaves: [] });
        expect(holdings(target)).toEqual(after);
        expect(target.merge(target.extract())).toEqual({ joins: [], leaves: [] });
      }),
    );
  });

  it("joins of deltas (as kept in the delta generations) are commutative, associative and idempotent", () => {
    fc.assert(
      fc.property(replicas, ops([], 80), fc.nat(), fc.nat(), fc.nat(), (n, program, i, j, k) => {
        const sim = build(n, program);
        fc.pre(sim.sent.length > 0);
        const pick = (m: number) => decodeWire(sim.sent[m % sim.sent.length]!.wire).fragment;
        const [a, b, c] = [pick(i), pick(j), pick(k)];
        const join = (...fragments: (typeof a)[]) => {
          const out = cloneFragment(fragments[0]!);
          for (const f of fragments.slice(1)) joinInto(out, f);
          return out;
        };
        const enc = (f: typeof a) => encodeFragment("delta", IDS[0], f).parts;
        expect(enc(join(a, b))).toEqual(enc(join(b, a)));
        expect(enc(join(join(a, b), c))).toEqual(enc(join(a, join(b, c))));
        expect(enc(join(a, a))).toEqual(enc(a));
        expect(enc(join(a, b, b))).toEqual(enc(join(a, b)));
      }),
    );
  });
});

describe("convergence", () => {
  it("any interleaving of deliveries (reordered, duplicated, with full states and transfers) converges once all is delivered", () => {
    fc.assert(
      fc.property(replicas, caps, ops([], 80), (n, maxDeltaSizes, program) => {
        const sim = new Sim(n, { ...(maxDeltaSizes ? { maxDeltaSizes } : {}) });
        sim.run(program);
        sim.drain();
        sim.checkViews();
        const first = sim.states[0]!;
        for (const s of sim.states) {
          expect(visible(s)).toEqual(visible(first));
          expect(holdings(s)).toEqual(holdings(first));
        }
      }),
    );
  });

  it("with lost messages, one round of full states converges", () => {
    fc.assert(
      fc.property(replicas, caps, ops([dropOp], 80), (n, maxDeltaSizes, program) => {
        const sim = new Sim(n, { ...(maxDeltaSizes ? { maxDeltaSizes } : {}) });
        sim.run(program);
        sim.drain();
        sim.antiEntropy();
        sim.checkViews();
        for (const s of sim.states) expect(holdings(s)).toEqual(holdings(sim.states[0]!));
      }),
    );
  });

  it("catch-up transfers alone (generations or full states) bring a replica level with the one it asks", () => {
    fc.assert(
      fc.property(replicas, caps, ops([dropOp], 80), fc.nat(), fc.nat(), (n, maxDeltaSizes, program, x, y) => {
        fc.pre(x % n !== y % n);
        const options = maxDeltaSizes ? { maxDeltaSizes } : {};
        const sim = new Sim(n, options);
        sim.run(program);
        const [asker, helper] = [sim.states[x % n]!, sim.states[y % n]!];
        // Ask until nothing is lacking (a generation may cover only part of the gap).
        for (let round = 0; round < 4; round++) sim.record(x % n, asker.merge(helper.extractFor(asker.clock(), asker.replica)));
        sim.checkViews();
        const theirs = holdings(helper).filter((p) => p.replica !== asker.replica);
        const mine = holdings(asker).filter((p) => p.replica !== asker.replica);
        // Everything the helper knows, the asker now knows (the asker may know more from elsewhere).
        const merged = build(n, program, options);
        merged.states[x % n]!.merge(helper.extract());
        expect(mine).toEqual(holdings(merged.states[x % n]!).filter((p) => p.replica !== asker.replica));
        expect(theirs.length).toBeGreaterThan(0);
      }),
    );
  });
});

describe("diffs", () => {
  it("the joins and leaves returned by every call rebuild exactly what each replica shows, with no duplicate or missing diff", () => {
    fc.assert(
      fc.property(
        replicas,
        caps,
        ops([dropOp, downUpOp, fc.record({ t: fc.constant("remove" as const), at: fc.nat({ max: 3 }), r: fc.nat({ max: 3 }) })], 100),
        (n, maxDeltaSizes, program) => {
          const sim = new Sim(n, { ...(maxDeltaSizes ? { maxDeltaSizes } : {}) });
          sim.run(program); // checks every view after every step (see Sim.record / checkViews)
          sim.drain();
          sim.antiEntropy();
          sim.checkViews();
        },
      ),
    );
  });
});

describe("replicas going down, up and away", () => {
  it("replicaDown hides exactly the replica's entries and replicaUp restores them, while data keeps flowing", () => {
    fc.assert(
      fc.property(replicas, caps, ops([downUpOp], 80), (n, maxDeltaSizes, program) => {
        const options = { requestWith: "context" as const, ...(maxDeltaSizes ? { maxDeltaSizes } : {}) };
        const sim = new Sim(n, options);
        const twin = new Sim(n, { ...options, skip: new Set(["down", "up"] as const) });
        for (const op of program) {
          sim.step(op);
          twin.step(op);
          sim.checkViews();
          for (let i = 0; i < n; i++) {
            const s = sim.states[i]!;
            const shown = twin.states[i]!.entries().filter((e) => s.status(e.tag.replica) !== "down");
            expect(visible(s)).toEqual(shown.map((e) => [e.topic, e.pid, e.key, e.ref, JSON.stringify(e.meta)].join(" | ")).sort());
            expect(holdings(s)).toEqual(holdings(twin.states[i]!));
          }
        }
        for (let at = 0; at < n; at++) for (let r = 0; r < n; r++) sim.step({ t: "up", at, r });
        sim.checkViews();
        for (let i = 0; i < n; i++) expect(visible(sim.states[i]!)).toEqual(visible(twin.states[i]!));
      }),
    );
  });

  it("removeDown drops a replica for good: late deltas and stale full states never bring it back", () => {
    const removeOp = fc.record({ t: fc.constant("remove" as const), at: fc.nat({ max: 3 }), r: fc.nat({ max: 3 }) });
    fc.assert(
      fc.property(replicas, caps, ops([removeOp, dropOp], 80), (n, maxDeltaSizes, program) => {
        const options = maxDeltaSizes ? { maxDeltaSizes } : {};
        const sim = new Sim(n, options);
        const twin = new Sim(n, { ...options, skip: new Set(["remove"] as const) });
        const removed = sim.states.map(() => new Set<string>());
        const check = () => {
          for (let i = 0; i < n; i++) {
            const s = sim.states[i]!;
            for (const r of removed[i]!) {
              expect(s.status(r)).toBe("removed");
              expect(s.entries().some((e) => e.tag.replica === r)).toBe(false);
              expect(holdings(s).some((p) => p.replica === r)).toBe(false);
            }
          }
        };
        for (const op of program) {
          sim.step(op);
          twin.step(op);
          if (op.t === "remove" && op.at % n !== op.r % n) removed[op.at % n]!.add(IDS[op.r % n]!);
          // The removed replica tries to come back: it stays removed.
          for (let i = 0; i < n; i++) for (const r of removed[i]!) expect(sim.states[i]!.replicaUp(r)).toEqual({ joins: [], leaves: [] });
          check();
        }
        for (const s of [sim, twin]) {
          s.drain();
          s.antiEntropy();
        }
        sim.checkViews();
        check();
        for (let i = 0; i < n; i++) {
          const expected = twin.states[i]!.entries().filter((e) => !removed[i]!.has(e.tag.replica));
          expect(visible(sim.states[i]!)).toEqual(expected.map((e) => [e.topic, e.pid, e.key, e.ref, JSON.stringify(e.meta)].join(" | ")).sort());
        }
      }),
    );
  });
});
