/**
 * `--method sgd|flt` with the training engine (tfjs, float32): LoRA by gradient or final-layers
 * tuning, optionally on a pretrained frozen model (`--pretrained 1`). Same models (streams
 * "target"/"frozen") and test set (stream "test", ×5 for the shifted set) as `--method ours`.
 * `--rank_step s` gives layer l (0-based) the rank `rank + l·s` clipped to [1, D]; negative steps
 * decrease the ranks (the reference's bug made them increase too).
 * Every step draws a fresh training batch (the reference's batches repeat; PAPER.md §4), unless
 * `--n_train` fixes a finite training set (then full-batch, as the reference).
 */
import { ConfigError } from "../errors";
import { makeTransformerPair } from "../models/targets";
import type { FNN, Transformer } from "../models/types";
import { initBackend, type BackendInfo } from "../tf/backend";
import { pretrainFNNAsync, rankSchedule, trainFNNFinalLayersAsync, trainFNNLoRAAsync, type FNNTrained } from "../tf/fnn-train";
import { pretrainTransformerAsync, trainTransformerLoRAAsync } from "../tf/transformer-train";
import type { ExperimentConfig, ExperimentResult } from "./config";
import { fnnPairFor, runnerEngine, trainSettingsFor } from "./setup";

/** Pretrains the frozen model toward the target with the reference's flags. */
export async function pretrainFor<M extends FNN | Transformer>(c: ExperimentConfig, frozen: M, target: M): Promise<M> {
  await initBackend();
  const opts = { epochs: c.pretrained_epochs, lr: c.pretrained_lr, level: c.pretrained_level, batchSize: c.batch_size, seed: c.seed, engine: runnerEngine() };
  if (frozen.kind === "fnn" && target.kind === "fnn") return (await pretrainFNNAsync(frozen, target, opts)).model as M;
  if (frozen.kind === "transformer" && target.kind === "transformer") {
    return (await pretrainTransformerAsync(frozen, target, { ...opts, seqLength: c.seq_length })).model as M;
  }
  throw new ConfigError("frozen and target must be the same kind of model");
}

function result(r: Pick<FNNTrained, "testLoss" | "testShiftLoss" | "valLossAtBest" | "valAccuracyAtBest" | "bestStep" | "trainLoss" | "testAccuracy" | "testShiftAccuracy" | "steps" | "stepsPerSec">, extra: Record<string, unknown>): ExperimentResult {
  return {
    test_loss: r.testLoss,
    test_shift_loss: r.testShiftLoss,
    val_loss: r.valLossAtBest,
    ...(r.valAccuracyAtBest !== null ? { val_accuracy: r.valAccuracyAtBest } : {}),
    best_step: r.bestStep,
    train_loss_history: r.trainLoss,
    ...(r.testAccuracy !== null ? { accuracy: r.testAccuracy, shift_accuracy: r.testShiftAccuracy ?? undefined } : {}),
    diagnostics: { steps: r.steps, steps_per_sec: r.stepsPerSec, ...extra },
  };
}

/** What a result's diagnostics say about the backend: its name, and on webgpu the adapter and whether it is a GPU. */
function backendOf(b: BackendInfo): Record<string, unknown> {
  return b.adapter === null ? { backend: b.name } : { backend: b.name, adapter: b.adapter, gpu: b.gpu };
}

/** Runs `--method sgd|flt` (and pretraining) with the training engine. */
export async function runTrained(config: ExperimentConfig): Promise<ExperimentResult> {
  const c = config;
  if (c.method !== "sgd" && c.method !== "flt") throw new ConfigError(`runTrained handles --method sgd or flt, got ${c.method}`);
  const backend = await initBackend();
  const s = trainSettingsFor(c);
  if (c.exp === "fnn") {
    const pair = fnnPairFor(c);
    const frozen = c.pretrained ? await pretrainFor(c, pair.frozen, pair.target) : pair.frozen;
    if (c.method === "flt") {
      return result(await trainFNNFinalLayersAsync(frozen, pair.target, { ...s, lastLayers: c.last_layers }), { ...backendOf(backend), last_layers: c.last_layers });
    }
    const ranks = rankSchedule(c.rank, c.rank_step, c.frozen_depth, c.width);
    const r = await trainFNNLoRAAsync(frozen, pair.target, { ...s, rank: ranks, std: c.std, tuneBias: c.tune_bias === 1 });
    return result(r, { ...backendOf(backend), ranks });
  }
  if (c.method === "flt") throw new ConfigError("--method flt is not supported for --exp tfn (as in the reference): use sgd or ours");
  if (c.rank_step !== 0) throw new ConfigError("--rank_step ≠ 0 is only supported for --exp fnn");
  const pair = makeTransformerPair({ width: c.width, depth: c.target_depth, heads: c.n_head, seed: c.seed });
  const frozen = c.pretrained ? await pretrainFor(c, pair.frozen, pair.target) : pair.frozen;
  const r = await trainTransformerLoRAAsync(frozen, pair.target, { ...s, rank: c.rank, std: c.std, seqLength: c.seq_length });
  return result(r, backendOf(backend));
}
