// Types of chat-limits.js for the server's TypeScript (the page loads the .js file itself).

/** Longest accepted display name, in characters. */
export declare const MAX_NAME_LENGTH: number;

/** Longest accepted message body, in characters. */
export declare const MAX_BODY_LENGTH: number;
