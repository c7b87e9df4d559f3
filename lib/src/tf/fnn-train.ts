/**
 * FNN trainers on the batched engine: LoRA by gradient (`sgd`), final-layers tuning (`flt`),
 * pretraining of the frozen model, and K models at once (`trainFNNBatch`).
 */
import { ConfigError, DepthError, type DivergenceError } from "../errors";
import { stream } from "../linalg/random";
import { initAdapters, layerRanks } from "../models/init";
import type { FNN, FNNAdaptation } from "../models/types";
import { checkOptimiserSettings } from "./adam";
import { requireBackend, tf } from "./backend";
import { fillGaussianRows } from "../linalg/draw";
import { FNNEngine, type FNNLayerPlan, type FNNMember } from "./fnn-engine";
import { FusedFNNStepper } from "../fast/fnn-stepper";
import { loopReads, pretrainLoopReads, testDivergence, type LoopResult } from "./loop";
import { readAsync, readSync, type Reads } from "./reads";
import { resolveEngine, resolveSettings, selectionOf, type Engine, type ResolvedSettings, type TrainOutcome, type TrainSettings } from "./settings";
import { halvesMatrix, taskAccuracy, taskLogits, taskLoss, taskRowLosses } from "./task";

/** Row weights `[n, 2]`: mean over the training rows (column 0), mean over the validation rows (column 1). */
function rowWeightsOf(nTr: number, nVal: number): tf.Tensor2D {
  const n = nTr + nVal;
  const w = new Float32Array(n * 2);
  for (let j = 0; j < nTr; j++) w[j * 2] = 1 / nTr;
  for (let j = nTr; j < n; j++) w[j * 2 + 1] = 1 / nVal;
  return tf.tensor2d(w, [n, 2]);
}

/**
 * Data and evaluation for K FNNs: per model, streams `train` (fresh batch each step, or a fixed
 * `n_train` set used full-batch), `validation` (fixed) from its seed. Models with the same seed
 * share the draws (drawn once, copied).
 */
class FNNStepper {
  readonly K: number;
  readonly owner: Int32Array;
  private readonly nTr: number;
  private readonly nVal: number;
  private readonly D: number;
  private readonly bufVal: Float32Array;
  private readonly bufTrain: Float32Array;
  private readonly trainStreams: Map<number, ReturnType<typeof stream>>;
  private readonly firstOfSeed: number[];
  private readonly fixed: { withVal: [tf.Tensor3D, tf.Tensor3D]; trainOnly: [tf.Tensor3D, tf.Tensor3D] } | null;
  private readonly rowsVal: tf.Tensor2D;
  private readonly rowsTrain: tf.Tensor2D;

  constructor(readonly engine: FNNEngine, readonly seeds: number[], s: ResolvedSettings, trainPurpose = "train") {
    this.K = engine.K;
    this.owner = engine.owner;
    this.D = engine.D;
    this.nTr = s.nTrain ?? s.batchSize;
    this.nVal = s.nVal;
    const { K, D, nTr, nVal } = this;
    const n = nTr + nVal;
    this.bufVal = new Float32Array(K * n * D);
    this.bufTrain = new Float32Array(K * nTr * D);
    this.firstOfSeed = seeds.map((sd) => seeds.indexOf(sd));
    this.trainStreams = new Map(seeds.map((sd) => [sd, stream(sd, trainPurpose)]));
    for (let k = 0; k < K; k++) {
      if (this.firstOfSeed[k] !== k) continue;
      fillGaussianRows(stream(seeds[k], "validation"), this.bufVal, (k * n + nTr) * D, nVal, D);
    }
    this.copyShared(this.bufVal, n, nTr, nVal);
    this.rowsVal = rowWeightsOf(nTr, nVal);
    this.rowsTrain = rowWeightsOf(nTr, 0);
    if (s.nTrain !== null) {
      this.fillTrain();
      const Xv = tf.tensor3d(this.bufVal, [K, n, D]);
      const Xt = tf.tensor3d(this.bufTrain, [K, nTr, D]);
      this.fixed = { withVal: [Xv, engine.targetForward(Xv)], trainOnly: [Xt, engine.targetForward(Xt)] };
    } else this.fixed = null;
  }

  private copyShared(buf: Float32Array, n: number, from: number, count: number): void {
    const D = this.D;
    for (let k = 0; k < this.K; k++) {
      const f = this.firstOfSeed[k];
      if (f !== k) buf.copyWithin((k * n + from) * D, (f * n + from) * D, (f * n + from + count) * D);
    }
  }

  /** Draws the next training batch of every model into both buffers. */
  private fillTrain(): void {
    const { K, D, nTr, nVal } = this;
    const n = nTr + nVal;
    for (let k = 0; k < K; k++) {
      if (this.firstOfSeed[k] !== k) continue;
      fillGaussianRows(this.trainStreams.get(this.seeds[k])!, this.bufTrain, k * nTr * D, nTr, D);
    }
    this.copyShared(this.bufTrain, nTr, 0, nTr);
    for (let k = 0; k < K; k++) this.bufVal.set(this.bufTrain.subarray(k * nTr * D, (k + 1) * nTr * D), k * n * D);
  }

  private last: Float32Array | null = null;

  /** Validation accuracies of the last evaluation (classification tasks only): correct rows / nVal. */
  valAccuracy(): Float64Array {
    if (this.engine.task === "regression" || this.last === null) return new Float64Array(this.K).fill(NaN);
    return Float64Array.from(this.last.subarray(this.last.length - this.K), (a) => Math.round(a * this.nVal) / this.nVal);
  }

  evaluate(theta: Float32Array, withVal: boolean, trainBatch: boolean): Float32Array {
    return readSync(this.evaluateReads(theta, withVal, trainBatch), "FNNStepper.evaluate", "evaluateReads through readAsync");
  }

  *evaluateReads(theta: Float32Array, withVal: boolean, trainBatch: boolean): Reads<Float32Array> {
    return (this.last = yield this.evaluateRows(theta, withVal, trainBatch));
  }

  private evaluateRows(theta: Float32Array, withVal: boolean, trainBatch: boolean): tf.Tensor1D {
    const { K, D, nTr, nVal } = this;
    const rowWeights = withVal ? this.rowsVal : this.rowsTrain;
    if (this.fixed !== null) {
      const [X, Y] = withVal ? this.fixed.withVal : this.fixed.trainOnly;
      return this.engine.lossAndGradTensor(theta, X, Y, rowWeights);
    }
    if (trainBatch) this.fillTrain();
    const X = withVal ? tf.tensor3d(this.bufVal, [K, nTr + nVal, D]) : tf.tensor3d(this.bufTrain, [K, nTr, D]);
    try {
      return this.engine.lossAndGradTensor(theta, X, null, rowWeights);
    } finally {
      X.dispose();
    }
  }

  dispose(): void {
    tf.dispose([this.rowsVal, this.rowsTrain]);
    if (this.fixed) tf.dispose([...this.fixed.withVal, ...this.fixed.trainOnly]);
  }
}

/** The per-step evaluator: the fast stepper (`fast/`) or the tfjs reference (see `resolveEngine`). */
function makeStepper(engine: FNNEngine, seeds: number[], s: ResolvedSettings, trainPurpose = "train"): FNNStepper | FusedFNNStepper {
  return resolveEngine(s.engine) === "fast" ? new FusedFNNStepper(engine, seeds, s, trainPurpose) : new FNNStepper(engine, seeds, s, trainPurpose);
}

/**
 * Per-model test loss and accuracy of K models as one computation (`[K]` each, from `[K, n, D]`
 * outputs): the WebGPU path, where K per-model computations would be ~10·K dispatches. Equal to
 * the per-model metrics up to float32 summation order.
 */
function batchedMetrics(pred: tf.Tensor3D, Y: tf.Tensor3D, s: ResolvedSettings, halves: tf.Tensor2D | null): tf.Tensor1D[] {
  const [K, n, D] = pred.shape;
  const rows = (t: tf.Tensor3D): tf.Tensor2D => tf.reshape(t, [K * n, D]) as tf.Tensor2D;
  const perModel = (r: tf.Tensor1D): tf.Tensor1D => tf.mean(tf.reshape(r, [K, n]), 1) as tf.Tensor1D;
  if (s.task === "regression") return [tf.mean(tf.square(tf.sub(pred, Y)), [1, 2]) as tf.Tensor1D];
  const [p, y] = [rows(pred), rows(Y)];
  const hits = tf.cast(tf.equal(tf.argMax(taskLogits(p, s.task, halves), 1), tf.argMax(taskLogits(y, s.task, halves), 1)), "float32") as tf.Tensor1D;
  return [perModel(taskRowLosses(p, y, s.task, halves, s.ceTarget)), perModel(hits)];
}

/**
 * Test metrics of K trained models: `nTest` inputs from stream `test`, and the same inputs ×5.
 * Each model's loss (and accuracy) is computed on its own rows, as a single run's (on webgpu all
 * K at once, `batchedMetrics`); the K values are read in one readback.
 */
function* testMetrics(engine: FNNEngine, theta: Float32Array, seeds: number[], s: ResolvedSettings): Reads<Array<{ loss: number; shift: number; acc: number | null; shiftAcc: number | null }>> {
  const { K, D } = engine;
  const n = s.nTest;
  const buf = new Float32Array(K * n * D);
  seeds.forEach((sd, k) => fillGaussianRows(stream(sd, "test"), buf, k * n * D, n, D));
  const halves = s.task === "binary" ? halvesMatrix(D) : null;
  const classify = s.task !== "regression";
  /** `[loss_0 … loss_{K−1}, acc_0 … acc_{K−1}]` (accuracies for the classification tasks only). */
  const metrics = (scale: number): tf.Tensor1D =>
    tf.tidy(() => {
      const X = tf.mul(tf.tensor3d(buf, [K, n, D]), scale) as tf.Tensor3D;
      const pred = engine.forward(theta, X);
      const Y = engine.targetForward(X);
      if (tf.getBackend() === "webgpu") return tf.concat(batchedMetrics(pred, Y, s, halves));
      const losses: tf.Scalar[] = [];
      const accs: tf.Scalar[] = [];
      for (let k = 0; k < K; k++) {
        const p = tf.reshape(tf.slice(pred, [k, 0, 0], [1, n, D]), [n, D]) as tf.Tensor2D;
        const y = tf.reshape(tf.slice(Y, [k, 0, 0], [1, n, D]), [n, D]) as tf.Tensor2D;
        losses.push(taskLoss(p, y, s.task, halves, s.ceTarget));
        if (classify) accs.push(taskAccuracy(p, y, s.task, halves));
      }
      return tf.stack([...losses, ...accs]) as tf.Tensor1D;
    });
  try {
    const a = yield metrics(1);
    const b = yield metrics(5);
    return Array.from({ length: K }, (_, k) => ({ loss: a[k], shift: b[k], acc: classify ? a[K + k] : null, shiftAcc: classify ? b[K + k] : null }));
  } finally {
    halves?.dispose();
  }
}

/** One batched run: engine + loop + test metrics; per model outcome and trained records. */
function* runFNN(
  members: FNNMember[],
  plan: FNNLayerPlan[],
  seeds: number[],
  lrs: number[],
  wds: number[],
  s: ResolvedSettings,
  onProgress?: (step: number, trainLoss: number[], valLoss: number[], stepsPerSec: number) => void,
  progressEvery?: number,
): Reads<FNNTrained[]> {
  requireBackend();
  lrs.forEach((lr, k) => checkOptimiserSettings(lr, wds[k]));
  const engine = new FNNEngine(members, plan, s.task, s.ceTarget);
  const stepper = makeStepper(engine, seeds, s);
  try {
    const theta = new Float32Array(engine.theta);
    const lr = new Float32Array(theta.length);
    const wd = new Float32Array(theta.length);
    for (let i = 0; i < theta.length; i++) {
      lr[i] = lrs[engine.owner[i]];
      wd[i] = wds[engine.owner[i]];
    }
    const res: LoopResult = yield* loopReads(stepper, theta, { steps: s.steps, lr, weightDecay: wd, valEvery: s.valEvery, bestEpoch: s.bestEpoch, selectBy: selectionOf(s), onProgress, progressEvery });
    const tests = yield* testMetrics(engine, res.theta, seeds, s);
    const diverged = res.diverged.map((d, k) => d ?? testDivergence(res.chosenStep[k], [tests[k].loss, tests[k].shift, tests[k].acc, tests[k].shiftAcc], members.length === 1 ? null : k));
    if (members.length === 1 && diverged[0] !== null) throw diverged[0];
    const recs = engine.records(res.theta);
    return members.map((_, k): FNNTrained => {
      const d = diverged[k];
      return {
      trainLoss: res.trainLoss[k],
      valLoss: res.valLoss[k],
      valSteps: res.valSteps,
      bestStep: res.chosenStep[k],
      valLossAtBest: res.chosenValLoss[k],
      valAccuracyAtBest: s.task === "regression" ? null : res.chosenValAccuracy[k],
      testLoss: tests[k].loss,
      testShiftLoss: tests[k].shift,
      testAccuracy: tests[k].acc,
      testShiftAccuracy: tests[k].shiftAcc,
      steps: res.steps,
      seconds: res.seconds,
      stepsPerSec: res.steps / Math.max(res.seconds, 1e-9),
      model: recs[k].model,
      adaptation: recs[k].adaptation,
      ...(d !== null ? { diverged: d } : {}),
      };
    });
  } finally {
    stepper.dispose();
    engine.dispose();
  }
}

/** A trained FNN: curves, test metrics, and the records (`model` carries trained full weights/biases). */
export interface FNNTrained extends TrainOutcome {
  model: FNN;
  /** LoRA adapters (and re-tuned biases) for `sgd`; null for final-layers tuning. */
  adaptation: FNNAdaptation | null;
  /**
   * Set only by `trainFNNLoRABatch`, on a member whose training diverged (its metrics are then
   * meaningless, usually NaN); the single-model trainers throw the `DivergenceError` instead.
   */
  diverged?: DivergenceError;
}

/** Per-layer ranks `rank + l·rankStep` (l = 0..L−1) clipped to [1, D]: negative steps DEcrease ranks. */
export function rankSchedule(rank: number, rankStep: number, layers: number, width: number): number[] {
  if (!Number.isInteger(rankStep)) throw new ConfigError(`rank_step ${rankStep} must be an integer`);
  return Array.from({ length: layers }, (_, l) => Math.min(width, Math.max(1, rank + l * rankStep)));
}

export interface LoRAOptions {
  /** Uniform rank or one rank per layer. */
  rank: number | readonly number[];
  /** Std of the B initialisation (`--std`), default 0.25. A starts at 0. */
  std?: number;
  /** Train the biases too (`--tune_bias`, default true; only when the model has biases). */
  tuneBias?: boolean;
}

function adapterInit(frozen: FNN, rank: number | readonly number[], std: number, seed: number): FNNAdaptation {
  return initAdapters(frozen, layerRanks(rank, frozen.layers.length, frozen.width), std, stream(seed, "adapters"));
}

/**
 * LoRA by gradient (the reference's `sgd`): adapters `A = 0`, `B ~ N(0, std²)` on every layer
 * (stream `adapters`), biases trained when `tuneBias` and the model has biases; Adam; fresh batches.
 */
export function trainFNNLoRA(frozen: FNN, target: FNN, opts: LoRAOptions & TrainSettings): FNNTrained {
  return readSync(fnnLoRA(frozen, target, opts), "trainFNNLoRA");
}

/** `trainFNNLoRA` with asynchronous tensor reads: the same numbers, on every backend (the only way on `webgpu`). */
export function trainFNNLoRAAsync(frozen: FNN, target: FNN, opts: LoRAOptions & TrainSettings): Promise<FNNTrained> {
  return readAsync(fnnLoRA(frozen, target, opts));
}

function* fnnLoRA(frozen: FNN, target: FNN, opts: LoRAOptions & TrainSettings): Reads<FNNTrained> {
  const s = resolveSettings(opts);
  const tuneBias = (opts.tuneBias ?? true) && frozen.bias;
  const plan = frozen.layers.map((): FNNLayerPlan => ({ weight: "lora", bias: tuneBias }));
  const member: FNNMember = { frozen, target, adaptation: adapterInit(frozen, opts.rank, opts.std ?? 0.25, s.seed) };
  return (yield* runFNN([member], plan, [s.seed], [s.lr], [s.weightDecay], s, single(opts.onProgress), opts.progressEvery))[0];
}

function single(cb: TrainSettings["onProgress"]): ((step: number, t: number[], v: number[], sps: number) => void) | undefined {
  return cb ? (step, t, v, sps) => cb(step, t[0], v[0], sps) : undefined;
}

/** Final-layers tuning (`flt`): weights and biases of the last `lastLayers` layers trained, the rest frozen. */
export function trainFNNFinalLayers(frozen: FNN, target: FNN, opts: { lastLayers: number } & TrainSettings): FNNTrained {
  return readSync(fnnFinalLayers(frozen, target, opts), "trainFNNFinalLayers");
}

/** `trainFNNFinalLayers` with asynchronous tensor reads (see `trainFNNLoRAAsync`). */
export function trainFNNFinalLayersAsync(frozen: FNN, target: FNN, opts: { lastLayers: number } & TrainSettings): Promise<FNNTrained> {
  return readAsync(fnnFinalLayers(frozen, target, opts));
}

function* fnnFinalLayers(frozen: FNN, target: FNN, opts: { lastLayers: number } & TrainSettings): Reads<FNNTrained> {
  const s = resolveSettings(opts);
  const L = frozen.layers.length;
  const k = opts.lastLayers;
  if (!Number.isInteger(k) || k < 1 || k > L) throw new DepthError(`last_layers ${k} must be in 1..${L} (the frozen depth)`);
  const plan = frozen.layers.map((_, l): FNNLayerPlan => (l >= L - k ? { weight: "full", bias: true } : { weight: "frozen", bias: false }));
  return (yield* runFNN([{ frozen, target, adaptation: null }], plan, [s.seed], [s.lr], [s.weightDecay], s, single(opts.onProgress), opts.progressEvery))[0];
}

/** One model of a batched LoRA run. */
export interface FNNBatchMember {
  frozen: FNN;
  target: FNN;
  rank: number | readonly number[];
  seed: number;
  lr: number;
  weightDecay?: number;
}

/**
 * K LoRA runs in one batched computation (ranks padded to the largest with zero columns, which
 * stay exactly zero). Each model's curves equal training it alone with `trainFNNLoRA` (same
 * seeds), up to float32 rounding.
 *
 * Divergence: a member whose loss, parameters or test metrics become non-finite does not stop the
 * others. It comes back with `diverged` set (a `DivergenceError` naming the step and the quantity,
 * with `model` its index in `members`); check `r.diverged` before using a member's numbers.
 * Throws only when every member is the same single run (K = 1), as `trainFNNLoRA` does.
 */
export function trainFNNLoRABatch(members: readonly FNNBatchMember[], opts: BatchOptions): FNNTrained[] {
  return readSync(fnnLoRABatch(members, opts), "trainFNNLoRABatch");
}

/** `trainFNNLoRABatch` with asynchronous tensor reads (see `trainFNNLoRAAsync`). */
export function trainFNNLoRABatchAsync(members: readonly FNNBatchMember[], opts: BatchOptions): Promise<FNNTrained[]> {
  return readAsync(fnnLoRABatch(members, opts));
}

/** Settings of a batched LoRA run (learning rate, seed and weight decay are per member). */
export type BatchOptions = Omit<TrainSettings, "lr" | "seed" | "weightDecay" | "onProgress"> & {
  std?: number;
  tuneBias?: boolean;
  onProgress?: (step: number, trainLoss: number[], valLoss: number[], stepsPerSec: number) => void;
};

function* fnnLoRABatch(members: readonly FNNBatchMember[], opts: BatchOptions): Reads<FNNTrained[]> {
  if (members.length === 0) throw new ConfigError("no models to train: give at least one");
  const s = resolveSettings({ ...opts, onProgress: undefined, lr: members[0].lr, seed: members[0].seed });
  const frozen0 = members[0].frozen;
  const tuneBias = (opts.tuneBias ?? true) && frozen0.bias;
  const plan = frozen0.layers.map((): FNNLayerPlan => ({ weight: "lora", bias: tuneBias }));
  const ms: FNNMember[] = members.map((m) => ({ frozen: m.frozen, target: m.target, adaptation: adapterInit(m.frozen, m.rank, opts.std ?? 0.25, m.seed) }));
  return yield* runFNN(ms, plan, members.map((m) => m.seed), members.map((m) => m.lr), members.map((m) => m.weightDecay ?? 0), s, opts.onProgress, opts.progressEvery);
}

export interface PretrainOptions {
  /** Step cap (`--pretrained_epochs`), default 1000. */
  epochs?: number;
  /** Adam learning rate (`--pretrained_lr`), default 1e-3. */
  lr?: number;
  /** Stop once the training loss is below initial/level (`--pretrained_level`), default 3. */
  level?: number;
  batchSize?: number;
  seed: number;
  /** Training engine (see `Engine`). */
  engine?: Engine;
  /** Threads of a fast run (see `TrainSettings.threads`). */
  threads?: number;
}

export interface Pretrained<M> {
  /** The pretrained frozen model. */
  model: M;
  /** Updates taken (the stopping step). */
  steps: number;
  initialLoss: number;
  finalLoss: number;
  /** Whether the level was reached before the cap. */
  reachedLevel: boolean;
}

/** Stop rule of the reference: at step i ≥ 1, stop (before updating) once loss < loss_0/level. */
export function pretrainStopRule(level: number): (step: number, loss: number[]) => boolean {
  if (!(level > 0)) throw new ConfigError(`pretrained_level ${level} must be positive`);
  let initial = NaN;
  return (step, loss) => {
    if (step === 0) {
      initial = loss[0];
      return false;
    }
    return loss[0] < initial / level;
  };
}

/**
 * Pretraining of the frozen FNN toward the target (all weights and biases, Adam, MSE, fresh
 * batches from stream `pretrain`, independent of the fine-tuning stream `train`), stopping when the training loss falls below initial/level or
 * at the step cap.
 */
export function pretrainFNN(frozen: FNN, target: FNN, opts: PretrainOptions): Pretrained<FNN> {
  return readSync(fnnPretrain(frozen, target, opts), "pretrainFNN");
}

/** `pretrainFNN` with asynchronous tensor reads (see `trainFNNLoRAAsync`). */
export function pretrainFNNAsync(frozen: FNN, target: FNN, opts: PretrainOptions): Promise<Pretrained<FNN>> {
  return readAsync(fnnPretrain(frozen, target, opts));
}

function* fnnPretrain(frozen: FNN, target: FNN, opts: PretrainOptions): Reads<Pretrained<FNN>> {
  requireBackend();
  const epochs = opts.epochs ?? 1000;
  const level = opts.level ?? 3;
  const s = resolveSettings({ steps: epochs, lr: opts.lr ?? 1e-3, seed: opts.seed, batchSize: opts.batchSize, valEvery: 0, bestEpoch: false, engine: opts.engine, threads: opts.threads });
  checkOptimiserSettings(s.lr, 0);
  const plan = frozen.layers.map((): FNNLayerPlan => ({ weight: "full", bias: frozen.bias }));
  const engine = new FNNEngine([{ frozen, target, adaptation: null }], plan, "regression");
  const dataSeed = opts.seed;
  const stepper = makeStepper(engine, [dataSeed], { ...s, nTrain: null }, "pretrain");
  try {
    const theta = new Float32Array(engine.theta);
    const { result: res, reached } = yield* pretrainLoopReads(stepper, theta, epochs, s.lr, pretrainStopRule(level));
    const losses = res.trainLoss[0];
    return {
      model: engine.records(res.theta)[0].model,
      steps: res.steps,
      initialLoss: losses[0],
      finalLoss: losses[losses.length - 1],
      reachedLevel: reached,
    };
  } finally {
    stepper.dispose();
    engine.dispose();
  }
}
