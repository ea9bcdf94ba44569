// The charts row: connections, message rates, Q(t) and P(e), drawn with uPlot from the merged totals
// the server sends (a history on join, then one point per sample). Each chart also prints its latest
// values in a readout line, and counts its points in `data-points` (what the page's tests watch).
import uPlot from "uplot";
import { el, replaceChildren } from "./elements.js";
import { bytes, count, percent, rate } from "./format.js";

const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2"];

/**
 * What each chart draws: the fields of a series point, with their labels and units. Q(t) has two
 * scales: messages queued in mailboxes on the left, outbound bytes on the right.
 */
const CHARTS = [
  {
    id: "connections",
    title: "Connections",
    series: [
      { key: "connections", label: "connections", format: count, whole: true },
      { key: "channels", label: "joined channels", format: count },
    ],
  },
  {
    id: "rates",
    title: "Message rates",
    series: [
      { key: "messagesIn", label: "client events", format: rate },
      { key: "broadcasts", label: "broadcasts", format: rate },
      { key: "messagesInfo", label: "process messages", format: rate },
      { key: "connects", label: "connects", format: rate },
      { key: "disconnects", label: "disconnects", format: rate },
    ],
  },
  {
    id: "queues",
    title: "Q(t): queue lengths",
    series: [
      { key: "mailboxTotal", label: "mailbox total", format: count, whole: true },
      { key: "mailboxMax", label: "mailbox max", format: count },
      { key: "mailboxP99", label: "mailbox p99", format: count },
      { key: "bufferedTotal", label: "out bytes total", format: bytes, scale: "bytes", whole: true },
      { key: "bufferedMax", label: "out bytes max", format: bytes, scale: "bytes" },
      { key: "bufferedP99", label: "out bytes p99", format: bytes, scale: "bytes" },
    ],
  },
  {
    id: "errors",
    title: "P(e): errors per unit of traffic",
    series: [
      { key: "crashPerMessage", label: "crashes / message", format: percent },
      { key: "refusedJoinPerJoin", label: "refused / join", format: percent },
      { key: "slowConsumerPerConnection", label: "slow cuts / connection", format: percent },
      { key: "transportErrorPerConnection", label: "transport errors / connection", format: percent },
    ],
  },
];

/** Tick steps for scales of whole things (messages, bytes, connections): no half a message on an axis. */
const WHOLE = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12];

/** Every scale starts at 0 (a queue or a rate is never negative) and shows at least 0..1 when flat. */
const fromZero = (_u, _min, max) => [0, max !== null && max > 0 ? max * 1.1 : 1];

class Chart {
  /**
   * @param {HTMLElement} root the chart's box (`data-testid="chart-<id>"`)
   * @param {(typeof CHARTS)[number]} spec
   * @param {number} maxPoints
   */
  constructor(root, spec, maxPoints) {
    this.spec = spec;
    this.root = root;
    this.maxPoints = maxPoints;
    /** @type {number[][]} */
    this.data = [[], ...spec.series.map(() => [])];
    this.readout = el("p", { className: "readout", "data-testid": `readout-${spec.id}` });
    const plot = el("div", { className: "plot" });
    replaceChildren(root, el("h2", {}, spec.title), this.readout, plot);
    const left = spec.series.find((s) => s.scale === undefined);
    const right = spec.series.find((s) => s.scale !== undefined);
    const axis = (series, extra) => ({ scale: series.scale ?? "y", size: 70, values: (_u, values) => values.map((v) => series.format(v)), ...(series.whole ? { incrs: WHOLE } : {}), ...extra });
    const axes = [{}, axis(left, {})];
    if (right !== undefined) axes.push(axis(right, { side: 1, grid: { show: false } }));
    this.plot = new uPlot(
      {
        width: Math.max(240, plot.clientWidth || 320),
        height: 170,
        cursor: { drag: { x: false, y: false } },
        legend: { show: false },
        scales: { x: { time: true }, y: { range: fromZero }, bytes: { range: fromZero } },
        series: [
          {},
          ...spec.series.map((s, i) => ({
            label: s.label,
            stroke: PALETTE[i % PALETTE.length],
            width: 1.5,
            scale: s.scale ?? "y",
            value: (_u, v) => (v === null || v === undefined ? "–" : s.format(v)),
          })),
        ],
        axes,
      },
      this.data,
      plot,
    );
    new ResizeObserver(() => {
      const width = Math.max(240, plot.clientWidth);
      if (width !== this.plot.width) this.plot.setSize({ width, height: 170 });
    }).observe(plot);
  }

  /** @param {Record<string, number>[]} points */
  reset(points) {
    this.data = [[], ...this.spec.series.map(() => [])];
    for (const point of points) this.#push(point);
    this.#draw();
  }

  /** @param {Record<string, number>} point */
  append(point) {
    this.#push(point);
    this.#draw();
  }

  #push(point) {
    const last = this.data[0].at(-1);
    if (last !== undefined && point.t <= last) return;
    this.data[0].push(point.t);
    this.spec.series.forEach((s, i) => this.data[i + 1].push(point[s.key] ?? 0));
    if (this.data[0].length > this.maxPoints) for (const column of this.data) column.shift();
  }

  #draw() {
    this.plot.setData(this.data);
    this.root.dataset.points = String(this.data[0].length);
    const parts = this.spec.series.map((s, i) => {
      const latest = this.data[i + 1].at(-1);
      const swatch = el("i", { className: "swatch" });
      swatch.style.setProperty("background", PALETTE[i % PALETTE.length]);
      return el("span", { "data-series": s.key, "data-value": latest ?? 0 }, swatch, `${s.label} ${latest === undefined ? "–" : s.format(latest)}`);
    });
    replaceChildren(this.readout, ...parts);
  }
}

/** The four charts, fed with series points. */
export class Charts {
  /**
   * @param {(id: string) => HTMLElement} find finds a chart's box by its id
   * @param {number} maxPoints the points kept (the server's history length)
   */
  constructor(find, maxPoints) {
    this.charts = CHARTS.map((spec) => new Chart(find(`chart-${spec.id}`), spec, maxPoints));
  }

  /** Starts over from a history (after each join). */
  reset(points) {
    for (const chart of this.charts) chart.reset(points);
  }

  /** Adds the latest point. */
  append(point) {
    for (const chart of this.charts) chart.append(point);
  }
}
