/**
 * The chat's message shape and limits, and how much of each room's conversation is kept. The limits live
 * in public/chat-limits.js, which the page loads too: the page shows the very numbers the server enforces.
 */
import { randomBytes } from "node:crypto";
import type { HistoryOptions } from "../../src/index.js";

export { MAX_BODY_LENGTH, MAX_NAME_LENGTH } from "./public/chat-limits.js";

/** How many of the room's latest messages the join reply carries (the page shows them on a fresh join). */
export const RECENT_MESSAGES = 50;

/**
 * The history of every `room:*` topic: its last 500 messages, none older than 24 hours. A tab that lost its
 * connection gets every message it missed when it rejoins, up to 500 of them (`maxRecovery` defaults to
 * `size`): minutes of a busy room, hours of a quiet one; a tab away longer shows the last
 * {@link RECENT_MESSAGES} instead. 500 messages of at most 2,000 characters are at most about 4 MB of
 * UTF-8 (usually far less), and a room left quiet for a day holds nothing (its messages expire), so the
 * rooms anyone may open by name cannot pile up. Kept in memory on one node, in the cluster primary with
 * `WORKERS`, in Redis Streams with `REDIS_URL`.
 */
export const ROOM_HISTORY: HistoryOptions = { size: 500, ttlMs: 24 * 60 * 60 * 1000 };

/** One chat message as broadcast to the room and kept in its history. */
export interface ChatMessage {
  /** Unique across nodes. */
  readonly id: string;
  readonly name: string;
  readonly body: string;
  /** When the server accepted it, in ms since the epoch. */
  readonly at: number;
}

/** A new message, stamped with an id and the time. */
export function newMessage(name: string, body: string): ChatMessage {
  return { id: randomBytes(9).toString("base64url"), name, body, at: Date.now() };
}

/** Whether a broadcast payload is a chat message. */
export function isChatMessage(value: unknown): value is ChatMessage {
  const m = value as Partial<ChatMessage> | null;
  return typeof m === "object" && m !== null && typeof m.id === "string" && typeof m.name === "string" && typeof m.body === "string" && typeof m.at === "number";
}
