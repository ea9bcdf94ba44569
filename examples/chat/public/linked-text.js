// Turns a message body into DOM nodes in which http(s) URLs are links. Built with DOM APIs only: the text
// goes in as text nodes, each URL as an anchor whose href has been parsed and checked to be http: or
// https:, so no other scheme (javascript:, data:, …) ever becomes a link, and no markup is ever parsed.

/** Where a URL may start: `http://` or `https://`, not glued to a word before it. */
const URL_START = /\bhttps?:\/\/[^\s<>"]+/gi;

/** Characters that end a sentence rather than a URL when they come last ("see https://x.org/."). */
const TRAILING = new Set([".", ",", ";", ":", "!", "?", "'", '"', ")", "]", "}", "*"]);

/**
 * The nodes of `text` with its http(s) URLs as anchors that open in a new tab, without telling the
 * linked page where the reader came from or giving it a handle on this one.
 * @param {string} text
 * @returns {DocumentFragment}
 */
export function linkedText(text) {
  const fragment = document.createDocumentFragment();
  let from = 0;
  for (const match of text.matchAll(URL_START)) {
    const candidate = trimTrailing(match[0]);
    const href = httpHref(candidate);
    if (href === null) continue;
    const start = match.index ?? 0;
    if (start > from) fragment.append(text.slice(from, start));
    const anchor = document.createElement("a");
    anchor.href = href;
    anchor.textContent = candidate;
    anchor.target = "_blank";
    anchor.rel = "noopener noreferrer";
    fragment.append(anchor);
    from = start + candidate.length;
  }
  if (from < text.length) fragment.append(text.slice(from));
  return fragment;
}

/** Drops sentence punctuation from the end; a closing parenthesis stays when the URL opened one. */
function trimTrailing(candidate) {
  let url = candidate;
  while (url.length > 0 && TRAILING.has(url.at(-1))) {
    if (url.endsWith(")") && count(url, "(") >= count(url, ")")) break;
    url = url.slice(0, -1);
  }
  return url;
}

const count = (text, char) => text.split(char).length - 1;

/** The URL as an href when it parses as http(s) with a host, else null (left as text). */
function httpHref(candidate) {
  try {
    const url = new URL(candidate);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "" ? url.href : null;
  } catch {
    return null;
  }
}
