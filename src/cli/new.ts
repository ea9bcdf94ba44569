/**
 * `fenix new <path>`: creates an application that runs and tests on its own — an endpoint, a socket, a
 * room channel, a page on fenix/client, a channel test on fenix/testing — from the `templates/new` files,
 * then installs its dependencies.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { flagOption, parse, println, stringOption, usage } from "./args.js";
import type { CliIo, Command } from "./command.js";
import { CliError, CliErrorCode } from "./errors.js";
import { checkAppName } from "./names.js";
import { fenixVersion, packageRoot, renderSet, writeFiles } from "./templates.js";

const HELP = `Usage: fenix new <path> [options]

Creates a Fenix application in <path> (a new or empty folder) and installs its dependencies.

Options:
  --app <name>      the npm package name (default: the folder's name)
  --redis           link nodes through Redis when REDIS_URL is set (adds @redis/client)
  --mqtt            MQTT clients join the rooms too: an MQTT broker on MQTT_PORT (default 1883) and at
                    /mqtt, bridged to the room channel
  --no-install      do not run npm install
  --fenix <spec>    the version or location of fenix to depend on (default: ^<this fenix's version>)
  --force           write into a folder that is not empty, overwriting files that differ
  -h, --help        show this help

The application:
  src/server.ts                  starts the endpoint (npm start; npm run dev restarts on changes)
  src/endpoint.ts                the endpoint, its sockets and supervised processes
  src/user-socket.ts             connect, id, and the channel routes
  src/channels/room-channel.ts   the room:* channel
  public/                        the page, on fenix/client
  test/room-channel.test.ts      channel tests with fenix/testing (npm test)

Example:
  npx fenix new my_app && cd my_app && npm run dev`;

/** The versions the generated package.json uses for its tools, taken from fenix's own manifest. */
function toolVersions(): Record<string, string> {
  const manifest = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as {
    devDependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
  };
  const dev = manifest.devDependencies ?? {};
  return {
    tsxVersion: dev.tsx ?? "^4.20.0",
    typescriptVersion: dev.typescript ?? "^5.9.0",
    typesNodeVersion: dev["@types/node"] ?? "^20.0.0",
    redisClientVersion: manifest.peerDependencies?.["@redis/client"] ?? "^6.4.0",
  };
}

/** Runs `npm install` in `dir`, its output going to the command's output. */
export function npmInstall(dir: string, io: CliIo): Promise<void> {
  return new Promise((done, fail) => {
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const child = spawn(npm, ["install", "--no-audit", "--no-fund"], { cwd: dir, env: io.env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.pipe(io.stdout, { end: false });
    child.stderr.pipe(io.stderr, { end: false });
    child.on("error", (err) => fail(new CliError(CliErrorCode.SUBPROCESS_FAILED, `Could not run npm install: ${err.message}`, { cause: err })));
    child.on("close", (code) => {
      if (code === 0) done();
      else fail(new CliError(CliErrorCode.SUBPROCESS_FAILED, `npm install failed (exit code ${code}); fix the problem above and run npm install in ${dir}.`));
    });
  });
}

export const newCommand: Command = {
  name: "new",
  summary: "create an application",
  help: HELP,
  async run(args, io) {
    const parsed = parse("new", args, {
      app: { type: "string" },
      redis: { type: "boolean" },
      mqtt: { type: "boolean" },
      "no-install": { type: "boolean" },
      fenix: { type: "string" },
      force: { type: "boolean" },
    });
    if (parsed.positionals.length !== 1) throw usage("new", "Give the path of the application to create, as in `fenix new my_app`.");
    const target = resolve(io.cwd, parsed.positionals[0]!);
    const appName = stringOption(parsed, "app") ?? basename(target);
    checkAppName(appName);
    const force = flagOption(parsed, "force");
    if (existsSync(target) && readdirSync(target).length > 0 && !force) {
      throw new CliError(CliErrorCode.FILE_EXISTS, `${target} exists and is not empty; choose another path, or use --force to write into it.`);
    }
    const mqtt = flagOption(parsed, "mqtt");
    const files = renderSet("new", {
      values: { appName, fenixSpec: stringOption(parsed, "fenix") ?? `^${fenixVersion()}`, ...toolVersions() },
      flags: { redis: flagOption(parsed, "redis"), mqtt },
    });
    const shown = relative(io.cwd, target) || ".";
    for (const { path, outcome } of writeFiles(target, files, force)) println(io.stdout, `* ${outcome === "created" ? "create" : outcome === "unchanged" ? "same  " : "force "} ${join(shown, path)}`);
    const install = !flagOption(parsed, "no-install");
    if (install) {
      println(io.stdout, "\nInstalling dependencies (npm install)…");
      await npmInstall(target, io);
    }
    const mqttLine = mqtt ? " and MQTT on mqtt://localhost:1883 (MQTT_PORT)" : "";
    println(io.stdout, `\nYour application is ready:\n\n  cd ${shown}${install ? "" : "\n  npm install"}\n  npm run dev     # http://localhost:4000${mqttLine}\n  npm test`);
    return 0;
  },
};
