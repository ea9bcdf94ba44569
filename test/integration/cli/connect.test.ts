// `fenix connect` against a real endpoint, run in process with streams for stdin and stdout: help and
// usage errors, the input line grammar, script mode (pushes and replies, broadcasts from another client,
// JSON output, bad lines, refused joins, timeouts, --wait, Ctrl-C), connection failures, LongPoll, V1,
// reconnects, and the interactive prompt.
import { createServer, type Socket as NetSocket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseLine } from "../../../src/cli/connect/input-line.js";
import { Socket } from "../../../src/client/index.js";
import { startTestEndpoint, type TestEndpoint } from "../../support/test-endpoint.js";
import { jsonLines, runConnect, startConnect } from "./connect-run.js";

let server: TestEndpoint;

beforeAll(async () => {
  server = await startTestEndpoint();
});

afterAll(async () => {
  await server.stop();
});

/** The usual arguments: the test socket, a 2 s timeout, and `topics` joined at start. */
function args(...rest: string[]): string[] {
  return [server.socketUrl, "--timeout", "2000", ...rest];
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe("fenix connect --help and usage errors", () => {
  it("prints the help, with the options and the input commands, and exits 0", async () => {
    const { code, stdout, stderr } = await runConnect(["--help"]);
    expect(code).toBe(0);
    expect(stderr).toBe("");
    expect(stdout).toMatch(/^Usage: fenix connect <url> \[options\]/);
    for (const text of ["--topic", "--join", "--params", "--auth-token", "--longpoll", "--vsn", "--json", "--timeout", "--wait", "--quiet", "/join", "/leave", "/use", "/topics", "/quit", "Exit status"]) {
      expect(stdout).toContain(text);
    }
  });

  it.each([
    { argv: [], says: "Give the socket's URL" },
    { argv: ["localhost:4000"], says: "must start with ws://" },
    { argv: ["ws://h/socket", "ws://other/socket"], says: 'Unexpected argument "ws://other/socket"' },
    { argv: ["ws://h/socket?token=x"], says: "--params key=value" },
    { argv: ["ws://h/socket", "--vsn", "3.0.0"], says: "--vsn must be 2.0.0 or 1.0.0" },
    { argv: ["ws://h/socket", "--params", "token"], says: '--params takes key=value; received "token"' },
    { argv: ["ws://h/socket", "--join", "{nope"], says: "--join {nope is not valid JSON" },
    { argv: ["ws://h/socket", "--timeout", "0"], says: "--timeout takes a whole number of milliseconds above 0" },
    { argv: ["ws://h/socket", "--wait", "soon"], says: "--wait takes a whole number of milliseconds" },
    { argv: ["ws://h/socket", "--frobnicate"], says: "Unknown option '--frobnicate'" },
    { argv: ["ws://h/socket", "--topic"], says: "argument missing" },
  ])("exits 2 with one line and a hint for $argv", async ({ argv, says }) => {
    const { code, stdout, stderr } = await runConnect(argv);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain(says);
    expect(stderr).toMatch(/^fenix connect: .*See `fenix connect --help`\.\n$/);
  });
});

describe("input lines", () => {
  it.each([
    { line: "", is: { kind: "skip" } },
    { line: "   # a comment", is: { kind: "skip" } },
    { line: "ping", is: { kind: "push", topic: undefined, event: "ping", payload: {} } },
    { line: 'new_msg {"body": "hi there"}', is: { kind: "push", topic: undefined, event: "new_msg", payload: { body: "hi there" } } },
    { line: "blob hex:00ff", is: { kind: "push", topic: undefined, event: "blob", payload: new Uint8Array([0, 255]) } },
    { line: "blob base64:AAE=", is: { kind: "push", topic: undefined, event: "blob", payload: new Uint8Array([0, 1]) } },
    { line: "/push room:1 ping {}", is: { kind: "push", topic: "room:1", event: "ping", payload: {} } },
    { line: "/join room:1", is: { kind: "join", topic: "room:1", params: undefined } },
    { line: '/join room:1 {"token":"t"}', is: { kind: "join", topic: "room:1", params: { token: "t" } } },
    { line: "/leave", is: { kind: "leave", topic: undefined } },
    { line: "/leave room:1", is: { kind: "leave", topic: "room:1" } },
    { line: "/use room:1", is: { kind: "use", topic: "room:1" } },
    { line: "/topics", is: { kind: "topics" } },
    { line: "/wait 250", is: { kind: "wait", ms: 250 } },
    { line: "/help", is: { kind: "help" } },
    { line: "/quit", is: { kind: "quit" } },
  ])("reads $line", ({ line, is }) => {
    expect(parseLine(line)).toEqual(is);
  });

  it.each([
    { line: "ping {bad", reason: "bad_json" },
    { line: "ping [1, 2]", reason: "bad_payload" },
    { line: 'ping "text"', reason: "bad_payload" },
    { line: "blob hex:abc", reason: "bad_payload" },
    { line: "blob base64:%%", reason: "bad_payload" },
    { line: "/join", reason: "bad_command" },
    { line: "/join room:1 nope", reason: "bad_json" },
    { line: "/use", reason: "bad_command" },
    { line: "/push room:1", reason: "bad_command" },
    { line: "/wait later", reason: "bad_command" },
    { line: "/topics all", reason: "bad_command" },
    { line: "/frobnicate", reason: "bad_command" },
  ])("refuses $line as $reason", ({ line, reason }) => {
    expect(parseLine(line)).toMatchObject({ kind: "invalid", reason });
  });
});

describe("fenix connect in script mode", () => {
  it("joins the --topic, pushes each line, prints every reply with its ref and latency, and exits 0", async () => {
    const { code, stdout, stderr } = await runConnect(args("-t", "echo:script"), 'ping {"n":1}\nbinary hex:010203\n');
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const lines = stdout.split("\n");
    expect(lines[0]).toBe(`* connected to ${server.socketUrl} (websocket, vsn 2.0.0)`);
    expect(lines[1]).toBe('* joined echo:script {"joined":"echo:script","user":null}');
    expect(lines[2]).toMatch(/^< reply echo:script ping ok \(ref 2, \d+ ms\) \{"n":1\}$/);
    // Bytes go as a binary frame; the channel answers them reversed, and pushes and broadcasts them too.
    expect(stdout).toContain("< push echo:script binary_push <3 bytes 030201>");
    expect(stdout).toContain("< broadcast echo:script binary_broadcast <3 bytes 030201>");
    expect(stdout).toMatch(/< reply echo:script binary ok \(ref 3, \d+ ms\) <3 bytes 030201>/);
  });

  it("prints broadcasts another client causes while it listens", async () => {
    const run = startConnect(args("-t", "echo:room", "-p", "user=ana"));
    await run.waitFor("* joined echo:room");
    const other = new Socket(server.socketUrl);
    other.connect();
    const room = other.channel("echo:room");
    await room.join();
    await room.push("broadcast", { event: "new_msg", payload: { body: "hello from bob" } });
    await run.waitFor('< broadcast echo:room new_msg {"body":"hello from bob"}');
    await other.disconnect();
    run.stdin.end();
    expect(await run.exit).toBe(0);
  });

  it("prints one JSON object per line with --json, bytes as base64", async () => {
    const { code, stdout } = await runConnect(args("--json", "-t", "echo:json"), 'ping {"n":1}\nstatus {"status":"error","response":{"why":"asked"}}\nbinary base64:AQI=\n');
    expect(code).toBe(1);
    const objects = jsonLines(stdout);
    expect(objects[0]).toEqual({ type: "connected", url: server.socketUrl, transport: "websocket", vsn: "2.0.0" });
    expect(objects[1]).toEqual({ type: "joined", topic: "echo:json", response: { joined: "echo:json", user: null }, rejoin: false });
    expect(objects[2]).toEqual({ type: "reply", topic: "echo:json", event: "ping", ref: "2", status: "ok", response: { n: 1 }, ms: expect.any(Number) });
    expect(objects[3]).toMatchObject({ type: "reply", event: "status", ref: "3", status: "error", response: { why: "asked" } });
    expect(objects).toContainEqual({ type: "broadcast", topic: "echo:json", event: "binary_broadcast", payload: "AgE=", binary: true });
    expect(objects.at(-1)).toMatchObject({ type: "reply", event: "binary", status: "ok", response: "AgE=", binary: true });
  });

  it("says what is wrong with a bad JSON line, sends nothing, goes on, and exits 1", async () => {
    const { code, stdout, stderr } = await runConnect(args("--json", "-t", "echo:bad"), 'ping {"n":\nping {"n":2}\n');
    expect(code).toBe(1);
    const objects = jsonLines(stdout);
    expect(objects[2]).toMatchObject({ type: "error", reason: "bad_json", message: expect.stringMatching(/^Bad JSON \(.+\); nothing sent\.$/) });
    // The join had ref 1: the bad line sent nothing, so the next push is ref 2.
    expect(objects[3]).toMatchObject({ type: "reply", event: "ping", ref: "2", status: "ok", response: { n: 2 } });
    expect(stderr).toBe("");
  });

  it("prints input errors to stderr in human output", async () => {
    const { code, stdout, stderr } = await runConnect(args("-t", "echo:human"), "ping [1]\n/use echo:elsewhere\nping\n");
    expect(code).toBe(1);
    expect(stderr).toContain("! error A payload must be a JSON object");
    expect(stderr).toContain("! error Not joined to echo:elsewhere (joined: echo:human); /join it first.");
    expect(stdout).toMatch(/< reply echo:human ping ok/);
  });

  it("reports a refused join and exits 1", async () => {
    const { code, stdout } = await runConnect(args("-t", "auth:locked"), "");
    expect(code).toBe(1);
    expect(stdout).toContain('! refused auth:locked error {"reason":"unauthorized"}');
  });

  it("joins, uses, pushes to and leaves topics from input lines", async () => {
    const script = ['/join auth:door {"token":"secret"}', "/join echo:a", "/push echo:a ping", "/use auth:door", "/topics", "/leave", "/topics", "ping"].join("\n");
    const { code, stdout } = await runConnect(args("--json"), script);
    const objects = jsonLines(stdout).slice(1);
    expect(objects.map((o) => o.type)).toEqual(["joined", "joined", "reply", "using", "topics", "left", "topics", "reply"]);
    expect(objects[4]).toEqual({
      type: "topics",
      topics: [
        { topic: "auth:door", state: "joined", current: true },
        { topic: "echo:a", state: "joined", current: false },
      ],
    });
    expect(objects[5]).toEqual({ type: "left", topic: "auth:door" });
    // Leaving the current topic falls back to the last joined topic still open.
    expect(objects[6]).toEqual({ type: "topics", topics: [{ topic: "echo:a", state: "joined", current: true }] });
    expect(objects[7]).toMatchObject({ type: "reply", topic: "echo:a", event: "ping", status: "ok" });
    expect(code).toBe(0);
  });

  it("reports a push without a reply as a timeout and exits 1", async () => {
    const { code, stdout } = await runConnect([server.socketUrl, "--timeout", "100", "-t", "echo:slow"], "noreply\n");
    expect(code).toBe(1);
    expect(stdout).toMatch(/! timeout echo:slow noreply \(ref 2\): no reply within 100 ms/);
  });

  it("stops reading at /quit", async () => {
    const { code, stdout } = await runConnect(args("-t", "echo:quit"), "ping\n/quit\nstatus {}\n");
    expect(code).toBe(0);
    expect(stdout).toContain("< reply echo:quit ping ok");
    expect(stdout).not.toContain("status");
  });

  it("hides confirmations with --quiet", async () => {
    const { code, stdout } = await runConnect(args("-q", "-t", "echo:quiet"), "ping\n");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^< reply echo:quiet ping ok \(ref 2, \d+ ms\) \{\}\n$/);
  });

  it("keeps listening for --wait after input ends, and Ctrl-C disconnects and exits 130", async () => {
    const listenersBefore = process.listenerCount("SIGINT");
    const run = startConnect(args("-t", "echo:wait", "--wait", "60000"));
    run.stdin.end();
    await run.waitFor("* joined echo:wait");
    server.endpoint.broadcast("echo:wait", "late_news", { n: 1 });
    await run.waitFor('< broadcast echo:wait late_news {"n":1}');
    process.emit("SIGINT");
    expect(await run.exit).toBe(130);
    expect(process.listenerCount("SIGINT")).toBe(listenersBefore);
  });

  it("reconnects and rejoins after the server drops the connection", async () => {
    const run = startConnect(args("-t", "echo:drop", "-p", "user=dropped"));
    await run.waitFor("* joined echo:drop");
    server.endpoint.disconnect("user_socket:dropped");
    await run.waitFor("! disconnected");
    await run.waitFor("* reconnected (websocket)");
    await run.waitFor("* rejoined echo:drop");
    run.stdin.end("ping\n");
    expect(await run.exit).toBe(0);
    expect(run.stdout()).toContain("< reply echo:drop ping ok");
  });
});

describe("fenix connect failures to connect", () => {
  it("says the connection was refused when nothing listens, and exits 1", async () => {
    const url = `ws://127.0.0.1:${await closedPort()}/socket`;
    const { code, stdout, stderr } = await runConnect([url, "-t", "echo:x"], "ping\n");
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^fenix connect: Cannot connect to ws:\/\/127\.0\.0\.1:\d+\/socket: connection refused by 127\.0\.0\.1:\d+ \(is the server running, on that port\?\)\.\n$/);
  });

  it("says the server refused the connection (HTTP 403)", async () => {
    const { code, stderr } = await runConnect(args("-p", "token=bad"));
    expect(code).toBe(1);
    expect(stderr).toContain("the server refused the connection (HTTP 403)");
    expect(stderr).not.toContain("    at ");
  });

  it("gives up on a server that does not answer within --timeout", async () => {
    // Accepts TCP connections and never answers the upgrade.
    const accepted = new Set<NetSocket>();
    const silent = createServer((socket) => accepted.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as { port: number };
    try {
      const { code, stderr } = await runConnect([`ws://127.0.0.1:${port}/socket`, "--timeout", "150"]);
      expect(code).toBe(1);
      expect(stderr).toContain("no answer within 150 ms");
    } finally {
      for (const socket of accepted) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it("sends the auth token of --auth-token, or else of FENIX_AUTH_TOKEN", async () => {
    const authUrl = server.socketUrl.replace(/\/socket$/, "/auth");
    expect((await runConnect([authUrl, "--auth-token", "good-token", "-t", "echo:a"], "ping\n")).code).toBe(0);
    expect((await runConnect([authUrl, "-t", "echo:a"], "ping\n", { env: { FENIX_AUTH_TOKEN: "good-token" } })).code).toBe(0);
    const refused = await runConnect([authUrl, "-t", "echo:a"], "ping\n", { env: { FENIX_AUTH_TOKEN: "wrong" } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("HTTP 403");
  });

  it("reports the failure as a JSON error with --json", async () => {
    const { code, stdout, stderr } = await runConnect(args("--json", "--longpoll", "-p", "token=bad"));
    expect(code).toBe(1);
    expect(stderr).toBe("");
    expect(jsonLines(stdout)).toEqual([{ type: "error", reason: "connect_failed", message: expect.stringContaining("HTTP 403") }]);
  });
});

describe("fenix connect over LongPoll", () => {
  it("joins, pushes and receives broadcasts", async () => {
    const run = startConnect(args("--longpoll", "-t", "echo:lp"));
    await run.waitFor("* joined echo:lp");
    expect(run.stdout()).toContain(`* connected to ${server.socketUrl} (longpoll, vsn 2.0.0)`);
    server.endpoint.broadcast("echo:lp", "news", { via: "longpoll" });
    await run.waitFor('< broadcast echo:lp news {"via":"longpoll"}');
    run.stdin.end('ping {"n":1}\n');
    expect(await run.exit).toBe(0);
    expect(run.stdout()).toMatch(/< reply echo:lp ping ok \(ref \d+, \d+ ms\) \{"n":1\}/);
  });
});

describe("fenix connect --vsn 1.0.0", () => {
  it("speaks V1 JSON objects: replies, server messages, and a channel that closes", async () => {
    const script = ['ping {"v":1}', 'push {"event":"hello","payload":{"a":1}}', "blob hex:00", "stop_reply", "/topics"].join("\n");
    const { code, stdout, stderr } = await runConnect(args("--vsn", "1.0.0", "-t", "echo:v1"), script);
    expect(stdout).toContain("(websocket, vsn 1.0.0)");
    expect(stdout).toMatch(/< reply echo:v1 ping ok \(ref 2, \d+ ms\) \{"v":1\}/);
    expect(stdout).toContain('< message echo:v1 hello {"a":1}');
    expect(stdout).toContain('< reply echo:v1 stop_reply ok');
    expect(stdout).toContain("! closed echo:v1: the server closed the channel");
    expect(stdout).toContain("* topics none\n");
    expect(stderr).toContain("Protocol V1 (--vsn 1.0.0) cannot carry bytes; nothing sent.");
    expect(code).toBe(1);
  });
});

describe("fenix connect at a terminal", () => {
  it("shows a prompt with the current topic, prints replies above it, and exits 0 at /quit", async () => {
    const run = startConnect(args("-t", "echo:tty"), { tty: true });
    await run.waitFor("echo:tty> ");
    run.stdin.write('ping {"typed":true}\n');
    await run.waitFor(/< reply echo:tty ping ok \(ref 2, \d+ ms\) \{"typed":true\}/);
    run.stdin.write("/join echo:other\n");
    await run.waitFor("echo:other> ");
    run.stdin.write("/quit\n");
    expect(await run.exit).toBe(0);
  });

  it("exits 130 at Ctrl-C on an empty line", async () => {
    const run = startConnect(args("-t", "echo:ctrlc"), { tty: true });
    await run.waitFor("echo:ctrlc> ");
    run.stdin.write("\u0003");
    expect(await run.exit).toBe(130);
  });
});
