/**
 * The `fenix` command in process: `new` without installing, the generators (files, registration at the
 * markers, idempotence, --force), `gen secret`, the command list and usage errors. The installed,
 * compiled and tested result is checked end to end in test/package/new-app.test.ts.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../../../src/cli/cli.js";
import { namesOf } from "../../../src/cli/names.js";
import { renderText } from "../../../src/cli/templates.js";

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "fenix-cli-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function fenix(cwd: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
  const code = await runCli(args, { stdin: new PassThrough(), stdout, stderr, cwd, env: process.env });
  return { code, stdout: out, stderr: err };
}

/** A digest of every file under `root` (path and content), to tell whether anything changed. */
function treeDigest(root: string): string {
  const hash = createHash("sha256");
  for (const file of readdirSync(root, { recursive: true, encoding: "utf8" }).sort()) {
    const path = join(root, file);
    if (statSync(path).isFile()) hash.update(file).update(readFileSync(path));
  }
  return hash.digest("hex");
}

const read = (...parts: string[]) => readFileSync(join(...parts), "utf8");

describe("fenix new", () => {
  it("creates the application's files, with the package name and the fenix version asked for", async () => {
    const result = await fenix(dir, "new", "my_app", "--no-install", "--fenix", "file:../fenix.tgz");
    expect(result.code, result.stderr).toBe(0);
    const app = join(dir, "my_app");
    for (const file of [
      "package.json",
      "tsconfig.json",
      "README.md",
      ".gitignore",
      "src/endpoint.ts",
      "src/server.ts",
      "src/pubsub.ts",
      "src/user-socket.ts",
      "src/channels/room-channel.ts",
      "public/index.html",
      "public/app.js",
      "public/style.css",
      "test/room-channel.test.ts",
    ]) {
      expect(existsSync(join(app, file)), file).toBe(true);
      expect(result.stdout).toContain(join("my_app", file));
    }
    const manifest = JSON.parse(read(app, "package.json")) as Record<string, Record<string, string>>;
    expect(manifest.name).toBe("my_app");
    expect(manifest.dependencies).toEqual({ fenix: "file:../fenix.tgz" });
    expect(Object.keys(manifest.scripts!)).toEqual(expect.arrayContaining(["dev", "start", "test"]));
    expect(Object.keys(manifest.devDependencies!).sort()).toEqual(["@types/node", "tsx", "typescript"]);
    expect(read(app, "public", "app.js")).toContain('from "/fenix/client.js"');
    expect(read(app, "src", "pubsub.ts")).not.toContain("fenix/redis");
    expect(result.stdout).toContain("npm install");
  });

  it("--redis links nodes through Redis when REDIS_URL is set, and depends on @redis/client", async () => {
    expect((await fenix(dir, "new", "multi", "--no-install", "--redis")).code).toBe(0);
    const manifest = JSON.parse(read(dir, "multi", "package.json")) as { dependencies: Record<string, string> };
    expect(manifest.dependencies).toHaveProperty("@redis/client");
    expect(manifest.dependencies.fenix).toMatch(/^\^\d+\.\d+\.\d+/);
    expect(read(dir, "multi", "src", "pubsub.ts")).toContain('import { RedisAdapter } from "fenix/redis"');
    expect(read(dir, "multi", "README.md")).toContain("REDIS_URL");
  });

  it("--mqtt bridges the room channel to MQTT clients, on MQTT_PORT and at /mqtt", async () => {
    const result = await fenix(dir, "new", "devices", "--no-install", "--mqtt");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("MQTT on mqtt://localhost:1883 (MQTT_PORT)");
    const app = join(dir, "devices");
    const endpoint = read(app, "src", "endpoint.ts");
    expect(endpoint).toContain('import { enableMqtt } from "fenix/mqtt";');
    expect(endpoint).toContain('import { roomMqtt } from "./channels/room-channel.js";');
    expect(endpoint).toContain("export function createEndpoint(options: EndpointOptions = {}, mqtt: MqttListen = {}): Endpoint {");
    expect(endpoint).toMatch(/\/\/ fenix:sockets\n\s+enableMqtt\(endpoint, \{\n\s+port: mqtt\.port \?\? 1883,/);
    for (const option of ['websocket: "/mqtt",', "socket: UserSocket,", 'bridge: { "room:*": roomMqtt },', 'unrouted: "refuse",']) expect(endpoint).toContain(option);
    const server = read(app, "src", "server.ts");
    expect(server).toContain("Number(process.env.MQTT_PORT || 1883)");
    expect(server).toContain("{ port: mqttPort, ...host }");
    const channel = read(app, "src", "channels", "room-channel.ts");
    expect(channel).toContain('import type { MqttBridgeRoute } from "fenix/mqtt";');
    expect(channel).toContain("join: (client) => ({ name: client.username ?? client.clientId }),");
    expect(channel).toContain('return { event: "new_msg", payload: { body: utf8.decode(payload) } };');
    expect(channel).toContain('outbound: ["new_msg"],');
    expect(read(app, "test", "room-channel.test.ts")).toContain('describe("RoomChannel over MQTT"');
    const readme = read(app, "README.md");
    expect(readme).toContain("## MQTT");
    expect(readme).toMatch(/\| `MQTT_PORT` \| `1883` \|/);
    expect(readme).toContain("ws://localhost:4000/mqtt");
    // fenix/mqtt comes with fenix: no MQTT client or other package is added.
    const manifest = JSON.parse(read(app, "package.json")) as { dependencies: Record<string, string> };
    expect(Object.keys(manifest.dependencies)).toEqual(["fenix"]);
    for (const file of readdirSync(app, { recursive: true, encoding: "utf8" })) {
      if (statSync(join(app, file)).isFile()) expect(read(app, file), file).not.toMatch(/\{\{/);
    }

    // A generator still finds its marker in the MQTT endpoint, and mounts above enableMqtt.
    expect((await fenix(app, "gen", "socket", "Admin")).code).toBe(0);
    expect(read(app, "src", "endpoint.ts")).toMatch(/endpoint\.socket\("\/admin", AdminSocket\);\n\s+\/\/ fenix:sockets\n\s+enableMqtt\(/);
  });

  it("without --mqtt, nothing of MQTT is written; --mqtt goes with --redis", async () => {
    expect((await fenix(dir, "new", "plain", "--no-install")).code).toBe(0);
    for (const file of readdirSync(join(dir, "plain"), { recursive: true, encoding: "utf8" })) {
      if (statSync(join(dir, "plain", file)).isFile()) expect(read(dir, "plain", file), file).not.toMatch(/mqtt|\{\{/i);
    }
    expect((await fenix(dir, "new", "both", "--no-install", "--mqtt", "--redis")).code).toBe(0);
    expect(read(dir, "both", "src", "pubsub.ts")).toContain('from "fenix/redis"');
    expect(read(dir, "both", "src", "endpoint.ts")).toContain('from "fenix/mqtt"');
    expect(read(dir, "both", "README.md")).toMatch(/## MQTT[\s\S]*## Several nodes/);
  });

  it("refuses a bad name and a folder that is not empty, writing nothing", async () => {
    const bad = await fenix(dir, "new", "My App", "--no-install");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("not a valid application name");

    writeFileSync(join(dir, "keep.txt"), "mine");
    const busy = await fenix(dir, "new", ".", "--app", "here", "--no-install");
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain("is not empty");
    expect(readdirSync(dir)).toEqual(["keep.txt"]);
  });

  it("answers usage errors with exit code 2 and a pointer to --help", async () => {
    const none = await fenix(dir, "new");
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("fenix new --help");
    const unknown = await fenix(dir, "new", "x", "--frobnicate");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/frobnicate/);
  });
});

describe("the generators", () => {
  let app: string;
  beforeEach(async () => {
    expect((await fenix(dir, "new", "app", "--no-install")).code).toBe(0);
    app = join(dir, "app");
  });

  it("gen channel adds the channel and its test, and registers the route in the socket", async () => {
    const result = await fenix(join(app, "src"), "gen", "channel", "GameRoom", "game:*");
    expect(result.code, result.stderr).toBe(0);
    const channel = read(app, "src", "channels", "game-room-channel.ts");
    expect(channel).toContain("export class GameRoomChannel extends Channel");
    expect(channel).toContain("`game:*`");
    const test = read(app, "test", "game-room-channel.test.ts");
    expect(test).toContain('from "../src/channels/game-room-channel.js"');
    expect(test).toContain('"game:lobby"');
    const socket = read(app, "src", "user-socket.ts");
    expect(socket).toContain('import { GameRoomChannel } from "./channels/game-room-channel.js";');
    expect(socket).toMatch(/\["room:\*", RoomChannel\],\n\s+\["game:\*", GameRoomChannel\],\n\s+\/\/ fenix:channels/);
    expect(result.stdout).toMatch(/create +src\/channels\/game-room-channel\.ts/);
    expect(result.stdout).toMatch(/update +src\/user-socket\.ts \(route game:\*\)/);
  });

  it("gen channel defaults the pattern to <name>:* and refuses a bad one", async () => {
    expect((await fenix(app, "gen", "channel", "chat_room")).code).toBe(0);
    expect(read(app, "src", "user-socket.ts")).toContain('["chat_room:*", ChatRoomChannel],');
    const bad = await fenix(app, "gen", "channel", "Bad", "a*b");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"*" before its end');
  });

  it("running a generator again changes nothing", async () => {
    expect((await fenix(app, "gen", "channel", "Game", "game:*")).code).toBe(0);
    expect((await fenix(app, "gen", "socket", "Admin")).code).toBe(0);
    expect((await fenix(app, "gen", "presence")).code).toBe(0);
    const before = treeDigest(app);
    const again = [await fenix(app, "gen", "channel", "Game", "game:*"), await fenix(app, "gen", "socket", "Admin"), await fenix(app, "gen", "presence")];
    for (const result of again) {
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).not.toMatch(/\* (create|update|force)/);
    }
    expect(treeDigest(app)).toBe(before);
  });

  it("refuses to overwrite a changed file without --force, and overwrites it with --force", async () => {
    expect((await fenix(app, "gen", "channel", "Game")).code).toBe(0);
    const file = join(app, "src", "channels", "game-channel.ts");
    writeFileSync(file, "// my own work\n");
    const refused = await fenix(app, "gen", "channel", "Game");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("already exists with other content");
    expect(read(file)).toBe("// my own work\n");
    const forced = await fenix(app, "gen", "channel", "Game", "--force");
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/force +src\/channels\/game-channel\.ts/);
    expect(read(file)).toContain("export class GameChannel");
  });

  it("gen socket adds a socket and mounts it in the endpoint", async () => {
    const result = await fenix(app, "gen", "socket", "Admin", "--path", "/admin-socket");
    expect(result.code, result.stderr).toBe(0);
    expect(read(app, "src", "admin-socket.ts")).toContain("export class AdminSocket extends Socket");
    const endpoint = read(app, "src", "endpoint.ts");
    expect(endpoint).toContain('import { AdminSocket } from "./admin-socket.js";');
    expect(endpoint).toContain('endpoint.socket("/admin-socket", AdminSocket);');
    const channel = await fenix(app, "gen", "channel", "Stats", "stats:*", "--socket", "src/admin-socket.ts");
    expect(channel.code, channel.stderr).toBe(0);
    expect(read(app, "src", "admin-socket.ts")).toContain('["stats:*", StatsChannel],');
    expect(read(app, "test", "stats-channel.test.ts")).toContain("AdminSocket");
  });

  it("gen presence adds a tracker the endpoint supervises", async () => {
    const result = await fenix(app, "gen", "presence", "Presence");
    expect(result.code, result.stderr).toBe(0);
    expect(read(app, "src", "presence.ts")).toContain("export const presence = new Presence(pubsub);");
    const endpoint = read(app, "src", "endpoint.ts");
    expect(endpoint).toContain('import { presence } from "./presence.js";');
    expect(endpoint).toMatch(/pubsub\.childSpec\(\),\n\s+presence\.childSpec\(\),\n\s+\/\/ fenix:children/);
    expect((await fenix(app, "gen", "presence", "Lobby")).code).toBe(0);
    expect(read(app, "src", "lobby-presence.ts")).toContain("export const lobbyPresence = new Presence(pubsub);");
  });

  it("says what to add by hand when a marker is gone", async () => {
    const socket = join(app, "src", "user-socket.ts");
    writeFileSync(socket, read(socket).replace("    // fenix:channels\n", ""));
    const result = await fenix(app, "gen", "channel", "Game");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no "// fenix:channels" marker');
    expect(result.stderr).toContain('["game:*", GameChannel],');
  });

  it("fails clearly outside a project", async () => {
    const outside = await fenix(dir, "gen", "channel", "Game");
    expect(outside.code).toBe(1);
    expect(outside.stderr).toContain("No Fenix project here");
    expect(outside.stderr).toContain("fenix new");
  });
});

describe("the command line", () => {
  it("gen secret prints 64 url-safe characters, different every time", async () => {
    const a = await fenix(dir, "gen", "secret");
    const b = await fenix(dir, "gen", "secret");
    expect(a.stdout.trim()).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(a.stdout).not.toBe(b.stdout);
    expect((await fenix(dir, "gen", "secret", "--bytes", "8")).code).toBe(2);
  });

  it("lists the commands, prints --help for each, and refuses unknown ones", async () => {
    const help = await fenix(dir, "--help");
    expect(help.code).toBe(0);
    for (const name of ["new", "server", "routes", "gen channel", "gen socket", "gen presence", "gen secret", "connect"]) {
      expect(help.stdout).toContain(name);
      const own = await fenix(dir, ...name.split(" "), "--help");
      expect(own.code, name).toBe(0);
      expect(own.stdout, name).toMatch(/^Usage: fenix /);
    }
    const unknown = await fenix(dir, "gen", "model");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("gen takes: channel, socket, presence, secret");
    expect((await fenix(dir)).code).toBe(2);
  });

  it("spells names every way generators need", () => {
    expect(namesOf("ChatRoom")).toEqual({ pascal: "ChatRoom", camel: "chatRoom", kebab: "chat-room", snake: "chat_room" });
    expect(namesOf("chat_room")).toEqual(namesOf("chat-room"));
    expect(namesOf("HTTPStats").kebab).toBe("http-stats");
    expect(() => namesOf("9lives")).toThrow(/not a usable name/);
  });

  it("renders templates: values, if/unless blocks, and errors for unknown names", () => {
    const context = { values: { name: "ada" }, flags: { redis: true } };
    expect(renderText("hi {{name}}\n{{#if redis}}\nR\n{{/if}}\n{{#unless redis}}\nM\n{{/unless}}\nend", context)).toBe("hi ada\nR\nend");
    expect(() => renderText("{{nope}}", context)).toThrow(/unknown value "nope"/);
    expect(() => renderText("{{#if redis}}\nx", context)).toThrow(/not closed/);
  });
});
