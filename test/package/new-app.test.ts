/**
 * `fenix new` end to end, as a new user meets it: the working tree packed into a tarball, an application
 * generated from it and installed (the tarball as its fenix dependency), its own `npm test` and type
 * check, `npm start` serving the page to a client that joins and chats, then `fenix gen channel` (the
 * output compiles and its generated test passes), a generator run again changing nothing, and
 * `fenix routes` listing what the endpoint serves. A second application, made with `--mqtt` next to the
 * first from the same tarball, passes its tests and type check, lists its routes, and under `npm start`
 * bridges MQTT clients (TCP and WebSocket) to its room channel.
 */
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Socket as ClientSocket } from "../../src/client/index.js";
import { cleanup, packFenix, runCommand, startCommand, type CommandResult, type Packed } from "../support/package.js";
import { freePort } from "../support/redis.js";

let packed: Packed | undefined;
let app: string;
let mqttApp: string;

/** Runs the packed build's fenix command. */
function fenix(cwd: string, ...args: string[]): Promise<CommandResult> {
  return runCommand(process.execPath, [join(packed!.scratch, "fenix", "dist", "src", "cli", "main.js"), ...args], cwd);
}

function ok(result: CommandResult): CommandResult {
  expect(result.code, `exit ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`).toBe(0);
  return result;
}

/** A digest of the application's own files (node_modules left out). */
function treeDigest(root: string): string {
  const hash = createHash("sha256");
  for (const file of readdirSync(root, { recursive: true, encoding: "utf8" }).sort()) {
    if (file.startsWith("node_modules")) continue;
    const path = join(root, file);
    if (statSync(path).isFile()) hash.update(file).update(readFileSync(path));
  }
  return hash.digest("hex");
}

beforeAll(async () => {
  packed = await packFenix();
  // Both applications install from the same tarball at once (npm's cache is shared and safe to share).
  const [created, createdMqtt] = await Promise.all([
    fenix(packed.scratch, "new", "my_app", "--fenix", `file:${packed.tarball}`),
    fenix(packed.scratch, "new", "mqtt_app", "--mqtt", "--fenix", `file:${packed.tarball}`),
  ]);
  expect(ok(created).stdout).toContain("Your application is ready");
  expect(ok(createdMqtt).stdout).toContain("Your application is ready");
  app = join(packed.scratch, "my_app");
  mqttApp = join(packed.scratch, "mqtt_app");
}, 300_000);

afterAll(() => cleanup(packed));

describe("an application made by fenix new", () => {
  it("passes its own tests and type check", async () => {
    const test = ok(await runCommand("npm", ["test"], app));
    expect(test.stdout).toMatch(/# pass [1-9]/);
    expect(test.stdout).toContain("# fail 0");
    ok(await runCommand("npm", ["run", "typecheck"], app));
  }, 120_000);

  it("serves its page with npm start, and a client joins a room and chats", async () => {
    const port = await freePort();
    const server = startCommand("npm", ["start"], app, { PORT: String(port), HOST: "127.0.0.1" });
    try {
      await server.waitFor(/is listening on http:\/\/127\.0\.0\.1:\d+/, 60_000);
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("<title>my_app</title>");
      const bundle = await fetch(`http://127.0.0.1:${port}/fenix/client.js`);
      expect(bundle.status).toBe(200);

      const socket = new ClientSocket(`ws://127.0.0.1:${port}/socket`);
      socket.connect();
      try {
        const ada = socket.channel("room:lobby", { name: "ada" });
        const heard = new Promise<unknown>((resolve) => ada.on("new_msg", resolve));
        expect(await ada.join()).toEqual({ name: "ada" });
        await ada.push("new_msg", { body: "hello from the test" });
        expect(await heard).toMatchObject({ name: "ada", body: "hello from the test" });
      } finally {
        await socket.disconnect();
      }

      // The terminal client, scripted: join, push, see the reply and the broadcast, exit 0.
      const script = `printf '%s\\n' 'new_msg {"body":"from the terminal"}' | npx --no-install fenix connect ws://127.0.0.1:${port}/socket -t room:lobby -j name=term --json --wait 200`;
      const connected = ok(await runCommand("sh", ["-c", script], app));
      const lines = connected.stdout.trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines).toContainEqual(expect.objectContaining({ type: "joined", topic: "room:lobby" }));
      expect(lines).toContainEqual(expect.objectContaining({ type: "reply", status: "ok" }));
      expect(lines).toContainEqual(expect.objectContaining({ type: "broadcast", event: "new_msg", payload: expect.objectContaining({ name: "term", body: "from the terminal" }) }));
    } finally {
      await server.stop();
    }
  }, 120_000);

  it("restarts under npm run dev when a source file changes", async () => {
    const port = await freePort();
    const dev = startCommand("npm", ["run", "dev"], app, { PORT: String(port), HOST: "127.0.0.1" });
    try {
      await dev.waitFor(/is listening on/, 60_000);
      const file = join(app, "src", "channels", "room-channel.ts");
      writeFileSync(file, `${readFileSync(file, "utf8")}\n// touched by the test\n`);
      await dev.waitFor(/is listening on[\s\S]*is listening on/, 60_000);
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
    } finally {
      await dev.stop();
    }
  }, 120_000);

  it("gains a channel with fenix gen channel: it compiles, its test passes, and routes list it", async () => {
    const generated = ok(await fenix(app, "gen", "channel", "Game", "game:*"));
    expect(generated.stdout).toMatch(/create +src\/channels\/game-channel\.ts/);
    expect(generated.stdout).toMatch(/create +test\/game-channel\.test\.ts/);
    ok(await runCommand("npm", ["run", "typecheck"], app));
    const test = ok(await runCommand("npm", ["test"], app));
    expect(test.stdout).toContain("GameChannel");
    expect(test.stdout).toContain("# fail 0");

    const before = treeDigest(app);
    const again = ok(await fenix(app, "gen", "channel", "Game", "game:*"));
    expect(again.stdout).not.toMatch(/\* (create|update|force)/);
    expect(treeDigest(app)).toBe(before);

    const routes = ok(await runCommand("npx", ["--no-install", "fenix", "routes"], app));
    expect(routes.stdout).toMatch(/\/socket +UserSocket +\(WebSocket \/socket\/websocket, LongPoll \/socket\/longpoll\)/);
    expect(routes.stdout).toMatch(/room:\* +RoomChannel/);
    expect(routes.stdout).toMatch(/game:\* +GameChannel/);
  }, 180_000);

  it("gains a presence tracker and another socket that compile and are served", async () => {
    ok(await fenix(app, "gen", "presence"));
    ok(await fenix(app, "gen", "socket", "Admin"));
    ok(await fenix(app, "gen", "channel", "Stats", "stats:*", "--socket", "src/admin-socket.ts"));
    ok(await runCommand("npm", ["run", "typecheck"], app));
    const routes = ok(await runCommand("npx", ["--no-install", "fenix", "routes", "--json"], app));
    const mounts = JSON.parse(routes.stdout) as Array<{ path: string; socket: string; channels: Array<{ pattern: string; channel: string }> }>;
    expect(mounts.map((m) => m.path)).toEqual(["/socket", "/admin"]);
    expect(mounts[1]!.channels).toEqual([{ pattern: "stats:*", channel: "StatsChannel" }]);
    const test = ok(await runCommand("npm", ["test"], app));
    expect(test.stdout).toContain("StatsChannel");
    expect(test.stdout).toContain("# fail 0");
  }, 180_000);
});

/** The first message `client` receives on `topic`, its payload parsed as JSON. */
function nextMessage(client: MqttClient, topic: string): Promise<unknown> {
  return new Promise((resolve) => {
    const listener = (received: string, payload: Buffer) => {
      if (received !== topic) return;
      client.off("message", listener);
      resolve(JSON.parse(payload.toString("utf8")));
    };
    client.on("message", listener);
  });
}

describe("an application made by fenix new --mqtt", () => {
  it("passes its own tests (the MQTT bridge's included) and type check, and fenix routes loads it", async () => {
    const [test, typecheck, routes] = await Promise.all([
      runCommand("npm", ["test"], mqttApp),
      runCommand("npm", ["run", "typecheck"], mqttApp),
      // createEndpoint() enables MQTT (port 1883 by default), but nothing listens before start(): routes only loads it.
      runCommand("npx", ["--no-install", "fenix", "routes"], mqttApp),
    ]);
    ok(typecheck);
    expect(ok(test).stdout).toContain("RoomChannel over MQTT");
    expect(test.stdout).toContain("# fail 0");
    expect(ok(routes).stdout).toMatch(/\/socket +UserSocket[\s\S]*room:\* +RoomChannel/);
  }, 120_000);

  it("bridges MQTT clients, over TCP and WebSocket, to the room channel under npm start", async () => {
    const [port, mqttPort] = [await freePort(), await freePort()];
    const server = startCommand("npm", ["start"], mqttApp, { PORT: String(port), HOST: "127.0.0.1", MQTT_PORT: String(mqttPort) });
    const clients: MqttClient[] = [];
    const socket = new ClientSocket(`ws://127.0.0.1:${port}/socket`);
    try {
      await server.waitFor(new RegExp(`MQTT clients connect to mqtt://127\\.0\\.0\\.1:${mqttPort} and ws://127\\.0\\.0\\.1:${port}/mqtt`), 60_000);
      const connect = async (url: string, username: string) => {
        const client = await mqtt.connectAsync(url, { username, reconnectPeriod: 0, connectTimeout: 5_000 });
        clients.push(client);
        return client;
      };
      const ada = await connect(`mqtt://127.0.0.1:${mqttPort}`, "ada");
      const carol = await connect(`ws://127.0.0.1:${port}/mqtt`, "carol");
      expect((await ada.subscribeAsync("room/lobby", { qos: 1 }))[0]!.qos).toBe(1);
      expect((await carol.subscribeAsync("room/lobby", { qos: 0 }))[0]!.qos).toBe(0);
      // Topics no channel route matches are refused (unrouted: "refuse"): SUBACK 0x80 in MQTT 3.1.1, which MQTT.js rejects with.
      await expect(ada.subscribeAsync("sensors/kitchen", { qos: 0 })).rejects.toMatchObject({ packet: { granted: [0x80] } });

      socket.connect();
      const bob = socket.channel("room:lobby", { name: "bob" });
      const bobHears = new Promise<unknown>((resolve) => bob.on("new_msg", resolve));
      expect(await bob.join()).toEqual({ name: "bob" });

      // An MQTT PUBLISH is a chat message from the username: the browser and both MQTT subscribers get it.
      const adaHears = nextMessage(ada, "room/lobby");
      const carolHears = nextMessage(carol, "room/lobby");
      await ada.publishAsync("room/lobby", "hello over mqtt", { qos: 1 });
      expect(await bobHears).toMatchObject({ name: "ada", body: "hello over mqtt" });
      expect(await adaHears).toMatchObject({ name: "ada", body: "hello over mqtt" });
      expect(await carolHears).toMatchObject({ name: "ada", body: "hello over mqtt" });

      // And a browser's message reaches MQTT subscribers.
      const adaHearsBob = nextMessage(ada, "room/lobby");
      await bob.push("new_msg", { body: "hi from the browser" });
      expect(await adaHearsBob).toMatchObject({ name: "bob", body: "hi from the browser" });
    } finally {
      await Promise.all(clients.map((client) => client.endAsync(true).catch(() => {})));
      await socket.disconnect();
      await server.stop();
    }
  }, 120_000);
});
