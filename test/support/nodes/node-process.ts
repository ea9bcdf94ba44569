/**
 * Fenix nodes as separate processes, for tests that span nodes the way deployments do: each node is
 * its own Node.js process (its own event loop, its own memory), started with tsx, killed with SIGKILL
 * when a test wants a crash. What a node logs is kept, so a test can look for the coded errors a
 * failure should produce.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ChatServerOptions } from "../../../examples/chat/server.js";

const here = dirname(fileURLToPath(import.meta.url));
const READY = /READY (\S+)/;
const root = join(here, "..", "..", "..");

/** A running (or stopped) node process. */
export class NodeProcess {
  readonly name: string;
  readonly #program: string;
  readonly #env: Record<string, string>;
  readonly #ready: RegExp;
  #child: ChildProcess | null = null;
  #url = "";
  /** Everything the node wrote to stdout and stderr, over all its runs. */
  output = "";

  private constructor(name: string, program: string, env: Record<string, string>, ready: RegExp) {
    this.name = name;
    this.#program = program;
    this.#env = env;
    this.#ready = ready;
  }

  /** Starts the chat demo as node `options.nodeName` and resolves once it serves. */
  static async chat(options: ChatServerOptions & { nodeName: string }): Promise<NodeProcess> {
    const node = new NodeProcess(options.nodeName, join(here, "chat-node.ts"), { CHAT_NODE_OPTIONS: JSON.stringify(options) }, READY);
    await node.start();
    return node;
  }

  /**
   * Starts any program with tsx (a path from the repository's root, or absolute), with `env` added. It
   * is ready once its stdout matches `ready`, whose first group is its base URL.
   */
  static async program(name: string, program: string, env: Record<string, string> = {}, ready: RegExp = READY): Promise<NodeProcess> {
    const node = new NodeProcess(name, resolve(root, program), env, ready);
    await node.start();
    return node;
  }

  /** The node's base URL, such as `http://127.0.0.1:40123`. */
  get url(): string {
    return this.#url;
  }

  /** The official client's socket URL of the node's `/socket` mount (`ws://…/socket`). */
  get socketUrl(): string {
    return `${this.#url.replace(/^http/, "ws")}/socket`;
  }

  get running(): boolean {
    return this.#child !== null;
  }

  /** The process id, while it runs. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts the program (again, after a kill or a stop) and waits for its READY line. */
  async start(timeoutMs = 20_000): Promise<void> {
    if (this.#child !== null) throw new Error(`node ${this.name} is already running`);
    const child = spawn(process.execPath, ["--import", "tsx", this.#program], {
      cwd: root,
      env: { ...process.env, ...this.#env, FORCE_COLOR: "0" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.#child = child;
    child.once("exit", () => {
      if (this.#child === child) this.#child = null;
    });
    child.stderr!.on("data", (data: Buffer) => (this.output += data.toString()));
    this.#url = await new Promise<string>((resolve, reject) => {
      let line = "";
      const timer = setTimeout(() => fail(new Error(`node ${this.name} printed no READY line within ${timeoutMs} ms:\n${this.output}`)), timeoutMs);
      const fail = (error: Error) => {
        clearTimeout(timer);
        reject(error);
      };
      child.once("exit", (code, signal) => fail(new Error(`node ${this.name} exited (${code ?? signal}) before it was ready:\n${this.output}`)));
      child.stdout!.on("data", (data: Buffer) => {
        const text = data.toString();
        this.output += text;
        line += text;
        const ready = this.#ready.exec(line);
        if (ready !== null) {
          clearTimeout(timer);
          resolve(ready[1]!);
        }
      });
    });
  }

  /** Writes one line to the node's standard input (programs that take commands read them there). */
  command(line: string): void {
    if (this.#child === null) throw new Error(`node ${this.name} is not running`);
    this.#child.stdin!.write(`${line}\n`);
  }

  /** Kills the node at once (SIGKILL: no goodbye, no cleanup) and waits until it is gone. */
  async kill(): Promise<void> {
    await this.#signal("SIGKILL");
  }

  /** Stops the node the polite way (SIGTERM) and waits until it is gone. */
  async stop(): Promise<void> {
    await this.#signal("SIGTERM");
  }

  async #signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (child === null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill(signal);
    await exited;
    this.#child = null;
  }
}
