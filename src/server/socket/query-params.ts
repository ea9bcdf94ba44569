/**
 * Parses a URL query string into nested params the way the official client encodes them:
 * `user%5Bid%5D=1&tags%5B0%5D=a` becomes `{ user: { id: "1" }, tags: { "0": "a" } }`.
 */

/** Connect params: strings, nested by bracket syntax. */
export interface Params {
  [key: string]: string | Params;
}

/**
 * Makes an empty params object that inherits nothing (no `toString`, no `constructor`). Its prototype is
 * an empty object with a null prototype: unlike `Object.create(null)`, which starts as a slow dictionary
 * (a key store there cost ~0.5 µs), such an object is filled as fast as a literal.
 */
const emptyParams: () => Params = (() => {
  function ParamsObject(): void {}
  ParamsObject.prototype = Object.create(null) as object;
  const make = ParamsObject as unknown as new () => Params;
  return () => new make();
})();

/**
 * Parses `a=1&b[c]=2&d[]=x&d[]=y` into nested params.
 *
 * @remarks
 * `+` means a space; a later value for the same key wins; `k[]` keys collect values under `"0"`, `"1"`, …;
 * a key that is a string in one place and nested in another keeps the nested form. Keys named
 * `__proto__`, `constructor` and `prototype` are dropped.
 */
export function parseQueryParams(query: string): Params {
  const params = emptyParams();
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
    // A plain key (`vsn`, `token`) is set as is: no path to split.
    if (key.indexOf("[") <= 0) assignKey(params, key, value);
    else assign(params, splitKey(key), value);
  }
  return params;
}

function decode(s: string): string | null {
  // Most keys and values (`vsn=2.0.0`, a token) need no decoding: skip the regex and the decoder.
  if (s.indexOf("%") === -1 && s.indexOf("+") === -1) return s;
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

/** Sets a plain key, unless it is unsafe or already holds nested params. */
function assignKey(target: Params, key: string, value: string): void {
  if (!UNSAFE.has(key) && typeof target[key] !== "object") target[key] = value;
}

function assign(target: Params, path: string[], value: string): void {
  if (path.length === 1) return assignKey(target, path[0]!, value);
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
      next = emptyParams();
      node[segment] = next;
    }
    node = next;
  }
}
