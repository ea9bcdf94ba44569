// Builds DOM nodes from data without ever parsing it as HTML: every string becomes a text node, so
// topics, socket ids, peer addresses and traced frames show exactly as they are.

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * Creates an HTML element. `attrs` are set with setAttribute (except `on*` functions, added as
 * listeners, and `className`); children are nodes or strings (as text).
 * @param {string} tag
 * @param {Record<string, unknown>} [attrs]
 * @param {...(Node | string | number | null | undefined | false)} children
 * @returns {HTMLElement}
 */
export function el(tag, attrs = {}, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

/**
 * Creates an SVG element, like {@link el}.
 * @param {string} tag
 * @param {Record<string, unknown>} [attrs]
 * @param {...(Node | string | number | null | undefined | false)} children
 * @returns {SVGElement}
 */
export function svg(tag, attrs = {}, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

function fill(node, attrs, children) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else if (name === "className") node.setAttribute("class", String(value));
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    node.append(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
  return node;
}

/**
 * Replaces the children of `parent`.
 * @param {Element} parent
 * @param {...(Node | string)} children
 */
export function replaceChildren(parent, ...children) {
  parent.replaceChildren(...children.map((c) => (typeof c === "object" ? c : document.createTextNode(String(c)))));
}

/**
 * The element with `data-testid="<id>"` (every panel is found this way, by the page and by its tests).
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byTestId(id) {
  const found = document.querySelector(`[data-testid="${id}"]`);
  if (found === null) throw new Error(`the page has no element ${id}`);
  return /** @type {HTMLElement} */ (found);
}
