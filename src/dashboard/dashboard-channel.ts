/**
 * The channel a dashboard page joins (topic `fenix:dashboard`). The join answers with the latest merged
 * view and the chart history (`{ node, sampleMs, historyPoints, view, history }`); each sample then arrives as a `view` push (the sampler broadcasts it on
 * this node). The page's actions come in as events: `broadcast` is done here, `disconnect`, `suspend`,
 * `resume` and `trace` are sent to the node that owns the process, whose answer (or silence) becomes the
 * push's reply.
 */
import { isJsonObject, type JsonObject, type Payload } from "../protocol/message.js";
import { isReservedEvent } from "../protocol/reserved.js";
import type { TimerHandle } from "../runtime/clock/clock.js";
import type { ExitReason } from "../runtime/process/exit-reason.js";
import { Channel, type ChannelClass } from "../server/channel/channel.js";
import { noReply, ok, reply, type HandleInResult, type JoinResult, type ReplyResult } from "../server/channel/results.js";
import type { SocketRef } from "../server/channel/socket-ref.js";
import { DashboardTopic, isDashboardTopic, parseReply, replyTopic, type Command } from "./control-messages.js";
import type { DashboardContext } from "./dashboard-context.js";
import { DashboardError, DashboardErrorCode } from "./errors.js";
import { TRACE_RENEW_MS } from "./frame-tracer.js";

/** How long an action waits for the owning node's answer (ms). */
export const ACTION_TIMEOUT_MS = 5_000;
/** The longest topic or event name a page may broadcast on (the binary protocol's limit). */
const MAX_NAME = 255;

class ActionTimeout {
  constructor(readonly id: number) {}
}
const RENEW_TRACE = Symbol("dashboard: renew trace lease");

interface Pending {
  readonly ref: SocketRef;
  readonly timer: TimerHandle;
  readonly action: string;
  readonly node: string;
}

/** An action's refusal as the page receives it: `{ code, message }`. */
function refusal(code: DashboardErrorCode, message: string): ReplyResult {
  const error = new DashboardError(code, message);
  return reply("error", { code: error.code, message: error.message });
}

const nonEmpty = (v: unknown): v is string => typeof v === "string" && v !== "" && v.length <= MAX_NAME;

/** @internal Creates the dashboard channel class for one dashboard. */
export function dashboardChannel(ctx: DashboardContext): ChannelClass {
  return class DashboardChannel extends Channel {
    readonly #pending = new Map<number, Pending>();
    #nextId = 1;
    #replyTopic = "";
    #trace: { node: string; pid: string } | null = null;
    #renewScheduled = false;

    override join(): JoinResult {
      ctx.ensureStarted();
      this.#replyTopic = replyTopic(ctx.endpoint.node, this.pid.id);
      this.endpoint.pubsub.subscribe(this.#replyTopic, this.pid);
      const { sampleMs, historyPoints } = ctx.options;
      const response = { node: ctx.endpoint.node, sampleMs, historyPoints, view: ctx.latest, history: ctx.cluster.history() };
      return ok(response as unknown as JsonObject);
    }

    override handleIn(event: string, payload: Payload): HandleInResult {
      if (!isJsonObject(payload)) return refusal(DashboardErrorCode.ACTION_REFUSED, "Dashboard actions take a JSON object.");
      switch (event) {
        case "broadcast":
          return this.#broadcast(payload);
        case "disconnect":
        case "suspend":
        case "resume":
          return this.#processAction(event, payload);
        case "trace":
          return this.#startTrace(payload);
        case "untrace":
          return this.#untrace();
        default:
          return refusal(DashboardErrorCode.ACTION_REFUSED, `Unknown action ${JSON.stringify(event)}; the actions are broadcast, disconnect, suspend, resume, trace and untrace.`);
      }
    }

    override handleInfo(message: unknown): void {
      if (message instanceof ActionTimeout) {
        const pending = this.#pending.get(message.id);
        if (pending === undefined) return;
        this.#pending.delete(message.id);
        pending.ref.reply("error", {
          code: DashboardErrorCode.NODE_UNREACHABLE,
          message: `Node ${pending.node} did not answer the ${pending.action} within ${ACTION_TIMEOUT_MS / 1000} s; it may have stopped or lost its link.`,
        });
        return;
      }
      if (message === RENEW_TRACE) {
        this.#renewScheduled = false;
        if (this.#trace === null) return;
        this.#command(this.#trace.node, { kind: "trace", id: 0, pid: this.#trace.pid, from: ctx.endpoint.node, replyTo: this.#replyTopic, watcher: this.#replyTopic });
        this.#scheduleRenewal();
        return;
      }
      const answer = parseReply(message);
      if (answer === null) return;
      if (answer.kind === "result") {
        const pending = this.#pending.get(answer.id);
        if (pending === undefined) return;
        this.#pending.delete(answer.id);
        ctx.endpoint.runtime.cancelTimer(pending.timer);
        pending.ref.reply(answer.code === null ? "ok" : "error", answer.code === null ? { message: answer.message } : { code: answer.code, message: answer.message });
        if (answer.code !== null && pending.action === "trace") this.#trace = null;
        return;
      }
      const trace = this.#trace;
      if (trace === null || trace.node !== answer.node || trace.pid !== answer.pid) return;
      this.push("frames", answer as unknown as JsonObject);
      if (answer.ended) this.#trace = null;
    }

    override terminate(_reason: ExitReason): void {
      this.#stopTrace();
    }

    #broadcast(payload: JsonObject): HandleInResult {
      const { topic, event, payload: body } = payload;
      if (!nonEmpty(topic) || !nonEmpty(event)) {
        return refusal(DashboardErrorCode.ACTION_REFUSED, `A broadcast needs a topic and an event of 1 to ${MAX_NAME} characters.`);
      }
      if (isDashboardTopic(topic)) return refusal(DashboardErrorCode.ACTION_REFUSED, `${topic} is one of the dashboard's own topics.`);
      if (isReservedEvent(event)) return refusal(DashboardErrorCode.ACTION_REFUSED, `${event} is a protocol event; clients would take it for protocol traffic.`);
      if (!isJsonObject(body)) return refusal(DashboardErrorCode.ACTION_REFUSED, "The broadcast's payload must be a JSON object, such as {\"body\": \"hello\"}.");
      try {
        this.endpoint.broadcast(topic, event, body);
      } catch (err) {
        return refusal(DashboardErrorCode.ACTION_REFUSED, `The broadcast failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      return reply("ok", { message: `Broadcast ${event} to ${topic} on every node.` });
    }

    #processAction(action: "disconnect" | "suspend" | "resume", payload: JsonObject): HandleInResult {
      const { node, pid } = payload;
      if (!nonEmpty(node) || !nonEmpty(pid)) return refusal(DashboardErrorCode.ACTION_REFUSED, `${action} needs the node and pid of a process, as strings.`);
      if (!this.#knows(node)) return refusal(DashboardErrorCode.NOT_FOUND, `Node ${node} is not in the dashboard's view (any more).`);
      this.#ask(action, node, (id) => ({ kind: action, id, pid, from: ctx.endpoint.node, replyTo: this.#replyTopic }));
      return noReply();
    }

    #startTrace(payload: JsonObject): HandleInResult {
      const { node, pid } = payload;
      if (!nonEmpty(node) || !nonEmpty(pid)) return refusal(DashboardErrorCode.ACTION_REFUSED, "trace needs the node and pid of a connection, as strings.");
      if (!this.#knows(node)) return refusal(DashboardErrorCode.NOT_FOUND, `Node ${node} is not in the dashboard's view (any more).`);
      if (this.#trace !== null && (this.#trace.node !== node || this.#trace.pid !== pid)) this.#stopTrace();
      this.#trace = { node, pid };
      this.#ask("trace", node, (id) => ({ kind: "trace", id, pid, from: ctx.endpoint.node, replyTo: this.#replyTopic, watcher: this.#replyTopic }));
      this.#scheduleRenewal();
      return noReply();
    }

    /** The page's `untrace`: answered once the traced node has stopped (so no later frame is sent). */
    #untrace(): HandleInResult {
      const trace = this.#trace;
      if (trace === null) return reply("ok", { message: "Not tracing." });
      this.#trace = null;
      this.#ask("untrace", trace.node, (id) => ({ kind: "untrace", id, watcher: this.#replyTopic, from: ctx.endpoint.node, replyTo: this.#replyTopic }));
      return noReply();
    }

    /** Ends the trace without waiting (another connection is selected, or the page left). */
    #stopTrace(): void {
      const trace = this.#trace;
      if (trace === null) return;
      this.#trace = null;
      this.#command(trace.node, { kind: "untrace", id: 0, watcher: this.#replyTopic, from: ctx.endpoint.node, replyTo: this.#replyTopic });
    }

    #knows(node: string): boolean {
      return node === ctx.endpoint.node || ctx.cluster.nodes().includes(node);
    }

    #scheduleRenewal(): void {
      if (this.#renewScheduled) return;
      this.#renewScheduled = true;
      this.sendAfter(RENEW_TRACE, TRACE_RENEW_MS);
    }

    /** Sends a command whose answer (or the lack of one) replies to the push being handled. */
    #ask(action: string, node: string, command: (id: number) => Command): void {
      const id = this.#nextId++;
      const timer = this.sendAfter(new ActionTimeout(id), ACTION_TIMEOUT_MS);
      this.#pending.set(id, { ref: this.socketRef(), timer, action, node });
      this.#command(node, command(id));
    }

    #command(node: string, command: Command): void {
      try {
        this.endpoint.pubsub.directBroadcast(node, DashboardTopic.CONTROL, command);
      } catch {
        // The PubSub has stopped: the action times out and the page is told.
      }
    }
  };
}
