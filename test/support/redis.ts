/**
 * Redis for tests: the machine's shared server (127.0.0.1:6379, `REDIS_URL` to change it), which tests
 * use only through channel prefixes of their own, and private servers that a test may stop, restart
 * or cut off (`RedisServer`) without touching anyone else's.
 */
import { createClient } from "@redis/client";
import { spawn, type ChildProcess } from "node:child_process";
import { connect, createServer, type AddressInfo } from "node:net";
import { requireService } from "./services.js";

/** The shared Redis. */
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** Whether the shared Redis answers (in CI its absence fails the run; see requireService). */
export async function requireRedis(): Promise<boolean> {
  const url = new URL(REDIS_URL);
  return requireService("Redis", url.hostname, Number(url.port || 6379));
}

/** A free TCP port on 127.0.0.1 (bound and released; the tests' own servers take it right after). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A Redis server of the test's own, on a port of its own, keeping nothing on disk: stop it, restart it
 * on the same port, kill it, without disturbing the machine's shared Redis.
 */
export class RedisServer {
  readonly port: number;
  #process: ChildProcess | null = null;

  private constructor(port: number) {
    this.port = port;
  }

  /** Starts one and waits until it answers. */
  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#process !== null;
  }

  /** Starts the server (again) on its port and waits until it answers PING. */
  async restart(): Promise<void> {
    if (this.#process !== null) return;
    const child = spawn("redis-server", ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning"], {
      stdio: "ignore",
    });
    this.#process = child;
    child.once("exit", () => {
      if (this.#process === child) this.#process = null;
    });
    const deadline = Date.now() + 10_000;
    while (!(await pong(this.port))) {
      if (Date.now() > deadline) throw new Error(`redis-server on port ${this.port} did not answer within 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Kills the server at once (SIGKILL: no goodbye to its clients) and waits for it to be gone. */
  async kill(): Promise<void> {
    const child = this.#process;
    if (child === null) return;
    this.#process = null;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }
}

/** Whether a Redis answers PING on 127.0.0.1:`port`, by hand so no client library is needed. */
function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    let reply = "";
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (data) => {
      reply += data.toString();
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
    });
  });
}

/** Deletes the keys under `prefix:` on the shared Redis (a test's own keys, never anyone else's). */
export async function deleteKeys(prefix: string): Promise<void> {
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  try {
    let cursor = "0";
    do {
      const [next, keys] = await client.sendCommand<[string, string[]]>(["SCAN", cursor, "MATCH", `${prefix}:*`, "COUNT", "1000"]);
      cursor = next;
      if (keys.length > 0) await client.sendCommand(["DEL", ...keys]);
    } while (cursor !== "0");
  } finally {
    client.destroy();
  }
}
