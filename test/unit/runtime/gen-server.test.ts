import { describe, expect, it } from "vitest";
import { CalleeExitedError } from "../../../src/runtime/gen-server/call.js";
import type { From } from "../../../src/runtime/gen-server/call.js";
import { RuntimeError, RuntimeErrorCode } from "../../../src/runtime/errors.js";
import type { ExitReason } from "../../../src/runtime/process/exit-reason.js";
import { GenServer } from "../../../src/runtime/gen-server/gen-server.js";
import type { Pid } from "../../../src/runtime/process/pid.js";
import { UnhandledMessageError } from "../../../src/runtime/gen-server/unhandled-message-error.js";
import { TestNames, rejectionOf, testRuntime, track } from "./gen-server-fixtures.js";
import { Deferred, Probe, settle } from "./probe.js";

/** Records every callback it gets, in order, and answers a few requests. */
class Recorder extends GenServer<string[]> {
  log: string[] = [];
  override init(log: string[]) {
    this.log = log;
    log.push("init");
  }
  override handleCall(request: unknown) {
    this.log.push(`call:${String(request)}`);
    return `reply:${String(request)}`;
  }
  override handleCast(message: unknown) {
    this.log.push(`cast:${String(message)}`);
  }
  override handleInfo(message: unknown) {
    this.log.push(`info:${typeof message === "symbol" ? "TIMEOUT" : String(message)}`);
  }
}

class Counter extends GenServer<{ start: number }> {
  #count = 0;
  override init(args: { start: number }) {
    this.#count = args.start;
  }
  override handleCall(request: unknown) {
    if (request === "get") return this.#count;
    if (request === "boom") throw new Error("boom");
    return super.handleCall(request, undefined as never);
  }
  override handleCast(message: unknown) {
    if (message === "inc") this.#count++;
  }
}

describe("GenServer: calls, casts and info", () => {
  it("handles calls, casts and plain messages one at a time, in arrival order", async () => {
    const { runtime } = testRuntime();
    const log: string[] = [];
    const pid = await GenServer.start(Recorder, log, { runtime });
    const first = GenServer.call(pid, "a");
    GenServer.cast(pid, "b");
    GenServer.send(pid, "c");
    const second = GenServer.call(pid, "d");
    expect(await Promise.all([first, second])).toEqual(["reply:a", "reply:d"]);
    expect(log).toEqual(["init", "call:a", "cast:b", "info:c", "call:d"]);
  });

  it("keeps state in instance fields across messages", async () => {
    const { runtime } = testRuntime();
    const pid = await GenServer.start(Counter, { start: 1 }, { runtime });
    GenServer.cast(pid, "inc");
    GenServer.cast(pid, "inc");
    expect(await GenServer.call<number>(pid, "get")).toBe(3);
  });

  it("awaits an async handleCall before replying and before the next message", async () => {
    const { runtime } = testRuntime();
    const gate = new Deferred<number>();
    const log: string[] = [];
    class Slow extends GenServer {
      override async handleCall(request: unknown) {
        log.push(`start:${String(request)}`);
        const value = await gate.promise;
        log.push(`end:${String(request)}`);
        return value;
      }
      override handleCast(message: unknown) {
        log.push(`cast:${String(message)}`);
      }
    }
    const pid = await GenServer.start(Slow, undefined, { runtime });
    const reply = track(GenServer.call(pid, "q"));
    GenServer.cast(pid, "x");
    await settle();
    expect(log).toEqual(["start:q"]);
    expect(reply.settled).toBe(false);
    gate.resolve(42);
    await settle();
    expect(reply.value).toBe(42);
    expect(log).toEqual(["start:q", "end:q", "cast:x"]);
  });

  it("replies later through from when handleCall returns noReply", async () => {
    const { runtime } = testRuntime();
    class Deferring extends GenServer {
      #waiting: From | undefined;
      override handleCall(request: unknown, from: From) {
        if (request === "wait") {
          this.#waiting = from;
          return this.noReply();
        }
        this.#waiting?.reply(`released by ${String(request)}`);
        return "ok";
      }
    }
    const pid = await GenServer.start(Deferring, undefined, { runtime });
    const waiting = track(GenServer.call(pid, "wait"));
    await settle();
    expect(waiting.settled).toBe(false);
    expect(await GenServer.call(pid, "go")).toBe("ok");
    await settle();
    expect(waiting.value).toBe("released by go");
  });

  it("times a call out on the runtime clock, drops the late reply and keeps serving", async () => {
    const { runtime, clock } = testRuntime();
    let parked: From | undefined;
    class Parking extends GenServer {
      override handleCall(request: unknown, from: From) {
        if (request === "park") {
          parked = from;
          return this.noReply();
        }
        return "pong";
      }
    }
    const pid = await GenServer.start(Parking, undefined, { runtime });
    const call = track(GenServer.call(pid, "park", 100));
    await settle();
    clock.advance(99);
    await settle();
    expect(call.settled).toBe(false);
    clock.advance(1);
    await settle();
    expect(call.error).toMatchObject({ code: RuntimeErrorCode.CALL_TIMEOUT });
    expect(parked?.reply("too late")).toBe(false);
    expect(await GenServer.call(pid, "ping", 100)).toBe("pong");
    expect(clock.pendingTimers()).toBe(0);
  });

  it("rejects a call to a dead pid or an unregistered name with NOPROC", async () => {
    const { runtime } = testRuntime();
    const pid = await GenServer.start(Counter, { start: 0 }, { runtime });
    await GenServer.stop(pid);
    expect(await rejectionOf(GenServer.call(pid, "get"))).toMatchObject({ code: RuntimeErrorCode.NOPROC });
    const names = new TestNames(runtime);
    expect(await rejectionOf(GenServer.call(names.via("nobody"), "get", 100, runtime))).toMatchObject({
      code: RuntimeErrorCode.NOPROC,
    });
    expect(GenServer.cast(pid, "inc")).toBe(false);
    expect(GenServer.send(names.via("nobody"), "hi", runtime)).toBe(false);
  });

  it("fails a pending call with CALLEE_EXITED carrying the error when the server crashes", async () => {
    const { runtime, crashes } = testRuntime();
    const pid = await GenServer.start(Counter, { start: 0 }, { runtime });
    const error = await rejectionOf(GenServer.call(pid, "boom"));
    expect(error).toBeInstanceOf(CalleeExitedError);
    expect((error as CalleeExitedError).reason).toEqual(new Error("boom"));
    expect(runtime.isAlive(pid)).toBe(false);
    expect(crashes).toEqual([[pid, new Error("boom")]]);
  });

  it("crashes with UNHANDLED_CALL / UNHANDLED_CAST naming what it could not handle, and ignores stray info", async () => {
    const { runtime } = testRuntime();
    class Bare extends GenServer {}
    const a = await GenServer.start(Bare, undefined, { runtime });
    GenServer.send(a, "stray");
    const error = (await rejectionOf(GenServer.call(a, { op: "nope" }))) as CalleeExitedError;
    expect(error.reason).toBeInstanceOf(UnhandledMessageError);
    expect(error.reason).toMatchObject({ code: RuntimeErrorCode.UNHANDLED_CALL, received: { op: "nope" } });
    expect((error.reason as Error).message).toContain('{"op":"nope"}');

    const b = await GenServer.start(Bare, undefined, { runtime });
    const exits: ExitReason[] = [];
    runtime.watch(b, (reason) => exits.push(reason));
    GenServer.cast(b, "huh");
    await settle();
    expect(exits).toEqual([expect.objectContaining({ code: RuntimeErrorCode.UNHANDLED_CAST, received: "huh" })]);
  });

  it("lets a handler call another server", async () => {
    const { runtime } = testRuntime();
    const counter = await GenServer.start(Counter, { start: 5 }, { runtime });
    class Proxy extends GenServer {
      override async handleCall(request: unknown) {
        return (await this.call<number>(counter, request)) * 2;
      }
    }
    const proxy = await GenServer.start(Proxy, undefined, { runtime });
    expect(await GenServer.call(proxy, "get")).toBe(10);
  });

  it("delivers sendAfter messages to handleInfo on the runtime clock", async () => {
    const { runtime, clock } = testRuntime();
    class Ticker extends GenServer<string[]> {
      #log: string[] = [];
      override init(log: string[]) {
        this.#log = log;
        this.sendAfter("tick", 50);
      }
      override handleInfo(message: unknown) {
        this.#log.push(String(message));
      }
    }
    const log: string[] = [];
    await GenServer.start(Ticker, log, { runtime });
    clock.advance(49);
    await settle();
    expect(log).toEqual([]);
    clock.advance(1);
    await settle();
    expect(log).toEqual(["tick"]);
  });
});

describe("GenServer: continue", () => {
  it("runs handleContinue right after the callback, before messages already queued", async () => {
    const { runtime } = testRuntime();
    const log: string[] = [];
    class Chained extends GenServer {
      override init() {
        log.push("init");
        this.continue("after-init");
      }
      override handleCast(message: unknown) {
        log.push(`cast:${String(message)}`);
        if (message === "first") this.continue("after-first");
      }
      override async handleContinue(arg: unknown) {
        log.push(`continue:${String(arg)}`);
        await Promise.resolve();
        if (arg === "after-first") this.continue("again");
      }
    }
    const started = GenServer.start(Chained, undefined, { runtime });
    await settle();
    const pid = await started;
    GenServer.cast(pid, "first");
    GenServer.cast(pid, "second");
    await settle();
    expect(log).toEqual([
      "init",
      "continue:after-init",
      "cast:first",
      "continue:after-first",
      "continue:again",
      "cast:second",
    ]);
  });

  it("crashes with UNHANDLED_CONTINUE without a handleContinue, and refuses continue outside a callback", async () => {
    const { runtime } = testRuntime();
    let server: { later(): void } | undefined;
    class Forgetful extends GenServer {
      override init() {
        server = { later: () => this.continue("x") };
      }
      override handleCast() {
        this.continue("x");
      }
    }
    const pid = await GenServer.start(Forgetful, undefined, { runtime });
    expect(() => server?.later()).toThrow(expect.objectContaining({ code: RuntimeErrorCode.BAD_ARGUMENT }));
    const exits: ExitReason[] = [];
    runtime.watch(pid, (reason) => exits.push(reason));
    GenServer.cast(pid, "go");
    await settle();
    expect(exits).toEqual([expect.objectContaining({ code: RuntimeErrorCode.UNHANDLED_CONTINUE })]);
  });
});

describe("GenServer: idle timeout", () => {
  class Idle extends GenServer<string[]> {
    #log: string[] = [];
    override init(log: string[]) {
      this.#log = log;
      this.idleTimeout(100);
    }
    override handleCast(message: unknown) {
      this.#log.push(String(message));
      if (message === "again") this.idleTimeout(100);
    }
    override handleInfo(message: unknown) {
      this.#log.push(message === GenServer.TIMEOUT ? "TIMEOUT" : String(message));
    }
  }

  it("sends GenServer.TIMEOUT to handleInfo when no message arrives in time", async () => {
    const { runtime, clock } = testRuntime();
    const log: string[] = [];
    await GenServer.start(Idle, log, { runtime });
    clock.advance(99);
    await settle();
    expect(log).toEqual([]);
    clock.advance(1);
    await settle();
    expect(log).toEqual(["TIMEOUT"]);
    clock.advance(1000);
    await settle();
    expect(log).toEqual(["TIMEOUT"]);
  });

  it("is cancelled by any message, and armed again only by a callback that asks", async () => {
    const { runtime, clock } = testRuntime();
    const log: string[] = [];
    const pid = await GenServer.start(Idle, log, { runtime });
    clock.advance(50);
    GenServer.cast(pid, "plain");
    await settle();
    clock.advance(500);
    await settle();
    expect(log).toEqual(["plain"]);
    expect(clock.pendingTimers()).toBe(0);
    GenServer.cast(pid, "again");
    await settle();
    clock.advance(100);
    await settle();
    expect(log).toEqual(["plain", "again", "TIMEOUT"]);
  });

  it("drops a timeout that fired while a message was already queued", async () => {
    const { runtime, clock } = testRuntime();
    const log: string[] = [];
    const pid = await GenServer.start(Idle, log, { runtime });
    GenServer.cast(pid, "plain");
    clock.advance(100); // fires before the queued cast is handled
    await settle();
    expect(log).toEqual(["plain"]);
  });
});

describe("GenServer: calling itself", () => {
  it("throws CALL_SELF for GenServer.call and GenServer.stop to itself from a callback", async () => {
    const { runtime } = testRuntime();
    const errors: unknown[] = [];
    class Narcissus extends GenServer {
      override handleCast() {
        for (const attempt of [() => GenServer.call(this.self, "hi"), () => GenServer.stop(this.self)]) {
          try {
            void attempt();
          } catch (error) {
            errors.push(error);
          }
        }
      }
    }
    const pid = await GenServer.start(Narcissus, undefined, { runtime });
    GenServer.cast(pid, "go");
    await settle();
    expect(errors).toEqual([
      expect.objectContaining({ code: RuntimeErrorCode.CALL_SELF }),
      expect.objectContaining({ code: RuntimeErrorCode.CALL_SELF }),
    ]);
    expect(runtime.isAlive(pid)).toBe(true);
  });

  it("detects it through this.call after an await too, by name as well as by pid", async () => {
    const { runtime } = testRuntime();
    const names = new TestNames(runtime);
    let caught: unknown;
    class Narcissus extends GenServer {
      override async handleCast() {
        await Promise.resolve();
        try {
          await this.call(names.via("me"), "hi");
        } catch (error) {
          caught = error;
        }
      }
    }
    const pid = await GenServer.start(Narcissus, undefined, { runtime, name: names.via("me") });
    GenServer.cast(pid, "go");
    await settle();
    expect(caught).toBeInstanceOf(RuntimeError);
    expect(caught).toMatchObject({ code: RuntimeErrorCode.CALL_SELF });
  });
});

describe("GenServer: misuse", () => {
  it("cannot be constructed with new", () => {
    expect(() => new Counter()).toThrow(expect.objectContaining({ code: RuntimeErrorCode.BAD_ARGUMENT }));
  });

  it.each<[string, () => unknown]>([
    ["an unknown option", () => GenServer.start(Counter, { start: 0 }, { timeout: 5 } as never)],
    ["a runtime that is not a Runtime", () => GenServer.start(Counter, { start: 0 }, { runtime: {} as never })],
    ["a negative timeoutMs", () => GenServer.start(Counter, { start: 0 }, { timeoutMs: -1 })],
    ["a name without a registrar", () => GenServer.start(Counter, { start: 0 }, { name: { key: "x" } as never })],
    ["a class that is not a GenServer", () => GenServer.start(Probe as never, undefined as never)],
    ["a destination that is not one", () => GenServer.call("pid" as unknown as Pid, "get")],
  ])("throws BAD_ARGUMENT at once for %s", (_name, attempt) => {
    expect(attempt).toThrow(expect.objectContaining({ code: RuntimeErrorCode.BAD_ARGUMENT }));
  });
});
