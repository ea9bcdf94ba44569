/**
 * The chat's message shape and limits, shared by the channel and the room servers. The limits live in
 * public/chat-limits.js, which the page loads too: the page shows the very numbers the server enforces.
 */
import { randomBytes } from "node:crypto";

export { MAX_BODY_LENGTH, MAX_NAME_LENGTH } from "./public/chat-limits.js";

/** One chat message as broadcast to the room and kept in its history. */
export interface ChatMessage {
  /** Unique across nodes: histories merged from several nodes hold each message once. */
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

/** Whether a broadcast payload is a chat message (room servers keep only those). */
export function isChatMessage(value: unknown): value is ChatMessage {
  const m = value as Partial<ChatMessage> | null;
  return typeof m === "object" && m !== null && typeof m.id === "string" && typeof m.name === "string" && typeof m.body === "string" && typeof m.at === "number";
}
