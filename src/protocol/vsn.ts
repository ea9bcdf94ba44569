/**
 * Serializer negotiation: a client names the protocol version it speaks in the `vsn` connect parameter and
 * the server picks the serializer for it, or refuses the connection.
 */
import type { Serializer } from "./serializer.js";
import { V1JsonSerializer } from "./v1-json.js";
import { V2JsonSerializer } from "./v2-json.js";

/**
 * The serializers a server offers unless configured otherwise: V1 for `1.0.x`, V2 for `2.0.x`.
 */
export const DEFAULT_SERIALIZERS: readonly Serializer[] = Object.freeze([V1JsonSerializer, V2JsonSerializer]);

/** The version assumed when the client sends none (legacy clients never did). */
const DEFAULT_VSN = "1.0.0";

/** `major.minor.patch`, digits only, without leading zeros. */
const VERSION = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

/**
 * Picks the serializer for a client's `vsn` connect parameter, or null when none fits.
 *
 * @remarks
 * An absent `vsn` (undefined) means `"1.0.0"`. Otherwise `vsn` must be a version string `X.Y.Z`; the first
 * serializer whose own version has the same major and minor wins, whatever the patch (so `"2.0.7"` selects
 * V2, while `"2.1.0"` and `"3.0.0"` select nothing). Anything else — non-strings, empty or malformed strings —
 * yields null, which the server answers with HTTP 403 (`FENIX_ERR_SERVER_UNSUPPORTED_VSN`).
 *
 * @param vsn - the raw `vsn` query parameter, not yet validated.
 * @param serializers - the serializers to choose from, in order of preference.
 * @defaultValue `serializers` is {@link DEFAULT_SERIALIZERS}.
 *
 * @example
 * ```ts
 * negotiateSerializer("2.0.0");   // V2JsonSerializer
 * negotiateSerializer(undefined); // V1JsonSerializer
 * negotiateSerializer("2.1.0");   // null
 * ```
 */
export function negotiateSerializer(
  vsn: unknown,
  serializers: readonly Serializer[] = DEFAULT_SERIALIZERS,
): Serializer | null {
  const requested = vsn === undefined ? DEFAULT_VSN : vsn;
  if (typeof requested !== "string" || !VERSION.test(requested)) return null;
  // A well-formed version: its major and minor are the text before the second dot.
  const minorEnd = requested.indexOf(".", requested.indexOf(".") + 1);
  for (const serializer of serializers) {
    const own = serializer.vsn;
    const ownMinorEnd = own.indexOf(".", own.indexOf(".") + 1);
    if (ownMinorEnd === minorEnd && samePrefix(own, requested, minorEnd)) return serializer;
  }
  return null;
}

/** Whether `a` and `b` agree in their first `length` characters (no substring made). */
function samePrefix(a: string, b: string, length: number): boolean {
  for (let i = 0; i < length; i++) if (a.charCodeAt(i) !== b.charCodeAt(i)) return false;
  return true;
}
