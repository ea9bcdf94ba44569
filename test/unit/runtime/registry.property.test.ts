import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RuntimeError, RuntimeErrorCode } from "../../../src/runtime/errors.js";
import { AlreadyRegisteredError } from "../../../src/runtime/registry/already-registered-error.js";
import { Registry } from "../../../src/runtime/registry/registry.js";
import type { RegistryKeys } from "../../../src/runtime/registry/registry.js";
import { VirtualClock } from "../../../src/runtime/clock/virtual-clock.js";
import { Probe } from "./probe.js";
import { WatchCountingRuntime } from "./watch-counting-runtime.js";

const KEYS = 4;
const PROCESSES = 5;

type Op =
  | { readonly op: "register"; readonly key: number; readonly proc: number; readonly value: number }
  | { readonly op: "unregister"; readonly key: number; readonly proc: number; readonly withPid: boolean }
  | { readonly op: "update"; readonly key: number; readonly proc: number; readonly value: number }
  | { readonly op: "exit"; readonly proc: number };

const key = fc.nat(KEYS - 1);
const proc = fc.nat(PROCESSES - 1);
const value = fc.nat(99);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant("register" as const), key, proc, value }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("unregister" as const), key, proc, withPid: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("update" as const), key, proc, value }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("exit" as const), proc }) },
);

/** The model: key → [process index, value] in registration order; a key with no entries is absent. */
type Model = Map<number, [number, number][]>;

/** What an operation must return (or throw) according to the model, which it updates. */
function applyToModel(model: Model, dead: boolean[], kind: RegistryKeys, o: Op): unknown {
  if (o.op === "exit") {
    dead[o.proc] = true;
    for (const [k, group] of model) {
      const rest = group.filter(([p]) => p !== o.proc);
      if (rest.length === 0) model.delete(k);
      else model.set(k, rest);
    }
    return undefined;
  }
  const group = model.get(o.key) ?? [];
  const index = group.findIndex(([p]) => p === o.proc);
  switch (o.op) {
    case "register":
      if (dead[o.proc]) return RuntimeErrorCode.NOPROC;
      if (kind === "unique" && group.length > 0) return { holder: group[0]![0] };
      if (index >= 0) group[index] = [o.proc, o.value];
      else group.push([o.proc, o.value]);
      model.set(o.key, group);
      return undefined;
    case "unregister": {
      if (!o.withPid && kind === "duplicate") return RuntimeErrorCode.BAD_ARGUMENT;
      const at = o.withPid ? index : group.length > 0 ? 0 : -1;
      if (at < 0) return false;
      group.splice(at, 1);
      if (group.length === 0) model.delete(o.key);
      return true;
    }
    case "update":
      if (index < 0) return false;
      group[index] = [o.proc, group[index]![1] + o.value];
      return true;
  }
}

describe("Registry (property)", () => {
  it.each<RegistryKeys>(["unique", "duplicate"])(
    "%s: random register/unregister/update/exit sequences keep the registry equal to a simple model",
    (kind) => {
      fc.assert(
        fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
          const runtime = new WatchCountingRuntime({ clock: new VirtualClock() });
          const registry = new Registry<number, number>({ keys: kind, runtime });
          const probes = Array.from({ length: PROCESSES }, () => new Probe(runtime));
          const indexOf = new Map(probes.map((p, i) => [p.pid, i]));
          const model: Model = new Map();
          const dead = probes.map(() => false);
          // What the listeners say is registered, as "key/process" strings.
          const announced = new Set<string>();
          registry.onRegister((e) => announced.add(`${e.key}/${indexOf.get(e.pid)}`));
          registry.onUnregister((e) => announced.delete(`${e.key}/${indexOf.get(e.pid)}`));

          for (const o of ops) {
            const expected = applyToModel(model, dead, kind, o);
            let actual: unknown;
            try {
              if (o.op === "exit") runtime.exit(probes[o.proc]!.pid, "kill");
              else if (o.op === "register") actual = registry.register(o.key, probes[o.proc]!.pid, o.value);
              else if (o.op === "update") actual = registry.updateValue(o.key, probes[o.proc]!.pid, (v) => v + o.value);
              else actual = registry.unregister(o.key, o.withPid ? probes[o.proc]!.pid : undefined);
            } catch (error) {
              if (error instanceof AlreadyRegisteredError) actual = { holder: indexOf.get(error.holder) };
              else if (error instanceof RuntimeError) actual = error.code;
              else throw error;
            }
            expect(actual).toEqual(expected);

            for (let k = 0; k < KEYS; k++) {
              const entries = registry.lookup(k).map((e) => [indexOf.get(e.pid), e.value]);
              expect(entries).toEqual(model.get(k) ?? []);
              expect(registry.countKey(k)).toBe(entries.length);
              if (kind === "unique") expect(registry.whereis(k)).toBe(probes[model.get(k)?.[0]?.[0] ?? -1]?.pid);
            }
            const modelEntries = [...model].flatMap(([k, group]) => group.map(([p, v]) => [k, p, v]));
            expect(registry.entries().map((e) => [e.key, indexOf.get(e.pid), e.value])).toEqual(modelEntries);
            expect(registry.count()).toBe(modelEntries.length);
            expect(announced).toEqual(new Set(modelEntries.map(([k, p]) => `${k}/${p}`)));
            for (let p = 0; p < PROCESSES; p++) {
              const keys = modelEntries.filter(([, q]) => q === p).map(([k]) => k);
              expect(new Set(registry.keysOf(probes[p]!.pid))).toEqual(new Set(keys));
              // One watch per pid that holds entries, none for the others.
              expect(runtime.watchesOf(probes[p]!.pid)).toBe(keys.length > 0 ? 1 : 0);
            }
          }
        }),
        { numRuns: 300 },
      );
    },
  );
});
