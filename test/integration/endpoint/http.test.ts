// The endpoint's HTTP side: attaching to an existing http.Server (sockets work, the server's own routes and
// other upgrade handlers are left alone), static folders and the request handler as middleware, 404s.
import { createServer, type IncomingMessage, type Server } from "node:http";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { Endpoint, ServerErrorCode, silentLogger } from "../../../src/index.js";
import { closeAllClients, connectSocket, join, push } from "../../support/phoenix-client.js";
import { TestSocket } from "../../support/test-endpoint.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  await closeAllClients();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => {
    const address = server.address() as { port: number };
    resolve(`127.0.0.1:${address.port}`);
  }));
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function staticFolder(): string {
  const dir = mkdtempSync(joinPath(tmpdir(), "fenix-static-"));
  writeFileSync(joinPath(dir, "index.html"), "<h1>home</h1>");
  mkdirSync(joinPath(dir, "js"));
  writeFileSync(joinPath(dir, "js", "app.js"), "export const x = 1;");
  return dir;
}

describe("an endpoint attached to an existing http.Server", () => {
  it("serves sockets while the server keeps its own routes and other upgrade handlers", async () => {
    const server = createServer((req, res) => {
      if (req.url === "/health") res.end("ok");
      else endpoint.handleRequest(req, res);
    });
    const endpoint = new Endpoint({ server, logger: silentLogger, staticDir: staticFolder() });
    endpoint.socket("/socket", TestSocket);
    // Another library's WebSocket endpoint on the same server, at its own path.
    const other = new WebSocketServer({ noServer: true });
    server.on("upgrade", (req: IncomingMessage, socket, head) => {
      if (req.url === "/other") other.handleUpgrade(req, socket, head, (ws) => ws.send("hello from other"));
    });
    await endpoint.start();
    const host = await listen(server);
    cleanups.push(() => closeServer(server), () => endpoint.stop(), () => other.close());

    expect(await (await fetch(`http://${host}/health`)).text()).toBe("ok");
    expect(await (await fetch(`http://${host}/`)).text()).toBe("<h1>home</h1>");

    const socket = await connectSocket(`ws://${host}/socket`);
    const channel = socket.channel("echo:attached");
    expect((await join(channel)).status).toBe("ok");
    expect(await push(channel, "ping", { n: 1 })).toEqual({ status: "ok", response: { n: 1 } });

    const otherClient = new WebSocket(`ws://${host}/other`);
    const greeting = await new Promise<string>((resolve, reject) => {
      otherClient.once("message", (data) => resolve(String(data)));
      otherClient.once("error", reject);
    });
    otherClient.close();
    expect(greeting).toBe("hello from other");
  });

  it("does not listen by itself and leaves the server running after stop()", async () => {
    const server = createServer((_req, res) => res.end("still here"));
    const endpoint = new Endpoint({ server, logger: silentLogger });
    endpoint.socket("/socket", TestSocket);
    await endpoint.start();
    expect(server.listening).toBe(false);
    const host = await listen(server);
    cleanups.push(() => closeServer(server));
    await endpoint.stop();
    expect(await (await fetch(`http://${host}/`)).text()).toBe("still here");
  });
});

describe("static files", () => {
  it("serves folders at prefixes with content types, and answers 404 for anything else", async () => {
    const endpoint = new Endpoint({ port: 0, host: "127.0.0.1", logger: silentLogger, staticDir: staticFolder() });
    endpoint.static("/assets", staticFolder());
    endpoint.socket("/socket", TestSocket);
    await endpoint.start();
    cleanups.push(() => endpoint.stop());
    const base = endpoint.url;

    const script = await fetch(`${base}/assets/js/app.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toMatch(/javascript/);
    expect(script.headers.get("etag")).toBeTruthy();
    expect((await fetch(`${base}/js/app.js`)).status).toBe(200);
    expect((await fetch(`${base}/missing.txt`)).status).toBe(404);
    expect((await fetch(`${base}/assets/../../../etc/passwd`)).status).toBe(404);
    expect((await fetch(`${base}/assets/%2e%2e/%2e%2e/etc/passwd`)).status).toBe(404);
    const plain = await fetch(`${base}/socket/websocket`);
    expect(plain.status).toBe(400);
  });
});

describe("lifecycle", () => {
  it("refuses to start twice and reports a port that is taken", async () => {
    const first = new Endpoint({ port: 0, host: "127.0.0.1", logger: silentLogger });
    await first.start();
    cleanups.push(() => first.stop());
    await expect(first.start()).rejects.toMatchObject({ code: ServerErrorCode.BAD_STATE });
    const port = Number(new URL(first.url).port);
    const second = new Endpoint({ port, host: "127.0.0.1", logger: silentLogger });
    await expect(second.start()).rejects.toMatchObject({ code: ServerErrorCode.LISTEN_FAILED });
  });

  it("refuses bad mounts and options with typed errors", () => {
    const endpoint = new Endpoint({ port: 0, logger: silentLogger });
    expect(() => endpoint.socket("socket", TestSocket)).toThrow(expect.objectContaining({ code: ServerErrorCode.BAD_PATH }));
    endpoint.socket("/socket", TestSocket);
    expect(() => endpoint.socket("/socket/", TestSocket)).toThrow(expect.objectContaining({ code: ServerErrorCode.BAD_PATH }));
    expect(() => endpoint.socket("/other", TestSocket, { maxChannels: 0 })).toThrow(
      expect.objectContaining({ code: ServerErrorCode.BAD_OPTION }),
    );
  });
});

describe("the fenix/client browser build", () => {
  it("is served at /fenix/client.js with its source map, and answers 304 to a matching ETag", async () => {
    const endpoint = new Endpoint({ port: 0, host: "127.0.0.1", logger: silentLogger });
    await endpoint.start();
    cleanups.push(() => endpoint.stop());
    const script = await fetch(`${endpoint.url}/fenix/client.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    const code = await script.text();
    expect(code).toContain("sourceMappingURL=client.js.map");
    const etag = script.headers.get("etag")!;
    const again = await fetch(`${endpoint.url}/fenix/client.js`, { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    await again.text();
    const map = await fetch(`${endpoint.url}/fenix/client.js.map`);
    expect(map.status).toBe(200);
    expect((JSON.parse(await map.text()) as { sources: string[] }).sources.some((s) => s.includes("src/client/socket.ts"))).toBe(true);
    // It is a module a page can import from.
    const exported = await import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`) as Record<string, unknown>;
    expect(typeof exported.Socket).toBe("function");
    expect(typeof exported.Presence).toBe("function");
  });
});
