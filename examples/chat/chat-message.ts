/**
 * The chat's message shape and limits, shared by the channel and the room servers.
 */

/** Longest accepted display name, in characters. */
export const MAX_NAME_LENGTH = 32;
/** Longest accepted message body, in characters. */
export const MAX_BODY_LENGTH = 2000;

/** One chat message as broadcast to the room and kept in its history. */
export interface ChatMessage {
  readonly name: string;
  readonly body: string;
  /** When the server accepted it, in ms since the epoch. */
  readonly at: number;
}
