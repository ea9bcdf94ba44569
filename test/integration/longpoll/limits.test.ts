// LongPoll under abuse: POST tokens checked before bodies are read, body limits enforced while bodies
// stream in (413, connection closed), per-address caps on bodies in flight and on new sessions (429 with
// Retry-After), sessions never polled reclaimed fast, and a malformed line ending its session (410).
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { connect, type Socket as NetSocket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Bystander, closeRawResources, serveRaw } from "../../support/raw-client.js";
import { frame, longpoll, openSession, pollFrames } from "../../support/longpoll-client.js";
import type { TestEndpoint } from "../../support/test-endpoint.js";

afterEach(() => closeRawResources());

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const MiB = 1024 * 1024;
const OTHER_ADDRESS = "127.0.0.2";

/** How a streamed POST ended, seen from the client. */
interface StreamedPost {
  /** Everything the server sent (status line, headers, body). */
  readonly answer: string;
  /** Body bytes the client had written when the first answer bytes arrived (`null`: no answer). */
  readonly sentWhenAnswered: number | null;
  /** Body bytes the client managed to write before the connection closed. */
  readonly sent: number;
}

interface StreamOptions {
  readonly token?: string;
  /** Body bytes the client means to send. */
  readonly total: number;
  /** Announce `total` in `Content-Length` (else the body is chunked and announces nothing). */
  readonly announce?: boolean;
  readonly chunkBytes?: number;
  readonly pauseMs?: number;
  readonly localAddress?: string;
  /** Stop writing after this many bytes and hold the connection open (until `abort` is called). */
  readonly holdAfter?: number;
}

/** A POST written by hand over TCP, slowly, so a test can see when the server answers and closes. */
function streamPost(server: TestEndpoint, options: StreamOptions): { readonly done: Promise<StreamedPost>; abort(): void } {
  const { port } = new URL(server.httpUrl);
  const socket: NetSocket = connect({ host: "127.0.0.1", port: Number(port), ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }) });
  const announce = options.announce ?? true;
  const chunk = Buffer.alloc(options.chunkBytes ?? 64 * 1024, "x");
  let answer = "";
  let sent = 0;
  let sentWhenAnswered: number | null = null;
  let closed = false;
  socket.on("data", (data: Buffer) => {
    sentWhenAnswered ??= sent;
    answer += data.toString("latin1");
  });
  socket.on("error", () => {}); // EPIPE / ECONNRESET once the server has closed: expected.
  const done = new Promise<StreamedPost>((resolve) => {
    socket.once("close", () => {
      closed = true;
      resolve({ answer, sentWhenAnswered, sent });
    });
  });
  const query = options.token === undefined ? "vsn=2.0.0" : `vsn=2.0.0&token=${encodeURIComponent(options.token)}`;
  const head = [
    `POST /socket/longpoll?${query} HTTP/1.1`,
    `host: 127.0.0.1:${port}`,
    "content-type: application/x-ndjson",
    announce ? `content-length: ${options.total}` : "transfer-encoding: chunked",
    "",
    "",
  ].join("\r\n");
  const write = (data: Buffer) => (announce ? socket.write(data) : socket.write(`${data.length.toString(16)}\r\n`) && socket.write(Buffer.concat([data, Buffer.from("\r\n")])));
  const ready = () => new Promise<void>((resolve) => socket.once("drain", resolve).once("close", resolve));
  void (async () => {
    await new Promise<void>((resolve) => socket.once("connect", resolve).once("close", resolve));
    if (closed) return;
    socket.write(head);
    const limit = Math.min(options.total, options.holdAfter ?? Infinity);
    while (!closed && sent < limit) {
      const piece = chunk.subarray(0, Math.min(chunk.length, limit - sent));
      const flushed = write(piece);
      sent += piece.length;
      if (!flushed) await ready();
      if ((options.pauseMs ?? 0) > 0) await delay(options.pauseMs!);
    }
    if (!closed && sent === options.total && !announce) socket.write("0\r\n\r\n");
  })();
  return { done, abort: () => socket.destroy() };
}

/** The status line's code and the headers of a raw answer. */
function parseAnswer(raw: string): { status: number; headers: Record<string, string>; body: string } {
  const [head = "", body = ""] = raw.split("\r\n\r\n");
  const [statusLine = "", ...lines] = head.split("\r\n");
  const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(":")).toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]));
  return { status: Number(statusLine.split(" ")[1]), headers, body };
}

/** One request from a chosen local address, on a fresh connection. */
function requestFrom(
  server: TestEndpoint,
  localAddress: string,
  options: { method?: string; token?: string; body?: string } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  const query = options.token === undefined ? "vsn=2.0.0" : `vsn=2.0.0&token=${encodeURIComponent(options.token)}`;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${server.httpUrl}/socket/longpoll?${query}`,
      { method: options.method ?? "GET", localAddress, agent: false, headers: { "content-type": "application/x-ndjson" } },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (data: string) => (body += data));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

const heartbeat = (ref = "1") => frame(null, ref, "phoenix", "heartbeat");

describe("LongPoll POST before its body is read", () => {
  it("refuses 8 parallel large POSTs with a bogus token at once, reading none of them, while other clients chat on", async () => {
    const server = await serveRaw({}, { longpoll: { windowMs: 1_000 } });
    const errors: string[] = [];
    server.endpoint.on("clientError", (error) => errors.push(error.code));
    const base = `${server.httpUrl}/socket`;
    const wsBystander = await Bystander.join(server);
    const lpBystander = await openSession(base);
    expect((await longpoll(base, { token: lpBystander, body: [frame("1", "1", "echo:lp", "phx_join")] })).body).toEqual({ status: 200 });
    await pollFrames(base, lpBystander, 1);

    const total = 20 * MiB;
    const before = process.memoryUsage().arrayBuffers;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers)), 10);
    const attacks = Array.from({ length: 8 }, () => streamPost(server, { token: "bogus", total, pauseMs: 2 }));

    // The bystanders are served while the attack runs.
    for (let i = 0; i < 3; i++) {
      await wsBystander.expectServed();
      expect((await longpoll(base, { token: lpBystander, body: [frame("1", String(i + 2), "echo:lp", "ping", { i })] })).body).toEqual({ status: 200 });
      expect((await pollFrames(base, lpBystander, 1))[0]).toEqual(["1", String(i + 2), "echo:lp", "phx_reply", { status: "ok", response: { i } }]);
    }
    const results = await Promise.all(attacks.map((attack) => attack.done));
    clearInterval(sampler);

    for (const result of results) {
      const answer = parseAnswer(result.answer);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toEqual({ status: 410 });
      expect(answer.headers.connection).toBe("close");
      // Answered, and the connection closed, long before the client was done sending.
      expect(result.sentWhenAnswered).not.toBeNull();
      expect(result.sentWhenAnswered!).toBeLessThan(total / 4);
      expect(result.sent).toBeLessThan(total);
    }
    // Nothing like 8 × 20 MiB was ever held (the client's own chunk is reused).
    expect(peak - before).toBeLessThan(total);
    expect(errors).toEqual([]);
    await wsBystander.expectServed();
  });

  it("closes the connection of a POST for a session that has ended without reading its body", async () => {
    const server = await serveRaw({}, { longpoll: { windowMs: 1_000 } });
    const token = await openSession(`${server.httpUrl}/socket`, "vsn=2.0.0&user=gone");
    server.endpoint.disconnect("user_socket:gone");
    await delay(20);
    const result = await streamPost(server, { token, total: 8 * MiB, pauseMs: 2 }).done;
    expect(JSON.parse(parseAnswer(result.answer).body)).toEqual({ status: 410 });
    expect(result.sent).toBeLessThan(8 * MiB);
  });
});

describe("LongPoll POST body limit", () => {
  it("defaults maxBodyBytes to 4 × maxFrameBytes", async () => {
    const server = await serveRaw({ maxFrameBytes: 1_000 }, { longpoll: { windowMs: 1_000 } });
    const base = `${server.httpUrl}/socket`;
    const token = await openSession(base);
    const line = (ref: number) => frame(null, String(ref), "phoenix", "heartbeat", { pad: "x".repeat(700) });
    const lines = (count: number) => Array.from({ length: count }, (_, i) => line(i));
    expect(lines(5).join("\n").length).toBeLessThanOrEqual(4_000);
    expect((await longpoll(base, { token, body: lines(5) })).body).toEqual({ status: 200 });
    expect(lines(6).join("\n").length).toBeGreaterThan(4_000);
    expect((await longpoll(base, { token, body: lines(6) })).body).toEqual({ status: 413 });
  });

  for (const announce of [true, false]) {
    it(`answers 413 and closes the connection before a ${announce ? "Content-Length" : "chunked"} body over the limit is sent; the session goes on`, async () => {
      const server = await serveRaw({ maxFrameBytes: 64 * 1024 }, { longpoll: { windowMs: 1_000, maxBodyBytes: MiB } });
      const errors: string[] = [];
      server.endpoint.on("clientError", (error) => errors.push(error.code));
      const base = `${server.httpUrl}/socket`;
      const token = await openSession(base);
      const total = 16 * MiB;
      const result = await streamPost(server, { token, total, announce, pauseMs: 1 }).done;
      const answer = parseAnswer(result.answer);
      expect(answer.status).toBe(200);
      expect(answer.headers.connection).toBe("close");
      expect(JSON.parse(answer.body)).toEqual({ status: 413 });
      expect(result.sentWhenAnswered!).toBeLessThan(4 * MiB);
      expect(result.sent).toBeLessThan(total);
      expect(errors).toEqual(["FENIX_ERR_SERVER_LONGPOLL_BODY_TOO_LARGE"]);
      expect((await longpoll(base, { token, body: [heartbeat("2")] })).body).toEqual({ status: 200 });
    });
  }
});

describe("LongPoll per-address caps", () => {
  it("answers 429 with Retry-After to a POST beyond maxConcurrentPostsPerAddress; other addresses are unaffected", async () => {
    const server = await serveRaw({}, { longpoll: { windowMs: 1_000, maxConcurrentPostsPerAddress: 2 } });
    const errors: string[] = [];
    server.endpoint.on("clientError", (error) => errors.push(error.code));
    const base = `${server.httpUrl}/socket`;
    const token = await openSession(base);

    // Two bodies from 127.0.0.2 that never finish hold both of its slots.
    const held = [0, 1].map(() => streamPost(server, { token, total: MiB, holdAfter: 1_000, localAddress: OTHER_ADDRESS }));
    await delay(50);
    const refused = await streamPost(server, { token, total: 1_000, localAddress: OTHER_ADDRESS }).done;
    const answer = parseAnswer(refused.answer);
    expect(answer.status).toBe(429);
    expect(answer.headers["retry-after"]).toBe("1");
    expect(answer.headers.connection).toBe("close");
    expect(errors).toEqual(["FENIX_ERR_SERVER_LONGPOLL_TOO_MANY_POSTS"]);

    // 127.0.0.1 still posts.
    expect((await longpoll(base, { token, body: [heartbeat("2")] })).body).toEqual({ status: 200 });

    // Once the held bodies are gone, 127.0.0.2 has its slots back.
    for (const post of held) post.abort();
    await Promise.all(held.map((post) => post.done));
    await delay(20);
    const again = await requestFrom(server, OTHER_ADDRESS, { method: "POST", token, body: heartbeat("3") });
    expect(again.status).toBe(200);
    expect(JSON.parse(again.body)).toEqual({ status: 200 });
  });

  it("answers 429 with Retry-After to a session beyond maxNewSessionsPerAddress in a window; other addresses are unaffected", async () => {
    const server = await serveRaw({}, { longpoll: { windowMs: 1_000, maxNewSessionsPerAddress: 3, newSessionsWindowMs: 400 } });
    const errors: string[] = [];
    server.endpoint.on("clientError", (error) => errors.push(error.code));
    for (let i = 0; i < 3; i++) {
      const opened = await requestFrom(server, OTHER_ADDRESS);
      expect(JSON.parse(opened.body)).toMatchObject({ status: 410, token: expect.any(String) as string });
    }
    const refused = await requestFrom(server, OTHER_ADDRESS);
    expect(refused.status).toBe(429);
    expect(refused.headers["retry-after"]).toBe("1");
    expect(refused.headers.connection).toBe("close");
    expect(refused.body).toBe("");
    expect(errors).toEqual(["FENIX_ERR_SERVER_LONGPOLL_TOO_MANY_SESSIONS"]);

    expect(JSON.parse((await requestFrom(server, "127.0.0.1")).body)).toMatchObject({ status: 410 });
    await delay(450);
    expect(JSON.parse((await requestFrom(server, OTHER_ADDRESS)).body)).toMatchObject({ status: 410 });
  });
});

describe("LongPoll sessions and bad lines", () => {
  it("ends a session that is never polled within 0.5 × windowMs; a polled one lives on", async () => {
    const server = await serveRaw({}, { longpoll: { windowMs: 400 } });
    const base = `${server.httpUrl}/socket`;
    await openSession(base);
    const kept = await openSession(base);
    expect((await longpoll(base, { token: kept, body: [heartbeat()] })).body).toEqual({ status: 200 });
    expect(server.endpoint.connectionCount).toBe(2);
    await delay(200 + 100);
    expect(server.endpoint.connectionCount).toBe(1);
    expect((await longpoll(base, { token: kept })).body?.status).toBe(200);
  });

  it("ends the session on a line that is not a valid frame (malformed JSON): 410", async () => {
    const server = await serveRaw({}, { longpoll: { windowMs: 1_000 } });
    const errors: string[] = [];
    server.endpoint.on("clientError", (error) => errors.push(error.code));
    const base = `${server.httpUrl}/socket`;
    const token = await openSession(base);
    expect((await longpoll(base, { token, body: ["[\"1\",\"1\",\"echo:x\""] })).body).toEqual({ status: 410 });
    expect(errors).toHaveLength(1);
    expect(server.endpoint.connectionCount).toBe(0);
    const next = await longpoll(base, { token });
    expect(next.body?.status).toBe(410);
    expect(next.body?.token).not.toBe(token);
  });
});
