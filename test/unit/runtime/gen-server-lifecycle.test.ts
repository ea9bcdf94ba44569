import { describe, expect, expectTypeOf, it } from "vitest";
import { AlreadyStartedError } from "../../../src/runtime/gen-server/already-started-error.js";
import { CalleeExitedError } from "../../../src/runtime/gen-server/call.js";
import { RuntimeErrorCode } from "../../../src/runtime/errors.js";
import { isExitMessage, shutdown } from "../../../src/runtime/process/exit-reason.js";
import type { ExitReason } from "../../../src/runtime/process/exit-reason.js";
import { GenServer } from "../../../src/runtime/gen-server/gen-server.js";
import { InitFailedError } from "../../../src/runtime/gen-server/init-failed-error.js";
import type { Pid } from "../../../src/runtime/process/pid.js";
import { Registry } from "../../../src/runtime/registry/registry.js";
import { Supervisor } from "../../../src/runtime/supervisor/supervisor.js";
import { TestNames, rejectionOf, testRuntime, track } from "./gen-server-fixtures.js";
import { Deferred, Probe, settle } from "./probe.js";

/** What a server's lifecycle callbacks saw, shared with the test through init args. */
interface Journal {
  readonly events: string[];
  readonly terminated: ExitReason[];
  terminateGate?: Promise<void>;
}

function journal(): Journal {
  return { events: [], terminated: [] };
}

/** A server whose behaviour the test drives with casts: "crash", "stop", "trap", or anything (logged). */
class Worker extends GenServer<Journal> {
  #journal: Journal = journal();
  override init(journal: Journal) {
    this.#journal = journal;
  }
  override handleCall(request: unknown) {
    if (request === "reply-then-stop") {
      this.stop(shutdown("asked"));
      return "bye";
    }
    return request;
  }
  override handleCast(message: unknown) {
    if (message === "crash") throw new Error("crashed");
    if (message === "stop") this.stop("normal");
    if (message === "trap") this.trapExits = true;
    this.#journal.events.push(`cast:${String(message)}`);
  }
  override handleInfo(message: unknown) {
    this.#journal.events.push(isExitMessage(message) ? `EXIT:${String(message.reason)}` : `info:${String(message)}`);
  }
  override async terminate(reason: ExitReason) {
    this.#journal.events.push("terminate");
    this.#journal.terminated.push(reason);
    await this.#journal.terminateGate;
  }
}

describe("GenServer.start", () => {
  it("rejects with INIT_FAILED when init throws, leaving no process and running no terminate", async () => {
    const { runtime, crashes } = testRuntime();
    let terminated = false;
    class Broken extends GenServer {
      override init() {
        throw new Error("no config");
      }
      override terminate() {
        terminated = true;
      }
    }
    const before = runtime.processCount;
    const error = await rejectionOf(GenServer.start(Broken, undefined, { runtime }));
    expect(error).toBeInstanceOf(InitFailedError);
    expect(error).toMatchObject({ code: RuntimeErrorCode.INIT_FAILED, reason: new Error("no config"), cause: new Error("no config") });
    expect(runtime.processCount).toBe(before);
    expect(terminated).toBe(false);
    expect(crashes.map(([, reason]) => reason)).toEqual([new Error("no config")]);
  });

  it("rejects with INIT_FAILED when an async init rejects or init calls stop", async () => {
    const { runtime } = testRuntime();
    class Rejecting extends GenServer {
      override async init() {
        await Promise.resolve();
        throw new Error("later");
      }
    }
    class Stopping extends GenServer {
      override init() {
        this.stop(shutdown("not today"));
      }
    }
    expect(await rejectionOf(GenServer.start(Rejecting, undefined, { runtime }))).toMatchObject({ reason: new Error("later") });
    expect(await rejectionOf(GenServer.start(Stopping, undefined, { runtime }))).toMatchObject({
      code: RuntimeErrorCode.INIT_FAILED,
      reason: { shutdown: "not today" },
    });
    expect(runtime.processCount).toBe(0);
  });

  it("waits for an async init before resolving, and runs it before any message sent meanwhile", async () => {
    const { runtime } = testRuntime();
    const ready = new Deferred();
    const names = new TestNames(runtime);
    const log: string[] = [];
    class Slow extends GenServer {
      override async init() {
        await ready.promise;
        log.push("init");
      }
      override handleInfo(message: unknown) {
        log.push(String(message));
      }
    }
    const start = track(GenServer.start(Slow, undefined, { runtime, name: names.via("slow") }));
    GenServer.send(names.via("slow"), "early", runtime);
    await settle();
    expect(start.settled).toBe(false);
    ready.resolve();
    await settle();
    expect(start.value).toBe(names.whereis("slow"));
    expect(log).toEqual(["init", "early"]);
  });

  it("kills the server and rejects with INIT_TIMEOUT when init outlasts timeoutMs, sparing the parent", async () => {
    const { runtime, clock } = testRuntime();
    const parent = new Probe(runtime);
    class Hanging extends GenServer {
      override init() {
        return new Promise<void>(() => {});
      }
    }
    const start = track(GenServer.startLink(Hanging, undefined, parent.pid, { runtime, timeoutMs: 1_000 }));
    await settle();
    clock.advance(999);
    await settle();
    expect(start.settled).toBe(false);
    clock.advance(1);
    await settle();
    expect(start.error).toMatchObject({ code: RuntimeErrorCode.INIT_TIMEOUT });
    expect(runtime.processCount).toBe(1);
    expect(parent.alive).toBe(true);
    expect(parent.received).toEqual([]);
  });

  it("resolves null and leaves no process when init returns ignore()", async () => {
    const { runtime } = testRuntime();
    const parent = new Probe(runtime);
    class Optional extends GenServer<boolean> {
      override init(enabled: boolean) {
        if (!enabled) return this.ignore();
      }
    }
    const ignored = await GenServer.startLink(Optional, false, parent.pid, { runtime });
    expectTypeOf(ignored).toEqualTypeOf<Pid | null>();
    expectTypeOf(await GenServer.start(Worker, journal(), { runtime })).toEqualTypeOf<Pid>();
    expect(ignored).toBeNull();
    expect(runtime.processCount).toBe(2);
    expect(parent.alive).toBe(true);
    expect(await GenServer.start(Optional, true, { runtime })).not.toBeNull();
  });

  it("rejects with ALREADY_STARTED and the holder's pid when the name is taken, deciding concurrent starts by order", async () => {
    const { runtime } = testRuntime();
    const names = new TestNames(runtime);
    const first = GenServer.start(Worker, journal(), { runtime, name: names.via("w") });
    const second = GenServer.start(Worker, journal(), { runtime, name: names.via("w") });
    const winner = await first;
    const error = await rejectionOf(second);
    expect(error).toBeInstanceOf(AlreadyStartedError);
    expect(error).toMatchObject({ code: RuntimeErrorCode.ALREADY_STARTED, pid: winner, key: "w" });
    expect(runtime.processCount).toBe(1);
    await GenServer.stop(names.via("w"));
    expect(names.whereis("w")).toBeUndefined();
    expect(await GenServer.start(Worker, journal(), { runtime, name: names.via("w") })).toBe(names.whereis("w"));
  });

  it("registers and is reached through the runtime's Registry", async () => {
    const { runtime } = testRuntime();
    const names = new Registry<string>({ keys: "unique", runtime });
    const pid = await GenServer.start(Worker, journal(), { runtime, name: names.via("reg") });
    expect(names.whereis("reg")).toBe(pid);
    expect(await GenServer.call(names.via("reg"), "echo")).toBe("echo");
    expect(await rejectionOf(GenServer.start(Worker, journal(), { runtime, name: names.via("reg") }))).toMatchObject({
      code: RuntimeErrorCode.ALREADY_STARTED,
      pid,
    });
  });

  it("rejects with INIT_FAILED (noproc) when the parent is already dead", async () => {
    const { runtime } = testRuntime();
    const parent = new Probe(runtime);
    parent.halt();
    expect(await rejectionOf(GenServer.startLink(Worker, journal(), parent.pid, { runtime }))).toMatchObject({
      code: RuntimeErrorCode.INIT_FAILED,
      reason: "noproc",
    });
    expect(runtime.processCount).toBe(0);
  });
});

describe("GenServer: stopping and terminate", () => {
  it("GenServer.stop resolves only after an async terminate has finished, handling nothing meanwhile", async () => {
    const { runtime } = testRuntime();
    const j = journal();
    const gate = new Deferred();
    j.terminateGate = gate.promise;
    const pid = await GenServer.start(Worker, j, { runtime });
    const stopped = track(GenServer.stop(pid, "shutdown", 5_000));
    await settle();
    expect(j.terminated).toEqual(["shutdown"]);
    expect(runtime.isAlive(pid)).toBe(true);
    GenServer.cast(pid, "ignored");
    const call = track(GenServer.call(pid, "echo"));
    await settle();
    expect(stopped.settled).toBe(false);
    gate.resolve();
    await settle();
    expect(stopped.settled).toBe(true);
    expect(stopped.error).toBeUndefined();
    expect(runtime.isAlive(pid)).toBe(false);
    expect(j.events).toEqual(["terminate"]);
    expect(call.error).toBeInstanceOf(CalleeExitedError);
  });

  it("GenServer.stop rejects with STOP_TIMEOUT when terminate outlasts it, and with NOPROC for a dead server", async () => {
    const { runtime, clock } = testRuntime();
    const j = journal();
    j.terminateGate = new Promise<void>(() => {});
    const pid = await GenServer.start(Worker, j, { runtime });
    const stopped = track(GenServer.stop(pid, "normal", 100));
    await settle();
    clock.advance(100);
    await settle();
    expect(stopped.error).toMatchObject({ code: RuntimeErrorCode.STOP_TIMEOUT });
    expect(runtime.isAlive(pid)).toBe(true);
    runtime.exit(pid, "kill");
    expect(await rejectionOf(GenServer.stop(pid))).toMatchObject({ code: RuntimeErrorCode.NOPROC });
  });

  it("GenServer.stop rejects with CALLEE_EXITED when terminate throws (the server exits with that error)", async () => {
    const { runtime } = testRuntime();
    class BadEnd extends GenServer {
      override terminate() {
        throw new Error("cleanup failed");
      }
    }
    const pid = await GenServer.start(BadEnd, undefined, { runtime });
    const error = await rejectionOf(GenServer.stop(pid));
    expect(error).toBeInstanceOf(CalleeExitedError);
    expect((error as CalleeExitedError).reason).toEqual(new Error("cleanup failed"));
  });

  it("replies, then runs terminate and exits, when handleCall returns a value and calls stop", async () => {
    const { runtime } = testRuntime();
    const j = journal();
    const pid = await GenServer.start(Worker, j, { runtime });
    const exits: ExitReason[] = [];
    runtime.watch(pid, (reason) => exits.push(reason));
    GenServer.cast(pid, "after");
    // The call is queued behind the cast; a message queued after the call is never handled.
    expect(await GenServer.call(pid, "reply-then-stop")).toBe("bye");
    GenServer.cast(pid, "too-late");
    await settle();
    expect(j.events).toEqual(["cast:after", "terminate"]);
    expect(exits).toEqual([{ shutdown: "asked" }]);
  });

  it("runs (and awaits) terminate with the error when a callback crashes, then exits with it", async () => {
    const { runtime } = testRuntime();
    const j = journal();
    const gate = new Deferred();
    j.terminateGate = gate.promise;
    const pid = await GenServer.start(Worker, j, { runtime });
    GenServer.cast(pid, "crash");
    await settle();
    expect(j.terminated).toEqual([new Error("crashed")]);
    expect(runtime.isAlive(pid)).toBe(true);
    const exits: ExitReason[] = [];
    runtime.watch(pid, (reason) => exits.push(reason));
    gate.resolve();
    await settle();
    expect(exits).toEqual([new Error("crashed")]);
  });

  it("stops at once when this.stop is called while idle", async () => {
    const { runtime } = testRuntime();
    let stopLater: (() => void) | undefined;
    const j = journal();
    class Later extends Worker {
      override init(journal: Journal) {
        super.init(journal);
        stopLater = () => this.stop("normal");
      }
    }
    const pid = await GenServer.start(Later, j, { runtime });
    stopLater?.();
    await settle();
    expect(j.terminated).toEqual(["normal"]);
    expect(runtime.isAlive(pid)).toBe(false);
  });
});

describe("GenServer: links, parent and trapping exits", () => {
  it("when trapping, runs terminate on the parent's EXIT and exits with the same reason; other EXITs go to handleInfo", async () => {
    const { runtime } = testRuntime();
    const parent = new Probe(runtime, { trapExits: true });
    const other = new Probe(runtime);
    const j = journal();
    const pid = (await GenServer.startLink(Worker, j, parent.pid, { runtime, trapExits: true })) as Pid;
    runtime.link(pid, other.pid);
    other.halt("other-reason");
    await settle();
    expect(j.events).toEqual(["EXIT:other-reason"]);
    expect(runtime.isAlive(pid)).toBe(true);

    runtime.exit(pid, "shutdown", parent.pid);
    await settle();
    expect(j.events).toEqual(["EXIT:other-reason", "terminate"]);
    expect(j.terminated).toEqual(["shutdown"]);
    expect(runtime.isAlive(pid)).toBe(false);
    expect(parent.received).toEqual([{ type: "EXIT", from: pid, reason: "shutdown" }]);
  });

  it("can start trapping in a callback (this.trapExits)", async () => {
    const { runtime } = testRuntime();
    const parent = new Probe(runtime);
    const j = journal();
    const pid = await GenServer.startLink(Worker, j, parent.pid, { runtime });
    GenServer.cast(pid, "trap");
    await settle();
    runtime.exit(pid, "shutdown", parent.pid);
    await settle();
    expect(j.terminated).toEqual(["shutdown"]);
  });

  it("is ended by a non-normal signal without terminate when not trapping", async () => {
    const { runtime } = testRuntime();
    const parent = new Probe(runtime, { trapExits: true });
    const j = journal();
    const pid = await GenServer.startLink(Worker, j, parent.pid, { runtime });
    runtime.exit(pid, "shutdown", parent.pid);
    expect(runtime.isAlive(pid)).toBe(false);
    expect(j.terminated).toEqual([]);
  });

  it("startLink: a crash of the server takes down a parent that does not trap exits", async () => {
    const { runtime } = testRuntime();
    const parent = new Probe(runtime);
    const pid = await GenServer.startLink(Worker, journal(), parent.pid, { runtime });
    GenServer.cast(pid, "crash");
    await settle();
    expect(parent.alive).toBe(false);
    expect(parent.exits).toEqual([new Error("crashed")]);
  });

  it("startLink: a failing init already reaches the parent", async () => {
    const { runtime } = testRuntime();
    const parent = new Probe(runtime, { trapExits: true });
    class Broken extends GenServer {
      override init() {
        throw new Error("no config");
      }
    }
    const error = await rejectionOf(GenServer.startLink(Broken, undefined, parent.pid, { runtime }));
    expect(error).toMatchObject({ code: RuntimeErrorCode.INIT_FAILED });
    await settle();
    expect(parent.received).toEqual([{ type: "EXIT", from: expect.anything(), reason: new Error("no config") }]);
  });
});

describe("GenServer under a Supervisor", () => {
  it("is restarted after a crash, and the supervisor's shutdown waits for its async terminate", async () => {
    const { runtime } = testRuntime();
    const j = journal();
    const gate = new Deferred();
    class Child extends Worker {
      override init(journal: Journal) {
        super.init(journal);
        this.trapExits = true;
      }
    }
    const sup = await Supervisor.start({
      runtime,
      strategy: "oneForOne",
      children: [{ id: "w", start: (parent) => GenServer.startLink(Child, j, parent, { runtime }) }],
    });
    const [first] = await Supervisor.whichChildren(sup);
    GenServer.cast(first?.pid as Pid, "crash");
    await settle(2);
    const [second] = await Supervisor.whichChildren(sup);
    expect(second?.pid).not.toBe(first?.pid);
    expect(runtime.isAlive(second?.pid as Pid)).toBe(true);

    j.terminateGate = gate.promise;
    const stopped = track(Supervisor.stop(sup));
    await settle(2);
    expect(j.terminated).toEqual([new Error("crashed"), "shutdown"]);
    expect(runtime.isAlive(second?.pid as Pid)).toBe(true);
    expect(stopped.settled).toBe(false);
    gate.resolve();
    await settle(2);
    expect(stopped.settled).toBe(true);
    expect(runtime.isAlive(second?.pid as Pid)).toBe(false);
  });
});

describe("GenServer: exit signals from outside and stop of other kinds of process", () => {
  it("when trapping, runs terminate on runtime.exit(pid, reason) and exits with that reason", async () => {
    const { runtime } = testRuntime();
    const j = journal();
    const pid = (await GenServer.start(Worker, j, { runtime, trapExits: true })) as Pid;
    const ended = new Promise<unknown>((resolve) => runtime.watch(pid, resolve));
    runtime.exit(pid, shutdown("maintenance"));
    expect(await ended).toEqual(shutdown("maintenance"));
    expect(j.events).toEqual(["terminate"]);
    expect(j.terminated).toEqual([shutdown("maintenance")]);
  });

  it("rejects GenServer.stop of a process that is not a GenServer with BAD_ARGUMENT, at once", async () => {
    const { runtime } = testRuntime();
    const supervisor = await Supervisor.start({ runtime, children: [] });
    const probe = new Probe(runtime);
    for (const pid of [supervisor, probe.pid]) {
      expect(await rejectionOf(GenServer.stop(pid, "normal", Infinity, runtime))).toMatchObject({ code: RuntimeErrorCode.BAD_ARGUMENT });
      expect(runtime.isAlive(pid)).toBe(true);
    }
    await Supervisor.stop(supervisor);
  });
});
