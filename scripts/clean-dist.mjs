// Removes what `npm run build` makes (dist/src, dist/client and dist/dashboard) so a build never ships files whose
// sources were deleted or renamed. Leaves the benchmarks' dist/bench-run alone.
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const dist = join(dirname(fileURLToPath(import.meta.url)), "..", "dist");
for (const part of ["src", "client", "dashboard"]) rmSync(join(dist, part), { recursive: true, force: true });
