/**
 * The LongPoll client transport: the same frames as over a WebSocket, carried by plain HTTP requests to
 * `<mount>/longpoll` (see docs/protocol.md, "LongPoll"). A GET opens the session and then waits for the
 * server's frames; frames to the server go in ndjson POSTs. Built on the global `fetch` and
 * `AbortController` only, so it runs in browsers and in Node 20 alike.
 */
import { REFUSED_CLOSE_CODE } from "../protocol/reserved.js";
import { cancelTask, nextTask, systemClock, type ClientClock, type ClientTimerHandle } from "./clock.js";
import type { ClientTransport, TransportClose, TransportFactory, TransportOptions } from "./transport.js";

/** Most lines in one POST: the server handles at most the first 100 lines of a batch. */
export const LONGPOLL_MAX_BATCH_LINES = 100;

/** Close code for a session the server no longer has (a GET answered 410 while we hold a token). */
export const LONGPOLL_SESSION_GONE_CODE = 3410;

/**
 * A LongPoll request that got no usable answer: it failed on the network, timed out, or its body was not
 * the JSON object the server sends. Answers with a `status` the transport cannot carry on with are reported
 * as that status number instead (`410`, `403`, `500`, …), as the official client does.
 */
export class LongPollTransportError extends Error {
  /** What went wrong: `"network"`, `"timeout"` or `"bad_response"`. */
  readonly kind: "network" | "timeout" | "bad_response";
  /** The request that failed. */
  readonly method: "GET" | "POST";

  constructor(kind: "network" | "timeout" | "bad_response", method: "GET" | "POST", message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "LongPollTransportError";
    this.kind = kind;
    this.method = method;
  }
}

/**
 * The LongPoll URL for a WebSocket endpoint URL: `ws(s)://host/socket/websocket?q` becomes
 * `http(s)://host/socket/longpoll?q`, the query kept as it is.
 */
export function toLongPollUrl(websocketUrl: string): string {
  const hash = websocketUrl.indexOf("#");
  const withoutHash = hash === -1 ? websocketUrl : websocketUrl.slice(0, hash);
  const q = withoutHash.indexOf("?");
  const base = q === -1 ? withoutHash : withoutHash.slice(0, q);
  const query = q === -1 ? "" : withoutHash.slice(q);
  let http = base.replace(/^ws(s?):\/\//i, (_m, secure: string) => `http${secure}://`);
  if (/\/websocket\/?$/.test(http)) http = http.replace(/\/websocket\/?$/, "/longpoll");
  else http = `${http.replace(/\/$/, "")}/longpoll`;
  return http + query;
}

/** Standard padded base64 of bytes, with `btoa` (present in browsers and Node ≥ 16). */
function toBase64(bytes: Uint8Array): string {
  let binary = "";
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

/** One outcome of a request: the parsed body, or why there is none. */
type Outcome =
  | { readonly ok: true; readonly body: { status: number; token?: unknown; messages?: unknown; reason?: unknown } }
  | { readonly ok: false; readonly error: LongPollTransportError };

/** Reports an exception thrown by the owner's callback the way an event handler's would be: uncaught, later. */
function rethrowLater(error: unknown): void {
  nextTask(() => {
    throw error;
  });
}

type State = "connecting" | "open" | "closed";

class LongPollTransport implements ClientTransport {
  readonly kind = "longpoll" as const;
  onopen: () => void = () => {};
  onmessage: (data: string | ArrayBuffer) => void = () => {};
  onclose: (event: TransportClose) => void = () => {};
  onerror: (error: unknown) => void = () => {};

  readonly #endpoint: string;
  readonly #authToken: string | undefined;
  readonly #timeoutMs: number;
  readonly #clock: ClientClock;
  #state: State = "connecting";
  #token: string | null = null;
  /**
   * Requests in flight with their timeout timers; a request whose controller is no longer here is not ours
   * anymore (we closed).
   */
  readonly #requests = new Map<AbortController, ClientTimerHandle | undefined>();
  /** Pending deliveries of received frames, one macrotask each. */
  readonly #deliveries = new Set<ReturnType<typeof nextTask>>();
  /** The first poll, in the next task (not a wait: see {@link nextTask}). */
  #startTimer: ReturnType<typeof nextTask> | undefined;
  /** Lines waiting to be posted. */
  #outbox: string[] = [];
  /** The timer that collects the frames sent in one tick before posting them. */
  #flushTimer: ReturnType<typeof nextTask> | undefined;
  #posting = false;

  constructor(options: TransportOptions) {
    this.#endpoint = toLongPollUrl(options.url);
    this.#authToken = options.authToken;
    this.#timeoutMs = options.timeoutMs;
    this.#clock = options.clock ?? systemClock;
    // The owner sets the callbacks right after creating us (and may close us before the first poll).
    this.#startTimer = nextTask(() => {
      this.#startTimer = undefined;
      void this.#poll();
    });
  }

  send(data: string | ArrayBuffer | Uint8Array): void {
    if (this.#state !== "open") return;
    let line: string;
    try {
      line = typeof data === "string" ? data : toBase64(data instanceof Uint8Array ? data : new Uint8Array(data));
    } catch {
      return; // not a frame we can encode; dropped, as send never throws
    }
    this.#outbox.push(line);
    if (!this.#posting && this.#flushTimer === undefined) {
      this.#flushTimer = nextTask(() => {
        this.#flushTimer = undefined;
        void this.#postNext();
      });
    }
  }

  close(code?: number, reason?: string): void {
    if (this.#state === "closed") return;
    this.#stop();
    this.#emitClose({ code: code ?? 1000, reason: reason ?? "", wasClean: true });
  }

  /** The request URL: the endpoint, and the session token as the last query parameter once we hold one. */
  #url(): string {
    if (this.#token === null) return this.#endpoint;
    const separator = this.#endpoint.includes("?") ? "&" : "?";
    return `${this.#endpoint}${separator}token=${encodeURIComponent(this.#token)}`;
  }

  async #poll(): Promise<void> {
    if (this.#state === "closed") return;
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.#authToken !== undefined) headers["x-phoenix-authtoken"] = this.#authToken;
    const outcome = await this.#request("GET", headers);
    if (outcome === null) return; // closed meanwhile
    if (!outcome.ok) return this.#fail(outcome.error, 1011, outcome.error.kind === "timeout" ? "timeout" : "internal server error");

    const { status, token, messages } = outcome.body;
    switch (status) {
      case 410:
        if (this.#token !== null) return this.#fail(410, LONGPOLL_SESSION_GONE_CODE, "session_gone");
        if (typeof token !== "string") return this.#fail(this.#badResponse("GET", "a new session without a token"), 1011, "internal server error");
        this.#token = token;
        this.#state = "open";
        this.#call(() => this.onopen());
        void this.#poll();
        return;
      case 200: {
        if (!Array.isArray(messages) || !messages.every((m): m is string => typeof m === "string")) {
          return this.#fail(this.#badResponse("GET", "messages that are not strings"), 1011, "internal server error");
        }
        if (typeof token === "string") this.#token = token;
        for (const message of messages) {
          // Each frame in its own macrotask, as WebSocket messages arrive, so promise callbacks settle in between.
          const timer = nextTask(() => {
            this.#deliveries.delete(timer);
            this.#call(() => this.onmessage(message));
          });
          this.#deliveries.add(timer);
        }
        void this.#poll();
        return;
      }
      case 204:
        void this.#poll();
        return;
      case 403:
        // Refused by `connect` with a reason: closed as a WebSocket would be (4403 and the reason).
        if (typeof outcome.body.reason === "string" && this.#token === null) {
          this.#stop();
          return this.#emitClose({ code: REFUSED_CLOSE_CODE, reason: outcome.body.reason, wasClean: true });
        }
        return this.#fail(403, 1008, "forbidden");
      case 500:
        return this.#fail(500, 1011, "internal server error");
      default:
        return this.#fail(status, 1011, `unexpected poll status ${status}`);
    }
  }

  /** Posts the next batch of the outbox, if any; once acknowledged, the next one. One POST at a time. */
  async #postNext(): Promise<void> {
    if (this.#state !== "open") return;
    if (this.#outbox.length === 0) {
      this.#posting = false;
      return;
    }
    this.#posting = true;
    const batch = this.#outbox.splice(0, LONGPOLL_MAX_BATCH_LINES);
    const outcome = await this.#request("POST", { "content-type": "application/x-ndjson" }, batch.join("\n"));
    if (outcome === null) return;
    if (!outcome.ok) return this.#fail(outcome.error, 1011, outcome.error.kind === "timeout" ? "timeout" : "internal server error");
    if (outcome.body.status !== 200) return this.#fail(outcome.body.status, 1011, "internal server error");
    void this.#postNext();
  }

  /**
   * One request with the session token and a timeout. Resolves to null when the transport was closed
   * meanwhile (the request was aborted and its outcome is not ours anymore); never rejects.
   */
  async #request(method: "GET" | "POST", headers: Record<string, string>, body?: string): Promise<Outcome | null> {
    const controller = new AbortController();
    let timedOut = false;
    const timer =
      Number.isFinite(this.#timeoutMs) && this.#timeoutMs > 0
        ? this.#clock.setTimeout(() => {
            timedOut = true;
            controller.abort();
          }, this.#timeoutMs)
        : undefined;
    this.#requests.set(controller, timer);
    if (this.#token !== null) headers["x-phoenix-longpoll-token"] = this.#token;
    let outcome: Outcome;
    try {
      const response = await fetch(this.#url(), { method, headers, signal: controller.signal, ...(body === undefined ? {} : { body }) });
      const text = await response.text();
      outcome = this.#parse(method, response.status, text);
    } catch (error) {
      outcome = timedOut
        ? { ok: false, error: new LongPollTransportError("timeout", method, `LongPoll ${method} timed out after ${this.#timeoutMs} ms`) }
        : { ok: false, error: new LongPollTransportError("network", method, `LongPoll ${method} failed`, error) };
    } finally {
      if (timer !== undefined) this.#clock.clearTimeout(timer);
    }
    if (!this.#requests.delete(controller)) return null;
    return outcome;
  }

  #parse(method: "GET" | "POST", http: number, text: string): Outcome {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return { ok: false, error: this.#badResponse(method, `an answer that is not JSON (HTTP ${http})`) };
    }
    if (typeof body !== "object" || body === null || Array.isArray(body) || typeof (body as { status?: unknown }).status !== "number") {
      return { ok: false, error: this.#badResponse(method, `an answer without a status (HTTP ${http})`) };
    }
    return { ok: true, body: body as { status: number } };
  }

  #badResponse(method: "GET" | "POST", what: string): LongPollTransportError {
    return new LongPollTransportError("bad_response", method, `LongPoll ${method} got ${what}`);
  }

  /** Fails for good: stops everything, then `onerror` and `onclose` (once, even if `onerror` closes us). */
  #fail(error: unknown, code: number, reason: string): void {
    if (this.#state === "closed") return;
    this.#stop();
    this.#call(() => this.onerror(error));
    this.#emitClose({ code, reason, wasClean: false });
  }

  /** Aborts the requests in flight and cancels every timer and queued frame. */
  #stop(): void {
    this.#state = "closed";
    const requests = [...this.#requests];
    this.#requests.clear(); // no longer ours before they are aborted
    for (const [controller, timer] of requests) {
      if (timer !== undefined) this.#clock.clearTimeout(timer);
      controller.abort();
    }
    for (const timer of this.#deliveries) cancelTask(timer);
    this.#deliveries.clear();
    cancelTask(this.#startTimer);
    this.#startTimer = undefined;
    cancelTask(this.#flushTimer);
    this.#flushTimer = undefined;
    this.#outbox = [];
    this.#posting = false;
  }

  #emitClose(event: TransportClose): void {
    this.#call(() => this.onclose(event));
  }

  /** Calls an owner callback; what it throws does not break the transport and surfaces as uncaught. */
  #call(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      rethrowLater(error);
    }
  }
}

/**
 * Creates a LongPoll transport for one connection attempt.
 *
 * @remarks
 * The first GET (without a session token) opens a session: `onopen` fires and polling goes on, each GET
 * carrying the token both as the last `token` query parameter and as the `x-phoenix-longpoll-token` header
 * (and `authToken`, if any, as `X-Phoenix-AuthToken`). Frames sent in one tick go out in one ndjson POST
 * (binary frames as base64 lines, at most 100 lines a POST, one POST at a time). The session being gone
 * closes with 3410 `session_gone`, a refused connect with 1008 `forbidden`, any other failure (server
 * error, network error, timeout, bad answer, refused POST) with 1011; `onerror` comes first with the
 * status number or a {@link LongPollTransportError}. `timeoutMs` bounds every request, so it must exceed the
 * server's poll window (10 s by default); it is a timer of `options.clock` (the socket's `clock`).
 */
export const longPollTransport: TransportFactory = (options) => new LongPollTransport(options);
