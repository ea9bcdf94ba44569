/**
 * The process behind each joined channel: runs the user's Channel callbacks one message at a time, turns
 * their results into replies, subscribes the topic to the fastlane, and cleans up when it ends.
 */
import { isBinaryPayload, isJsonObject, type JsonObject, type Message, type Payload } from "../protocol/message.js";
import { Reserved } from "../protocol/reserved.js";
import { FastlaneSubscription, InterceptedBroadcast } from "./fastlane.js";
import type { SubscribeOptions } from "../pubsub/pubsub.js";
import { shutdown, type ExitReason } from "../runtime/exit-reason.js";
import { Process } from "../runtime/process.js";
import { assertPayload, type Channel, type ChannelClass } from "./channel.js";
import { CHANNEL_CONTEXT, type ChannelContext, type ChannelHost } from "./channel-context.js";
import type { EndpointContext } from "./endpoint-context.js";
import { ServerError, ServerErrorCode } from "./errors.js";
import type { HandleInResult, HandleResult, JoinResult } from "./results.js";

/** @internal The first message of every channel process. */
export class JoinCommand {
  constructor(readonly message: Message) {}
}

/** @internal A client event for the channel. */
export class InboundEvent {
  constructor(readonly message: Message) {}
}

/** @internal Sent by a channel process to its socket once its join has been answered. */
export class JoinOutcome {
  constructor(
    readonly channel: ChannelServer,
    readonly joined: boolean,
  ) {}
}

const LEFT = shutdown("left");
const interceptSets = new WeakMap<ChannelClass, ReadonlySet<string>>();
const EMPTY: JsonObject = Object.freeze({}) as JsonObject;
const UNWATCHED: SubscribeOptions = { watch: false };

function interceptOf(channelClass: ChannelClass): ReadonlySet<string> {
  let set = interceptSets.get(channelClass);
  if (set === undefined) {
    set = new Set(channelClass.intercept ?? []);
    interceptSets.set(channelClass, set);
  }
  return set;
}

type Thenable<T> = PromiseLike<T>;
function isThenable<T>(value: unknown): value is Thenable<T> {
  return typeof (value as Thenable<T> | null)?.then === "function";
}

/** @internal */
export class ChannelServer extends Process {
  readonly channel: Channel<object>;
  readonly #ctx: ChannelContext;
  readonly #endpoint: EndpointContext;
  readonly #intercept: ReadonlySet<string>;
  readonly #host: ChannelHost;

  constructor(endpoint: EndpointContext, host: ChannelHost, channelClass: ChannelClass, topic: string, joinRef: string) {
    super(endpoint.runtime, { link: host.pid });
    this.#endpoint = endpoint;
    this.#host = host;
    this.#intercept = interceptOf(channelClass);
    this.channel = new channelClass();
    this.#ctx = {
      pid: this.pid,
      topic,
      joinRef,
      host,
      endpoint,
      joined: false,
      current: null,
      reply: (ref, status, response) => this.#reply(ref, status, response),
    };
    this.channel[CHANNEL_CONTEXT] = this.#ctx;
    this.channel.assigns = { ...(host.socket.assigns as object) } as typeof this.channel.assigns;
  }

  get topic(): string {
    return this.#ctx.topic;
  }

  get joinRef(): string {
    return this.#ctx.joinRef;
  }

  protected handleMessage(message: unknown): void | PromiseLike<void> {
    if (message instanceof InboundEvent) return this.#handleIn(message.message);
    if (message instanceof InterceptedBroadcast) {
      if (!this.#ctx.joined) return;
      const { event, payload } = message.broadcast;
      return this.#after(this.channel.handleOut(event, payload), (r) => this.#handleResult(r, "handleOut"));
    }
    if (message instanceof JoinCommand) return this.#join(message.message);
    if (!this.#ctx.joined) return;
    return this.#after(this.channel.handleInfo(message), (r) => this.#handleResult(r, "handleInfo"));
  }

  protected override onExit(reason: ExitReason): void {
    const ctx = this.#ctx;
    if (!ctx.joined) return;
    ctx.joined = false;
    this.#endpoint.pubsub.unsubscribe(ctx.topic, this.pid);
    try {
      const done = this.channel.terminate(reason);
      if (isThenable(done)) done.then(undefined, (err: unknown) => this.#logTerminateError(err));
    } catch (err) {
      this.#logTerminateError(err);
    }
  }

  // ## Joins

  #join(message: Message): void | PromiseLike<void> {
    const payload = (message.payload instanceof Uint8Array ? EMPTY : message.payload) as JsonObject;
    let result: JoinResult | Promise<JoinResult>;
    try {
      result = this.channel.join(this.#ctx.topic, payload);
    } catch (err) {
      return this.#joinCrashed(message, err);
    }
    if (isThenable<JoinResult>(result)) {
      return result.then(
        (r) => this.#joined(message, r),
        (err: unknown) => this.#joinCrashed(message, err),
      );
    }
    this.#joined(message, result);
  }

  #joined(message: Message, result: JoinResult): void {
    if (!this.alive) return;
    const ctx = this.#ctx;
    const kind = (result as { kind?: unknown } | undefined)?.kind;
    if ((kind === "ok" || kind === "error") && !isPayload((result as { response: unknown }).response)) {
      this.#joinCrashed(message, badResult("join", "a response that is a JSON object or bytes", (result as { response: unknown }).response));
      return;
    }
    if (result === undefined || kind === "ok") {
      const response = result === undefined ? EMPTY : result.response;
      ctx.joined = true;
      // Subscribe before the reply is written: no broadcast can slip between the two. onExit unsubscribes
      // on every exit, so the PubSub need not watch this process.
      this.#endpoint.pubsub.subscribe(ctx.topic, this.pid, new FastlaneSubscription(this.#host, this.#intercept), UNWATCHED);
      this.#writeReply(message.ref, "ok", response);
      this.#endpoint.runtime.send(this.#host.pid, new JoinOutcome(this, true));
      return;
    }
    if (kind === "error") {
      this.#writeReply(message.ref, "error", result.response);
      this.#endpoint.runtime.send(this.#host.pid, new JoinOutcome(this, false));
      this.stop("normal");
      return;
    }
    this.#joinCrashed(message, badResult("join", "ok(response?), error(response) or nothing", result));
  }

  #joinCrashed(message: Message, err: unknown): void {
    if (!this.alive) return;
    this.#endpoint.logger.error(`join of ${this.#ctx.topic} crashed`, { error: err });
    this.#writeReply(message.ref, "error", { reason: "join crashed" });
    this.#endpoint.runtime.send(this.#host.pid, new JoinOutcome(this, false));
    this.stop(shutdown("join_crashed"));
  }

  // ## Client events

  #handleIn(message: Message): void | PromiseLike<void> {
    if (!this.#ctx.joined) return;
    if (message.event === Reserved.LEAVE) {
      this.#writeReply(message.ref, "ok", EMPTY);
      this.stop(LEFT);
      return;
    }
    this.#ctx.current = message;
    let result: HandleInResult | Promise<HandleInResult>;
    try {
      result = this.channel.handleIn(message.event, message.payload);
    } catch (err) {
      this.#ctx.current = null;
      throw err;
    }
    if (isThenable<HandleInResult>(result)) {
      return result.then((r) => {
        this.#ctx.current = null;
        this.#handleInResult(message, r);
      });
    }
    this.#ctx.current = null;
    this.#handleInResult(message, result);
  }

  #handleInResult(message: Message, result: HandleInResult): void {
    if (!this.alive) return;
    if (result === undefined) return;
    switch (result.kind) {
      case "noreply":
        return;
      case "reply":
        this.#reply(message.ref, result.status, result.response);
        return;
      case "stop":
        if (result.reply !== undefined) this.#reply(message.ref, result.reply.status, result.reply.response);
        this.stop(result.reason);
        return;
      default:
        throw badResult("handleIn", "reply(status, response?), noReply(), stop(reason, reply?) or nothing", result);
    }
  }

  // ## Other callbacks

  #after<T>(result: T | Promise<T>, then: (r: T) => void): void | PromiseLike<void> {
    if (isThenable<T>(result)) return result.then(then);
    then(result);
  }

  #handleResult(result: HandleResult, what: string): void {
    if (!this.alive || result === undefined) return;
    if (result.kind === "noreply") return;
    if (result.kind === "stop") {
      this.stop(result.reason);
      return;
    }
    throw badResult(what, "noReply(), stop(reason) or nothing", result);
  }

  // ## Output

  #reply(ref: string | null, status: string, response: Payload): void {
    assertPayload(response, "reply");
    this.#writeReply(ref, status, response);
  }

  #writeReply(ref: string | null, status: string, response: Payload): void {
    const ctx = this.#ctx;
    this.#host.write(this.#host.serializer.encodeReply({ joinRef: ctx.joinRef, ref, topic: ctx.topic, status, response }));
  }

  #logTerminateError(err: unknown): void {
    this.#endpoint.logger.error(`terminate of ${this.#ctx.topic} threw`, { error: err });
  }
}

function isPayload(value: unknown): value is Payload {
  return isJsonObject(value) || isBinaryPayload(value);
}

function badResult(callback: string, valid: string, got: unknown): ServerError {
  let shown: string;
  try {
    shown = JSON.stringify(got)?.slice(0, 120) ?? String(got);
  } catch {
    shown = String(got);
  }
  return new ServerError(ServerErrorCode.BAD_CALLBACK_RESULT, `${callback}() must return ${valid}; got ${shown}.`);
}

