/**
 * One load-generator process of the scale scenarios (forked by scenarios/scale.ts, which spreads the
 * connections over several of them so that none nears the 20,000 open files a process may hold). Driven
 * over the IPC channel:
 *
 * - `open`: opens `count` connections (`concurrency` at a time), each from one of `addresses` in turn
 *   blocks and joined to `bench:scale:<first + i>`; answers `opened` with the count, the failures and
 *   when the phase started and ended (epoch ms, comparable across processes).
 * - `report`: answers `progress`: how many connections have received their broadcast so far, and when
 *   the last did. `reached` is also sent unasked once every open connection has received it.
 * - `close`: closes every connection and exits.
 *
 * Connections ping every 20 s, within Fenix's 60 s idle timeout.
 */
import { performance } from "node:perf_hooks";
import { BenchConnection, type Target } from "./connection.js";

export interface OpenCommand {
  readonly type: "open";
  readonly target: Target;
  readonly first: number;
  readonly count: number;
  readonly concurrency: number;
  /** Local addresses to connect from, each taking an equal consecutive block of the connections. */
  readonly addresses: readonly string[];
}

export type GeneratorCommand = OpenCommand | { readonly type: "report" } | { readonly type: "close" };

export type GeneratorMessage =
  | { readonly type: "opened"; readonly opened: number; readonly failed: number; readonly firstError: string | null; readonly startedAt: number; readonly endedAt: number }
  | { readonly type: "progress"; readonly received: number; readonly lastAt: number }
  | { readonly type: "reached"; readonly received: number; readonly lastAt: number };

/** Wall-clock time in ms with sub-millisecond resolution, comparable between processes. */
const epoch = (): number => performance.timeOrigin + performance.now();

const send = (message: GeneratorMessage): void => {
  process.send!(message);
};

const connections: BenchConnection[] = [];
let received = 0;
let lastAt = 0;
let opened = 0;
let reachedSent = false;

async function open(command: OpenCommand): Promise<void> {
  const { target, first, count, concurrency, addresses } = command;
  const perAddress = Math.ceil(count / addresses.length);
  let next = 0;
  let failed = 0;
  let firstError: string | null = null;
  const startedAt = epoch();
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const connection = new BenchConnection({ ...target, localAddress: addresses[Math.floor(index / perAddress)]! });
      try {
        await connection.open();
        await connection.join(`bench:scale:${first + index}`);
      } catch (error) {
        connection.close();
        failed++;
        firstError ??= (error as Error).message;
        continue;
      }
      let got = false;
      connection.handle(() => {
        if (got) return;
        got = true;
        received++;
        lastAt = epoch();
        if (received === opened && !reachedSent) {
          reachedSent = true;
          send({ type: "reached", received, lastAt });
        }
      }, false);
      connections.push(connection);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  opened = connections.length;
  send({ type: "opened", opened, failed, firstError, startedAt, endedAt: epoch() });
}

setInterval(() => connections.forEach((connection) => connection.keepAlive()), 20_000).unref();

process.on("message", (command: GeneratorCommand) => {
  switch (command.type) {
    case "open":
      void open(command);
      break;
    case "report":
      send({ type: "progress", received, lastAt });
      break;
    case "close":
      connections.forEach((connection) => connection.close());
      setTimeout(() => process.exit(0), 100);
      break;
  }
});
process.on("disconnect", () => process.exit(0));
