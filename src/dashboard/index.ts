/**
 * `fenix/dashboard`: a live back-office for a Fenix endpoint — charts of connections, message rates,
 * queue lengths Q(t) and error probabilities P(e), tables of sockets and topics, the topology and
 * supervision trees, a per-connection frame trace, and actions (disconnect, broadcast, suspend, resume).
 * The page talks to the server over a Fenix channel and merges every node of a cluster. See
 * docs/dashboard.md.
 */
export { enableDashboard, DASHBOARD_CHILD_ID } from "./enable-dashboard.js";
export type { Dashboard } from "./enable-dashboard.js";
export type { DashboardOptions } from "./dashboard-options.js";
export { dashboardRequest, localOnly, localOrToken } from "./access-check.js";
export type { DashboardCheck, DashboardRequest } from "./access-check.js";
export { DashboardError, DashboardErrorCode } from "./errors.js";
export { DashboardTopic } from "./control-messages.js";
export type { DashboardView, NodeSummary, SeriesPoint, TopologyEdge } from "./cluster-view.js";
export type { ChannelRow, NodeSnapshot, Rates, SocketRow, TopicRow, TreeNode } from "./node-snapshot.js";
export type { Distribution } from "./distribution.js";
export type { ErrorCounts, ErrorRatios } from "./error-rates.js";
