/**
 * A program whose start fails in a top-level `await` after Fenix is loaded (its escaped-error listeners
 * installed): it must end with exit code 1, as Node.js alone would, not 0.
 */
import { Runtime } from "../../../src/index.js";

new Runtime({ node: "failed-start" });
await Promise.reject(new Error("the start failed (test)"));
