/**
 * The generators: `fenix gen channel`, `gen socket`, `gen presence` add files from `templates/gen/…` and
 * register them in the project (at its `// fenix:…` markers); `gen secret` prints a secret key base.
 * Running a generator again changes nothing; a file that differs is never overwritten without `--force`.
 */
import { randomBytes } from "node:crypto";
import { dirname, posix, relative } from "node:path";
import { flagOption, parse, println, stringOption, usage } from "./args.js";
import type { CliIo, Command } from "./command.js";
import { compileTopicPatternForCli } from "./topic.js";
import { namesOf, type Names } from "./names.js";
import { CliError, CliErrorCode } from "./errors.js";
import { findProject, insertAtMarker, readProjectFile, type Project } from "./project.js";
import { renderSet, writeFiles, type RenderedFile, type WriteOutcome } from "./templates.js";

const LABEL: Record<WriteOutcome | "inserted" | "present", string> = {
  created: "create",
  unchanged: "same  ",
  overwritten: "force ",
  inserted: "update",
  present: "same  ",
};

function report(io: CliIo, what: keyof typeof LABEL, path: string, detail = ""): void {
  println(io.stdout, `* ${LABEL[what]} ${path}${detail === "" ? "" : ` (${detail})`}`);
}

/** The import specifier of `target` (a project path such as src/channels/x.ts) from the file `from`. */
function importPath(from: string, target: string): string {
  let rel = posix.relative(posix.dirname(from), target).replace(/\.ts$/, ".js");
  if (!rel.startsWith(".")) rel = `./${rel}`;
  return rel;
}

/** Places a template set's files at the project's configured folders. */
function relocate(files: RenderedFile[], map: Record<string, string>): RenderedFile[] {
  return files.map((file) => {
    for (const [from, to] of Object.entries(map)) {
      if (file.path.startsWith(`${from}/`)) return { ...file, path: `${to}${file.path.slice(from.length)}` };
    }
    return file;
  });
}

const CHANNEL_HELP = `Usage: fenix gen channel <Name> [topic-pattern] [options]

Adds a channel: src/channels/<name>-channel.ts, its test test/<name>-channel.test.ts, and its route in the
socket (src/user-socket.ts, or the one in package.json's "fenix.socket").

Arguments:
  Name             the channel's name: Room, chat_room or ChatRoom
  topic-pattern    the topics it serves (default: "<name>:*"); a trailing * matches any suffix

Options:
  --socket <file>  the socket to add the route to (default: the project's socket)
  --force          overwrite generated files that differ
  -h, --help       show this help

Example:
  npx fenix gen channel Game "game:*"`;

export const genChannelCommand: Command = {
  name: "gen channel",
  summary: "add a channel, its test and its route",
  help: CHANNEL_HELP,
  async run(args, io) {
    const parsed = parse("gen channel", args, { socket: { type: "string" }, force: { type: "boolean" } });
    const [name, pattern, ...extra] = parsed.positionals;
    if (name === undefined || extra.length > 0) throw usage("gen channel", "Give a channel name and, optionally, a topic pattern.");
    const names = namesOf(name);
    const topic = pattern ?? `${names.snake}:*`;
    compileTopicPatternForCli(topic);
    const project = findProject(io.cwd);
    const socketFile = stringOption(parsed, "socket") ?? project.config.socket;
    const channelFile = `${project.config.channels}/${names.kebab}-channel.ts`;
    const socketClass = /export class (\w+) extends Socket\b/.exec(readProjectFile(project.root, socketFile) ?? "")?.[1];
    if (socketClass === undefined) {
      throw new CliError(CliErrorCode.BAD_PROJECT_FILE, `${socketFile} does not export a Socket class (export class … extends Socket); pass the socket file with --socket.`);
    }
    const testFile = `${project.config.tests}/${names.kebab}-channel.test.ts`;
    const files = relocate(
      renderSet("gen/channel", {
        values: {
          ...names,
          pattern: topic,
          topic: topic.endsWith("*") ? `${topic.slice(0, -1)}lobby` : topic,
          channelImport: importPath(testFile, channelFile),
          endpointImport: importPath(testFile, project.config.endpoint),
          pubsubImport: importPath(testFile, posix.join(posix.dirname(project.config.endpoint), "pubsub.ts")),
          socketImport: importPath(testFile, socketFile),
          socketClass,
        },
        flags: {},
      }),
      { "src/channels": project.config.channels, test: project.config.tests },
    );
    writeGenerated(io, project, files, flagOption(parsed, "force"));
    const className = `${names.pascal}Channel`;
    const importLine = `import { ${className} } from "${importPath(socketFile, channelFile)}";`;
    report(io, insertAtMarker(project.root, socketFile, "imports", importLine, (text) => text.includes(importLine)), socketFile, "import");
    const route = `[${JSON.stringify(topic)}, ${className}],`;
    report(
      io,
      insertAtMarker(project.root, socketFile, "channels", route, (text) => new RegExp(`\\[\\s*${escape(JSON.stringify(topic))}\\s*,\\s*${className}\\s*\\]`).test(text)),
      socketFile,
      `route ${topic}`,
    );
    return 0;
  },
};

const SOCKET_HELP = `Usage: fenix gen socket <Name> [options]

Adds a socket: src/<name>-socket.ts, mounted by the endpoint (src/endpoint.ts) at /<name>.

Options:
  --path <path>    where to mount it (default: /<name>); clients connect at <path>/websocket
  --force          overwrite a generated file that differs
  -h, --help       show this help

Example:
  npx fenix gen socket Admin && npx fenix gen channel Stats "stats:*" --socket src/admin-socket.ts`;

export const genSocketCommand: Command = {
  name: "gen socket",
  summary: "add a socket and mount it",
  help: SOCKET_HELP,
  async run(args, io) {
    const parsed = parse("gen socket", args, { path: { type: "string" }, force: { type: "boolean" } });
    const [name, ...extra] = parsed.positionals;
    if (name === undefined || extra.length > 0) throw usage("gen socket", "Give one socket name.");
    const names = namesOf(name);
    const path = stringOption(parsed, "path") ?? `/${names.kebab}`;
    if (!/^\/[A-Za-z0-9._~/-]*$/.test(path)) throw usage("gen socket", `The mount path must start with "/" and hold URL path characters only; got ${JSON.stringify(path)}.`);
    const project = findProject(io.cwd);
    const dir = dirname(project.config.socket);
    const socketFile = `${dir}/${names.kebab}-socket.ts`;
    const files = relocate(renderSet("gen/socket", { values: { ...names, path, file: socketFile }, flags: {} }), { src: dir });
    writeGenerated(io, project, files, flagOption(parsed, "force"));
    const className = `${names.pascal}Socket`;
    const importLine = `import { ${className} } from "${importPath(project.config.endpoint, socketFile)}";`;
    report(io, insertAtMarker(project.root, project.config.endpoint, "imports", importLine, (text) => text.includes(importLine)), project.config.endpoint, "import");
    const mount = `endpoint.socket(${JSON.stringify(path)}, ${className});`;
    report(
      io,
      insertAtMarker(project.root, project.config.endpoint, "sockets", mount, (text) => new RegExp(`endpoint\\.socket\\([^)]*\\b${className}\\b`).test(text)),
      project.config.endpoint,
      `mount ${path}`,
    );
    return 0;
  },
};

const PRESENCE_HELP = `Usage: fenix gen presence [Name] [options]

Adds a presence tracker: src/<name>.ts (default Name: Presence, file src/presence.ts), on the
application's PubSub, started by the endpoint (added to its children). The file's header shows how a
channel tracks its clients.

Options:
  --force          overwrite a generated file that differs
  -h, --help       show this help

Example:
  npx fenix gen presence`;

export const genPresenceCommand: Command = {
  name: "gen presence",
  summary: "add a presence tracker the endpoint supervises",
  help: PRESENCE_HELP,
  async run(args, io) {
    const parsed = parse("gen presence", args, { force: { type: "boolean" } });
    const [name = "Presence", ...extra] = parsed.positionals;
    if (extra.length > 0) throw usage("gen presence", "Give at most one name.");
    const names: Names = namesOf(name);
    const base = names.kebab.endsWith("presence") ? names.kebab : `${names.kebab}-presence`;
    const value = names.camel.endsWith("resence") ? names.camel : `${names.camel}Presence`;
    const project = findProject(io.cwd);
    const dir = dirname(project.config.endpoint);
    const file = `${dir}/${base}.ts`;
    const files = relocate(renderSet("gen/presence", { values: { file: base, value, pubsubImport: "./pubsub.js" }, flags: {} }), { src: dir });
    writeGenerated(io, project, files, flagOption(parsed, "force"));
    const importLine = `import { ${value} } from "${importPath(project.config.endpoint, file)}";`;
    report(io, insertAtMarker(project.root, project.config.endpoint, "imports", importLine, (text) => text.includes(importLine)), project.config.endpoint, "import");
    const child = `${value}.childSpec(),`;
    report(io, insertAtMarker(project.root, project.config.endpoint, "children", child, (text) => text.includes(`${value}.childSpec(`)), project.config.endpoint, "child");
    println(io.stdout, `\nTrack clients from a channel with ${value}.track(this, key, meta) after the join; see the header of ${file}.`);
    return 0;
  },
};

const SECRET_HELP = `Usage: fenix gen secret [--bytes <n>]

Prints a random secret key base (base64url of 48 random bytes, 64 characters) for SECRET_KEY_BASE: it
signs LongPoll session tokens, and every node serving the same clients needs the same one.

Options:
  --bytes <n>      random bytes to draw, 24 to 1024 (default 48)
  -h, --help       show this help`;

export const genSecretCommand: Command = {
  name: "gen secret",
  summary: "print a secret key base",
  help: SECRET_HELP,
  async run(args, io) {
    const parsed = parse("gen secret", args, { bytes: { type: "string" } });
    if (parsed.positionals.length > 0) throw usage("gen secret", "gen secret takes no arguments.");
    const raw = stringOption(parsed, "bytes") ?? "48";
    const bytes = Number(raw);
    if (!Number.isInteger(bytes) || bytes < 24 || bytes > 1024) throw usage("gen secret", `--bytes must be an integer from 24 to 1024; got ${raw}.`);
    println(io.stdout, randomBytes(bytes).toString("base64url"));
    return 0;
  },
};

function writeGenerated(io: CliIo, project: Project, files: RenderedFile[], force: boolean): void {
  for (const { path, outcome } of writeFiles(project.root, files, force)) report(io, outcome, relative(project.root, `${project.root}/${path}`));
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
