/** Where results and figures live: `data/results` and `data/figures` of the repository. */
import * as path from "node:path";
import type { Shard } from "./shard";

/** Repository root (this file is at lib/{src,dist}/experiments/sweep/). */
export function repoRoot(): string {
  return path.resolve(__dirname, "..", "..", "..", "..");
}

/** `LORA_RESULTS_DIR`, else `data/results` of the repository. */
export function resultsDir(): string {
  return process.env.LORA_RESULTS_DIR ?? path.join(repoRoot(), "data", "results");
}

export function figuresDir(): string {
  return process.env.LORA_FIGURES_DIR ?? path.join(repoRoot(), "data", "figures");
}

/** Raw results file of a preset/budget (one per shard when sharded). */
export function rawFile(preset: string, budget: string, shard?: Shard, dir = resultsDir()): string {
  const suffix = shard && shard.count > 1 ? `.shard-${shard.index}-of-${shard.count}` : "";
  return path.join(dir, `${preset}.${budget}${suffix}.jsonl`);
}

/** Aggregated CSV of a preset/budget (and the curves CSV for stored training histories). */
export function csvFile(preset: string, budget: string, dir = resultsDir()): string {
  return path.join(dir, `${preset}.${budget}.csv`);
}

export function historyCsvFile(preset: string, budget: string, dir = resultsDir()): string {
  return path.join(dir, `${preset}.${budget}.history.csv`);
}
