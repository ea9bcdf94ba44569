/**
 * What the multi-process tests share: chat nodes linked through Redis with short timers (node
 * heartbeats every 100 ms, presence every 100 ms, a node down after 1.5 s), a channel prefix per test,
 * and chat clients on the official `phoenix` client that record messages and who is online.
 */
import { randomBytes } from "node:crypto";
import { dirname, join as joinPath } from "node:path";
import { fileURLToPath } from "node:url";
import { Presence as ClientPresence, type Channel } from "phoenix";
import { vi } from "vitest";
import type { ChatServerOptions } from "../../../examples/chat/server.js";
import { NodeProcess } from "../../support/nodes/node-process.js";
import { connectSocket, join, push, recordEvent, type ClientOptions, type Recorder } from "../../support/phoenix-client.js";
import { REDIS_URL } from "../../support/redis.js";

const programs = joinPath(dirname(fileURLToPath(import.meta.url)), "..", "..", "support", "nodes");

/** How long presence waits before it hides a silent node's presences (ms). */
export const DOWN_PERIOD_MS = 1_500;

/** A channel prefix of the test's own on the shared Redis. */
export const newPrefix = (): string => `fenix-test:${randomBytes(6).toString("hex")}`;

/** Chat node options with short timers, on `prefix` (and `redisUrl`, the shared Redis by default). */
export function nodeOptions(nodeName: string, prefix: string, redisUrl = REDIS_URL): ChatServerOptions & { nodeName: string } {
  return {
    nodeName,
    port: 0,
    redisUrl,
    redis: { prefix, heartbeatMs: 100, nodeTimeoutMs: 600, reconnect: { minMs: 50, maxMs: 300 } },
    presence: { broadcastPeriodMs: 100, downPeriodMs: DOWN_PERIOD_MS },
    secretKeyBase: "a shared secret for the nodes of one test, 32+ chars",
  };
}

/** Starts chat nodes, and stops them (those still running) after the test. */
export class Nodes {
  readonly all: NodeProcess[] = [];

  async start(options: ChatServerOptions & { nodeName: string }): Promise<NodeProcess> {
    const node = await NodeProcess.chat(options);
    this.all.push(node);
    return node;
  }

  /** Starts a program of test/support/nodes/ (it prints `READY <url>` once it serves). */
  async program(name: string, file: string, env: Record<string, string> = {}): Promise<NodeProcess> {
    const node = await NodeProcess.program(name, joinPath(programs, file), env);
    this.all.push(node);
    return node;
  }

  /** Runs the chat demo as `npm start` does, with `env`; ready once it says where it listens. */
  async demo(env: Record<string, string>): Promise<NodeProcess> {
    const node = await NodeProcess.program("demo", "examples/chat/server.ts", env, /listening on (http:\/\/[^\s:]+:\d+)/);
    this.all.push(node);
    return node;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.all.splice(0).map((n) => n.stop()));
  }
}

/** A person in a chat room through the official client: the messages they got and who they see. */
export interface Chatter {
  readonly channel: Channel;
  readonly messages: Recorder<unknown>;
  /** The ok join reply: the serving `node` and the room's last `messages` (with `recovered` and `position`). */
  readonly reply: unknown;
  /** The keys (display names) the client's Presence lists, sorted. */
  online(): string[];
  /** Each key with the `node` of each of its metas. */
  presences(): [string, string[]][];
  say(body: string): Promise<void>;
  /** Bodies of the `new_msg` broadcasts received. */
  bodies(): string[];
}

/** Joins `room` on the node at `socketUrl` as `name`, with more join `params` (such as `since`). */
export async function enter(socketUrl: string, name: string, room = "lobby", options: ClientOptions = {}, params: object = {}): Promise<Chatter> {
  const socket = await connectSocket(socketUrl, options);
  const channel = socket.channel(`room:${room}`, { ...params, name });
  const presence = new ClientPresence(channel);
  const messages = recordEvent(channel, "new_msg");
  const reply = await join(channel);
  if (reply.status !== "ok") throw new Error(`${name} could not join: ${JSON.stringify(reply)}`);
  return {
    channel,
    messages,
    reply: reply.response,
    online: () => presence.list((key: string) => key).sort(),
    presences: () => presence.list((key: string, { metas }: { metas: { node?: string }[] }) => [key, metas.map((m) => m.node ?? "")] as [string, string[]]),
    say: async (body) => {
      const answer = await push(channel, "new_msg", { body });
      if (answer.status !== "ok") throw new Error(`${name} could not say "${body}": ${JSON.stringify(answer)}`);
    },
    bodies: () => messages.values.map((m) => (m as { body: string }).body),
  };
}

/** Waits for `check` to hold, polling every 20 ms. */
export async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  await vi.waitUntil(check, { timeout: timeoutMs, interval: 20 }).catch(() => {
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  });
}

/** The bodies of the last messages a chatter's join reply carried, oldest first. */
export function recentBodies(chatter: Chatter): string[] {
  return ((chatter.reply as { messages?: { body: string }[] }).messages ?? []).map((m) => m.body);
}
