/**
 * Protocol V1 (`--vsn 1.0.0`) through the V2 client: a frame filter that asks for `vsn=1.0.0` and turns
 * the client's V2 arrays into V1 objects and back. V1 has no binary frames; the session refuses bytes
 * before they get here.
 */
import type { FrameFilter } from "./frame-filter.js";

/** The V2 array `[join_ref, ref, topic, event, payload]` of a text frame, or undefined. */
function v2Array(text: string): unknown[] | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) && value.length === 5 ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Translates a V1 server object into a V2 array. V1 frames have no join ref, but the server sends the
 * join ref as the `ref` of `phx_close` and `phx_error`: it is put back so the channel knows which join
 * they end.
 */
export function v1ToV2(text: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const { topic, event, payload, ref } = value as { topic?: unknown; event?: unknown; payload?: unknown; ref?: unknown };
  const endsJoin = event === "phx_close" || event === "phx_error";
  return JSON.stringify([endsJoin ? (ref ?? null) : null, ref ?? null, topic, event, payload]);
}

/** Translates a V2 client array into a V1 object (`join_ref` kept, so the server knows the join). */
export function v2ToV1(text: string): string | undefined {
  const array = v2Array(text);
  if (array === undefined) return undefined;
  const [joinRef, ref, topic, event, payload] = array;
  return JSON.stringify({ topic, event, payload, ref, ...(joinRef === null ? {} : { join_ref: joinRef }) });
}

/** The frame filter of `--vsn 1.0.0`. */
export const v1Frames: FrameFilter = {
  url: (url) => url.replace(/([?&])vsn=[^&]*/, "$1vsn=1.0.0"),
  outgoing: (frame) => (typeof frame === "string" ? v2ToV1(frame) : undefined),
  incoming: (frame) => (typeof frame === "string" ? v1ToV2(frame) : undefined),
};
