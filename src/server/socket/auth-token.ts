/**
 * Reads the auth token a client passes in the WebSocket handshake: among the offered subprotocols,
 * `base64url.bearer.phx.<token in unpadded standard base64>` next to `phoenix`, which the server echoes.
 */

/** The subprotocol the server answers with. */
export const PHOENIX_SUBPROTOCOL = "phoenix";
const TOKEN_PREFIX = "base64url.bearer.phx.";

/** What the offered subprotocols say. */
export interface SubprotocolOffer {
  /** The protocols offered, without the token entry. */
  readonly protocols: readonly string[];
  /** The decoded token, if exactly one token entry was offered. */
  readonly authToken: string | undefined;
}

/** What a request without the header offers (most do): shared, as nothing changes it. */
const NO_OFFER: SubprotocolOffer = Object.freeze({ protocols: Object.freeze([]), authToken: undefined });

/** Parses a `Sec-WebSocket-Protocol` request header. */
export function parseSubprotocols(header: string | undefined): SubprotocolOffer {
  if (header === undefined || header.trim() === "") return NO_OFFER;
  const offered = header.split(",").map((p) => p.trim()).filter((p) => p.length > 0);
  const tokens = offered.filter((p) => p.startsWith(TOKEN_PREFIX));
  const protocols = offered.filter((p) => !p.startsWith(TOKEN_PREFIX));
  if (tokens.length !== 1) return { protocols, authToken: undefined };
  const encoded = tokens[0]!.slice(TOKEN_PREFIX.length);
  const authToken = /^[A-Za-z0-9+/_-]*$/.test(encoded) ? Buffer.from(encoded, "base64").toString("utf8") : undefined;
  return { protocols, authToken };
}
