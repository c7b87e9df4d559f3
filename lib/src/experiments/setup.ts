/**
 * From reference flags to the objects every runner needs: the frozen/target FNN pair and the
 * trainers' settings. One definition for the CLI runners (`ours`, `sgd`/`flt`) and the sweeps.
 */
import { makeFNNPair } from "../models/targets";
import type { FNN } from "../models/types";
import { tf } from "../tf/backend";
import { envEngine, type Engine, type TrainSettings } from "../tf/settings";
import type { ExperimentConfig } from "./config";

/** The flags that define an FNN experiment's models. */
export type FNNPairFlags = Pick<ExperimentConfig, "width" | "target_depth" | "frozen_depth" | "activation" | "use_bias" | "seed" | "init_mode">;

/** Target (depth L̄) and frozen (depth L) FNNs as the reference initialises them. */
export function fnnPairFor(c: FNNPairFlags): { target: FNN; frozen: FNN } {
  return makeFNNPair({
    width: c.width,
    targetDepth: c.target_depth,
    frozenDepth: c.frozen_depth,
    activation: c.activation,
    bias: c.use_bias === 1,
    seed: c.seed,
    initMode: c.init_mode,
  });
}

/** The flags that define a training run (validation size and cadence are optional extras of sweeps). */
export type TrainFlags = Pick<ExperimentConfig, "n_epochs" | "lr" | "weight_decay" | "batch_size" | "seed" | "n_test" | "best_epoch" | "n_train" | "task"> & {
  /** Classification objective (absent: `raw`, the reference). */
  ce_target?: "raw" | "softmax";
  n_val?: number;
  val_every?: number;
};

/**
 * The engine of the CLI and the sweeps: `LORA_ENGINE` when set, else `fast` on every backend but
 * `webgpu` (whose point is to train on the GPU: `reference` there).
 */
export function runnerEngine(): Engine {
  return envEngine() ?? (tf.getBackend() === "webgpu" ? "reference" : "fast");
}

/** Trainer settings from the reference's flags (`n_train` 0 = a fresh batch every step), on `runnerEngine()`. */
export function trainSettingsFor(c: TrainFlags): Omit<TrainSettings, "onProgress" | "progressEvery"> {
  return {
    steps: c.n_epochs,
    lr: c.lr,
    weightDecay: c.weight_decay,
    batchSize: c.batch_size,
    seed: c.seed,
    nTest: c.n_test,
    ...(c.n_val === undefined ? {} : { nVal: c.n_val }),
    ...(c.val_every === undefined ? {} : { valEvery: c.val_every }),
    bestEpoch: c.best_epoch === 1,
    nTrain: c.n_train > 0 ? c.n_train : null,
    task: c.task,
    ...(c.ce_target === undefined ? {} : { ceTarget: c.ce_target }),
    engine: runnerEngine(),
  };
}
