/**
 * The HTTP side of LongPoll at `<mount>/longpoll`: CORS preflight, GET to open a session or poll it, POST
 * to deliver client frames. Every answer but OPTIONS and 400 is HTTP 200 with the real status in the JSON
 * body, as the official client expects. Sessions on another node are reached through the PubSub relay.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { connectSocket, isAccepted, originAllowed, startConnection, type SocketMount } from "../connect-pipeline.js";
import type { ClientErrorContext, EndpointContext } from "../endpoint-context.js";
import { ServerError, ServerErrorCode } from "../errors.js";
import { parseQueryParams } from "../query-params.js";
import { LongPollRelay } from "./longpoll-relay.js";
import { LongPollSession, pollStatus } from "./longpoll-session.js";
import { LongPollTransport } from "./longpoll-transport.js";
import { decodeLine, splitBatch } from "./ndjson-batch.js";
import { SessionTokens } from "./session-token.js";

/** @internal The LongPoll options of one mount, resolved. */
export interface LongPollSettings {
  readonly windowMs: number;
  readonly pubsubTimeoutMs: number;
  readonly maxBufferedMessages: number;
  readonly maxBufferedBytes: number;
  readonly maxBodyBytes: number;
}

const JSON_HEADERS = {
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
  "access-control-allow-origin": "*",
} as const;

type Body = { status: number; token?: string; messages?: readonly string[] };

/** @internal Serves `<mount>/longpoll` for one socket mount. */
export class LongPollHandler {
  readonly #endpoint: EndpointContext;
  readonly #mount: SocketMount;
  readonly #settings: LongPollSettings;
  readonly #tokens: SessionTokens;
  /** This node's sessions, by id. */
  readonly #sessions = new Map<string, LongPollSession>();
  #relay: LongPollRelay | null = null;

  constructor(endpoint: EndpointContext, mount: SocketMount, settings: LongPollSettings, secretKeyBase: string) {
    this.#endpoint = endpoint;
    this.#mount = mount;
    this.#settings = settings;
    this.#tokens = new SessionTokens(secretKeyBase, mount.path);
  }

  /** How many sessions live on this node. */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** Handles one request to `<mount>/longpoll`. */
  handle(request: IncomingMessage, response: ServerResponse): void {
    const method = request.method ?? "GET";
    if (method === "OPTIONS") {
      response
        .writeHead(200, {
          "access-control-allow-origin": "*",
          "access-control-allow-headers": request.headers["access-control-request-headers"] ?? "",
          "access-control-allow-methods": "get, post, options",
          "access-control-max-age": "3600",
          "content-length": "0",
        })
        .end();
      return;
    }
    if (method !== "GET" && method !== "POST") {
      request.resume();
      response.writeHead(400, { "content-length": "0" }).end();
      return;
    }
    const context: ClientErrorContext = { path: this.#mount.path, transport: "longpoll", address: request.socket.remoteAddress, socketId: null };
    const answer = (body: Body) => {
      if (!response.headersSent) response.writeHead(200, JSON_HEADERS).end(JSON.stringify(body));
    };
    if (!originAllowed(this.#endpoint, this.#mount, request, context)) {
      request.resume();
      return answer({ status: 403 });
    }
    const work = method === "GET" ? this.#get(request, response, context) : this.#post(request, context);
    work.then(answer, (err: unknown) => {
      this.#endpoint.log("error", "LongPoll request failed", { error: err, path: this.#mount.path });
      answer({ status: 500 });
    });
  }

  /** Ends the relay; the sessions end with their connections. */
  stop(): void {
    this.#relay?.halt();
    this.#relay = null;
  }

  async #get(request: IncomingMessage, response: ServerResponse, context: ClientErrorContext): Promise<Body> {
    const token = tokenOf(request);
    const claims = this.#tokens.verify(token);
    if (claims !== null) {
      if (claims.node === this.#endpoint.pubsub.nodeName) {
        const session = this.#sessions.get(claims.session);
        if (session !== undefined) {
          // A client that goes away aborts its parked poll: stop counting it as polling from then on.
          const abandoned = new AbortController();
          response.once("close", () => {
            if (!response.writableEnded) abandoned.abort();
          });
          const result = await session.poll(abandoned.signal);
          return { status: pollStatus(result), token: token!, messages: result.kind === "messages" ? result.messages : [] };
        }
      } else {
        const { windowMs, pubsubTimeoutMs } = this.#settings;
        const outcome = await this.#relayTo(claims.node, claims.session, { lp: "poll" }, windowMs + pubsubTimeoutMs);
        if (outcome.kind === "result") return { status: outcome.status, token: token!, messages: outcome.messages };
        if (outcome.kind === "timeout") return { status: 204, token: token!, messages: [] };
      }
    }
    // No token, a token that fails to verify, or a session that is gone: a new session.
    return this.#open(request, context);
  }

  async #open(request: IncomingMessage, context: ClientErrorContext): Promise<Body> {
    const authToken = request.headers["x-phoenix-authtoken"];
    const connected = await connectSocket(this.#endpoint, this.#mount, request, "longpoll", typeof authToken === "string" ? authToken : undefined, context);
    if (!isAccepted(connected)) return { status: connected.status };

    const id = randomBytes(16).toString("base64url");
    const runtime = this.#endpoint.runtime;
    const errorContext = { ...context, socketId: connected.socketId };
    let session: LongPollSession | null = null;
    const transport = new LongPollTransport(this.#settings, runtime.clock, {
      binaryDropped: () =>
        this.#endpoint.reportClientError(
          new ServerError(ServerErrorCode.LONGPOLL_BINARY_DROPPED, "A binary frame cannot be sent over LongPoll; it was dropped.", { status: 200 }),
          errorContext,
        ),
      closed: () => session?.end(),
    });
    // The session timer replaces the idle timeout: LongPoll clients send no heartbeats.
    const limits = { ...this.#mount.limits, idleTimeoutMs: 0 };
    const server = await startConnection(this.#endpoint, this.#mount, transport, connected, context, limits);
    if (server === null || transport.closed) return { status: 500 };
    session = new LongPollSession(runtime, {
      id,
      transport,
      pubsub: this.#endpoint.pubsub,
      windowMs: this.#settings.windowMs,
      onEnd: (ended) => this.#sessions.delete(ended),
    });
    this.#sessions.set(id, session);
    return { status: 410, token: this.#tokens.sign({ session: id, node: this.#endpoint.pubsub.nodeName }), messages: [] };
  }

  async #post(request: IncomingMessage, context: ClientErrorContext): Promise<Body> {
    const claims = this.#tokens.verify(tokenOf(request));
    const body = await readBody(request, this.#settings.maxBodyBytes);
    if (body === null) {
      this.#endpoint.reportClientError(
        new ServerError(ServerErrorCode.LONGPOLL_BODY_TOO_LARGE, `A LongPoll POST body was larger than ${this.#settings.maxBodyBytes} bytes.`, {
          status: 413,
        }),
        { ...context, socketId: null },
      );
      return { status: 413 };
    }
    if (claims === null) return { status: 410 };
    const ndjson = (request.headers["content-type"] ?? "").includes("ndjson");
    const lines = splitBatch(body, ndjson);
    for (const line of lines) {
      const error = this.#checkLine(line);
      if (error !== null) {
        this.#endpoint.reportClientError(error, context);
        return { status: error.status ?? 400 };
      }
    }
    if (claims.node === this.#endpoint.pubsub.nodeName) {
      const session = this.#sessions.get(claims.session);
      return { status: session === undefined ? 410 : await session.post(lines) };
    }
    const { windowMs, pubsubTimeoutMs } = this.#settings;
    const outcome = await this.#relayTo(claims.node, claims.session, { lp: "post", lines }, windowMs + pubsubTimeoutMs);
    return { status: outcome.kind === "result" ? outcome.status : outcome.kind === "timeout" ? 408 : 410 };
  }

  #checkLine(line: string): ServerError | null {
    if (Buffer.byteLength(line, "utf8") > this.#mount.maxFrameBytes) {
      return new ServerError(ServerErrorCode.FRAME_TOO_LARGE, "A LongPoll line was larger than maxFrameBytes.", { status: 413 });
    }
    if (decodeLine(line) === null) {
      return new ServerError(ServerErrorCode.LONGPOLL_BAD_LINE, "A LongPoll POST line is neither a text frame (starting with \"[\" or \"{\") nor standard base64.", {
        status: 400,
      });
    }
    return null;
  }

  #relayTo(node: string, sessionId: string, request: { lp: "poll" } | { lp: "post"; lines: readonly string[] }, resultMs: number) {
    this.#relay ??= new LongPollRelay(this.#endpoint.runtime, this.#endpoint.pubsub);
    return this.#relay.request(node, sessionId, request, this.#settings.pubsubTimeoutMs, resultMs);
  }
}

/** The session token: the `x-phoenix-longpoll-token` header, else the last `token` query parameter. */
function tokenOf(request: IncomingMessage): string | undefined {
  const header = request.headers["x-phoenix-longpoll-token"];
  if (typeof header === "string" && header.length > 0) return header;
  const url = request.url ?? "/";
  const query = url.indexOf("?");
  if (query === -1) return undefined;
  const token = parseQueryParams(url.slice(query + 1)).token;
  return typeof token === "string" && token.length > 0 ? token : undefined;
}

/** The request body as text, or `null` if it is longer than `maxBytes` (the rest is discarded). */
function readBody(request: IncomingMessage, maxBytes: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    request.on("data", (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > maxBytes) {
        over = true;
        chunks.length = 0;
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => {
      if (!over) resolve(Buffer.concat(chunks).toString("utf8"));
    });
    request.on("error", reject);
  });
}
