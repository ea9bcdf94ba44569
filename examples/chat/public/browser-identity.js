// This browser's identity in the chat: a random value sent with every join and kept in localStorage, so
// that every tab of the browser is one person. The server lets the tabs of one person share a name and
// refuses that name to anyone else in the room (examples/chat/room-names.ts); other clients only ever see
// a fingerprint of it. It proves nothing about who someone is: it only tells one browser from another.

/** Where the identity is kept: shared by every tab of the browser (and lost with the site's data). */
const IDENTITY_KEY = "fenix-chat:identity";

/** What the server accepts: 16 to 64 base64url characters. */
const IDENTITY = /^[A-Za-z0-9_-]{16,64}$/;

/** @type {string | undefined} this page's identity when storage is blocked */
let pageIdentity;

/**
 * The identity of this browser, made on first use. Where storage is blocked (some private modes and
 * policies), each page load is a person of its own.
 * @returns {string}
 */
export function browserIdentity() {
  try {
    const saved = localStorage.getItem(IDENTITY_KEY);
    if (saved !== null && IDENTITY.test(saved)) return saved;
    const fresh = randomIdentity();
    localStorage.setItem(IDENTITY_KEY, fresh);
    return fresh;
  } catch {
    return (pageIdentity ??= randomIdentity());
  }
}

/** 16 random bytes as base64url. (`crypto.randomUUID` would need a secure context: HTTPS or localhost.) */
function randomIdentity() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
