/**
 * Clients that follow a history topic, for the recovery tests: the official `phoenix` client doing what
 * docs/history.md shows (the last broadcast's ref sent back as `since` on every join), and `fenix/client`,
 * which does it by itself. Both record the `msg` events' numbers and every join (or recovery) outcome.
 */
import type { Channel as PhoenixChannel, Socket as PhoenixSocket } from "phoenix";
import type { Channel, RecoverResult, Socket } from "../../src/client/index.js";

/** An official-client channel that recovers through its join params. */
export interface OfficialFollower {
  readonly channel: PhoenixChannel;
  readonly received: number[];
  /** The response of every ok join reply (the first join and each rejoin). */
  readonly replies: { recovered: boolean; position: { epoch: string; offset: number } }[];
}

/** Joins `topic` with the official client, sending the last position seen as `since` on each join. */
export function followOfficial(socket: PhoenixSocket, topic: string): OfficialFollower {
  let since: string | null = null;
  const channel = socket.channel(topic, () => (since === null ? {} : { since }));
  const received: number[] = [];
  const replies: OfficialFollower["replies"] = [];
  const onMessage = channel.onMessage.bind(channel);
  channel.onMessage = (event, payload, ref) => {
    if (typeof ref === "string" && ref.includes(":") && event !== "phx_reply") since = ref;
    return onMessage(event, payload, ref);
  };
  channel.on("msg", (payload: { n: number }) => {
    received.push(payload.n);
  });
  channel.join().receive("ok", (reply: OfficialFollower["replies"][number]) => {
    replies.push(reply);
    if (!reply.recovered) since = `${reply.position.epoch}:${reply.position.offset}`;
  });
  return { channel, received, replies };
}

/** A fenix/client channel: it recovers by itself. */
export interface FenixFollower {
  readonly channel: Channel;
  readonly received: number[];
  readonly recoveries: RecoverResult[];
}

/** Joins `topic` with fenix/client (connecting the socket first if needed). */
export async function followFenix(socket: Socket, topic: string): Promise<FenixFollower> {
  const channel = socket.channel(topic);
  const received: number[] = [];
  const recoveries: RecoverResult[] = [];
  channel.on("msg", (payload) => received.push((payload as { n: number }).n));
  channel.onRecover((result) => recoveries.push(result));
  if (socket.state !== "open") socket.connect();
  await channel.join();
  return { channel, received, recoveries };
}

/** Resolves once `check` holds (polled every 5 ms); rejects after `ms` naming `what`. */
export async function until(check: () => boolean, what: () => string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`waited ${ms} ms for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** 1, 2, …, n. */
export const sequence = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

/** Broadcasts `{n}` for n = 1…total, `burst` at a time every `everyMs`; resolves once all are sent. */
export function publish(broadcast: (n: number) => void, total: number, burst = 4, everyMs = 3): { readonly sent: () => number; readonly done: Promise<void> } {
  let sent = 0;
  const done = new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      for (let i = 0; i < burst && sent < total; i++) broadcast(++sent);
      if (sent === total) {
        clearInterval(timer);
        resolve();
      }
    }, everyMs);
  });
  return { sent: () => sent, done };
}
