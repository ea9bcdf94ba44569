#!/usr/bin/env node
/**
 * The `fenix` executable (package.json's `bin`): runs the command line with the process's streams and
 * exits with the command's code once its output is flushed.
 */
import { runCli } from "./cli.js";

const code = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
  env: process.env,
});
// Exit once the output is written, even if a command left a handle open.
process.stdout.write("", () => process.exit(code));
