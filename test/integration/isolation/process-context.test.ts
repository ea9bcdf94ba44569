// Which process the running code works for: the context a drain runs in, and what it is inherited by.
// (What the escaped-error listeners do with it is tested in a child process, in escaped-errors.test.ts.)
import { describe, expect, it } from "vitest";
import { currentProcess } from "../../../src/runtime/process/process-context.js";
import { Process } from "../../../src/runtime/process/process.js";
import { Runtime } from "../../../src/runtime/process/runtime.js";

type Seen = Process | undefined;

class Recorder extends Process {
  readonly seen: Promise<Seen[]>;
  #resolve: (seen: Seen[]) => void = () => {};
  constructor(runtime: Runtime) {
    super(runtime);
    this.seen = new Promise((resolve) => (this.#resolve = resolve));
  }
  protected handleMessage(): void {
    const inHandler = currentProcess();
    const later = Promise.resolve().then(() => currentProcess());
    const timer = new Promise<Seen>((resolve) => setTimeout(() => resolve(currentProcess()), 1));
    void Promise.all([later, timer]).then(([fromPromise, fromTimer]) => this.#resolve([inHandler, fromPromise, fromTimer]));
  }
}

describe("processContext", () => {
  it("names the process while it handles a message, and in the promises and timers it starts", async () => {
    const runtime = new Runtime();
    const a = new Recorder(runtime);
    const b = new Recorder(runtime);
    runtime.send(a.pid, "go");
    runtime.send(b.pid, "go");

    expect(await a.seen).toEqual([a, a, a]);
    expect(await b.seen).toEqual([b, b, b]);
  });

  it("names no process outside every handler", () => {
    expect(currentProcess()).toBeUndefined();
  });

  it("names the ending process in its onExit, even when another process ends it", async () => {
    const runtime = new Runtime();
    let inExit: Seen = undefined;
    class Watched extends Process {
      protected handleMessage(): void {}
      protected override onExit(): void {
        inExit = currentProcess();
      }
    }
    const watched = new Watched(runtime);
    class Killer extends Process {
      protected handleMessage(): void {
        runtime.exit(watched.pid, "kill");
      }
    }
    const killer = new Killer(runtime);
    runtime.send(killer.pid, "go");
    await new Promise((resolve) => setImmediate(resolve));

    expect(inExit).toBe(watched);
  });
});
