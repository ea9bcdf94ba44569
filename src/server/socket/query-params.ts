/**
 * Parses a URL query string into nested params the way the official client encodes them:
 * `user%5Bid%5D=1&tags%5B0%5D=a` becomes `{ user: { id: "1" }, tags: { "0": "a" } }`.
 */

/** Connect params: strings, nested by bracket syntax. */
export interface Params {
  [key: string]: string | Params;
}

/**
 * Parses `a=1&b[c]=2&d[]=x&d[]=y` into nested params.
 *
 * @remarks
 * `+` means a space; a later value for the same key wins; `k[]` keys collect values under `"0"`, `"1"`, …;
 * a key that is a string in one place and nested in another keeps the nested form. Keys named
 * `__proto__`, `constructor` and `prototype` are dropped.
 */
export function parseQueryParams(query: string): Params {
  const params: Params = Object.create(null) as Params;
  if (query.startsWith("?")) query = query.slice(1);
  if (query.length === 0) return params;
  for (const part of query.split("&")) {
    if (part.length === 0) continue;
    const eq = part.indexOf("=");
    const rawKey = eq === -1 ? part : part.slice(0, eq);
    const rawValue = eq === -1 ? "" : part.slice(eq + 1);
    const key = decode(rawKey);
    const value = decode(rawValue);
    if (key === null || value === null) continue;
    assign(params, splitKey(key), value);
  }
  return params;
}

function decode(s: string): string | null {
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch {
    return null;
  }
}

/** `a[b][c]` → ["a", "b", "c"]; `a[]` → ["a", ""]. */
function splitKey(key: string): string[] {
  const open = key.indexOf("[");
  if (open <= 0) return [key];
  const path = [key.slice(0, open)];
  const re = /\[([^\]]*)\]/gy;
  re.lastIndex = open;
  let m: RegExpExecArray | null;
  while ((m = re.exec(key)) !== null) path.push(m[1] ?? "");
  return path;
}

const UNSAFE = new Set(["__proto__", "constructor", "prototype"]);

function assign(target: Params, path: string[], value: string): void {
  let node = target;
  for (let i = 0; i < path.length; i++) {
    let segment = path[i]!;
    if (segment === "" && i > 0) segment = String(Object.keys(node).length);
    if (UNSAFE.has(segment)) return;
    if (i === path.length - 1) {
      if (typeof node[segment] !== "object") node[segment] = value;
      return;
    }
    let next = node[segment];
    if (typeof next !== "object") {
      next = Object.create(null) as Params;
      node[segment] = next;
    }
    node = next;
  }
}
