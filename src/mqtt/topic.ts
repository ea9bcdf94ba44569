/**
 * MQTT topic names and topic filters (MQTT 3.1.1 §4.7, MQTT 5.0 §4.7 and §4.8): which strings are valid
 * names and filters, how a filter matches a name, and how a shared subscription filter (`$share/group/filter`)
 * splits into its group and inner filter. Pure functions, no I/O.
 *
 * Levels are separated by `/` and may be empty (`a//b`, `/a`, `a/`). In a filter `+` stands for exactly one
 * level and `#` for the parent level and any number of child levels; both must occupy a whole level and `#`
 * must be the last one. A filter that starts with a wildcard never matches a name that starts with `$`
 * (`#` does not match `$SYS/uptime`; `$SYS/#` does).
 */

/** The longest topic name or filter, in UTF-8 bytes (a two-byte length prefix on the wire). */
export const MAX_TOPIC_BYTES = 65_535;

/** The prefix of a shared subscription filter (MQTT 5.0 §4.8.2). */
export const SHARED_PREFIX = "$share/";

const SLASH = 0x2f;
const PLUS = 0x2b;
const HASH = 0x23;
const DOLLAR = 0x24;

/**
 * Scans `text` once: returns false if it is empty, longer than {@link MAX_TOPIC_BYTES} in UTF-8, contains
 * U+0000 or an unpaired surrogate (which has no UTF-8 encoding), or breaks the wildcard rules. With
 * `wildcards` false any `+` or `#` fails; with it true each must be a whole level and `#` the last one.
 */
function scan(text: string, wildcards: boolean): boolean {
  const length = text.length;
  // Each UTF-16 code unit takes at least one UTF-8 byte, and at most three.
  if (length === 0 || length > MAX_TOPIC_BYTES) return false;
  let bytes = 0;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) return false;
    if (c === PLUS || c === HASH) {
      if (!wildcards) return false;
      const atLevelStart = i === 0 || text.charCodeAt(i - 1) === SLASH;
      const next = i + 1 < length ? text.charCodeAt(i + 1) : -1;
      if (!atLevelStart) return false;
      if (c === PLUS && next !== -1 && next !== SLASH) return false;
      if (c === HASH && next !== -1) return false;
    }
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const low = i + 1 < length ? text.charCodeAt(i + 1) : -1;
      if (low < 0xdc00 || low > 0xdfff) return false;
      bytes += 4;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
    else bytes += 3;
  }
  return bytes <= MAX_TOPIC_BYTES;
}

/**
 * Whether `name` is a valid topic name, the topic of a PUBLISH: non-empty, no `+` or `#`, no U+0000, well-formed
 * UTF-16 (no unpaired surrogate) and at most 65 535 bytes in UTF-8.
 */
export function isValidTopicName(name: string): boolean {
  return typeof name === "string" && scan(name, false);
}

/**
 * Whether `filter` is a valid topic filter, as in a SUBSCRIBE: non-empty, `+` only as a whole level, `#` only as
 * the whole last level, no U+0000, well-formed UTF-16 and at most 65 535 bytes in UTF-8. A shared filter
 * (`$share/g/a/+`) is also a valid plain filter by these rules; use {@link parseSharedFilter} to split it.
 */
export function isValidTopicFilter(filter: string): boolean {
  return typeof filter === "string" && scan(filter, true);
}

/** A shared subscription filter split into its parts: `$share/workers/jobs/+` → `workers`, `jobs/+`. */
export interface SharedFilter {
  /** The share name: non-empty, without `/`, `+` or `#`. */
  readonly group: string;
  /** The filter after the group, a valid topic filter. */
  readonly filter: string;
}

/**
 * Splits a shared subscription filter `$share/{group}/{filter}` (MQTT 5.0 §4.8.2).
 *
 * @returns `null` if `filter` does not start with `$share/` (an ordinary filter); `undefined` if it does but is
 *   malformed (empty group, a group with `+`, `#` or U+0000, no `/filter` part, an invalid inner filter, or the
 *   whole string too long); otherwise the group and the inner filter.
 */
export function parseSharedFilter(filter: string): SharedFilter | null | undefined {
  if (typeof filter !== "string" || !filter.startsWith(SHARED_PREFIX)) return null;
  const slash = filter.indexOf("/", SHARED_PREFIX.length);
  if (slash === -1) return undefined;
  const group = filter.slice(SHARED_PREFIX.length, slash);
  if (group.length === 0 || group.includes("+") || group.includes("#") || group.includes("\0")) return undefined;
  // The whole string must fit too; checking it as a filter also rejects bad UTF-16 in the group.
  if (!isValidTopicFilter(filter)) return undefined;
  const inner = filter.slice(slash + 1);
  if (!isValidTopicFilter(inner)) return undefined;
  return { group, filter: inner };
}

/**
 * Whether the topic filter `filter` matches the topic name `topic`. Both are assumed valid (see
 * {@link isValidTopicFilter} and {@link isValidTopicName}); a shared filter must be split first.
 *
 * `+` matches exactly one level, which may be empty (`sport/+` matches `sport/` but not `sport`); `#` matches
 * the parent level and any number of child levels (`a/#` matches `a`, `a/` and `a/b/c`). A filter whose first
 * level is a wildcard never matches a topic whose first level starts with `$`.
 */
export function topicMatches(filter: string, topic: string): boolean {
  const first = filter.charCodeAt(0);
  if ((first === PLUS || first === HASH) && topic.charCodeAt(0) === DOLLAR) return false;
  const filterLevels = filter.split("/");
  const topicLevels = topic.split("/");
  for (let i = 0; i < filterLevels.length; i++) {
    const level = filterLevels[i];
    if (level === "#") return true;
    if (i >= topicLevels.length) return false;
    if (level !== "+" && level !== topicLevels[i]) return false;
  }
  return filterLevels.length === topicLevels.length;
}
