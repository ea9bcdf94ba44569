/**
 * Who may use a display name in a room: one person per name. A browser sends a random `identity` it keeps
 * (every tab of the browser sends the same one) in its join params; presence metas carry only a
 * fingerprint of it, `person`, so the identity never reaches other clients and nobody can borrow it from
 * the presence list to pass for someone else. Pure functions over the room's presences, which are
 * replicated to every node: the rule holds across nodes once they have merged.
 */
import { createHash } from "node:crypto";
import type { Presences } from "../../src/index.js";

/**
 * The fingerprint of a join's identity, or `null` for a client that sent none (the official `phoenix`
 * page, scripts). Clients without an identity are all one "person" per name: they share a name with each
 * other, as every client did before identities, and never with a client that has an identity.
 */
export type Person = string | null;

/** An identity is 16 to 64 base64url characters, such as 16 random bytes encoded. */
const IDENTITY = /^[A-Za-z0-9_-]{16,64}$/;

/**
 * The person a join's `identity` param stands for: its fingerprint, `null` when the param is absent, or
 * `undefined` when it is malformed (the join is refused).
 */
export function personOf(identity: unknown): Person | undefined {
  if (identity === undefined || identity === null) return null;
  if (typeof identity !== "string" || !IDENTITY.test(identity)) return undefined;
  return createHash("sha256").update(`fenix chat person:${identity}`).digest("base64url").slice(0, 22);
}

/** A name as people read it: "Ada", "ada" and "ａｄａ" are one name, so they are one person's. */
export function foldName(name: string): string {
  return name.normalize("NFKC").toLowerCase();
}

/**
 * The name, as shown in the room, that someone other than `person` uses and that `name` would be taken
 * for; `undefined` when `name` is free for `person` (nobody uses it, or only `person` does).
 */
export function nameTakenFrom(presences: Presences, name: string, person: Person): string | undefined {
  const wanted = foldName(name);
  for (const [shown, { metas }] of Object.entries(presences)) {
    if (foldName(shown) !== wanted) continue;
    if (metas.some((meta) => (meta.person ?? null) !== person)) return shown;
  }
  return undefined;
}
