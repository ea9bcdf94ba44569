// The chat's limits, in one module that both sides load as it is: the server (chat-message.ts) refuses
// what breaks them, and the page (app.js) shows them before anything is sent, so that a person learns a
// limit while typing rather than from a refusal. Lengths count characters as code points, after trimming
// for names.

/** Longest accepted display name, in characters. */
export const MAX_NAME_LENGTH = 32;

/** Longest accepted message body, in characters. */
export const MAX_BODY_LENGTH = 2000;
