/** Provenance of a results file: git commit, backend, budget, date, cores, node version. */
import { execFileSync } from "node:child_process";
import * as os from "node:os";
import type { BudgetName, Provenance } from "./types";

function git(args: string[]): string {
  try {
    return execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "";
  }
}

export function makeProvenance(opts: { preset: string; budget: BudgetName; backend: string; shard: string; runsExpected: number }): Provenance {
  return {
    kind: "provenance",
    preset: opts.preset,
    budget: opts.budget,
    git_commit: git(["rev-parse", "HEAD"]) || "unknown",
    git_dirty: git(["status", "--porcelain", "--untracked-files=no"]) !== "",
    backend: opts.backend,
    date: new Date().toISOString(),
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? "unknown",
    node: process.version,
    shard: opts.shard,
    runs_expected: opts.runsExpected,
  };
}
