/**
 * One `fenix connect` session: a client Socket, the channels joined through it, the current topic, and
 * what each input line does. Every outcome is handed to the {@link Printer} as a report; the session
 * never writes by itself and never throws for what the server or the user did.
 */
import { setTimeout as sleep } from "node:timers/promises";
import {
  ClientError,
  ClientErrorCode,
  Socket,
  longPollTransport,
  webSocketTransport,
  type Channel,
  type ChannelParams,
  type ClientMessage,
  type ClientPayload,
} from "../../client/index.js";
import { describeConnectFailure, type FailedAttempt } from "./connect-failure.js";
import { filterTransport, type FrameFilter } from "./frame-filter.js";
import { INPUT_HELP, parseLine, type LinePayload } from "./input-line.js";
import type { ConnectOptions } from "./options.js";
import type { Printer } from "./printer.js";
import { PushLedger } from "./push-ledger.js";
import { v1Frames } from "./v1-frames.js";

/** Join params as a channel takes them (an object, not a function). */
type JoinParams = Exclude<ChannelParams, () => unknown>;

/** What the session does after a line: go on reading, or quit. */
export type LineOutcome = "continue" | "quit";

/** A joined (or joining) topic and how it is ending, if it is. */
interface TopicEntry {
  readonly channel: Channel;
  /** Set by `/leave`: its close is ours, not the server's. */
  leaving: boolean;
  /** Set when the server refused the join: the close that follows is already reported. */
  refused: boolean;
  /** Successful joins so far; every one after the first is a rejoin. */
  joins: number;
}

/** The events only the protocol sends; they are not the user's to push, nor shown as messages. */
const RESERVED_EVENTS = new Set(["phx_join", "phx_leave", "phx_reply", "phx_close", "phx_error"]);

/** One connection to an endpoint and its channels, driven by input lines. */
export class ConnectSession {
  readonly #options: ConnectOptions;
  readonly #printer: Printer;
  readonly #signal: AbortSignal;
  readonly #ledger = new PushLedger();
  readonly #socket: Socket;
  readonly #topics = new Map<string, TopicEntry>();
  readonly #unsubscribe: (() => void)[] = [];
  #current: string | undefined;
  #online = false;
  #closing = false;

  /**
   * @param signal - aborted when the session must stop: ends `/wait` early.
   */
  constructor(options: ConnectOptions, printer: Printer, signal: AbortSignal) {
    this.#options = options;
    this.#printer = printer;
    this.#signal = signal;
    const filters: FrameFilter[] = [this.#ledger.filter];
    if (options.vsn === "1.0.0") filters.push(v1Frames);
    this.#socket = new Socket(options.url, {
      params: options.params,
      ...(options.authToken === undefined ? {} : { authToken: options.authToken }),
      timeoutMs: options.timeoutMs,
      transport: filterTransport(options.longpoll ? longPollTransport : webSocketTransport, ...filters),
    });
  }

  /** The topics joined or joining, in the order they were joined. */
  get topics(): string[] {
    return [...this.#topics.keys()];
  }

  /**
   * The prompt: the current topic (the last one joined or chosen with `/use`, while it stays joined),
   * and `(offline)` while reconnecting.
   */
  prompt(): string {
    return `${this.#current ?? "fenix"}${this.#online ? "" : " (offline)"}> `;
  }

  /**
   * Makes the first connection. Resolves to false, after reporting why, when it fails or gets no answer
   * within the timeout; once connected, losses are reported and the socket reconnects by itself.
   */
  async connect(): Promise<boolean> {
    const socket = this.#socket;
    const transport = this.#options.longpoll ? "longpoll" : "websocket";
    const failure = await new Promise<FailedAttempt | undefined>((resolve) => {
      let error: unknown;
      const done = (outcome: FailedAttempt | undefined): void => {
        clearTimeout(timer);
        for (const off of offs) off();
        resolve(outcome);
      };
      const offs = [
        socket.onOpen(() => done(undefined)),
        socket.onError((e) => (error = e)),
        socket.onClose((close) => done({ error, close, timedOutAfterMs: undefined, transport })),
      ];
      const timer = setTimeout(() => done({ error, close: undefined, timedOutAfterMs: this.#options.timeoutMs, transport }), this.#options.timeoutMs);
      socket.connect();
    });
    if (failure !== undefined) {
      await socket.disconnect();
      this.#printer.report({ type: "error", reason: "connect_failed", message: describeConnectFailure(this.#options.url, failure) });
      return false;
    }
    this.#online = true;
    this.#printer.report({ type: "connected", url: this.#options.url, transport, vsn: this.#options.vsn });
    this.#unsubscribe.push(
      socket.onClose((close) => {
        if (this.#closing || !this.#online) return;
        this.#online = false;
        this.#printer.report({ type: "disconnected", code: close.code, reason: close.reason });
      }),
      socket.onOpen(() => {
        if (this.#online) return;
        this.#online = true;
        this.#printer.report({ type: "reconnected", transport: socket.transportKind ?? transport });
      }),
      socket.onMessage((message) => this.#received(message)),
    );
    return true;
  }

  /** Handles one input line; resolves once it is done (a push has its reply or timed out, a join its answer). */
  async handle(text: string): Promise<LineOutcome> {
    const line = parseLine(text);
    switch (line.kind) {
      case "skip":
        break;
      case "push":
        await this.#push(line.topic, line.event, line.payload);
        break;
      case "join":
        await this.join(line.topic, line.params);
        break;
      case "leave":
        await this.#leave(line.topic);
        break;
      case "use":
        if (this.#entry(line.topic) !== undefined) {
          this.#current = line.topic;
          this.#printer.report({ type: "using", topic: line.topic });
        }
        break;
      case "topics":
        this.#printer.report({
          type: "topics",
          topics: [...this.#topics].map(([topic, entry]) => ({ topic, state: entry.channel.state, current: topic === this.#current })),
        });
        break;
      case "wait":
        await sleep(line.ms, undefined, { signal: this.#signal }).catch(() => {});
        break;
      case "help":
        this.#printer.report({ type: "help", text: INPUT_HELP });
        break;
      case "quit":
        return "quit";
      case "invalid":
        this.#printer.report({ type: "error", reason: line.reason, message: line.message });
        break;
    }
    return "continue";
  }

  /**
   * Joins `topic` (with `params`, else the `--join` params) and makes it the current topic. Resolves once
   * the first attempt is answered or timed out; what happens is reported, rejoins included.
   */
  async join(topic: string, params?: { readonly [key: string]: unknown }): Promise<void> {
    if (this.#topics.has(topic)) {
      this.#printer.report({ type: "error", reason: "already_joined", topic, message: `Already joined to ${topic}; /leave it first to join again.` });
      return;
    }
    const channel = this.#socket.channel(topic, (params ?? this.#options.joinParams) as JoinParams);
    const entry: TopicEntry = { channel, leaving: false, refused: false, joins: 0 };
    this.#topics.set(topic, entry);
    this.#current = topic;
    channel.onJoin((response) => {
      entry.joins += 1;
      this.#printer.report({ type: "joined", topic, response, rejoin: entry.joins > 1 });
    });
    channel.onError((error) => this.#channelFailed(topic, entry, error));
    channel.onClose(() => this.#channelClosed(topic, entry));
    // The outcome (joined, refused, timeout) is reported by the callbacks above, rejoins included.
    await channel.join(this.#options.timeoutMs).catch(() => {});
  }

  /** Stops: no more reports, the socket disconnected, every channel closed. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#printer.mute();
    for (const off of this.#unsubscribe.splice(0)) off();
    await this.#socket.disconnect();
    // Offline, leave() closes each channel at once, stopping its join and rejoin timers.
    await Promise.all([...this.#topics.values()].map((entry) => entry.channel.leave()));
    this.#topics.clear();
  }

  async #push(topicName: string | undefined, event: string, payload: LinePayload): Promise<void> {
    const topic = topicName ?? this.#current;
    if (topic === undefined) {
      this.#printer.report({ type: "error", reason: "no_topic", event, message: `No current topic to push "${event}" to; /join one first.` });
      return;
    }
    const entry = this.#entry(topic);
    if (entry === undefined) return;
    if (RESERVED_EVENTS.has(event)) {
      this.#printer.report({ type: "error", reason: "reserved_event", topic, event, message: `"${event}" is the protocol's own event; use /join and /leave. Nothing sent.` });
      return;
    }
    if (payload instanceof Uint8Array && this.#options.vsn === "1.0.0") {
      this.#printer.report({ type: "error", reason: "binary_v1", topic, event, message: "Protocol V1 (--vsn 1.0.0) cannot carry bytes; nothing sent." });
      return;
    }
    const pending = this.#ledger.track(topic, event);
    // The reply is shown as it arrives (see #received), in order with what the server sends around it;
    // here only a push that got no reply is reported.
    const failure = await entry.channel.push(event, payload as ClientPayload, { timeout: this.#options.timeoutMs }).then(
      () => undefined,
      (error: unknown) => error,
    );
    this.#ledger.forget(pending);
    if (pending.replied || failure === undefined) return;
    if (failure instanceof ClientError && failure.code === ClientErrorCode.PUSH_TIMEOUT) {
      this.#printer.report({ type: "timeout", topic, event, ref: pending.ref, ms: this.#options.timeoutMs });
      return;
    }
    const code = failure instanceof ClientError ? failure.code : undefined;
    const unknown = code === ClientErrorCode.DISCONNECTED ? " It may or may not have been handled." : "";
    const message = failure instanceof Error ? failure.message : String(failure);
    this.#printer.report({ type: "error", reason: "push_failed", topic, event, ...(code === undefined ? {} : { code }), message: `${message}${unknown}` });
  }

  async #leave(topicName: string | undefined): Promise<void> {
    const topic = topicName ?? this.#current;
    if (topic === undefined) {
      this.#printer.report({ type: "error", reason: "no_topic", message: "No current topic to leave." });
      return;
    }
    const entry = this.#entry(topic);
    if (entry === undefined) return;
    entry.leaving = true;
    await entry.channel.leave(this.#options.timeoutMs);
    this.#printer.report({ type: "left", topic });
  }

  /** The entry of a joined topic, or undefined after reporting that it is not joined. */
  #entry(topic: string): TopicEntry | undefined {
    const entry = this.#topics.get(topic);
    if (entry === undefined) {
      const joined = this.#topics.size === 0 ? "none" : this.topics.join(", ");
      this.#printer.report({ type: "error", reason: "not_joined", topic, message: `Not joined to ${topic} (joined: ${joined}); /join it first.` });
    }
    return entry;
  }

  #channelFailed(topic: string, entry: TopicEntry, error: ClientError): void {
    switch (error.code) {
      case ClientErrorCode.JOIN_REFUSED:
        entry.refused = true;
        this.#printer.report({ type: "refused", topic, status: error.status ?? "error", response: error.response });
        break;
      case ClientErrorCode.JOIN_TIMEOUT:
        this.#printer.report({ type: "timeout", topic, event: "phx_join", ref: null, ms: this.#options.timeoutMs });
        break;
      case ClientErrorCode.CHANNEL_ERRORED:
        this.#printer.report({ type: "crashed", topic });
        break;
      // DISCONNECTED: the socket reports the lost connection once for every channel.
    }
  }

  #channelClosed(topic: string, entry: TopicEntry): void {
    if (this.#topics.get(topic) !== entry) return;
    this.#topics.delete(topic);
    if (this.#current === topic) this.#current = [...this.#topics.keys()].at(-1);
    if (!entry.leaving && !entry.refused && !this.#closing) this.#printer.report({ type: "closed", topic });
  }

  /**
   * Shows what the server sent on a joined topic, as it arrives: the replies to our pushes, and pushes
   * and broadcasts (which V1 cannot tell apart). Frames of an earlier join of the topic are ignored, as
   * the channel ignores them.
   */
  #received(message: ClientMessage): void {
    const entry = this.#topics.get(message.topic);
    if (entry === undefined || (message.joinRef !== null && message.joinRef !== entry.channel.joinRef())) return;
    const { topic, event, ref } = message;
    if (event === "phx_reply") {
      const push = ref === null ? undefined : this.#ledger.replied(topic, ref);
      if (push === undefined) return;
      const { status, response } = message.payload as { status?: unknown; response?: unknown };
      const ms = PushLedger.elapsedMs(push);
      this.#printer.report({ type: "reply", topic, event: push.event, ref, status: typeof status === "string" ? status : "error", response: response ?? {}, ms });
      return;
    }
    if (RESERVED_EVENTS.has(event)) return;
    const type = this.#options.vsn === "1.0.0" ? "message" : message.joinRef === null ? "broadcast" : "push";
    this.#printer.report({ type, topic, event, payload: message.payload });
  }
}
