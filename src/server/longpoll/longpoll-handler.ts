/**
 * The HTTP side of LongPoll at `<mount>/longpoll`: CORS preflight, GET to open a session or poll it, POST
 * to deliver client frames. Every answer but OPTIONS, 400 and 429 is HTTP 200 with the real status in the
 * JSON body, as the official client expects. Sessions on another node are reached through the PubSub relay.
 * A POST's token is checked before its body is read, and bodies are read within per-address quotas.
 * While the endpoint drains, no new session is opened (HTTP 503), so clients go to another node.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { connectSocket, isAccepted, originAllowed, startConnection, type SocketMount } from "../socket/connect-pipeline.js";
import type { ClientErrorContext, EndpointContext } from "../endpoint/endpoint-context.js";
import { ServerError, ServerErrorCode } from "../errors.js";
import { parseQueryParams } from "../socket/query-params.js";
import type { SocketLimits } from "../socket/socket-server.js";
import { AddressQuota } from "./address-quota.js";
import { announcesMoreThan, readBody } from "./body-reader.js";
import { answerAndClose } from "./closing-answer.js";
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
  readonly maxConcurrentPostsPerAddress: number;
  readonly maxNewSessionsPerAddress: number;
  readonly newSessionsWindowMs: number;
}

const JSON_HEADERS = {
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
  "access-control-allow-origin": "*",
} as const;

type Body = { status: number; token?: string; messages?: readonly string[]; reason?: string };

/**
 * An answer after which the connection is closed: a JSON body (HTTP 200), or a bare HTTP 429 (over a
 * quota) or 503 (draining) with `Retry-After` — a body-less answer the official client takes as a server
 * error, and retries with backoff.
 */
type Closing = { readonly close: "body"; readonly body: Body } | { readonly close: "busy"; readonly http: 429 | 503; readonly retryAfterMs: number };

/** What a request is answered with; `null` when the client went away before it could be. */
type Outcome = Body | Closing | null;

/** @internal Serves `<mount>/longpoll` for one socket mount. */
export class LongPollHandler {
  readonly #endpoint: EndpointContext;
  readonly #mount: SocketMount;
  readonly #settings: LongPollSettings;
  /**
   * The limits of every session's connection: the mount's, with no idle timeout (the session timer
   * replaces it: LongPoll clients send no heartbeats) and LongPoll's own buffer bound. One object, so
   * the sessions share their resolved connection settings.
   */
  readonly #limits: SocketLimits;
  readonly #tokens: SessionTokens;
  readonly #quota: AddressQuota;
  /** This node's sessions, by id. */
  readonly #sessions = new Map<string, LongPollSession>();
  #relay: LongPollRelay | null = null;
  /** Set when the endpoint drains: new sessions are refused, the open ones are closed by the endpoint. */
  #draining = false;

  constructor(endpoint: EndpointContext, mount: SocketMount, settings: LongPollSettings, secretKeyBase: string) {
    this.#endpoint = endpoint;
    this.#mount = mount;
    this.#settings = settings;
    this.#limits = { ...mount.limits, idleTimeoutMs: 0, maxBufferedBytes: settings.maxBufferedBytes };
    this.#tokens = new SessionTokens(secretKeyBase, mount.path);
    this.#quota = new AddressQuota(
      {
        maxConcurrentPosts: settings.maxConcurrentPostsPerAddress,
        maxNewSessions: settings.maxNewSessionsPerAddress,
        newSessionsWindowMs: settings.newSessionsWindowMs,
      },
      endpoint.runtime.clock,
    );
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
    const answer = (outcome: Outcome) => {
      if (outcome === null) return;
      if (!("close" in outcome)) {
        if (!response.headersSent) response.writeHead(200, JSON_HEADERS).end(JSON.stringify(outcome));
      } else if (outcome.close === "body") {
        answerAndClose(request, response, { http: 200, headers: JSON_HEADERS, body: JSON.stringify(outcome.body) });
      } else {
        const retryAfter = String(Math.max(1, Math.ceil(outcome.retryAfterMs / 1000)));
        answerAndClose(request, response, { http: outcome.http, headers: { "retry-after": retryAfter, "access-control-allow-origin": "*" }, body: "" });
      }
    };
    if (!originAllowed(this.#endpoint, this.#mount, request, context)) {
      // A POST from a refused origin is not read either.
      return answer(method === "POST" ? { close: "body", body: { status: 403 } } : { status: 403 });
    }
    const work = method === "GET" ? this.#get(request, response, context) : this.#post(request, context);
    work.then(answer, (err: unknown) => {
      this.#endpoint.log("error", "LongPoll request failed", { error: err, path: this.#mount.path });
      answer({ status: 500 });
    });
  }

  /**
   * Refuses new sessions from now on (HTTP 503): the endpoint is draining. Polls and posts of open
   * sessions are still served until the endpoint closes their connections.
   */
  drain(): void {
    this.#draining = true;
  }

  /** Ends the relay; the sessions end with their connections. */
  stop(): void {
    this.#relay?.halt();
    this.#relay = null;
  }

  async #get(request: IncomingMessage, response: ServerResponse, context: ClientErrorContext): Promise<Body | Closing> {
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

  async #open(request: IncomingMessage, context: ClientErrorContext): Promise<Body | Closing> {
    // A client whose session was closed by the drain lands here too: 503 makes both clients reconnect.
    if (this.#draining) return { close: "busy", http: 503, retryAfterMs: 1_000 };
    const retryAfterMs = this.#quota.takeSession(addressOf(request));
    if (retryAfterMs > 0) {
      const { maxNewSessionsPerAddress: max, newSessionsWindowMs: windowMs } = this.#settings;
      this.#endpoint.reportClientError(
        new ServerError(ServerErrorCode.LONGPOLL_TOO_MANY_SESSIONS, `A client address opened more than ${max} LongPoll sessions within ${windowMs} ms.`, {
          status: 429,
        }),
        context,
      );
      return { close: "busy", http: 429, retryAfterMs };
    }
    // A session holds a maxConnectionsPerAddress slot from before connect runs until its process ends.
    const connections = this.#mount.connections;
    const release = connections === null ? undefined : connections.take(addressOf(request));
    if (release === null) {
      this.#endpoint.reportClientError(
        new ServerError(
          ServerErrorCode.TOO_MANY_CONNECTIONS,
          `The client address already had ${connections!.max} connections open (maxConnectionsPerAddress).`,
          { status: 429 },
        ),
        context,
      );
      return { close: "busy", http: 429, retryAfterMs: 1_000 };
    }
    const authToken = request.headers["x-phoenix-authtoken"];
    let connected: Awaited<ReturnType<typeof connectSocket>>;
    try {
      connected = await connectSocket(this.#endpoint, this.#mount, request, "longpoll", typeof authToken === "string" ? authToken : undefined, context);
    } catch (err) {
      release?.();
      throw err;
    }
    if (!isAccepted(connected)) {
      release?.();
      return connected.reason === undefined ? { status: connected.status } : { status: connected.status, reason: connected.reason };
    }

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
    const server = startConnection(this.#endpoint, this.#mount, transport, connected, context, this.#limits, release);
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

  /**
   * A POST, in the order that keeps an unauthenticated peer from making the server hold anything: the
   * token (and, on this node, the session) first, then the announced length, then a body-read slot of the
   * client's address, and only then the body, read with the limit enforced as it streams in.
   */
  async #post(request: IncomingMessage, context: ClientErrorContext): Promise<Outcome> {
    const claims = this.#tokens.verify(tokenOf(request));
    const local = claims !== null && claims.node === this.#endpoint.pubsub.nodeName;
    if (claims === null || (local && !this.#sessions.has(claims.session))) return { close: "body", body: { status: 410 } };

    const { maxBodyBytes, maxConcurrentPostsPerAddress } = this.#settings;
    if (announcesMoreThan(request, maxBodyBytes)) return this.#tooLarge(context);
    const release = this.#quota.takePost(addressOf(request));
    if (release === null) {
      this.#endpoint.reportClientError(
        new ServerError(ServerErrorCode.LONGPOLL_TOO_MANY_POSTS, `A client address already had ${maxConcurrentPostsPerAddress} LongPoll POST bodies being read.`, {
          status: 429,
        }),
        context,
      );
      return { close: "busy", http: 429, retryAfterMs: 1_000 };
    }
    let body;
    try {
      body = await readBody(request, maxBodyBytes);
    } finally {
      release();
    }
    if (body.kind === "aborted") return null;
    if (body.kind === "too-large") return this.#tooLarge(context);
    const ndjson = (request.headers["content-type"] ?? "").includes("ndjson");
    const lines = splitBatch(body.text, ndjson);
    for (const line of lines) {
      const error = this.#checkLine(line);
      if (error !== null) {
        this.#endpoint.reportClientError(error, context);
        return { status: error.status ?? 400 };
      }
    }
    if (local) {
      const session = this.#sessions.get(claims.session);
      return { status: session === undefined ? 410 : await session.post(lines) };
    }
    const { windowMs, pubsubTimeoutMs } = this.#settings;
    const outcome = await this.#relayTo(claims.node, claims.session, { lp: "post", lines }, windowMs + pubsubTimeoutMs);
    return { status: outcome.kind === "result" ? outcome.status : outcome.kind === "timeout" ? 408 : 410 };
  }

  /** Reports a body over `maxBodyBytes`; its connection is closed without reading the rest. */
  #tooLarge(context: ClientErrorContext): Closing {
    this.#endpoint.reportClientError(
      new ServerError(ServerErrorCode.LONGPOLL_BODY_TOO_LARGE, `A LongPoll POST body was larger than ${this.#settings.maxBodyBytes} bytes.`, { status: 413 }),
      context,
    );
    return { close: "body", body: { status: 413 } };
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

/** The client's address as the socket sees it (a proxy in front of the endpoint is one address). */
function addressOf(request: IncomingMessage): string {
  return request.socket.remoteAddress ?? "unknown";
}
