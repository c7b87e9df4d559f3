/** Placeholder: the training engine (tfjs) replaces this file's body. */
import { ConfigError } from "../errors";
import type { ExperimentConfig, ExperimentResult } from "./config";

/** Runs `--method sgd|flt` (and pretraining) with the training engine. */
export async function runTrained(config: ExperimentConfig): Promise<ExperimentResult> {
  throw new ConfigError(`method ${config.method} needs the training engine: not yet available`);
}
