/**
 * A raw WebSocket client for protocol tests: it sends exact text or binary frames, hands back every frame
 * the server sends in arrival order, and reports how the connection closed or why its upgrade was refused.
 * Also here: transcripts (`C→S`/`S→C` lines played against a client), the bystander check (a well-behaved
 * client that must keep being served while another misbehaves) and the cleanup every raw test runs.
 */
import { WebSocket, type RawData } from "ws";
import { expect } from "vitest";
import type { ClientErrorContext, EndpointOptions, FenixError, SocketOptions } from "../../src/index.js";
import { startTestEndpoint, type TestEndpoint } from "./test-endpoint.js";

/** How long a frame, a close or an upgrade answer may take before a wait fails. */
export const WAIT_MS = 3_000;
/** The window in which "nothing else arrives" is checked. */
export const SILENCE_MS = 200;

/** One frame received from the server. */
export type RawFrame = { readonly kind: "text"; readonly text: string } | { readonly kind: "binary"; readonly bytes: Uint8Array };

/** How a connection ended, as the client saw it. */
export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

/** How to open a raw connection. */
export interface RawConnectOptions {
  /** The `vsn` query param; `null` sends none, which selects V1. @defaultValue `"2.0.0"` */
  vsn?: string | null;
  /** More query params, sent before `vsn` as phoenix.js does (e.g. `{ user: "alice" }`). */
  params?: Readonly<Record<string, string>>;
  /** WebSocket subprotocols to offer. @defaultValue none */
  protocols?: readonly string[];
  /** Extra handshake headers, such as `Origin`. */
  headers?: Readonly<Record<string, string>>;
}

/** `websocketUrl` with the connect params and `vsn` in its query string. */
export function connectUrl(websocketUrl: string, options: RawConnectOptions = {}): string {
  const query = new URLSearchParams(options.params);
  const vsn = options.vsn === undefined ? "2.0.0" : options.vsn;
  if (vsn !== null) query.set("vsn", vsn);
  const search = query.toString();
  return search === "" ? websocketUrl : `${websocketUrl}?${search}`;
}

function openSocket(websocketUrl: string, options: RawConnectOptions): WebSocket {
  return new WebSocket(connectUrl(websocketUrl, options), [...(options.protocols ?? [])], {
    headers: { ...options.headers },
    perMessageDeflate: false,
  });
}

const openClients = new Set<RawClient>();

interface Waiter {
  readonly resolve: (frame: RawFrame) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** One raw connection. Create it with {@link RawClient.connect}; {@link closeRawResources} closes it. */
export class RawClient {
  readonly #ws: WebSocket;
  readonly #frames: RawFrame[] = [];
  readonly #closed: Promise<CloseInfo>;
  #closeInfo: CloseInfo | null = null;
  #waiter: Waiter | null = null;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on("message", (data: RawData, isBinary: boolean) => this.#receive(data, isBinary));
    // Errors (a refused write, a protocol error) end in a close event, which is what tests look at.
    ws.on("error", () => {});
    this.#closed = new Promise((resolve) => {
      ws.once("close", (code: number, reason: Buffer) => {
        this.#closeInfo = { code, reason: reason.toString("utf8") };
        openClients.delete(this);
        const waiter = this.#waiter;
        this.#waiter = null;
        if (waiter !== null) {
          clearTimeout(waiter.timer);
          waiter.reject(new Error(`the connection closed (code ${code}) while a frame was awaited`));
        }
        resolve(this.#closeInfo);
      });
    });
  }

  /** Opens a connection and waits for the upgrade; rejects with the HTTP status if it is refused. */
  static connect(websocketUrl: string, options: RawConnectOptions = {}): Promise<RawClient> {
    const ws = openSocket(websocketUrl, options);
    const client = new RawClient(ws);
    openClients.add(client);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`no upgrade answer within ${WAIT_MS} ms`)), WAIT_MS);
      const refused = (_req: unknown, res: { statusCode?: number }) => fail(new Error(`upgrade refused with HTTP ${res.statusCode}`));
      const fail = (error: Error) => {
        clearTimeout(timer);
        ws.off("unexpected-response", refused).off("error", fail);
        ws.terminate();
        reject(error);
      };
      ws.once("open", () => {
        clearTimeout(timer);
        ws.off("unexpected-response", refused).off("error", fail);
        resolve(client);
      });
      ws.once("unexpected-response", refused);
      ws.once("error", fail);
    });
  }

  /** Sends a WebSocket ping control frame. */
  ping(): void {
    this.#ws.ping();
  }

  /** The subprotocol the server accepted (`""` when none). */
  get protocol(): string {
    return this.#ws.protocol;
  }

  /** Whether the connection is open. */
  get isOpen(): boolean {
    return this.#ws.readyState === WebSocket.OPEN;
  }

  /** Sends a text frame: JSON text as is, anything else JSON-encoded first. Bytes go out unchecked as a text frame. */
  send(frame: string | Uint8Array | readonly unknown[] | object): void {
    const data = typeof frame === "string" || frame instanceof Uint8Array ? frame : JSON.stringify(frame);
    this.#ws.send(data, { binary: false });
  }

  /** Sends a binary frame. */
  sendBinary(bytes: Uint8Array): void {
    this.#ws.send(bytes, { binary: true });
  }

  /** The next frame, in arrival order; rejects after `timeoutMs` or when the connection closes first. */
  next(timeoutMs = WAIT_MS): Promise<RawFrame> {
    const frame = this.#frames.shift();
    if (frame !== undefined) return Promise.resolve(frame);
    if (this.#closeInfo !== null) {
      return Promise.reject(new Error(`the connection is closed (code ${this.#closeInfo.code}); no frame will come`));
    }
    if (this.#waiter !== null) return Promise.reject(new Error("next() is already waiting on this client"));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = null;
        reject(new Error(`no frame within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiter = { resolve, reject, timer };
    });
  }

  /** The next frame, which must be a text frame. */
  async nextText(timeoutMs = WAIT_MS): Promise<string> {
    const frame = await this.next(timeoutMs);
    if (frame.kind !== "text") throw new Error(`expected a text frame, received ${frame.bytes.length} binary bytes`);
    return frame.text;
  }

  /** The next frame, which must be a binary frame. */
  async nextBinary(timeoutMs = WAIT_MS): Promise<Uint8Array> {
    const frame = await this.next(timeoutMs);
    if (frame.kind !== "binary") throw new Error(`expected a binary frame, received text ${frame.text.slice(0, 200)}`);
    return frame.bytes;
  }

  /** Fails if any frame arrives (or is already waiting) within `ms`. */
  async expectSilence(ms = SILENCE_MS): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    const unexpected = this.#frames.map((f) => (f.kind === "text" ? f.text : `<${f.bytes.length} binary bytes>`));
    expect(unexpected, "frames that should not have arrived").toEqual([]);
  }

  /** Resolves with the close code and reason once the connection has closed. */
  closed(timeoutMs = WAIT_MS): Promise<CloseInfo> {
    return withTimeout(this.#closed, timeoutMs, "the connection to close");
  }

  /** Stops reading from the network (frames pile up in the server's and the kernel's buffers). */
  pause(): void {
    this.#ws.pause();
  }

  /** Reads from the network again. */
  resume(): void {
    this.#ws.resume();
  }

  /** Closes the connection (1000) and waits for it to end; a peer that does not answer is cut off. */
  async close(): Promise<void> {
    if (this.#closeInfo === null) {
      if (this.#ws.readyState === WebSocket.CONNECTING) this.#ws.terminate();
      else if (this.#ws.readyState === WebSocket.OPEN) this.#ws.close(1000, "test done");
      const timer = setTimeout(() => this.#ws.terminate(), 1_000);
      await this.#closed;
      clearTimeout(timer);
    }
  }

  #receive(data: RawData, isBinary: boolean): void {
    const buffer = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? Buffer.from(data) : data;
    const frame: RawFrame = isBinary ? { kind: "binary", bytes: new Uint8Array(buffer) } : { kind: "text", text: buffer.toString("utf8") };
    const waiter = this.#waiter;
    if (waiter === null) {
      this.#frames.push(frame);
      return;
    }
    this.#waiter = null;
    clearTimeout(waiter.timer);
    waiter.resolve(frame);
  }
}

/**
 * Tries to connect and resolves with the HTTP status of the refused upgrade (read through `ws`'s
 * `unexpected-response` event); fails if the upgrade succeeds.
 */
export function refusedStatus(websocketUrl: string, options: RawConnectOptions = {}): Promise<number> {
  const ws = openSocket(websocketUrl, options);
  ws.on("error", () => {});
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(() => reject(new Error(`no upgrade answer within ${WAIT_MS} ms`))), WAIT_MS);
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      ws.terminate();
      settle();
    };
    ws.once("unexpected-response", (_req, res) => finish(() => resolve(res.statusCode ?? 0)));
    ws.once("open", () => finish(() => reject(new Error("the upgrade was accepted, expected a refusal"))));
    ws.once("error", (error) => finish(() => reject(error)));
  });
}

/**
 * Plays a transcript against a client, line by line: `C→S <frame>` is sent as is, `S→C <frame>` must be
 * the next frame received, as exactly that text. Blank lines are skipped. Consecutive `C→S` lines go out
 * back to back.
 *
 * @example
 * ```ts
 * await play(client, `
 *   C→S [null,"6","phoenix","heartbeat",{}]
 *   S→C [null,"6","phoenix","phx_reply",{"status":"ok","response":{}}]
 * `);
 * ```
 */
export async function play(client: RawClient, transcript: string): Promise<void> {
  for (const raw of transcript.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    const frame = line.slice(3).trim();
    if (line.startsWith("C→S")) client.send(frame);
    else if (line.startsWith("S→C")) expect(await client.nextText(), `after the line before: ${line}`).toBe(frame);
    else throw new Error(`a transcript line starts with C→S or S→C: ${line}`);
  }
}

/** The exact reply of an `echo:` channel to a join with these refs. */
export function echoJoinReply(topic: string, joinRef: string, user: string | null = null): string {
  return JSON.stringify([joinRef, joinRef, topic, "phx_reply", { status: "ok", response: { joined: topic, user } }]);
}

/** Joins an `echo:` topic with `joinRef` as join_ref and ref, and checks the exact reply. */
export async function joinEcho(client: RawClient, topic: string, joinRef: string): Promise<void> {
  client.send([joinRef, joinRef, topic, "phx_join", {}]);
  expect(await client.nextText()).toBe(echoJoinReply(topic, joinRef));
}

/**
 * A well-behaved V2 client joined to an `echo:` topic of the same endpoint as a misbehaving one. After the
 * bad client is gone, {@link Bystander.expectServed} proves the bystander still gets broadcasts and replies.
 */
export class Bystander {
  #checks = 0;

  private constructor(
    readonly server: TestEndpoint,
    readonly client: RawClient,
    readonly topic: string,
  ) {}

  /** Connects to `server` and joins `topic`. */
  static async join(server: TestEndpoint, topic = "echo:bystander"): Promise<Bystander> {
    const client = await RawClient.connect(server.websocketUrl);
    await joinEcho(client, topic, "1");
    return new Bystander(server, client, topic);
  }

  /** Broadcasts on the bystander's topic and expects exactly that frame next, then a heartbeat reply. */
  async expectServed(): Promise<void> {
    const n = ++this.#checks;
    this.server.endpoint.broadcast(this.topic, "still_served", { n });
    expect(await this.client.nextText()).toBe(`[null,null,${JSON.stringify(this.topic)},"still_served",{"n":${n}}]`);
    this.client.send(`[null,"hb${n}","phoenix","heartbeat",{}]`);
    expect(await this.client.nextText()).toBe(`[null,"hb${n}","phoenix","phx_reply",{"status":"ok","response":{}}]`);
    expect(this.client.isOpen).toBe(true);
  }
}

/** One `clientError` event of an endpoint. */
export interface ClientErrorEvent {
  readonly error: FenixError & { readonly status?: number; readonly closeCode?: number };
  readonly context: ClientErrorContext;
}

/** Records an endpoint's `clientError` events; {@link ClientErrors.next} awaits the next one. */
export class ClientErrors {
  readonly all: ClientErrorEvent[] = [];
  #read = 0;
  #wake: (() => void) | null = null;

  constructor(server: TestEndpoint) {
    server.endpoint.on("clientError", (error, context) => {
      this.all.push({ error, context });
      this.#wake?.();
    });
  }

  /** The next event not yet returned by this method. */
  async next(timeoutMs = WAIT_MS): Promise<ClientErrorEvent> {
    while (this.all.length <= this.#read) {
      await withTimeout(new Promise<void>((resolve) => (this.#wake = resolve)), timeoutMs, "a clientError event");
    }
    return this.all[this.#read++]!;
  }
}

const endpoints: TestEndpoint[] = [];

/** Starts a test endpoint that {@link closeRawResources} stops. */
export async function serveRaw(endpointOptions?: EndpointOptions, socketOptions?: SocketOptions): Promise<TestEndpoint> {
  const server = await startTestEndpoint(endpointOptions, socketOptions);
  endpoints.push(server);
  return server;
}

/** Closes every raw client still open, then stops every endpoint from {@link serveRaw}. Call it in `afterEach`. */
export async function closeRawResources(): Promise<void> {
  await Promise.all([...openClients].map((client) => client.close()));
  await Promise.all(endpoints.splice(0).map((server) => server.stop()));
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`waited ${ms} ms for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
