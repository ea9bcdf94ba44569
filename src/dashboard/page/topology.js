// The topology panel, drawn as SVG: server nodes on the left, topics on the right, an edge for each
// node's connections joined to a topic (its width and label give the count); below it, each node's
// supervision tree with restart counts. Names are set as text and shortened on screen, with the full
// name in a tooltip.
import { replaceChildren, svg } from "./elements.js";
import { count } from "./format.js";

/** Topics drawn at most (the most joined); the rest are summed in a last line. */
const MAX_TOPICS = 24;
const WIDTH = 760;
const ROW = 34;
const BOX_H = 26;
const NODE_W = 210;
const TOPIC_W = 250;

const short = (text, max) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/**
 * Draws nodes ↔ topics with connection counts.
 * @param {SVGSVGElement} root
 * @param {any} view the merged view
 */
export function drawTopology(root, view) {
  const byTopic = new Map();
  for (const edge of view.edges) byTopic.set(edge.topic, (byTopic.get(edge.topic) ?? 0) + edge.connections);
  const topics = [...byTopic].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const drawn = topics.slice(0, MAX_TOPICS).map(([topic]) => topic);
  const hidden = topics.length - drawn.length;
  const nodes = view.nodes.map((n) => n.node);
  const rows = Math.max(nodes.length, drawn.length + (hidden > 0 ? 1 : 0), 1);
  const height = rows * ROW + 16;
  const nodeY = (i) => 8 + i * ROW;
  const topicX = WIDTH - TOPIC_W - 8;
  const topicY = new Map(drawn.map((topic, i) => [topic, 8 + i * ROW]));
  const parts = [];

  for (const edge of view.edges) {
    const ty = topicY.get(edge.topic);
    const ni = nodes.indexOf(edge.node);
    if (ty === undefined || ni === -1) continue;
    const x1 = 8 + NODE_W;
    const y1 = nodeY(ni) + BOX_H / 2;
    const y2 = ty + BOX_H / 2;
    const mid = (x1 + topicX) / 2;
    parts.push(
      svg("path", {
        className: "edge",
        d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${topicX},${y2}`,
        "stroke-width": 1 + Math.log2(1 + edge.connections),
        "data-node": edge.node,
        "data-topic": edge.topic,
      }),
      svg("text", { className: "edge-label", x: mid, y: (y1 + y2) / 2 - 3, "text-anchor": "middle" }, count(edge.connections)),
    );
  }
  view.nodes.forEach((n, i) => {
    parts.push(
      svg(
        "g",
        { className: "node", "data-node": n.node, transform: `translate(8,${nodeY(i)})` },
        svg("title", {}, `${n.node}: ${n.connections} connections (${n.status})`),
        svg("rect", { width: NODE_W, height: BOX_H, rx: 5 }),
        svg("text", { x: 8, y: 17 }, `${short(n.node, 22)} · ${count(n.connections)}`),
      ),
    );
  });
  drawn.forEach((topic) => {
    parts.push(
      svg(
        "g",
        { className: "topic", "data-topic": topic, transform: `translate(${topicX},${topicY.get(topic)})` },
        svg("title", {}, `${topic}: ${byTopic.get(topic)} connections`),
        svg("rect", { width: TOPIC_W, height: BOX_H, rx: 5 }),
        svg("text", { x: 8, y: 17 }, `${short(topic, 26)} · ${count(byTopic.get(topic))}`),
      ),
    );
  });
  if (hidden > 0) {
    parts.push(svg("text", { className: "more", x: topicX + 8, y: 8 + drawn.length * ROW + 17 }, `+ ${count(hidden)} more topics`));
  }
  if (view.edges.length === 0) parts.push(svg("text", { className: "more", x: topicX + 8, y: 25 }, "no joined topics"));
  root.setAttribute("viewBox", `0 0 ${WIDTH} ${height}`);
  root.setAttribute("height", String(height));
  replaceChildren(root, ...parts);
}

const TREE_ROW = 22;
const INDENT = 18;

/**
 * Draws every node's supervision tree; clicking a process selects it (for suspend/resume).
 * @param {SVGSVGElement} root
 * @param {any} view the merged view
 * @param {(process: { node: string, pid: string, id: string, kind: string, suspended: boolean }) => void} onSelect
 */
export function drawSupervision(root, view, onSelect) {
  const parts = [];
  let row = 0;
  for (const { node, tree } of view.trees) {
    parts.push(svg("text", { className: "tree-node", x: 4, y: row * TREE_ROW + 16 }, node));
    row++;
    const walk = (item, depth, parentRow) => {
      const y = row * TREE_ROW;
      const x = 12 + depth * INDENT;
      if (parentRow !== null) {
        const px = 12 + (depth - 1) * INDENT + 5;
        parts.push(svg("path", { className: "tree-link", d: `M${px},${parentRow * TREE_ROW + 16} V${y + 11} H${x}` }));
      }
      const labels = [item.id];
      if (item.kind === "dynamic") labels.push(`${count(item.count)} children`);
      if (item.pid === null) labels.push("stopped");
      const badges = [];
      if (item.restarts > 0) badges.push(`↻ ${count(item.restarts)}`);
      if (item.childRestarts > 0) badges.push(`children ↻ ${count(item.childRestarts)}`);
      if (item.suspended) badges.push("suspended");
      const selectable = item.pid !== null;
      parts.push(
        svg(
          "g",
          {
            className: `tree-item ${item.kind}${selectable ? " selectable" : ""}`,
            "data-pid": item.pid ?? undefined,
            "data-child": item.id,
            "data-restarts": item.restarts,
            transform: `translate(${x},${y})`,
            onclick: selectable ? () => onSelect({ node, pid: item.pid, id: item.id, kind: item.kind, suspended: item.suspended }) : undefined,
          },
          svg("title", {}, `${item.id} ${item.pid ?? ""} (${item.kind})`),
          item.kind === "worker" ? svg("circle", { cx: 5, cy: 11, r: 4 }) : svg("rect", { x: 1, y: 7, width: 8, height: 8 }),
          svg(
            "text",
            { x: 14, y: 15 },
            `${labels.join(" · ")}  ${item.pid ?? ""}`,
            badges.length > 0 ? svg("tspan", { className: "badge", dx: 10 }, badges.join("  ")) : null,
          ),
        ),
      );
      const here = row;
      row++;
      for (const child of item.children) walk(child, depth + 1, here);
    };
    walk(tree, 0, null);
    row++;
  }
  if (view.trees.length === 0) parts.push(svg("text", { className: "more", x: 4, y: 16 }, "the tree is read on the next sample"));
  const height = Math.max(1, row) * TREE_ROW + 8;
  root.setAttribute("viewBox", `0 0 ${WIDTH} ${height}`);
  root.setAttribute("height", String(height));
  replaceChildren(root, ...parts);
}
