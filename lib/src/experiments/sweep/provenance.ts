/**
 * Provenance of a results file: git commit, backend, budget, date, cores, node version.
 *
 * `git_dirty` says whether the code differs from the commit: a tracked file outside `data/` with
 * uncommitted changes (staged or not). Files under `data/` (the results being written, figures
 * rendered from them) do not count, so a sweep that resumes or extends a committed results file
 * from an unchanged checkout is clean; untracked files do not count either.
 */
import { execFileSync } from "node:child_process";
import * as os from "node:os";
import type { AdapterInfo } from "../../tf/backend";
import type { BudgetName, Provenance } from "./types";

function git(args: string[], cwd?: string): string {
  try {
    return execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], cwd }).trim();
  } catch {
    return "";
  }
}

/** Whether any tracked file outside `data/` differs from HEAD (pathspecs from the repository root). */
export function codeDiffers(cwd?: string): boolean {
  return git(["status", "--porcelain", "--untracked-files=no", "--", ":(top)", ":(top,exclude)data"], cwd) !== "";
}

/** `adapter`: the WebGPU adapter of a `webgpu` run (recorded only then, so other files keep their keys). */
export function makeProvenance(opts: { preset: string; budget: BudgetName; backend: string; adapter?: AdapterInfo | null; shard: string; runsExpected: number }): Provenance {
  return {
    kind: "provenance",
    preset: opts.preset,
    budget: opts.budget,
    git_commit: git(["rev-parse", "HEAD"]) || "unknown",
    git_dirty: codeDiffers(),
    backend: opts.backend,
    ...(opts.adapter ? { adapter: opts.adapter } : {}),
    date: new Date().toISOString(),
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? "unknown",
    node: process.version,
    shard: opts.shard,
    runs_expected: opts.runsExpected,
  };
}
