// The dashboard page: joins the dashboard channel over fenix/client (served by the endpoint at
// /fenix/client.js) and draws every merged view the server pushes — nodes, charts, tables, topology,
// the selected connection — and sends the page's actions back on the same channel.
import { Socket } from "/fenix/client.js";
import { Actions, broadcastForm } from "./actions.js";
import { Charts } from "./charts.js";
import { Detail } from "./detail.js";
import { byTestId, el, replaceChildren } from "./elements.js";
import { age, count, percent, rate } from "./format.js";
import { socketsTable, topicsTable } from "./tables.js";
import { drawSupervision, drawTopology } from "./topology.js";

const socketPath = document.querySelector('meta[name="fenix-dashboard-socket"]')?.getAttribute("content") ?? "/dashboard/socket";
// The page's own URL may carry ?token=…: the same token opens the socket (sent in the handshake, not the URL).
const token = new URLSearchParams(location.search).get("token") ?? undefined;

const status = byTestId("status");
const setStatus = (state, text) => {
  status.dataset.state = state;
  replaceChildren(status, text);
};

const socket = new Socket(socketPath, token === undefined ? {} : { authToken: token });
socket.onOpen(() => setStatus("open", "connected"));
socket.onClose(() => setStatus("closed", "disconnected: reconnecting…"));
socket.onError(() => setStatus("closed", "cannot connect (refused, or the server is down): retrying…"));
socket.connect();

const channel = socket.channel("fenix:dashboard");
const actions = new Actions(channel, byTestId("action-result"));
let charts = null;
const sockets = socketsTable({
  table: byTestId("socket-table"),
  search: byTestId("socket-search"),
  note: byTestId("socket-count"),
  onSelect: (row) => {
    detail.selectConnection(row);
    sockets.select(`${row.node} ${row.pid}`);
  },
});
const broadcast = broadcastForm(
  { form: byTestId("broadcast-form"), topic: byTestId("broadcast-topic"), event: byTestId("broadcast-event"), payload: byTestId("broadcast-payload") },
  actions,
);
const topics = topicsTable({
  table: byTestId("topic-table"),
  search: byTestId("topic-search"),
  note: byTestId("topic-count"),
  onSelect: (row) => {
    broadcast.useTopic(row.topic);
    topics.select(row.topic);
  },
});
const detail = new Detail({ root: byTestId("detail"), trace: byTestId("trace"), traceNote: byTestId("trace-note") }, actions);

function drawNodes(view) {
  const rows = view.nodes.map((n) =>
    el(
      "tr",
      { "data-node": n.node },
      el("td", {}, n.node),
      el("td", {}, n.status),
      el("td", { className: "num" }, count(n.connections)),
      el("td", { className: "num" }, rate(n.rates.messagesIn)),
      el("td", { className: "num" }, count(n.mailbox.p99)),
      el("td", { className: "num" }, percent(n.errors.crashPerMessage)),
      el("td", { className: "num" }, `${age(Math.max(0, view.at - n.at))} ago`),
    ),
  );
  replaceChildren(byTestId("nodes-body"), ...rows);
}

function draw(view) {
  replaceChildren(byTestId("serving-node"), `served by ${view.node}`);
  drawNodes(view);
  sockets.update(view.sockets);
  topics.update(view.topics);
  drawTopology(byTestId("topology"), view);
  drawSupervision(byTestId("supervision"), view, (process) => detail.selectProcess(process));
  detail.update(view);
}

channel.on("view", (view) => {
  charts?.append(view.totals);
  draw(view);
});
channel.on("frames", (batch) => detail.frames(batch));
channel.onJoin((reply) => {
  charts ??= new Charts(byTestId, reply.historyPoints);
  charts.reset(reply.history);
  if (reply.view !== null) draw(reply.view);
  detail.retrace();
});
channel.join().catch((error) => setStatus("closed", `the dashboard channel refused to join: ${error.message}`));
