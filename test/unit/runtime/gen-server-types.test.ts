// Typed GenServers. The compile-time part runs under `npm run typecheck`: a server declares its calls
// (request → reply), casts and info messages; `start` resolves with a pid that carries them, and `call`,
// `cast` and `send` check what is sent and infer the reply. The `@ts-expect-error` lines must stay
// errors. The run-time part checks that a typed server behaves as an untyped one does.
import { describe, expect, expectTypeOf, it } from "vitest";
import type { From } from "../../../src/runtime/gen-server/call.js";
import type { DownMessage } from "../../../src/runtime/process/exit-reason.js";
import { GenServer } from "../../../src/runtime/gen-server/gen-server.js";
import type {
  Call,
  CastOf,
  InfoOf,
  ReplyOf,
  RequestOf,
  ServerName,
  ServerPid,
} from "../../../src/runtime/index.js";
import type { ViaName } from "../../../src/runtime/registry/name.js";
import type { Pid } from "../../../src/runtime/process/pid.js";
import { RuntimeErrorCode } from "../../../src/runtime/errors.js";
import type { Runtime } from "../../../src/runtime/process/runtime.js";
import { TestNames, rejectionOf, testRuntime } from "./gen-server-fixtures.js";

type CounterCall =
  | Call<"get", number>
  | Call<{ type: "add"; n: number }, number>
  | Call<{ type: "name" }, string>
  | Call<{ type: "history"; last: number }, readonly number[]>;
type CounterCast = "inc" | { type: "reset"; to: number };
type CounterInfo = "tick" | typeof GenServer.TIMEOUT | DownMessage;

class Counter extends GenServer<number, CounterCall, CounterCast, CounterInfo> {
  #count = 0;
  #history: number[] = [];
  ticks = 0;

  override init(start: number) {
    this.#count = start;
  }

  override handleCall(request: CounterCall["request"]) {
    if (request === "get") return this.#count;
    switch (request.type) {
      case "add":
        this.#history.push(this.#count);
        return (this.#count += request.n);
      case "name":
        return "counter";
      case "history":
        return this.#history.slice(-request.last);
    }
  }

  override handleCast(message: CounterCast) {
    if (message === "inc") this.#count++;
    else this.#count = message.to;
  }

  override handleInfo(message: CounterInfo) {
    if (message === "tick") this.ticks++;
  }
}

/** Answers "later" calls through a kept `From`, typed by the declared replies. */
type GateCall = Call<"wait", "open"> | Call<"peek", boolean>;
class Gate extends GenServer<undefined, GateCall, "open"> {
  #waiting: From<"open" | boolean>[] = [];
  #open = false;

  override handleCall(request: GateCall["request"], from: From<"open" | boolean>) {
    if (request === "peek") return this.#open;
    if (this.#open) return "open" as const;
    this.#waiting.push(from);
    return this.noReply();
  }

  override handleCast(_message: "open") {
    this.#open = true;
    for (const from of this.#waiting) from.reply("open");
    this.#waiting = [];
  }
}

/** An untyped server, as written before types existed. */
class Echo extends GenServer {
  override handleCall(request: unknown) {
    return request;
  }
}

/** Calls another typed server from a callback, through the `this.call` helper. */
type ProxyCall = Call<"double", number>;
class Doubler extends GenServer<ServerPid<Counter>, ProxyCall> {
  #counter!: ServerPid<Counter>;

  override init(counter: ServerPid<Counter>) {
    this.#counter = counter;
  }

  override async handleCall(_request: "double") {
    const count = await this.call(this.#counter, "get");
    expectTypeOf(count).toEqualTypeOf<number>();
    this.cast(this.#counter, "inc");
    // @ts-expect-error -- not a cast the counter declares
    if (count < 0) this.cast(this.#counter, "dec");
    return count * 2;
  }
}

// The compile-time checks live in functions that are type-checked but never run: the calls in them
// would otherwise reach real servers.
describe("typed GenServer: compile-time checks", () => {
  it("types the pid start resolves with, and infers each call's reply from its request", () => {
    const check = async (runtime: Runtime) => {
      const counter = await GenServer.start(Counter, 1, { runtime });
      expectTypeOf(counter).toEqualTypeOf<ServerPid<Counter>>();
      expectTypeOf(counter).toMatchTypeOf<Pid>();

      expectTypeOf(GenServer.call(counter, "get")).resolves.toEqualTypeOf<number>();
      expectTypeOf(GenServer.call(counter, { type: "add", n: 2 })).resolves.toEqualTypeOf<number>();
      expectTypeOf(GenServer.call(counter, { type: "name" }, 1_000)).resolves.toEqualTypeOf<string>();
      expectTypeOf(GenServer.call(counter, { type: "history", last: 2 })).resolves.toEqualTypeOf<readonly number[]>();
      // A request whose type is a union gets the union of their replies.
      const either = { type: "name" } as { type: "name" } | "get";
      expectTypeOf(GenServer.call(counter, either)).resolves.toEqualTypeOf<string | number>();

      // @ts-expect-error -- a request the server does not declare
      void GenServer.call(counter, "put");
      // @ts-expect-error -- a declared request missing a field
      void GenServer.call(counter, { type: "add" });
      // @ts-expect-error -- a field of the wrong type
      void GenServer.call(counter, { type: "add", n: "2" });
      // @ts-expect-error -- the reply is a number, not a string
      const wrong: Promise<string> = GenServer.call(counter, "get");
      void wrong;
      // @ts-expect-error -- init's argument is still checked
      void GenServer.start(Counter, "1", { runtime });
    };
    expect(check).toBeTypeOf("function");
  });

  it("checks casts and sends against the declared casts and infos", () => {
    const check = (counter: ServerPid<Counter>) => {
      GenServer.cast(counter, "inc");
      GenServer.cast(counter, { type: "reset", to: 0 });
      GenServer.send(counter, "tick");
      // @ts-expect-error -- not a declared cast
      GenServer.cast(counter, "dec");
      // @ts-expect-error -- a declared cast missing a field
      GenServer.cast(counter, { type: "reset" });
      // @ts-expect-error -- a call request is not a cast
      GenServer.cast(counter, "get");
      // @ts-expect-error -- not a declared info message
      GenServer.send(counter, "tock");
    };
    expect(check).toBeTypeOf("function");
  });

  it("checks what handleCall returns and what from.reply takes against the declared replies", () => {
    class BadReply extends GenServer<undefined, Call<"get", number>> {
      // @ts-expect-error -- a string is not a declared reply
      override handleCall(_request: "get") {
        return "zero";
      }
    }
    class BadCast extends GenServer<undefined, Call<"get", number>, "inc"> {
      // @ts-expect-error -- handleCast takes the declared casts, not numbers
      override handleCast(message: number) {
        void message;
      }
    }
    class Later extends GenServer<undefined, Call<"get", number>> {
      readonly waiting: From<number>[] = [];
      // Deferring every reply: noReply() alone is a valid return.
      override handleCall(_request: "get", from: From<number>) {
        // @ts-expect-error -- the reply is a number
        from.reply("zero");
        this.waiting.push(from);
        return this.noReply();
      }
    }
    class Helpers extends GenServer<undefined, Call, unknown, "tick"> {
      override init() {
        this.sendAfter("tick", 10);
        // @ts-expect-error -- sendAfter sends to handleInfo: a declared info message
        this.sendAfter("tock", 10);
      }
    }
    expect([BadReply, BadCast, Later, Helpers]).toHaveLength(4);
  });

  it("types names and pids found elsewhere with GenServer.typed", () => {
    const check = (names: TestNames, pid: Pid, either: Pid | ViaName) => {
      const byName = GenServer.typed<Counter>(names.via("counter"));
      expectTypeOf(byName).toEqualTypeOf<ServerName<Counter>>();
      expectTypeOf(GenServer.call(byName, { type: "name" })).resolves.toEqualTypeOf<string>();
      // @ts-expect-error -- checked like a typed pid
      void GenServer.call(byName, "nope");
      expectTypeOf(GenServer.typed<Counter>(pid)).toEqualTypeOf<ServerPid<Counter>>();
      expectTypeOf(GenServer.typed<Counter>(either)).toEqualTypeOf<ServerPid<Counter> | ServerName<Counter>>();
      expectTypeOf(GenServer.call(GenServer.typed<Counter>(either), "get")).resolves.toEqualTypeOf<number>();
      // @ts-expect-error -- a plain pid does not pass for a typed one without GenServer.typed
      const typed: ServerPid<Counter> = pid;
      void typed;
    };
    expect(check).toBeTypeOf("function");
  });

  it("exposes a server's message types", () => {
    expectTypeOf<RequestOf<Counter>>().toEqualTypeOf<CounterCall["request"]>();
    expectTypeOf<ReplyOf<Counter, "get">>().toEqualTypeOf<number>();
    expectTypeOf<ReplyOf<Counter, { type: "name" }>>().toEqualTypeOf<string>();
    expectTypeOf<ReplyOf<Gate>>().toEqualTypeOf<"open" | boolean>();
    expectTypeOf<CastOf<Counter>>().toEqualTypeOf<CounterCast>();
    expectTypeOf<InfoOf<Counter>>().toEqualTypeOf<CounterInfo>();
  });

  it("leaves untyped servers as they were", () => {
    const check = async (runtime: Runtime) => {
      const echo = await GenServer.start(Echo, undefined, { runtime });
      expectTypeOf(echo).toEqualTypeOf<Pid>();
      expectTypeOf(GenServer.call(echo, "anything")).resolves.toBeUnknown();
      expectTypeOf(GenServer.call<number>(echo, 1)).resolves.toEqualTypeOf<number>();
      const stated: number = await GenServer.call(echo, 1); // the reply type taken from the context
      GenServer.cast(echo, { anything: true });
      GenServer.send(echo, Symbol("anything"));
      return stated;
    };
    expect(check).toBeTypeOf("function");
  });
});

describe("typed GenServer: run time", () => {
  it("answers typed calls and casts exactly as an untyped server does", async () => {
    const { runtime } = testRuntime();
    const counter = await GenServer.start(Counter, 10, { runtime });
    GenServer.cast(counter, "inc");
    expect(await GenServer.call(counter, "get")).toBe(11);
    expect(await GenServer.call(counter, { type: "add", n: 4 })).toBe(15);
    expect(await GenServer.call(counter, { type: "name" })).toBe("counter");
    expect(await GenServer.call(counter, { type: "history", last: 5 })).toEqual([11]);
    GenServer.cast(counter, { type: "reset", to: 2 });
    expect(GenServer.send(counter, "tick")).toBe(true);
    expect(await GenServer.call(counter, "get")).toBe(2);
    expect(await GenServer.call(counter, { type: "add", n: 1 }, 1_000, runtime)).toBe(3);
    await GenServer.stop(counter);
    expect(GenServer.cast(counter, "inc")).toBe(false);
    expect(await rejectionOf(GenServer.call(counter, "get"))).toMatchObject({ code: RuntimeErrorCode.NOPROC });
  });

  it("replies later through a typed From, and calls typed servers from callbacks", async () => {
    const { runtime } = testRuntime();
    const gate = await GenServer.start(Gate, undefined, { runtime });
    const waiting = GenServer.call(gate, "wait");
    expectTypeOf(waiting).toEqualTypeOf<Promise<"open">>();
    expect(await GenServer.call(gate, "peek")).toBe(false);
    GenServer.cast(gate, "open");
    expect(await waiting).toBe("open");

    const counter = await GenServer.start(Counter, 5, { runtime });
    const proxy = await GenServer.start(Doubler, counter, { runtime });
    expect(await GenServer.call(proxy, "double")).toBe(10);
    expect(await GenServer.call(counter, "get")).toBe(6);
  });

  it("reaches a typed name registered at start, and returns GenServer.typed's argument unchanged", async () => {
    const { runtime } = testRuntime();
    const names = new TestNames(runtime);
    const pid = await GenServer.start(Counter, 7, { runtime, name: names.via("c") });
    const name = names.via("c");
    const typed = GenServer.typed<Counter>(name);
    expect(typed).toBe(name);
    expect(GenServer.typed<Counter>(pid as Pid)).toBe(pid);
    expect(await GenServer.call(typed, { type: "add", n: 1 })).toBe(8);
    expect(() => GenServer.typed<Counter>("c" as unknown as Pid)).toThrow(
      expect.objectContaining({ code: RuntimeErrorCode.BAD_ARGUMENT }) as Error,
    );
  });
});

// The room server of docs/processes.md ("A room server"), as written there: no casts anywhere.
interface ChatMessage {
  readonly name: string;
  readonly body: string;
  readonly at: number;
}
type RoomCall = Call<{ type: "history" }, ChatMessage[]>;
type RoomCast = { type: "record"; message: ChatMessage };
const HISTORY_LENGTH = 50;

class RoomServer extends GenServer<{ room: string }, RoomCall, RoomCast> {
  #messages: ChatMessage[] = [];

  override handleCall(_request: RoomCall["request"]) {
    return this.#messages.slice();
  }

  override handleCast({ message }: RoomCast) {
    this.#messages.push(message);
    if (this.#messages.length > HISTORY_LENGTH) this.#messages.splice(0, this.#messages.length - HISTORY_LENGTH);
  }
}

describe("docs/processes.md room server", () => {
  it("records casts and answers the history call, typed, through a typed name", async () => {
    const { runtime } = testRuntime();
    const names = new TestNames(runtime);
    await GenServer.start(RoomServer, { room: "lobby" }, { runtime, name: names.via("lobby") });
    const lobby = GenServer.typed<RoomServer>(names.via("lobby"));
    for (let i = 0; i < 60; i++) GenServer.cast(lobby, { type: "record", message: { name: "ada", body: `#${i}`, at: i } });
    const history = await GenServer.call(lobby, { type: "history" });
    expectTypeOf(history).toEqualTypeOf<ChatMessage[]>();
    expect(history).toHaveLength(HISTORY_LENGTH);
    expect(history[0]?.body).toBe("#10");
    // @ts-expect-error -- the room server answers history calls only
    const nope = () => GenServer.call(lobby, { type: "clear" });
    expect(nope).toBeTypeOf("function");
    await GenServer.stop(lobby);
  });
});
