/**
 * Reads an endpoint's supervision tree for the topology panel: every `Supervisor` is asked for its
 * children, every `DynamicSupervisor` only for how many it runs (a mount's connections are counted, not
 * listed), and each child is given the restarts the telemetry counted for it. A supervisor busy with a
 * long restart or shutdown does not hold the walk up: past `timeoutMs` its children are left out; one
 * the dashboard suspended is not asked at all.
 */
import { DynamicSupervisor } from "../runtime/supervisor/dynamic-supervisor.js";
import { DynamicSupervisorServer } from "../runtime/supervisor/dynamic-supervisor-server.js";
import type { Pid } from "../runtime/process/pid.js";
import type { Runtime } from "../runtime/process/runtime.js";
import { Supervisor } from "../runtime/supervisor/supervisor.js";
import { SupervisorServer } from "../runtime/supervisor/supervisor-server.js";
import type { TreeNode } from "./node-snapshot.js";

/** What the walk needs besides the root. */
export interface TreeSources {
  readonly runtime: Runtime;
  /** Restarts of a supervisor's child, and of every child of a supervisor (pids as text). */
  restarts(supervisor: string, child: string): number;
  restartsUnder(supervisor: string): number;
  /** Pids (as text) suspended through the dashboard. */
  readonly suspended: ReadonlySet<string>;
  /** How long one supervisor may take to answer (ms, on the runtime's clock). */
  readonly timeoutMs: number;
}

/** The tree, and every pid it names (for actions that name a process by its text). */
export interface SupervisionTree {
  readonly tree: TreeNode;
  readonly pids: ReadonlyMap<string, Pid>;
}

/**
 * Walks the tree under `root` (the endpoint's top supervisor, shown with the id `"endpoint"`).
 *
 * @example
 * ```ts
 * const { tree } = await readSupervisionTree(endpoint.supervisor!, sources);
 * ```
 */
export async function readSupervisionTree(root: Pid, sources: TreeSources): Promise<SupervisionTree> {
  const pids = new Map<string, Pid>();
  const tree = await visit("endpoint", root, 0, sources, pids);
  return { tree, pids };
}

async function visit(id: string, pid: Pid, restarts: number, sources: TreeSources, pids: Map<string, Pid>): Promise<TreeNode> {
  const text = pid.toString();
  pids.set(text, pid);
  const suspended = sources.suspended.has(text);
  const process = sources.runtime.lookup(pid);
  if (suspended && (process instanceof DynamicSupervisorServer || process instanceof SupervisorServer)) {
    // It would not answer before it is resumed: not asked, so calls do not pile up in its mailbox.
    const kind = process instanceof DynamicSupervisorServer ? "dynamic" : "supervisor";
    return { id, pid: text, kind, restarts, childRestarts: 0, children: [], count: 0, suspended };
  }
  if (process instanceof DynamicSupervisorServer) {
    const counts = await within(DynamicSupervisor.countChildren(pid), sources);
    const childRestarts = sources.restartsUnder(text);
    return { id, pid: text, kind: "dynamic", restarts, childRestarts, children: [], count: counts?.active ?? 0, suspended };
  }
  if (!(process instanceof SupervisorServer)) {
    return { id, pid: text, kind: "worker", restarts, childRestarts: 0, children: [], count: 0, suspended };
  }
  const children = (await within(Supervisor.whichChildren(pid), sources)) ?? [];
  const nodes = await Promise.all(
    children.map((child) => {
      const childRestarts = sources.restarts(text, child.id);
      if (child.pid === null) {
        const kind = child.type === "supervisor" ? "supervisor" : "worker";
        return { id: child.id, pid: null, kind, restarts: childRestarts, childRestarts: 0, children: [], count: 0, suspended: false } satisfies TreeNode;
      }
      return visit(child.id, child.pid, childRestarts, sources, pids);
    }),
  );
  return { id, pid: text, kind: "supervisor", restarts, childRestarts: 0, children: nodes, count: 0, suspended };
}

/** The answer, or `undefined` when the supervisor did not answer in time or ended meanwhile. */
function within<T>(request: Promise<T>, sources: TreeSources): Promise<T | undefined> {
  return new Promise((resolve) => {
    const clock = sources.runtime.clock;
    const timer = clock.setTimeout(() => resolve(undefined), sources.timeoutMs);
    request.then(
      (value) => {
        clock.clearTimeout(timer);
        resolve(value);
      },
      () => {
        clock.clearTimeout(timer);
        resolve(undefined);
      },
    );
  });
}
