#!/usr/bin/env node
// Process entry point of the `storyflow` command.
import { runCli } from './cli/main.js';

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
});
process.exitCode = code;
