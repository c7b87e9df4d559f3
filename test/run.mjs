#!/usr/bin/env node
// Runs the test suite with node's test runner: unit tests (test/unit/**/*.test.ts, through tsx)
// then the notebook tests (test/notebooks.test.ts) and the coursework release/grade test (test/assignment.test.ts). `--unit` or `--notebooks` runs one part.
// Extra arguments after `--` are passed to node (e.g. `-- --test-name-pattern=Lemma`).
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const testDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(testDir);
const args = process.argv.slice(2);
const dashdash = args.indexOf("--");
const passThrough = dashdash >= 0 ? args.slice(dashdash + 1) : [];
const flags = dashdash >= 0 ? args.slice(0, dashdash) : args;
const onlyUnit = flags.includes("--unit");
const onlyNotebooks = flags.includes("--notebooks");

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...collect(path));
    else if (name.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

const files = [];
if (!onlyNotebooks) files.push(...collect(join(testDir, "unit")));
if (!onlyUnit) files.push(join(testDir, "notebooks.test.ts"), join(testDir, "assignment.test.ts"));

const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--import", "./test/setup.mjs", "--test", "--test-reporter=spec", ...passThrough, ...files.map((f) => relative(root, f))],
  { cwd: root, stdio: "inherit", env: { ...process.env, LORA_PROFILE: process.env.LORA_PROFILE ?? "quick" } },
);
process.exit(result.status ?? 1);
