/**
 * The channel bridge of one MQTT connection: the transport of a socket process that joins channels on
 * the MQTT client's behalf. SUBSCRIBE to a channel topic becomes `phx_join`, PUBLISH becomes a client
 * event for `handleIn`, and what the channels push and broadcast comes back here to become PUBLISHes —
 * so MQTT clients pass the same `connect`, `join` and `handleIn` as WebSocket clients.
 */
import type { FenixError } from "../../errors/fenix-error.js";
import type { Frame } from "../../protocol/serializer.js";
import type { JsonObject, Payload } from "../../protocol/message.js";
import { Reserved } from "../../protocol/reserved.js";
import type { AttachableTransport } from "../../server/socket/connect-pipeline.js";
import type { TransportListener } from "../../server/socket/transport.js";
import { decodeBridgeFrame, encodeClientMessage, FrameKind, type BridgeFrame } from "./bridge-serializer.js";

const decoder = new TextDecoder();

/** The outcome of a join asked by the bridge. */
export type JoinResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** What the bridge tells its MQTT connection. */
export interface BridgeOwner {
  /** Bytes queued on the MQTT connection. */
  readonly bufferedBytes: number;
  /** A channel pushed or broadcast an event (the frame is shared by every subscriber of a broadcast). */
  channelMessage(frame: BridgeFrame): void;
  /** A client event sent with `ack` was handled: `status` is the reply's (`"ok"`, `"error"`) or null for no reply. */
  acknowledged(ack: number, status: string | null, reason: string | undefined): void;
  /** The channel of `topic` ended (`crashed` when it did not stop normally). */
  channelEnded(topic: string, crashed: boolean): void;
  /** The socket process closes the connection (drain, `disconnect`, a crash). */
  closedByServer(code: number, reason: string): void;
}

interface PendingJoin {
  readonly ref: string;
  readonly done: Promise<JoinResult>;
  resolve(result: JoinResult): void;
}

/** @internal One MQTT connection's channel bridge. */
export class ChannelBridge implements AttachableTransport {
  readonly name: string;
  readonly #owner: BridgeOwner;
  #listener: TransportListener | null = null;
  #seq = 0;
  /** Channel topics joined or joining, with the join_ref of the current join. */
  readonly #topics = new Map<string, { joinRef: string; joined: boolean }>();
  readonly #joins = new Map<string, PendingJoin>();
  /** Client events waiting for their reply (or handled-without-reply), by ref. */
  readonly #acks = new Map<string, { readonly topic: string; readonly ack: number }>();
  #closed = false;

  constructor(name: string, owner: BridgeOwner) {
    this.name = name;
    this.#owner = owner;
  }

  attach(listener: TransportListener): void {
    this.#listener = listener;
  }

  /** Whether the channel of `topic` is joined (or joining). */
  has(topic: string): boolean {
    return this.#topics.has(topic);
  }

  /** Joins the channel of `topic` (once: an ongoing or done join is reused). */
  join(topic: string, params: JsonObject): Promise<JoinResult> {
    const current = this.#topics.get(topic);
    if (current !== undefined) {
      const pending = this.#joins.get(current.joinRef);
      return pending?.done ?? Promise.resolve({ ok: true });
    }
    const ref = this.#ref();
    let resolve!: (result: JoinResult) => void;
    const done = new Promise<JoinResult>((r) => (resolve = r));
    this.#joins.set(ref, { ref, done, resolve });
    this.#topics.set(topic, { joinRef: ref, joined: false });
    this.#send(ref, ref, topic, Reserved.JOIN, params);
    return done;
  }

  /** Leaves the channel of `topic`. */
  leave(topic: string): void {
    const current = this.#topics.get(topic);
    if (current === undefined) return;
    this.#topics.delete(topic);
    this.#send(current.joinRef, this.#ref(), topic, Reserved.LEAVE, {});
  }

  /** Sends a client event; with `ack`, the owner hears when it was handled. */
  push(topic: string, event: string, payload: Payload, ack: number | null): void {
    const current = this.#topics.get(topic);
    const ref = this.#ref();
    if (ack !== null) this.#acks.set(ref, { topic, ack });
    this.#send(current?.joinRef ?? null, ref, topic, event, payload);
  }

  #ref(): string {
    return String(++this.#seq);
  }

  #send(joinRef: string | null, ref: string, topic: string, event: string, payload: Payload): void {
    if (this.#closed) return;
    this.#listener?.frame(encodeClientMessage({ joinRef, ref, topic, event, payload }), true);
  }

  /** The MQTT connection ended: tell the socket process. */
  connectionClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#listener?.closed(1000);
    this.#failAll();
  }

  // ## Transport (called by the socket process and the fastlane)

  send(frame: Frame): void {
    if (typeof frame !== "string") this.#frame(frame);
  }

  sendEncoded(data: Uint8Array): void {
    this.#frame(data);
  }

  handledWithoutReply(_topic: string, ref: string | number | null): void {
    // The bridge's own refs are strings.
    if (typeof ref !== "string") return;
    const ack = this.#acks.get(ref);
    if (ack === undefined) return;
    this.#acks.delete(ref);
    this.#owner.acknowledged(ack.ack, null, undefined);
  }

  close(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#failAll();
    this.#owner.closedByServer(code, reason);
  }

  get bufferedBytes(): number {
    return this.#owner.bufferedBytes;
  }

  /** Reports an error of the socket process to nobody: the MQTT side has its own. */
  failed(_error: FenixError): void {}

  #frame(data: Uint8Array): void {
    const frame = decodeBridgeFrame(data);
    if (frame.kind === FrameKind.REPLY) {
      this.#reply(frame.ref, frame.topic, frame.event, frame.payload);
      return;
    }
    // A history topic's position marker: MQTT clients do not track positions.
    if (frame.event === Reserved.POSITION) return;
    if (frame.event === Reserved.ERROR || frame.event === Reserved.CLOSE) {
      const current = this.#topics.get(frame.topic);
      if (current === undefined || current.joinRef !== frame.joinRef) return;
      this.#topics.delete(frame.topic);
      this.#failTopic(frame.topic);
      this.#owner.channelEnded(frame.topic, frame.event === Reserved.ERROR);
      return;
    }
    this.#owner.channelMessage(frame);
  }

  #reply(ref: string | null, topic: string, status: string, response: Uint8Array): void {
    if (ref === null) return;
    const join = this.#joins.get(ref);
    if (join !== undefined) {
      this.#joins.delete(ref);
      const current = this.#topics.get(topic);
      if (status === "ok") {
        if (current?.joinRef === ref) current.joined = true;
        join.resolve({ ok: true });
      } else {
        if (current?.joinRef === ref) this.#topics.delete(topic);
        this.#failTopic(topic);
        join.resolve({ ok: false, reason: reasonOf(response) });
      }
      return;
    }
    const ack = this.#acks.get(ref);
    if (ack === undefined) return;
    this.#acks.delete(ref);
    this.#owner.acknowledged(ack.ack, status, status === "ok" ? undefined : reasonOf(response));
  }

  #failTopic(topic: string): void {
    for (const [ref, ack] of this.#acks) {
      if (ack.topic !== topic) continue;
      this.#acks.delete(ref);
      this.#owner.acknowledged(ack.ack, "error", "channel unavailable");
    }
  }

  #failAll(): void {
    for (const join of this.#joins.values()) join.resolve({ ok: false, reason: "connection closed" });
    this.#joins.clear();
    this.#acks.clear();
    this.#topics.clear();
  }
}

/** The `reason` of a reply's JSON response, or a generic one. */
function reasonOf(response: Uint8Array): string {
  try {
    const parsed = JSON.parse(decoder.decode(response)) as { reason?: unknown };
    if (typeof parsed.reason === "string") return parsed.reason;
  } catch {
    // not JSON: the response was bytes
  }
  return "refused";
}
