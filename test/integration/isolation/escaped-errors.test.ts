// Errors that escape the work a process started — a promise it never awaits, a timer, a listener — crash
// that process alone: a channel's client gets phx_error and rejoins, a supervised GenServer is restarted,
// and the node keeps serving. The server runs in its own Node.js process (isolation-node.ts), so a failure
// of isolation shows as that process exiting, and Vitest's own unhandled-error listeners are not involved.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Channel, Socket } from "phoenix";
import { NodeProcess } from "../../support/nodes/node-process.js";
import { closeAllClients, connectSocket, push, Recorder } from "../../support/phoenix-client.js";

let node: NodeProcess;

beforeAll(async () => {
  node = await NodeProcess.program("isolation", "test/support/nodes/isolation-node.ts");
}, 30_000);

afterEach(async () => {
  await closeAllClients();
});

afterAll(async () => {
  await node.stop();
});

/** Resolves once the node's output matches `pattern` (from `from` on); rejects after `timeoutMs`. */
async function outputMatching(pattern: RegExp, from = 0, timeoutMs = 5_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(node.output.slice(from));
    if (match !== null) return match;
    if (Date.now() > deadline) throw new Error(`the node printed nothing matching ${String(pattern)}:\n${node.output}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface Watched {
  readonly channel: Channel;
  readonly joins: Recorder<unknown>;
  readonly errors: Recorder<unknown>;
  readonly closes: Recorder<unknown>;
}

async function joinWatched(socket: Socket, topic: string): Promise<Watched> {
  const channel = socket.channel(topic);
  const watched = { channel, joins: new Recorder<unknown>(), errors: new Recorder<unknown>(), closes: new Recorder<unknown>() };
  channel.onError(watched.errors.record);
  channel.onClose(watched.closes.record);
  channel.join().receive("ok", watched.joins.record);
  await watched.joins.waitFor(1);
  return watched;
}

const FAILURES = [
  ["float", "a promise it started and never awaited rejects"],
  ["timer", "a timer it set throws"],
  ["listener", "a listener on an I/O stream it opened throws"],
  ["emitter", "a listener on an emitter it fires later throws"],
] as const;

describe("a channel whose started work fails", () => {
  it.each(FAILURES)("crashes alone when %s: %s", async (how) => {
    const socket = await connectSocket(node.socketUrl);
    const other = await connectSocket(node.socketUrl);
    const bystander = await joinWatched(socket, "iso:bystander");
    const elsewhere = await joinWatched(other, "iso:elsewhere");
    const crashing = await joinWatched(socket, `iso:crash-${how}`);
    const from = node.output.length;

    expect(await push(crashing.channel, how)).toEqual({ status: "ok", response: { started: how } });

    expect(await crashing.errors.waitFor(1)).toEqual([{ reason: "channel_crash" }]);
    await crashing.joins.waitFor(2);
    expect(await push(crashing.channel, "ping", { again: true })).toEqual({ status: "ok", response: { again: true } });
    expect(await push(bystander.channel, "ping", { n: 1 })).toEqual({ status: "ok", response: { n: 1 } });
    expect(await push(elsewhere.channel, "ping", { n: 2 })).toEqual({ status: "ok", response: { n: 2 } });
    expect(bystander.errors.count + elsewhere.errors.count + crashing.closes.count).toBe(0);
    await outputMatching(new RegExp(`channel iso:crash-${how} crashed[^\\n]*`), from);
    expect(node.output.slice(from)).toContain(`channel failed (${how})`);
    expect(node.running).toBe(true);
  });
});

describe("a supervised GenServer whose started work fails", () => {
  it.each(FAILURES)("crashes and is restarted when %s: %s", async (how) => {
    let from = node.output.length;
    node.command("whereis");
    const before = (await outputMatching(/SERVER (\S+)/, from))[1];

    node.command(`server ${how}`);
    // Ask until the supervisor lists a new pid: the restart follows the crash from the node's event loop.
    let after = before;
    const deadline = Date.now() + 5_000;
    while (after === before && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      from = node.output.length;
      node.command("whereis");
      after = (await outputMatching(/SERVER (\S+)/, from))[1];
    }

    expect(after).not.toBe(before);
    expect(after).not.toBe("none");
    expect(node.running).toBe(true);
  });
});

describe("an error outside every process", () => {
  it.each([["float"], ["timer"]] as const)("is logged and the node keeps serving (%s)", async (how) => {
    const from = node.output.length;
    node.command(`orphan ${how}`);

    const line = await outputMatching(/\[fenix\] an error escaped \((\w+)\) outside every process: [^\n]*/, from);
    expect(line[0]).toContain(`orphan failed (${how})`);
    const socket = await connectSocket(node.socketUrl);
    const room = await joinWatched(socket, "iso:after-orphan");
    expect(await push(room.channel, "ping", { alive: true })).toEqual({ status: "ok", response: { alive: true } });
    expect(node.running).toBe(true);
  });
});
