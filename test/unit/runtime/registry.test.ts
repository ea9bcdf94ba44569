import { afterEach, describe, expect, it, vi } from "vitest";
import { CallRequest, call } from "../../../src/runtime/gen-server/call.js";
import { RuntimeError, RuntimeErrorCode } from "../../../src/runtime/errors.js";
import { resolveDestination } from "../../../src/runtime/registry/name.js";
import type { NameRegistrar, ViaName } from "../../../src/runtime/registry/name.js";
import type { Pid } from "../../../src/runtime/process/pid.js";
import { Process } from "../../../src/runtime/process/process.js";
import { AlreadyRegisteredError } from "../../../src/runtime/registry/already-registered-error.js";
import { Registry } from "../../../src/runtime/registry/registry.js";
import type { RegistryEntry, RegistryKeys, RegistryRemoval } from "../../../src/runtime/registry/registry.js";
import { Runtime, defaultRuntime } from "../../../src/runtime/process/runtime.js";
import { VirtualClock } from "../../../src/runtime/clock/virtual-clock.js";
import { Probe, settle } from "./probe.js";
import { WatchCountingRuntime } from "./watch-counting-runtime.js";

function newRuntime(): WatchCountingRuntime {
  return new WatchCountingRuntime({ clock: new VirtualClock() });
}

/** Answers every call with `[its own pid, the request]`. */
class Echo extends Process {
  protected override handleMessage(message: unknown): void {
    if (message instanceof CallRequest) message.from.reply([this.pid, message.request]);
  }
}

function code(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error instanceof RuntimeError ? error.code : error;
  }
  return undefined;
}

/** Records every listener call of a registry as `["+" | "-", key, pid, cause?]`. */
function recordEvents<K, V>(registry: Registry<K, V>): unknown[][] {
  const events: unknown[][] = [];
  registry.onRegister((entry) => events.push(["+", entry.key, entry.pid]));
  registry.onUnregister((entry, cause) => events.push(["-", entry.key, entry.pid, cause]));
  return events;
}

describe("Registry: unique keys", () => {
  it("registers a process under a key and finds it by key and by pid", () => {
    const runtime = newRuntime();
    const names = new Registry<string, number>({ keys: "unique", runtime });
    const a = new Probe(runtime);
    names.register("lobby", a.pid, 7);
    expect(names.kind).toBe("unique");
    expect(names.whereis("lobby")).toBe(a.pid);
    expect(names.whereis("nowhere")).toBeUndefined();
    expect(names.lookup("lobby")).toEqual([{ key: "lobby", pid: a.pid, value: 7 }]);
    expect(names.lookup("nowhere")).toEqual([]);
    expect(names.keysOf(a.pid)).toEqual(["lobby"]);
    expect(names.count()).toBe(1);
    expect(names.countKey("lobby")).toBe(1);
    expect(names.countKey("nowhere")).toBe(0);
  });

  it("refuses a taken key with AlreadyRegisteredError naming the holder, even for the holder itself", () => {
    const runtime = newRuntime();
    const names = new Registry<string>({ keys: "unique", runtime });
    const a = new Probe(runtime);
    const b = new Probe(runtime);
    names.register("lobby", a.pid);
    for (const pid of [b.pid, a.pid]) {
      let caught: unknown;
      try {
        names.register("lobby", pid);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(AlreadyRegisteredError);
      expect(caught).toBeInstanceOf(RuntimeError);
      expect(caught).toMatchObject({ code: "FENIX_ERR_RUNTIME_ALREADY_REGISTERED", key: "lobby", holder: a.pid });
    }
    expect(names.lookup("lobby")).toEqual([{ key: "lobby", pid: a.pid, value: undefined }]);
    expect(names.keysOf(b.pid)).toEqual([]);
  });

  it("frees the key the moment its holder exits, so another process can take it", () => {
    const runtime = newRuntime();
    const names = new Registry<string>({ keys: "unique", runtime });
    const a = new Probe(runtime);
    const b = new Probe(runtime);
    names.register("lobby", a.pid);
    runtime.exit(a.pid, "kill");
    expect(names.whereis("lobby")).toBeUndefined();
    names.register("lobby", b.pid);
    expect(names.whereis("lobby")).toBe(b.pid);
  });

  it("unregisters with or without the pid, and only the holder's entry", () => {
    const runtime = newRuntime();
    const names = new Registry<string>({ keys: "unique", runtime });
    const a = new Probe(runtime);
    const b = new Probe(runtime);
    names.register("x", a.pid);
    names.register("y", a.pid);
    expect(names.unregister("x", b.pid)).toBe(false);
    expect(names.whereis("x")).toBe(a.pid);
    expect(names.unregister("x", a.pid)).toBe(true);
    expect(names.unregister("y")).toBe(true);
    expect(names.unregister("y")).toBe(false);
    expect(names.unregister("never")).toBe(false);
    expect(names.count()).toBe(0);
    expect(names.keysOf(a.pid)).toEqual([]);
  });
});

describe("Registry: duplicate keys", () => {
  it("holds many processes under one key, in registration order", () => {
    const runtime = newRuntime();
    const rooms = new Registry<string, string>({ keys: "duplicate", runtime });
    const [a, b, c] = [new Probe(runtime), new Probe(runtime), new Probe(runtime)];
    rooms.register("lobby", b.pid, "bob");
    rooms.register("lobby", a.pid, "al");
    rooms.register("lobby", c.pid, "cy");
    rooms.register("kitchen", a.pid, "al");
    expect(rooms.lookup("lobby").map((e) => [e.pid, e.value])).toEqual([
      [b.pid, "bob"],
      [a.pid, "al"],
      [c.pid, "cy"],
    ]);
    expect(rooms.countKey("lobby")).toBe(3);
    expect(rooms.count()).toBe(4);
    expect(rooms.keysOf(a.pid)).toEqual(["lobby", "kitchen"]);
  });

  it("replaces the value when the same pid registers a key again, keeping its place and telling no listener", () => {
    const runtime = newRuntime();
    const rooms = new Registry<string, string>({ keys: "duplicate", runtime });
    const [a, b] = [new Probe(runtime), new Probe(runtime)];
    rooms.register("lobby", a.pid, "first");
    rooms.register("lobby", b.pid, "bob");
    const events = recordEvents(rooms);
    rooms.register("lobby", a.pid, "second");
    expect(rooms.lookup("lobby").map((e) => e.value)).toEqual(["second", "bob"]);
    expect(rooms.count()).toBe(2);
    expect(events).toEqual([]);
  });

  it("unregisters one pid's entry, and needs the pid to do so", () => {
    const runtime = newRuntime();
    const rooms = new Registry<string>({ keys: "duplicate", runtime });
    const [a, b] = [new Probe(runtime), new Probe(runtime)];
    rooms.register("lobby", a.pid);
    rooms.register("lobby", b.pid);
    expect(code(() => rooms.unregister("lobby"))).toBe(RuntimeErrorCode.BAD_ARGUMENT);
    expect(rooms.unregister("lobby", a.pid)).toBe(true);
    expect(rooms.unregister("lobby", a.pid)).toBe(false);
    expect(rooms.lookup("lobby").map((e) => e.pid)).toEqual([b.pid]);
  });

  it("refuses whereis and via with a teaching error, since a key names many processes", () => {
    const rooms = new Registry<string>({ keys: "duplicate", runtime: newRuntime() });
    expect(code(() => rooms.whereis("lobby"))).toBe(RuntimeErrorCode.REGISTRY_NOT_UNIQUE);
    expect(code(() => rooms.via("lobby"))).toBe(RuntimeErrorCode.REGISTRY_NOT_UNIQUE);
    expect(() => rooms.whereis("lobby")).toThrow(/lookup\(key\)/);
  });
});

describe("Registry: removal on exit", () => {
  it.each<RegistryKeys>(["unique", "duplicate"])("%s: removes every entry of an ended process and nothing else", (keys) => {
    const runtime = newRuntime();
    const registry = new Registry<string, number>({ keys, runtime });
    const [a, b] = [new Probe(runtime), new Probe(runtime)];
    registry.register("x", a.pid, 1);
    registry.register("y", a.pid, 2);
    registry.register("z", a.pid, 3);
    registry.register("w", b.pid, 4);
    if (keys === "duplicate") registry.register("x", b.pid, 5);
    expect(runtime.watchesOf(a.pid)).toBe(1);
    const events = recordEvents(registry);

    a.halt(new Error("boom"));

    expect(registry.keysOf(a.pid)).toEqual([]);
    expect(registry.lookup("y")).toEqual([]);
    expect(registry.entries().map((e) => [e.key, e.value])).toEqual(
      keys === "duplicate" ? [["x", 5], ["w", 4]] : [["w", 4]],
    );
    expect(registry.count()).toBe(keys === "duplicate" ? 2 : 1);
    expect(events).toEqual([
      ["-", "x", a.pid, "exit"],
      ["-", "y", a.pid, "exit"],
      ["-", "z", a.pid, "exit"],
    ]);
    expect(runtime.watchesOf(a.pid)).toBe(0);
    expect(runtime.watchesOf(b.pid)).toBe(1);
  });

  it("watches each pid once and cancels the watch with its last entry", () => {
    const runtime = newRuntime();
    const rooms = new Registry<string>({ keys: "duplicate", runtime });
    const a = new Probe(runtime);
    for (const key of ["x", "y", "z"]) rooms.register(key, a.pid);
    rooms.register("x", a.pid); // re-registration: still one watch
    expect(runtime.watchesOf(a.pid)).toBe(1);
    for (const key of ["x", "y"]) rooms.unregister(key, a.pid);
    expect(runtime.watchesOf(a.pid)).toBe(1);
    rooms.unregister("z", a.pid);
    expect(runtime.activeWatches).toBe(0);

    const events = recordEvents(rooms);
    a.halt();
    expect(events).toEqual([]);
  });

  it("is done before links and monitors are signalled, so a DOWN handler finds the key free", async () => {
    const runtime = newRuntime();
    const names = new Registry<string>({ keys: "unique", runtime });
    const seen: unknown[] = [];
    const watcher = new Probe(runtime, {}, () => {
      seen.push(names.whereis("lobby"));
    });
    const holder = new Probe(runtime);
    names.register("lobby", holder.pid);
    runtime.monitor(watcher.pid, holder.pid);
    holder.halt("shutdown");
    await settle();
    expect(watcher.received).toHaveLength(1);
    expect(seen).toEqual([undefined]);
  });

  it("lets a process's own onExit re-register its unique key for another process", () => {
    const runtime = newRuntime();
    const names = new Registry<string>({ keys: "unique", runtime });
    const holder = new Probe(runtime);
    const heir = new Probe(runtime);
    names.register("lobby", holder.pid);
    names.register("other", holder.pid);
    const events = recordEvents(names);
    holder.onExitHook = () => {
      expect(names.whereis("lobby")).toBe(holder.pid); // entries go after onExit…
      names.register("lobby", heir.pid); // …but a dead holder does not block the key
    };
    holder.halt();
    expect(names.whereis("lobby")).toBe(heir.pid);
    expect(names.keysOf(holder.pid)).toEqual([]);
    expect(events).toEqual([
      ["-", "lobby", holder.pid, "exit"],
      ["-", "other", holder.pid, "exit"],
      ["+", "lobby", heir.pid],
    ]);
    expect(runtime.watchesOf(holder.pid)).toBe(0);
  });

  it.each<RegistryKeys>(["unique", "duplicate"])("%s: refuses a dead pid with NOPROC, and a non-pid with BAD_ARGUMENT", (keys) => {
    const runtime = newRuntime();
    const registry = new Registry<string>({ keys, runtime });
    const dead = new Probe(runtime);
    dead.halt();
    const foreign = new Probe(new Runtime({ clock: new VirtualClock() }));
    expect(code(() => registry.register("x", dead.pid))).toBe(RuntimeErrorCode.NOPROC);
    expect(code(() => registry.register("x", foreign.pid))).toBe(RuntimeErrorCode.NOPROC);
    expect(code(() => registry.register("x", "<0.1>" as unknown as Pid))).toBe(RuntimeErrorCode.BAD_ARGUMENT);
    expect(registry.count()).toBe(0);
    expect(runtime.activeWatches).toBe(0);
  });
});

describe("Registry: names", () => {
  it("resolves a via name to the current holder, following re-registration", () => {
    const runtime = newRuntime();
    const names = new Registry<string>({ keys: "unique", runtime });
    const lobby = names.via("lobby");
    expect(lobby).toEqual({ via: names, key: "lobby" });
    expect(resolveDestination(lobby)).toBeUndefined();
    const a = new Probe(runtime);
    names.register("lobby", a.pid);
    expect(resolveDestination(lobby)).toBe(a.pid);
    a.halt();
    const b = new Probe(runtime);
    names.register("lobby", b.pid);
    expect(resolveDestination(lobby)).toBe(b.pid);
  });

  it("carries a call to the named process, and rejects with NOPROC when nobody holds the name", async () => {
    const runtime = newRuntime();
    const names = new Registry<string>({ keys: "unique", runtime });
    await expect(call(runtime, names.via("echo"), "ping")).rejects.toMatchObject({ code: RuntimeErrorCode.NOPROC });
    const echo = new Echo(runtime);
    names.register("echo", echo.pid);
    await expect(call(runtime, names.via("echo"), "ping")).resolves.toEqual([echo.pid, "ping"]);
  });

  it("is a NameRegistrar when undefined is a valid value, registering through the interface", () => {
    const runtime = newRuntime();
    const names = new Registry<string>({ keys: "unique", runtime });
    const registrar: NameRegistrar = names;
    const name: ViaName<NameRegistrar> = names.via("svc");
    const a = new Probe(runtime);
    name.via.register(name.key, a.pid);
    expect(registrar.whereis("svc")).toBe(a.pid);
    expect(names.lookup("svc")).toEqual([{ key: "svc", pid: a.pid, value: undefined }]);

    const scores = new Registry<string, number>({ keys: "unique", runtime });
    // @ts-expect-error a Registry whose values exclude undefined cannot register a bare name
    const notRegistrar: NameRegistrar = scores;
    // @ts-expect-error nor register without a value
    scores.register("x", a.pid);
    void notRegistrar;
  });
});

describe("Registry: queries and values", () => {
  function populated(): { rooms: Registry<string, number>; pids: Pid[] } {
    const runtime = newRuntime();
    const rooms = new Registry<string, number>({ keys: "duplicate", runtime });
    const pids = [new Probe(runtime), new Probe(runtime), new Probe(runtime)].map((p) => p.pid);
    rooms.register("b", pids[0]!, 1);
    rooms.register("a", pids[1]!, 2);
    rooms.register("b", pids[2]!, 3);
    rooms.register("a", pids[0]!, 4);
    return { rooms, pids };
  }

  it("lists all entries grouped by key, and matches them by key and value", () => {
    const { rooms, pids } = populated();
    expect(rooms.entries().map((e) => [e.key, e.value])).toEqual([
      ["b", 1],
      ["b", 3],
      ["a", 2],
      ["a", 4],
    ]);
    expect(rooms.match((e) => e.key === "a" && e.value > 2)).toEqual([{ key: "a", pid: pids[0], value: 4 }]);
    expect(rooms.match(() => false)).toEqual([]);
  });

  it("dispatches a snapshot of a key's entries, and nothing for an empty key", () => {
    const { rooms, pids } = populated();
    const seen: RegistryEntry<string, number>[][] = [];
    expect(
      rooms.dispatch("b", (entries) => {
        seen.push([...entries]);
        for (const e of entries) rooms.unregister("b", e.pid); // safe: a snapshot
      }),
    ).toBe(true);
    expect(seen).toEqual([
      [
        { key: "b", pid: pids[0], value: 1 },
        { key: "b", pid: pids[2], value: 3 },
      ],
    ]);
    expect(rooms.countKey("b")).toBe(0);
    expect(rooms.dispatch("b", () => seen.push([]))).toBe(false);
    expect(seen).toHaveLength(1);
  });

  it("updates a value in place, keeping order, entries frozen and listeners silent", () => {
    const { rooms, pids } = populated();
    const events = recordEvents(rooms);
    const before = rooms.lookup("a")[0]!;
    expect(rooms.updateValue("a", pids[1]!, (n) => n * 10)).toBe(true);
    expect(rooms.lookup("a").map((e) => e.value)).toEqual([20, 4]);
    expect(before.value).toBe(2);
    expect(Object.isFrozen(rooms.lookup("a")[0])).toBe(true);
    expect(rooms.updateValue("a", pids[2]!, (n) => n)).toBe(false);
    expect(rooms.updateValue("zzz", pids[0]!, (n) => n)).toBe(false);
    expect(() =>
      rooms.updateValue("a", pids[0]!, () => {
        throw new Error("no");
      }),
    ).toThrow("no");
    expect(rooms.lookup("a").map((e) => e.value)).toEqual([20, 4]);
    expect(events).toEqual([]);
  });

  it("drops an update whose function removed the entry itself", () => {
    const { rooms, pids } = populated();
    const updated = rooms.updateValue("a", pids[1]!, (n) => {
      rooms.unregister("a", pids[1]);
      return n + 1;
    });
    expect(updated).toBe(false);
    expect(rooms.lookup("a").map((e) => e.value)).toEqual([4]);
  });
});

describe("Registry: listeners", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("tells listeners of each new and removed entry, after the change, with the cause", () => {
    const runtime = newRuntime();
    const rooms = new Registry<string>({ keys: "duplicate", runtime });
    const [a, b] = [new Probe(runtime), new Probe(runtime)];
    const log: [string, string, Pid, RegistryRemoval?][] = [];
    const offRegister = rooms.onRegister((entry) => {
      expect(rooms.lookup(entry.key)).toContainEqual(entry);
      log.push(["+", entry.key as string, entry.pid]);
    });
    rooms.onUnregister((entry, cause) => {
      expect(rooms.keysOf(entry.pid)).not.toContain(entry.key);
      log.push(["-", entry.key as string, entry.pid, cause]);
    });
    rooms.register("lobby", a.pid);
    rooms.register("lobby", b.pid);
    rooms.unregister("lobby", a.pid);
    offRegister();
    rooms.register("kitchen", b.pid);
    b.halt();
    expect(log).toEqual([
      ["+", "lobby", a.pid],
      ["+", "lobby", b.pid],
      ["-", "lobby", a.pid, "unregister"],
      ["-", "lobby", b.pid, "exit"],
      ["-", "kitchen", b.pid, "exit"],
    ]);
  });

  it("keeps going when a listener throws, rethrowing its error from a microtask", () => {
    const scheduled: (() => void)[] = [];
    vi.stubGlobal("queueMicrotask", (fn: () => void) => scheduled.push(fn));
    const runtime = newRuntime();
    const names = new Registry<string>({ keys: "unique", runtime });
    const a = new Probe(runtime);
    const later: string[] = [];
    names.onRegister(() => {
      throw new Error("listener bug");
    });
    names.onRegister((entry) => later.push(entry.key as string));
    names.register("lobby", a.pid);
    expect(later).toEqual(["lobby"]);
    expect(names.whereis("lobby")).toBe(a.pid);
    expect(scheduled).toHaveLength(1);
    expect(() => scheduled[0]!()).toThrow("listener bug");
  });

  it("refuses a listener that is not a function", () => {
    const names = new Registry({ keys: "unique", runtime: newRuntime() });
    expect(code(() => names.onRegister("log" as unknown as () => void))).toBe(RuntimeErrorCode.BAD_ARGUMENT);
  });
});

describe("Registry: options", () => {
  it.each<[string, unknown]>([
    ["unknown keys", { keys: "many" }],
    ["missing keys", {}],
    ["a runtime that is not a Runtime", { keys: "unique", runtime: {} }],
  ])("rejects %s with BAD_ARGUMENT", (_name, options) => {
    expect(code(() => new Registry(options as { keys: RegistryKeys }))).toBe(RuntimeErrorCode.BAD_ARGUMENT);
  });

  it("uses defaultRuntime when none is given", () => {
    expect(new Registry({ keys: "unique" }).runtime).toBe(defaultRuntime);
  });
});
