/**
 * Shared settings and guards of the fuzzers in test/fuzz: the run budget (FUZZ_RUNS, FUZZ_SEED, FUZZ_PATH, read
 * the way test/mqtt/fuzz.test.ts reads them), a test endpoint whose runtime records every process crash and
 * whose logger records every error it logs, a recorder for errors that escape to Node (uncaught exceptions,
 * unhandled rejections), and a WebSocket bystander that chats with the endpoint the whole time a fuzzer runs
 * and must lose nothing.
 */
import { expect } from "vitest";
import { WebSocket, type RawData } from "ws";
import { formatExitReason, Runtime, type EndpointOptions, type FenixError, type Logger, type SocketOptions } from "../../src/index.js";
import { startTestEndpoint, type TestEndpoint } from "../support/test-endpoint.js";

/** Whether FUZZ_RUNS was set (`npm run fuzz`): a long run from a random seed unless FUZZ_SEED is set. */
export const LONG = process.env.FUZZ_RUNS !== undefined;

/** Runs of a property: FUZZ_RUNS when set, else `short` (the bounded budget of `npm test`). */
export function fuzzRuns(short: number): number {
  return LONG ? Number(process.env.FUZZ_RUNS) : short;
}

/** FUZZ_SEED when set; else a random seed for a long run and `fixed` for `npm test` (reproducible CI runs). */
export function fuzzSeed(fixed: number): number {
  if (process.env.FUZZ_SEED !== undefined) return Number(process.env.FUZZ_SEED);
  return LONG ? Date.now() % 2 ** 31 : fixed;
}

/** FUZZ_PATH, to replay one failing case together with its FUZZ_SEED. */
export const FUZZ_PATH = process.env.FUZZ_PATH;

/** The time budget of a property in `npm test`, after which its remaining runs are skipped (none in a long run). */
export function timeLimitMs(short: number): number {
  return LONG ? 24 * 3600_000 : short;
}

/** The vitest timeout of a fuzzing test. */
export function testTimeoutMs(short: number): number {
  return LONG ? 24 * 3600_000 : short;
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Crashes the test endpoint's channels cause on purpose (`crash` event, `crashy:*` joins): not server bugs. */
const TEST_CRASH = /\(test( crash)?\)/;

/** A test endpoint whose crashes, error logs and client errors are recorded. */
export interface GuardedEndpoint extends TestEndpoint {
  /** Processes that crashed (`pid: reason`), the test channels' deliberate crashes left out. */
  readonly crashes: string[];
  /** Messages the endpoint logged at level error (an unexpected failure: a 500, a failed upgrade, …). */
  readonly errorLogs: string[];
  /** Codes of the `clientError` events, counted. */
  readonly clientErrors: Record<string, number>;
}

/** Starts {@link startTestEndpoint} on a runtime of its own, recording crashes and error logs. */
export async function startGuardedEndpoint(options: EndpointOptions = {}, socketOptions: SocketOptions = {}): Promise<GuardedEndpoint> {
  const crashes: string[] = [];
  const errorLogs: string[] = [];
  const clientErrors: Record<string, number> = {};
  const runtime = new Runtime({
    onCrash: (pid, reason) => {
      const text = formatExitReason(reason);
      if (!TEST_CRASH.test(text)) crashes.push(`${pid.toString()}: ${text}`);
    },
  });
  const describe = (meta?: Record<string, unknown>): string => {
    const error = meta?.error;
    return error instanceof Error ? (error.stack ?? error.message) : JSON.stringify(meta ?? {});
  };
  const logger: Logger = {
    debug() {},
    info() {},
    warn() {},
    error(message, meta) {
      errorLogs.push(`${message}: ${describe(meta)}`);
    },
  };
  const server = await startTestEndpoint({ runtime, logger, ...options }, socketOptions);
  server.endpoint.on("clientError", (error: FenixError) => {
    clientErrors[error.code] = (clientErrors[error.code] ?? 0) + 1;
  });
  return Object.assign(server, { crashes, errorLogs, clientErrors });
}

/** Records uncaught exceptions and unhandled rejections while installed. */
export class EscapedErrors {
  readonly all: string[] = [];
  readonly #onException = (error: unknown): void => {
    this.all.push(`uncaughtException: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  };
  readonly #onRejection = (reason: unknown): void => {
    this.all.push(`unhandledRejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
  };

  install(): this {
    process.on("uncaughtException", this.#onException);
    process.on("unhandledRejection", this.#onRejection);
    return this;
  }

  uninstall(): void {
    process.off("uncaughtException", this.#onException);
    process.off("unhandledRejection", this.#onRejection);
  }
}

/** How long the bystander waits for one answer before it reports a loss. */
const BYSTANDER_WAIT_MS = 3_000;

/**
 * A well-behaved V2 WebSocket client joined to an `echo:` topic of its own. While started it chats without
 * pause: each round pushes `ping` (answered with the same payload) and has the endpoint broadcast to its
 * topic, and expects exactly the reply and the broadcast, in order. Anything else — a frame lost, late,
 * duplicated or foreign, or the connection closing — is a problem.
 */
export class WsBystander {
  readonly problems: string[] = [];
  readonly #server: TestEndpoint;
  readonly #ws: WebSocket;
  readonly #topic: string;
  readonly #inbox: string[] = [];
  #wake: (() => void) | null = null;
  #closed = false;
  #rounds = 0;
  #running = false;
  #pump: Promise<void> | null = null;

  private constructor(server: TestEndpoint, ws: WebSocket, topic: string) {
    this.#server = server;
    this.#ws = ws;
    this.#topic = topic;
    ws.on("message", (data: RawData, binary: boolean) => {
      this.#inbox.push(binary ? `<binary>` : (data as Buffer).toString("utf8"));
      this.#wake?.();
    });
    ws.on("close", (code: number) => {
      this.#closed = true;
      if (this.#running) this.problems.push(`the bystander's connection closed (${code})`);
      this.#wake?.();
    });
    ws.on("error", () => {});
  }

  /** Connects, joins `echo:bystander-<random>` and starts chatting. */
  static async start(server: TestEndpoint): Promise<WsBystander> {
    const ws = new WebSocket(`${server.websocketUrl}?vsn=2.0.0`, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    const topic = `echo:bystander-${Math.random().toString(36).slice(2)}`;
    const bystander = new WsBystander(server, ws, topic);
    ws.send(JSON.stringify(["1", "1", topic, "phx_join", {}]));
    const reply = await bystander.#next();
    if (reply !== `["1","1",${JSON.stringify(topic)},"phx_reply",{"status":"ok","response":{"joined":${JSON.stringify(topic)},"user":null}}]`) {
      throw new Error(`the bystander could not join: ${reply}`);
    }
    bystander.#running = true;
    bystander.#pump = bystander.#chat();
    return bystander;
  }

  /** Rounds completed so far. */
  get rounds(): number {
    return this.#rounds;
  }

  /** Waits until `n` more rounds completed (or a problem shows); records a problem after `timeoutMs`. */
  async advance(n = 1, timeoutMs = BYSTANDER_WAIT_MS * 2): Promise<void> {
    const target = this.#rounds + n;
    const deadline = Date.now() + timeoutMs;
    while (this.#rounds < target && this.problems.length === 0 && Date.now() < deadline) await delay(2);
    if (this.#rounds < target && this.problems.length === 0) this.problems.push(`the bystander made no progress for ${timeoutMs} ms`);
  }

  /** Stops chatting (after the round under way) and closes the connection. */
  async stop(): Promise<void> {
    this.#running = false;
    await this.#pump;
    this.#ws.close();
  }

  async #chat(): Promise<void> {
    const topic = JSON.stringify(this.#topic);
    while (this.#running && !this.#closed) {
      const n = this.#rounds + 1;
      this.#ws.send(JSON.stringify(["1", `p${n}`, this.#topic, "ping", { n }]));
      this.#server.endpoint.broadcast(this.#topic, "tick", { n });
      // The reply and the broadcast travel separately inside the server: either may come first.
      const expected = new Set([`["1","p${n}",${topic},"phx_reply",{"status":"ok","response":{"n":${n}}}]`, `[null,null,${topic},"tick",{"n":${n}}]`]);
      for (let i = 0; i < 2; i++) {
        const frame = await this.#next();
        if (frame === null) return;
        if (!expected.delete(frame)) {
          this.problems.push(`round ${n}: unexpected frame ${frame.slice(0, 200)} (waiting for ${[...expected].join(" and ")})`);
          this.#running = false;
          return;
        }
      }
      this.#rounds = n;
      // A round every few milliseconds: the bystander stays busy without starving the fuzzer.
      await delay(5);
    }
  }

  /** The next frame, or null (a problem recorded) when none comes in time or the connection closed. */
  async #next(): Promise<string | null> {
    const deadline = Date.now() + BYSTANDER_WAIT_MS;
    while (this.#inbox.length === 0) {
      if (this.#closed) return null;
      if (Date.now() >= deadline) {
        this.problems.push(`the bystander got no frame within ${BYSTANDER_WAIT_MS} ms`);
        this.#running = false;
        return null;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
    return this.#inbox.shift()!;
  }
}

/**
 * Marks where a fuzz run starts; the returned check, awaited after the run, throws if the run crashed a
 * process, made the endpoint log an error, let an error escape, or disturbed the bystander.
 */
export function watchRun(server: GuardedEndpoint, escaped: EscapedErrors, bystander: WsBystander): () => Promise<void> {
  const crashesBefore = server.crashes.length;
  const logsBefore = server.errorLogs.length;
  const escapedBefore = escaped.all.length;
  return async () => {
    await bystander.advance(1);
    if (bystander.problems.length > 0) throw new Error(`the bystander was disturbed: ${bystander.problems.join("; ")}`);
    const crashes = server.crashes.slice(crashesBefore);
    if (crashes.length > 0) throw new Error(`a process crashed: ${crashes.join("; ")}`);
    const logs = server.errorLogs.slice(logsBefore);
    if (logs.length > 0) throw new Error(`the endpoint logged errors: ${logs.join("; ")}`);
    const errors = escaped.all.slice(escapedBefore);
    if (errors.length > 0) throw new Error(`escaped errors: ${errors.join("; ")}`);
  };
}

/** After a whole fuzz property: the bystander went on, and nothing crashed, logged an error or escaped. */
export async function expectUndisturbed(server: GuardedEndpoint, escaped: EscapedErrors, bystander: WsBystander): Promise<void> {
  await bystander.advance(3);
  expect(bystander.problems).toEqual([]);
  expect(server.crashes).toEqual([]);
  expect(server.errorLogs).toEqual([]);
  expect(escaped.all).toEqual([]);
}
