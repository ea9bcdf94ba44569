/**
 * `fenix server`: runs the project's server module (package.json's `"fenix.server"`, by default
 * src/server.ts) with Node — through tsx for TypeScript — optionally restarting it when files change.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { flagOption, parse, stringOption, usage } from "./args.js";
import type { Command } from "./command.js";
import { CliError, CliErrorCode } from "./errors.js";
import { findProject, type Project } from "./project.js";

const HELP = `Usage: fenix server [options]

Runs the application: the module named by package.json's "fenix.server" (default src/server.ts), with
tsx for TypeScript files. Stop it with Ctrl-C: the endpoint closes its connections cleanly.

Options:
  --watch          restart when a file it loaded changes (node --watch)
  --port <n>       sets PORT for the application (the generated server reads it; default 4000)
  -h, --help       show this help`;

/** The Node arguments that run `entry` of `project`: with tsx for TypeScript, plain otherwise. */
export function nodeArgsFor(project: Project, entry: string): string[] {
  if (!/\.[cm]?tsx?$/.test(entry)) return [];
  try {
    createRequire(join(project.root, "package.json")).resolve("tsx");
  } catch {
    throw new CliError(CliErrorCode.SUBPROCESS_FAILED, `${entry} is TypeScript and tsx is not installed in ${project.root}: run npm install (tsx is a dev dependency of generated applications).`);
  }
  return ["--import", "tsx"];
}

export const serverCommand: Command = {
  name: "server",
  summary: "run the application",
  help: HELP,
  async run(args, io) {
    const parsed = parse("server", args, { watch: { type: "boolean" }, port: { type: "string" } });
    if (parsed.positionals.length > 0) throw usage("server", "server takes no arguments.");
    const port = stringOption(parsed, "port");
    if (port !== undefined && !/^\d{1,5}$/.test(port)) throw usage("server", `--port must be a port number; got ${port}.`);
    const project = findProject(io.cwd);
    const entry = project.config.server;
    if (!existsSync(join(project.root, entry))) {
      throw new CliError(CliErrorCode.BAD_PROJECT_FILE, `${entry} does not exist; set "fenix": { "server": "<file>" } in package.json to the module that starts your endpoint.`);
    }
    const nodeArgs = [...nodeArgsFor(project, entry), ...(flagOption(parsed, "watch") ? ["--watch"] : []), entry];
    const env = { ...io.env, ...(port !== undefined ? { PORT: port } : {}) };
    return await new Promise<number>((done, fail) => {
      const child = spawn(process.execPath, nodeArgs, { cwd: project.root, env, stdio: ["inherit", "pipe", "pipe"] });
      child.stdout.pipe(io.stdout, { end: false });
      child.stderr.pipe(io.stderr, { end: false });
      // The terminal sends Ctrl-C to the whole group; a signal sent to this process alone is passed on.
      const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
      const onInt = forward("SIGINT");
      const onTerm = forward("SIGTERM");
      process.on("SIGINT", onInt).on("SIGTERM", onTerm);
      child.on("error", (err) => fail(new CliError(CliErrorCode.SUBPROCESS_FAILED, `Could not start node: ${err.message}`, { cause: err })));
      child.on("close", (code, signal) => {
        process.off("SIGINT", onInt).off("SIGTERM", onTerm);
        done(code ?? (signal === "SIGINT" || signal === "SIGTERM" ? 0 : 1));
      });
    });
  },
};
