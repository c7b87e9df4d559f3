// A fresh clone, installed with `npm ci` and then with `npm install`, has the README's commands: `npx --no-install
// lora-exp --help` runs the project's CLI (not a registry package of that name), `npx tsc --version` is the
// declared TypeScript (not tslab's 5.0.4 fork), and npm reports no install script left out of `allowScripts`.
// The clone is the working tree's tracked and untracked-but-not-ignored files (what a commit would hold;
// data/ left out: the install never reads it), installed from the npm cache (--prefer-offline).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const root = join(__dirname, "..", "..", "..");
const git = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: root, encoding: "utf8", maxBuffer: 64 << 20 });
const skip = git.status !== 0 && process.env.CI !== "true" ? "not a git checkout" : false;

/** The environment of a shell in the clone: none of the npm_* variables `npm test` sets for its scripts. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== "INIT_CWD") env[k] = v;
  return env;
}

function sh(cwd: string, cmd: string, args: string[]): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env: cleanEnv(), encoding: "utf8", maxBuffer: 64 << 20 });
}

function output(r: SpawnSyncReturns<string>): string {
  return `${r.stdout ?? ""}${r.stderr ?? ""}`;
}

function checkCommands(clone: string, how: string) {
  const help = sh(clone, "npx", ["--no-install", "lora-exp", "--help"]);
  assert.equal(help.status, 0, `${how}: npx --no-install lora-exp --help failed:\n${output(help).slice(-3000)}`);
  assert.match(help.stdout, /^usage: lora-exp /, `${how}: not the project's CLI:\n${help.stdout.slice(0, 500)}`);

  const declared = JSON.parse(readFileSync(join(clone, "package.json"), "utf8")).devDependencies.typescript as string;
  const installed = JSON.parse(readFileSync(join(clone, "node_modules", "typescript", "package.json"), "utf8")).version as string;
  const m = /^\^?(\d+)\.(\d+)\./.exec(declared);
  assert.ok(m !== null, `unexpected typescript range ${declared}`);
  assert.ok(installed.startsWith(`${m[1]}.${m[2]}.`), `installed typescript ${installed} is outside the declared ${declared}`);
  const tsc = sh(clone, "npx", ["--no-install", "tsc", "--version"]);
  assert.equal(tsc.status, 0, output(tsc));
  assert.equal(tsc.stdout.trim(), `Version ${installed}`, `${how}: npx tsc is not the declared TypeScript ${declared}`);
}

test("a fresh clone installed with npm ci, then npm install, runs npx lora-exp and the declared tsc", { skip, timeout: 30 * 60 * 1000 }, () => {
  assert.equal(git.status, 0, `git ls-files failed: ${git.stderr}`);
  const clone = mkdtempSync(join(tmpdir(), "lora-clone-"));
  try {
    for (const file of git.stdout.split("\0")) {
      if (file === "" || file.startsWith("data/") || !existsSync(join(root, file))) continue;
      const from = join(root, file);
      const stat = lstatSync(from);
      if (!stat.isFile() && !stat.isSymbolicLink()) continue; // e.g. a submodule
      mkdirSync(dirname(join(clone, file)), { recursive: true });
      if (stat.isSymbolicLink()) symlinkSync(readlinkSync(from), join(clone, file));
      else copyFileSync(from, join(clone, file));
    }
    const lock = readFileSync(join(clone, "package-lock.json"), "utf8");

    const ci = sh(clone, "npm", ["ci", "--prefer-offline", "--no-audit", "--no-fund"]);
    assert.equal(ci.status, 0, `npm ci failed:\n${output(ci).slice(-4000)}`);
    checkCommands(clone, "npm ci");
    assert.doesNotMatch(output(ci), /not yet covered by allowScripts/, `npm ci: install scripts not declared in allowScripts:\n${output(ci).slice(-2000)}`);

    rmSync(join(clone, "node_modules"), { recursive: true, force: true });
    rmSync(join(clone, "lib", "dist"), { recursive: true, force: true });
    const install = sh(clone, "npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"]);
    assert.equal(install.status, 0, `npm install failed:\n${output(install).slice(-4000)}`);
    checkCommands(clone, "npm install");
    assert.doesNotMatch(output(install), /not yet covered by allowScripts/, output(install).slice(-2000));
    assert.equal(readFileSync(join(clone, "package-lock.json"), "utf8"), lock, "npm install changed package-lock.json: it is out of date with package.json");
  } finally {
    rmSync(clone, { recursive: true, force: true });
  }
});
