/**
 * The LongPoll transport: the outbound side of a LongPoll session. Frames the socket writes are kept as V2
 * text in a bounded buffer until the client's next GET takes them; inbound lines from POSTs are handed to
 * the socket's process, and each POST line waits until that process has handled it. Binary frames cannot travel in a JSON string, so they are dropped and reported.
 */
import type { Clock, TimerHandle } from "../../runtime/clock/clock.js";
import type { Frame } from "../../protocol/serializer.js";
import type { AttachableTransport } from "../socket/connect-pipeline.js";
import { CloseCode, type TransportListener } from "../socket/transport.js";

/** What a poll found: frames to deliver, nothing within the window, or a session that has ended. */
export type PollResult =
  | { readonly kind: "messages"; readonly messages: readonly string[] }
  | { readonly kind: "empty" }
  | { readonly kind: "gone" };

/** How a delivered frame fared: handled, not handled in time, or the session ended. */
export type DeliveryStatus = 200 | 408 | 410;

/** @internal Limits of one session's outbound buffer. */
export interface LongPollBufferLimits {
  readonly maxBufferedMessages: number;
  readonly maxBufferedBytes: number;
}

/** @internal Hooks the session gives its transport. */
export interface LongPollTransportHooks {
  /** A binary frame was dropped (it cannot be sent over LongPoll). */
  binaryDropped(): void;
  /** The transport closed, for whatever reason; the session ends. */
  closed(): void;
}

const EMPTY: PollResult = { kind: "empty" };
const GONE: PollResult = { kind: "gone" };
const textDecoder = new TextDecoder();

/** @internal */
export class LongPollTransport implements AttachableTransport {
  readonly name = "longpoll";
  readonly #limits: LongPollBufferLimits;
  readonly #clock: Clock;
  readonly #hooks: LongPollTransportHooks;
  #listener: TransportListener | null = null;
  #buffer: string[] = [];
  #bytes = 0;
  #closed = false;
  /** The parked GET, if any, and the timer that answers it empty at the end of its window. */
  #waiter: ((result: PollResult) => void) | null = null;
  #waiterTimer: TimerHandle | null = null;
  #wakeScheduled = false;
  /** Deliveries waiting for the socket's process to handle their frame. */
  readonly #acks = new Set<(status: DeliveryStatus) => void>();

  constructor(limits: LongPollBufferLimits, clock: Clock, hooks: LongPollTransportHooks) {
    this.#limits = limits;
    this.#clock = clock;
    this.#hooks = hooks;
  }

  /** Starts handing inbound frames to the socket's process. */
  attach(listener: TransportListener): void {
    this.#listener = listener;
  }

  /** Whether the session has ended. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether a GET is parked, waiting for frames. */
  get polling(): boolean {
    return this.#waiter !== null;
  }

  /** UTF-8 bytes waiting for the client's next GET. */
  get bufferedBytes(): number {
    return this.#bytes;
  }

  /** Past half of either buffer limit: further frames wait in the connection's own queue until the next GET. */
  get congested(): boolean {
    return this.#bytes * 2 > this.#limits.maxBufferedBytes || this.#buffer.length * 2 >= this.#limits.maxBufferedMessages;
  }

  send(frame: Frame): void {
    if (typeof frame === "string") this.#push(frame);
    else this.#dropBinary();
  }

  sendEncoded(data: Uint8Array, binary: boolean): void {
    // The fastlane shares one UTF-8 buffer among subscribers; LongPoll needs the text back.
    if (binary) this.#dropBinary();
    else this.#push(textDecoder.decode(data));
  }

  /**
   * Takes the buffered frames, or waits up to `windowMs` for some. A poll that arrives while another is
   * parked answers the older one empty: one client polls at a time. When `abandoned` fires (the client
   * went away), a poll still parked is released empty, so the session no longer counts as polled.
   */
  poll(windowMs: number, abandoned?: AbortSignal): Promise<PollResult> {
    if (this.#buffer.length > 0) return Promise.resolve(this.#take());
    if (this.#closed) return Promise.resolve(GONE);
    this.#answer(EMPTY);
    return new Promise((resolve) => {
      this.#waiter = resolve;
      this.#waiterTimer = this.#clock.setTimeout(() => {
        this.#waiterTimer = null;
        this.#answer(EMPTY);
      }, windowMs);
      abandoned?.addEventListener(
        "abort",
        () => {
          // Only this poll's waiter: a newer poll may have taken its place.
          if (this.#waiter === resolve) this.#answer(EMPTY);
        },
        { once: true },
      );
    });
  }

  /**
   * Hands one inbound frame to the socket's process and waits until the process has handled it: 200 when
   * it has, 408 if it has not within `ackMs`, 410 if the session ends first (or had ended).
   */
  deliver(data: string | Uint8Array, binary: boolean, ackMs: number): Promise<DeliveryStatus> {
    const listener = this.#listener;
    if (this.#closed || listener === null) return Promise.resolve(410);
    return new Promise((resolve) => {
      const settle = (status: DeliveryStatus) => {
        if (!this.#acks.delete(settle)) return;
        this.#clock.clearTimeout(timer);
        resolve(status);
      };
      const timer = this.#clock.setTimeout(() => settle(408), ackMs);
      this.#acks.add(settle);
      listener.frame(data, binary, () => settle(200));
    });
  }

  /** Ends the session from the socket's side (disconnect, overflow, endpoint stop). */
  close(_code: number, _reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const settle of [...this.#acks]) settle(410);
    // A parked GET still gets what was written last (a phx_close, say); the next GET learns the session is gone.
    if (this.#waiter !== null) this.#answer(this.#buffer.length > 0 ? this.#take() : GONE);
    this.#hooks.closed();
  }

  /** Ends the session from the client's side: it stopped polling. */
  expire(): void {
    if (this.#closed) return;
    this.close(CloseCode.GOING_AWAY, "session timeout");
    this.#listener?.closed(CloseCode.GOING_AWAY);
  }

  #push(text: string): void {
    if (this.#closed) return;
    this.#buffer.push(text);
    this.#bytes += Buffer.byteLength(text, "utf8");
    if (this.#buffer.length > this.#limits.maxBufferedMessages || this.#bytes > this.#limits.maxBufferedBytes) {
      this.#listener?.overflow();
      return;
    }
    // Frames written in the same tick (a join reply and its presence_state) go out in one answer.
    if (this.#waiter !== null && !this.#wakeScheduled) {
      this.#wakeScheduled = true;
      queueMicrotask(() => {
        this.#wakeScheduled = false;
        if (this.#waiter !== null && this.#buffer.length > 0) this.#answer(this.#take());
      });
    }
  }

  #take(): PollResult {
    const messages = this.#buffer;
    this.#buffer = [];
    this.#bytes = 0;
    // Frames the connection held back go into the emptied buffer, for the next GET.
    if (!this.#closed) this.#listener?.drained();
    return { kind: "messages", messages };
  }

  #answer(result: PollResult): void {
    const waiter = this.#waiter;
    if (waiter === null) return;
    this.#waiter = null;
    if (this.#waiterTimer !== null) this.#clock.clearTimeout(this.#waiterTimer);
    this.#waiterTimer = null;
    waiter(result);
  }

  #dropBinary(): void {
    if (!this.#closed) this.#hooks.binaryDropped();
  }
}
