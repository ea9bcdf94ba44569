/**
 * `fenix routes`: lists the socket mounts and channel routes of the project's endpoint. The endpoint
 * module is loaded in a child Node process (through tsx for TypeScript), built with its
 * `createEndpoint()` (or taken from an `endpoint` export) and asked for `routes()`; nothing is started
 * and no port is opened.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { SocketMountInfo } from "../index.js";
import { flagOption, parse, println, usage } from "./args.js";
import type { Command } from "./command.js";
import { CliError, CliErrorCode } from "./errors.js";
import { findProject } from "./project.js";
import { nodeArgsFor } from "./server.js";

const HELP = `Usage: fenix routes [--json]

Lists every socket the endpoint mounts (its WebSocket and LongPoll paths) and the channel routes of each,
in match order. Reads package.json's "fenix.endpoint" (default src/endpoint.ts), which must export
createEndpoint() or an endpoint; nothing is started.

Options:
  --json           print the routes as JSON
  -h, --help       show this help`;

/** Formats routes as the table `fenix routes` prints. */
export function formatRoutes(mounts: readonly SocketMountInfo[]): string {
  if (mounts.length === 0) return "The endpoint mounts no socket.";
  const lines: string[] = [];
  for (const mount of mounts) {
    const transports = [mount.websocket !== null ? `WebSocket ${mount.websocket}` : null, mount.longpoll !== null ? `LongPoll ${mount.longpoll}` : null]
      .filter((t) => t !== null)
      .join(", ");
    lines.push(`${mount.path}  ${mount.socket}  (${transports})`);
    const width = Math.max(0, ...mount.channels.map((c) => c.pattern.length));
    for (const channel of mount.channels) lines.push(`  ${channel.pattern.padEnd(width)}  ${channel.channel}`);
    if (mount.channels.length === 0) lines.push("  (no channel routes)");
  }
  return lines.join("\n");
}

export const routesCommand: Command = {
  name: "routes",
  summary: "list socket mounts and channel routes",
  help: HELP,
  async run(args, io) {
    const parsed = parse("routes", args, { json: { type: "boolean" } });
    if (parsed.positionals.length > 0) throw usage("routes", "routes takes no arguments.");
    const project = findProject(io.cwd);
    const entry = project.config.endpoint;
    if (!existsSync(join(project.root, entry))) {
      throw new CliError(CliErrorCode.BAD_PROJECT_FILE, `${entry} does not exist; set "fenix": { "endpoint": "<file>" } in package.json to the module that creates your endpoint.`);
    }
    const loader = fileURLToPath(new URL("./routes-loader.js", import.meta.url));
    const output = await new Promise<string>((done, fail) => {
      const child = spawn(process.execPath, [...nodeArgsFor(project, entry), loader, pathToFileURL(join(project.root, entry)).href], {
        cwd: project.root,
        env: io.env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      let err = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
      child.on("error", (e) => fail(new CliError(CliErrorCode.SUBPROCESS_FAILED, `Could not start node: ${e.message}`, { cause: e })));
      child.on("close", (code) => {
        if (code === 0) done(out);
        else fail(new CliError(CliErrorCode.BAD_PROJECT_FILE, `Could not load the endpoint from ${entry}:\n${err.trim()}`));
      });
    });
    const mounts = JSON.parse(output) as SocketMountInfo[];
    println(io.stdout, flagOption(parsed, "json") ? JSON.stringify(mounts, null, 2) : formatRoutes(mounts));
    return 0;
  },
};
