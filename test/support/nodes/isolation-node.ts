/**
 * A node program for the escaped-error tests: a channel and a supervised GenServer that can start work
 * they never await and that fails (a floating rejection, a throw in a timer, a throw in a listener), on a
 * real endpoint in its own Node.js process — so a failure of isolation shows as this process exiting, not
 * as an error Vitest catches. Prints `READY <url>`; reads commands on stdin: `server <how>` makes the
 * GenServer fail that way, `orphan <how>` fails outside every process, `whereis` prints `SERVER <pid>`.
 */
import { EventEmitter } from "node:events";
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Channel, Endpoint, GenServer, Runtime, Socket, Supervisor, consoleLogger, ok, reply, type ChannelRoute, type Payload } from "../../../src/index.js";

/** Starts `how` kind of work that fails later, without awaiting it. */
function failLater(how: string, label: string): void {
  const error = new Error(`${label} failed (${how})`);
  switch (how) {
    case "float":
      void Promise.reject(error);
      return;
    case "timer":
      setTimeout(() => {
        throw error;
      }, 5);
      return;
    case "listener": {
      // An I/O emitter created here: its events fire from callbacks of work this code started.
      createReadStream(fileURLToPath(import.meta.url)).once("data", () => {
        throw error;
      });
      return;
    }
    case "emitter": {
      const emitter = new EventEmitter();
      emitter.on("tick", () => {
        throw error;
      });
      setImmediate(() => emitter.emit("tick"));
      return;
    }
    default:
      throw new Error(`unknown failure ${how}`);
  }
}

class IsolatedChannel extends Channel {
  override join() {
    return ok();
  }

  override handleIn(event: string, payload: Payload) {
    if (event === "ping") return reply("ok", payload);
    failLater(event, "channel");
    return reply("ok", { started: event });
  }
}

class IsolatedSocket extends Socket {
  static override channels: readonly ChannelRoute[] = [["iso:*", IsolatedChannel]];
  override connect() {
    return true;
  }
}

class Worker extends GenServer {
  override handleCast(message: unknown) {
    failLater(String(message), "server");
  }
}

const runtime = new Runtime({ node: "iso" });
const worker = { id: "worker", start: (parent: Parameters<typeof GenServer.startLink>[2]) => GenServer.startLink(Worker, undefined, parent, { runtime }) };
// Every test crashes the worker; the default restart intensity would end the supervisor after three.
const supervisor = await Supervisor.start({ runtime, strategy: "oneForOne", maxRestarts: 100, children: [worker] });
const endpoint = new Endpoint({ runtime, port: 0, host: "127.0.0.1", logger: consoleLogger("info") });
endpoint.socket("/socket", IsolatedSocket);
await endpoint.start();
process.stdout.write(`READY ${endpoint.url}\n`);

async function serverPid() {
  const [child] = await Supervisor.whichChildren(supervisor);
  return child?.pid ?? null;
}

createInterface({ input: process.stdin }).on("line", (line) => {
  const [command, how = ""] = line.trim().split(" ");
  if (command === "server") {
    void serverPid().then((pid) => {
      if (pid !== null) GenServer.cast(pid, how);
    });
  } else if (command === "orphan") {
    failLater(how, "orphan");
  } else if (command === "whereis") {
    void serverPid().then((pid) => process.stdout.write(`SERVER ${pid === null ? "none" : pid.toString()}\n`));
  }
});
