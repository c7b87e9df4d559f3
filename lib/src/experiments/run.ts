/** One experiment: `ours` → the paper's constructions (float64); `sgd`/`flt` → the training engine. */
import type { ExperimentConfig, ExperimentResult } from "./config";
import { runOurs } from "./run-ours";
import { pretrainFor, runTrained } from "./run-trained";

/** Run one experiment described by the reference's flags (`parseArgs([...])`). */
export function runExperiment(config: ExperimentConfig): Promise<ExperimentResult> {
  return config.method === "ours" ? runOurs(config, { pretrain: pretrainFor }) : runTrained(config);
}
