#!/usr/bin/env node
// A kernel for the notebook-runner tests: counts its launches in COUNTER_FILE, then per MODE
//   die-first   exits 1 without answering on the first launch, runs the course's kernel after;
//   die-always  exits 1 without answering every time;
//   count       always runs the course's kernel.
// usage: flaky-kernel.cjs MODE COUNTER_FILE --config-path CONNECTION_FILE
"use strict";
const { existsSync, readFileSync, writeFileSync } = require("node:fs");
const { join } = require("node:path");

const [mode, counter, ...rest] = process.argv.slice(2);
const launches = (existsSync(counter) ? Number(readFileSync(counter, "utf8")) : 0) + 1;
writeFileSync(counter, String(launches));
if (mode === "die-always" || (mode === "die-first" && launches === 1)) {
  console.error(`flaky-kernel: launch ${launches} exits without answering (${mode})`);
  process.exit(1);
}
process.argv = [process.argv[0], join(__dirname, "..", "..", "lib", "scripts", "tslab-kernel.cjs"), ...rest];
require(process.argv[1]);
