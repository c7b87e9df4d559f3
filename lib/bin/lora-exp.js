#!/usr/bin/env node
// `lora-exp`: the experiment CLI (dist/experiments/cli.js). This shim is committed so npm links the bin at
// install time, before `prepare` has built dist/ (a bin pointing into dist/ is skipped, and `npx lora-exp`
// then asks the public registry for a package of that name).
"use strict";
const { existsSync } = require("node:fs");
const { join } = require("node:path");

const cli = join(__dirname, "..", "dist", "experiments", "cli.js");
if (!existsSync(cli)) {
  process.stderr.write(`lora-exp: the library is not built (${cli} is missing): run \`npm run build\` in the project root\n`);
  process.exit(1);
}
const { main } = require(cli);
const { runCli } = require(join(__dirname, "..", "dist", "experiments", "cli-run.js"));
runCli("lora-exp", main);
