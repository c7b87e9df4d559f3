/**
 * Executes runs: `ours` through the float64 constructions (`runOurs`), FNN `sgd`/`flt` through the
 * tfjs FNN trainers (several LoRA runs of one shape batched into one computation), Transformer
 * LoRA through `trainTransformerLoRA` (with the budget's validation cadence), anything else through
 * `runExperiment`, the `lora-exp` dispatcher. Streams and pretraining follow `runTrained`, so a
 * record's configuration re-run with `lora-exp` gives the same numbers (up to the validation set
 * size/cadence, which `lora-exp` fixes at 256 inputs every step). Pretrained frozen
 * models are pretrained once per (shape, seed) and cached for the process.
 */
import { ConfigError, DivergenceError, NumericError } from "../../errors";
import { makeTransformerPair } from "../../models/targets";
import type { FNN, Transformer } from "../../models/types";
import { initBackend } from "../../tf/backend";
import { pretrainFNNAsync, rankSchedule, trainFNNFinalLayersAsync, trainFNNLoRAAsync, trainFNNLoRABatchAsync, type FNNTrained } from "../../tf/fnn-train";
import type { TrainOutcome } from "../../tf/settings";
import { pretrainTransformerAsync, trainTransformerLoRAAsync } from "../../tf/transformer-train";
import { runExperiment } from "../cli";
import type { ExperimentConfig, ExperimentResult } from "../config";
import { runOurs, type Pretrainer } from "../run-ours";
import { canonicalJson } from "./run-id";
import { fnnPairFor, runnerEngine, trainSettingsFor } from "../setup";
import { ceTargetOf, figureLabels, type History, type RunRecord, type RunResult, type RunSpec, type SweepConfig } from "./types";

const pretrainCache = new Map<string, { model: FNN; steps: number }>();

const pairOf = (c: SweepConfig): { target: FNN; frozen: FNN } => fnnPairFor(c);

/** The frozen FNN of a run: random, or pretrained toward the target (cached). */
async function frozenFNN(c: SweepConfig, pair: { target: FNN; frozen: FNN }): Promise<{ model: FNN; steps: number }> {
  if (!c.pretrained) return { model: pair.frozen, steps: 0 };
  const key = canonicalJson([c.width, c.target_depth, c.frozen_depth, c.activation, c.use_bias, c.init_mode, c.seed, c.pretrained_epochs, c.pretrained_lr, c.pretrained_level, c.batch_size]);
  let hit = pretrainCache.get(key);
  if (hit === undefined) {
    const p = await pretrainFNNAsync(pair.frozen, pair.target, { seed: c.seed, epochs: c.pretrained_epochs, lr: c.pretrained_lr, level: c.pretrained_level, batchSize: c.batch_size, engine: runnerEngine() });
    hit = { model: p.model, steps: p.steps };
    pretrainCache.set(key, hit);
  }
  return hit;
}

const pretrainTfnCache = new Map<string, { model: Transformer; steps: number }>();

/** The frozen Transformer of a run: random, or pretrained toward the target (cached). */
async function frozenTransformer(c: SweepConfig, pair: { target: Transformer; frozen: Transformer }): Promise<{ model: Transformer; steps: number }> {
  if (!c.pretrained) return { model: pair.frozen, steps: 0 };
  const key = canonicalJson([c.width, c.target_depth, c.n_head, c.seq_length, c.seed, c.pretrained_epochs, c.pretrained_lr, c.pretrained_level, c.batch_size]);
  let hit = pretrainTfnCache.get(key);
  if (hit === undefined) {
    const p = await pretrainTransformerAsync(pair.frozen, pair.target, { seed: c.seed, epochs: c.pretrained_epochs, lr: c.pretrained_lr, level: c.pretrained_level, batchSize: c.batch_size, seqLength: c.seq_length, engine: runnerEngine() });
    hit = { model: p.model, steps: p.steps };
    pretrainTfnCache.set(key, hit);
  }
  return hit;
}

/** `runOurs` asks this for pretrained frozen models: the same caches as the trainers. */
const pretrainCached: Pretrainer = async (config, frozen, target) => {
  await initBackend();
  const c = config as unknown as SweepConfig;
  if (frozen.kind === "transformer" && target.kind === "transformer") {
    return (await frozenTransformer(c, { frozen, target })).model as unknown as typeof frozen;
  }
  if (frozen.kind !== "fnn" || target.kind !== "fnn") throw new ConfigError("frozen and target must be the same kind of model");
  return (await frozenFNN(c, { frozen: frozen as FNN, target: target as FNN })).model as unknown as typeof frozen;
};

function toExperimentConfig(c: SweepConfig): ExperimentConfig {
  const { task, val_every: _v, n_val: _n, ce_target: _c, ...rest } = c;
  return { ...rest, task: task === "binary" ? "classification" : task, ce_target: ceTargetOf(c) ?? "raw", json: true, wandb: 0 };
}

/** Downsamples a curve to about `points` entries (always keeping the last). */
export function downsample(outcome: Pick<TrainOutcome, "trainLoss" | "valLoss" | "valSteps">, points: number): History {
  const n = outcome.trainLoss.length;
  const every = Math.max(1, Math.ceil(n / points));
  const steps: number[] = [];
  const train: number[] = [];
  for (let t = 0; t < n; t += every) {
    steps.push(t + 1);
    train.push(outcome.trainLoss[t]);
  }
  if (n > 0 && steps[steps.length - 1] !== n) {
    steps.push(n);
    train.push(outcome.trainLoss[n - 1]);
  }
  const m = outcome.valSteps.length;
  const vEvery = Math.max(1, Math.ceil(m / points));
  const valSteps: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < m; i += vEvery) {
    valSteps.push(outcome.valSteps[i]);
    val.push(outcome.valLoss[i]);
  }
  if (m > 0 && valSteps[valSteps.length - 1] !== outcome.valSteps[m - 1]) {
    valSteps.push(outcome.valSteps[m - 1]);
    val.push(outcome.valLoss[m - 1]);
  }
  return { steps, train, val, valSteps };
}

function fromTrained(t: TrainOutcome, pretrainSteps: number, historyPoints: number): RunResult {
  return {
    test_loss: t.testLoss,
    test_shift_loss: t.testShiftLoss,
    val_loss: t.valLossAtBest,
    ...(t.valAccuracyAtBest === null ? {} : { val_accuracy: t.valAccuracyAtBest }),
    best_step: t.bestStep,
    accuracy: t.testAccuracy,
    shift_accuracy: t.testShiftAccuracy,
    history: downsample(t, historyPoints),
    pretrain_steps: pretrainSteps,
    status: "ok",
  };
}

function fromExperiment(r: ExperimentResult, historyPoints: number): RunResult {
  const h = r.train_loss_history;
  return {
    test_loss: r.test_loss,
    test_shift_loss: r.test_shift_loss,
    val_loss: r.val_loss ?? NaN,
    best_step: r.best_step ?? 0,
    accuracy: r.accuracy ?? null,
    shift_accuracy: r.shift_accuracy ?? null,
    history: h ? downsample({ trainLoss: h, valLoss: [], valSteps: [] }, historyPoints) : null,
    pretrain_steps: 0,
    status: "ok",
  };
}

const trainSettings = (c: SweepConfig) => trainSettingsFor({ ...c, ce_target: ceTargetOf(c) });

/** The record of a diverged run: NaN metrics (null in JSON), `status: "diverged"` and where it happened. */
export function divergedResult(e: DivergenceError, pretrainSteps = 0): RunResult {
  return {
    test_loss: NaN,
    test_shift_loss: NaN,
    val_loss: NaN,
    best_step: e.step,
    accuracy: null,
    shift_accuracy: null,
    history: null,
    pretrain_steps: pretrainSteps,
    status: "diverged",
    divergence: { step: e.step, quantity: e.quantity, message: e.message },
  };
}

/** Whether a run goes through the batched FNN LoRA trainer. */
export function batchable(s: RunSpec): boolean {
  return s.config.exp === "fnn" && s.method === "sgd";
}

/** Key of runs that may share one batched computation (everything but lr, weight decay, seed, ranks). */
export function batchKey(s: RunSpec): string {
  const { lr: _l, weight_decay: _w, seed: _s, rank: _r, rank_step: _k, pretrained: _p, ...rest } = s.config;
  return canonicalJson(rest);
}

/** Runs one spec; a diverged training run becomes a `diverged` result instead of a failure. */
async function runOne(s: RunSpec, historyPoints: number): Promise<RunResult> {
  try {
    return await runOneOrThrow(s, historyPoints);
  } catch (e) {
    if (e instanceof DivergenceError) return divergedResult(e);
    throw e;
  }
}

async function runOneOrThrow(s: RunSpec, historyPoints: number): Promise<RunResult> {
  const c = s.config;
  if (s.method === "ours") {
    const r = await runOurs(toExperimentConfig(c), { pretrain: pretrainCached });
    let acc = r.accuracy ?? null;
    let sacc = r.shift_accuracy ?? null;
    if (c.task === "regression") acc = sacc = null;
    return { ...fromExperiment(r, historyPoints), accuracy: acc, shift_accuracy: sacc };
  }
  await initBackend();
  if (c.exp === "tfn" && s.method === "sgd" && c.rank_step === 0) {
    const pair = makeTransformerPair({ width: c.width, depth: c.target_depth, heads: c.n_head, seed: c.seed });
    const frozen = await frozenTransformer(c, pair);
    const t = await trainTransformerLoRAAsync(frozen.model, pair.target, { rank: c.rank, std: c.std, seqLength: c.seq_length, ...trainSettings(c) });
    return fromTrained(t, frozen.steps, historyPoints);
  }
  if (c.exp !== "fnn") return fromExperiment(await runExperiment(toExperimentConfig(c)), historyPoints);
  const pair = pairOf(c);
  const frozen = await frozenFNN(c, pair);
  const t =
    s.method === "flt"
      ? await trainFNNFinalLayersAsync(frozen.model, pair.target, { lastLayers: c.last_layers, ...trainSettings(c) })
      : await trainFNNLoRAAsync(frozen.model, pair.target, {
          rank: rankSchedule(c.rank, c.rank_step, c.frozen_depth, c.width),
          std: c.std,
          tuneBias: c.tune_bias === 1,
          ...trainSettings(c),
        });
  return fromTrained(t, frozen.steps, historyPoints);
}

function record(s: RunSpec, result: RunResult, seconds: number): RunRecord {
  for (const k of ["test_loss", "test_shift_loss"] as const) {
    if (!Number.isFinite(result[k]) && !Number.isNaN(result[k])) throw new NumericError(`run ${s.id}: ${k} is ${result[k]}`);
    if (Number.isNaN(result[k]) && s.method !== "ours" && result.status !== "diverged") throw new NumericError(`run ${s.id}: ${k} is NaN but the run did not diverge`);
  }
  return {
    id: s.id,
    ...figureLabels(s),
    seed: s.seed,
    lr: s.config.lr,
    weight_decay: s.config.weight_decay,
    config: s.config,
    result,
    seconds,
    finished: new Date().toISOString(),
  };
}

/** Outcome of one task: the records made and the runs that failed (with their messages). */
export interface TaskOutcome {
  records: RunRecord[];
  failures: Array<{ id: string; error: string }>;
}

/**
 * Runs one task: a single run, or a group of batchable runs trained in one computation (falls
 * back to one at a time if the batch fails). `onRecord` sees each record as soon as it exists.
 */
export async function executeTask(specs: readonly RunSpec[], historyPoints: number, onRecord: (r: RunRecord) => void): Promise<TaskOutcome> {
  const failures: Array<{ id: string; error: string }> = [];
  const records: RunRecord[] = [];
  const emit = (r: RunRecord) => {
    records.push(r);
    onRecord(r);
  };
  if (specs.length > 1 && specs.every(batchable)) {
    try {
      await initBackend();
      const start = performance.now();
      const prepared: Array<{ s: RunSpec; pair: { target: FNN; frozen: FNN }; frozen: { model: FNN; steps: number } }> = [];
      for (const s of specs) {
        const pair = pairOf(s.config);
        prepared.push({ s, pair, frozen: await frozenFNN(s.config, pair) });
      }
      const c0 = specs[0].config;
      const trained = await trainFNNLoRABatchAsync(
        prepared.map(({ s, pair, frozen }) => ({
          frozen: frozen.model,
          target: pair.target,
          rank: rankSchedule(s.config.rank, s.config.rank_step, s.config.frozen_depth, s.config.width),
          seed: s.config.seed,
          lr: s.config.lr,
          weightDecay: s.config.weight_decay,
        })),
        { ...trainSettings(c0), std: c0.std, tuneBias: c0.tune_bias === 1 },
      );
      const seconds = (performance.now() - start) / 1000 / specs.length;
      prepared.forEach(({ s, frozen }, k) => {
        const d = trained[k].diverged;
        emit(record(s, d !== undefined ? divergedResult(d, frozen.steps) : fromTrained(trained[k], frozen.steps, historyPoints), seconds));
      });
      return { records, failures };
    } catch {
      // fall through: one at a time, so one bad run does not sink the group
    }
  }
  for (const s of specs) {
    const start = performance.now();
    try {
      const result = await runOne(s, historyPoints);
      emit(record(s, result, (performance.now() - start) / 1000));
    } catch (e) {
      failures.push({ id: s.id, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
    }
  }
  return { records, failures };
}
