/**
 * A cluster whose workers cannot start (their function throws): the primary's startCluster must reject
 * with FENIX_ERR_SERVER_WORKER_FAILED instead of starting them again forever. Prints `REJECTED <code>`.
 */
import { silentLogger, startCluster } from "../../../src/index.js";

try {
  await startCluster({
    workers: 2,
    logger: silentLogger,
    handleSignals: false,
    worker: () => {
      throw new Error("this worker cannot start");
    },
  });
  process.stdout.write("STARTED\n");
} catch (error) {
  process.stdout.write(`REJECTED ${(error as { code?: string }).code}\n`);
}
