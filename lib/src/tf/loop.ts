/**
 * The training loop shared by every trainer: Adam on the host-side θ, validation on a fixed set,
 * best-validation snapshots per model, a progress callback, an optional early stop (pretraining).
 *
 * Step semantics: at iteration t (t = 0..N) one pass evaluates θ_t (after t updates) on the
 * validation set and, for t < N, on training batch t+1, whose gradient makes θ_{t+1}.
 * `trainLoss[t−1]` is batch t's loss before its update (what PyTorch logs); `valLoss` at step t
 * is the validation loss after t updates. The best step is the t ≥ 1 with the lowest validation loss
 * (`selectBy: "loss"`) or, as the reference's classification loop, the highest validation accuracy
 * (`selectBy: "accuracy"`: the first step reaching the maximum, as `val_output > best_val` there);
 * with `steps: 0` the untrained θ_0 is validated and kept, so the result is always defined.
 *
 * Divergence: every training and validation loss the loop reads is checked (K numbers a step, no
 * pass over θ). A non-finite loss of model k at step t stops model k: with one model the loop
 * throws `DivergenceError`; in a batched run the model is marked (`diverged[k]`) and the others go
 * on. The error names the quantity: `parameter` when θ_t itself is no longer finite (the update
 * from step t−1 overflowed float32, or its gradient was NaN, which Adam carries into θ), else the
 * loss. At the end the kept θ of every model is checked too (a NaN θ that a ReLU swallowed).
 */
import { ConfigError, DivergenceError, type DivergedQuantity } from "../errors";
import { FlatAdam } from "./adam";
import { readSync, type Reads } from "./reads";

/** What a model engine gives the loop. */
export interface LoopStepper {
  readonly K: number;
  /** Which model each entry of θ belongs to. */
  readonly owner: Int32Array;
  /**
   * Losses `[train_0, val_0, train_1, val_1, …]` of θ (val entries meaningless when `withVal` is
   * false) followed by the gradient of the training losses; `trainBatch` says whether a new
   * training batch is needed (false only for the last, validation-only pass).
   */
  evaluate(theta: Float32Array, withVal: boolean, trainBatch: boolean): Float32Array;
  /**
   * The same evaluation with its one tensor read left to the driver (`reads.ts`), so the loop
   * also runs with asynchronous reads (the WebGPU backend). The tfjs reference steppers have it;
   * the loop prefers it to `evaluate` when present.
   */
  evaluateReads?(theta: Float32Array, withVal: boolean, trainBatch: boolean): Reads<Float32Array>;
  /** Validation accuracy of each model at the last `evaluate` with `withVal` (classification steppers). */
  valAccuracy?(): ArrayLike<number>;
}

export interface LoopOptions {
  steps: number;
  lr: Float32Array;
  weightDecay: Float32Array;
  /** Validate every this many steps (and at the last step); 0 never validates. */
  valEvery: number;
  /** Snapshot at the best validation step (true) or keep the last step (false). */
  bestEpoch: boolean;
  /** What "best" means (default `loss`); `accuracy` needs a stepper with `valAccuracy`. */
  selectBy?: "loss" | "accuracy";
  /** Called every `progressEvery` steps and at the end. */
  onProgress?: (step: number, trainLoss: number[], valLoss: number[], stepsPerSec: number) => void;
  progressEvery?: number;
  /** Early stop, checked before each update with that batch's training losses (pretraining). */
  stopWhen?: (step: number, trainLoss: number[]) => boolean;
}

export interface LoopResult {
  /** `trainLoss[k][t]`: model k, step t+1. */
  trainLoss: number[][];
  /** `valLoss[k][i]`: model k at step `valSteps[i]`. */
  valLoss: number[][];
  valSteps: number[];
  /** Per model: the step whose parameters were kept (best validation, or the last). */
  chosenStep: number[];
  /** Per model: validation loss at the chosen step (NaN when never validated). */
  chosenValLoss: number[];
  /** Per model: validation accuracy at the chosen step (NaN when not measured). */
  chosenValAccuracy: number[];
  /** θ of every model at its chosen step. */
  theta: Float32Array;
  /** Updates taken. */
  steps: number;
  seconds: number;
  /** Per model: null, or the divergence that stopped it (only batched runs return one; K = 1 throws). */
  diverged: Array<DivergenceError | null>;
}

/** Index of the first non-finite entry of θ on `ranges`, or −1 when all are finite. */
export function firstNonFiniteIndex(theta: Float32Array, ranges: ReadonlyArray<[number, number]>): number {
  for (const [a, b] of ranges) for (let i = a; i < b; i++) if (!Number.isFinite(theta[i])) return i;
  return -1;
}

/** Per model, the [start, end) runs of θ it owns (its entries are a few contiguous blocks). */
export function ownerRanges(owner: Int32Array, K: number): Array<Array<[number, number]>> {
  const ranges: Array<Array<[number, number]>> = Array.from({ length: K }, () => []);
  for (let i = 0; i < owner.length; ) {
    let j = i + 1;
    while (j < owner.length && owner[j] === owner[i]) j++;
    if (owner[i] >= 0 && owner[i] < K) ranges[owner[i]].push([i, j]);
    i = j;
  }
  return ranges;
}

/** The loop with synchronous reads (see `loopReads`). */
export function runLoop(stepper: LoopStepper, theta: Float32Array, opts: LoopOptions): LoopResult {
  return readSync(loopReads(stepper, theta, opts), "runLoop", "loopReads through readAsync");
}

/** The loop as a computation whose tensor reads a driver makes (`readSync` or `readAsync`). */
export function* loopReads(stepper: LoopStepper, theta: Float32Array, opts: LoopOptions): Reads<LoopResult> {
  const { K, owner } = stepper;
  const byAccuracy = opts.selectBy === "accuracy";
  if (byAccuracy && stepper.valAccuracy === undefined) throw new ConfigError("selection by validation accuracy needs a stepper that measures it (a classification task)");
  const ranges = ownerRanges(owner, K);
  /** best ← θ on model k's entries. */
  const snapshot = (best: Float32Array, k: number): void => {
    for (const [a, b] of ranges[k]) best.set(theta.subarray(a, b), a);
  };
  const N = opts.steps;
  const adam = new FlatAdam(theta, opts.lr, opts.weightDecay);
  const trainLoss: number[][] = Array.from({ length: K }, () => []);
  const valLoss: number[][] = Array.from({ length: K }, () => []);
  const valSteps: number[] = [];
  const best = new Float32Array(theta);
  const bestVal = new Array<number>(K).fill(Infinity);
  const chosenStep = new Array<number>(K).fill(0);
  const chosenValLoss = new Array<number>(K).fill(NaN);
  const chosenValAccuracy = new Array<number>(K).fill(NaN);
  const bestAcc = new Array<number>(K).fill(-Infinity);
  let lastAcc: ArrayLike<number> | null = null;
  const every = opts.progressEvery ?? 100;
  const start = performance.now();
  const diverged: Array<DivergenceError | null> = new Array<DivergenceError | null>(K).fill(null);
  let alive = K;
  /** Marks model k diverged at step t (throws for a single model). Runs only when a loss is not finite. */
  const diverge = (k: number, t: number, quantity: DivergedQuantity, value: number): void => {
    if (diverged[k] !== null) return;
    const i = firstNonFiniteIndex(theta, ranges[k]);
    const m = K === 1 ? null : k;
    const e =
      i < 0
        ? new DivergenceError(t, quantity, value, m)
        : new DivergenceError(t, "parameter", theta[i], m, `(update ${t} overflowed float32 or followed a non-finite gradient; so the ${quantity} became ${String(value)})`);
    if (K === 1) throw e;
    diverged[k] = e;
    alive--;
  };
  let steps = 0;
  for (let t = 0; t <= N; t++) {
    const withVal = opts.valEvery > 0 && (t === N || t % opts.valEvery === 0) && (t > 0 || N === 0);
    if (t === N && !withVal) break;
    const out = stepper.evaluateReads !== undefined ? yield* stepper.evaluateReads(theta, withVal, t < N) : stepper.evaluate(theta, withVal, t < N);
    if (withVal) {
      valSteps.push(t);
      lastAcc = stepper.valAccuracy?.() ?? null;
      for (let k = 0; k < K; k++) {
        const v = out[2 * k + 1];
        if (!Number.isFinite(v)) diverge(k, t, "validation loss", v);
        valLoss[k].push(v);
        const a = lastAcc === null ? NaN : lastAcc[k];
        const better = byAccuracy ? a > bestAcc[k] : v < bestVal[k];
        if (opts.bestEpoch && better) {
          bestVal[k] = v;
          bestAcc[k] = a;
          chosenStep[k] = t;
          chosenValLoss[k] = v;
          chosenValAccuracy[k] = a;
          snapshot(best, k);
        }
      }
    }
    if (t === N) break;
    const losses = Array.from({ length: K }, (_, k) => out[2 * k]);
    losses.forEach((l, k) => {
      trainLoss[k].push(l);
      if (!Number.isFinite(l)) diverge(k, t, "training loss", l);
    });
    if (alive === 0) break;
    if (opts.stopWhen?.(t, losses)) break;
    adam.step(out, 2 * K);
    steps = t + 1;
    if (opts.onProgress && (steps % every === 0 || steps === N)) {
      const last = valLoss.map((v) => (v.length > 0 ? v[v.length - 1] : NaN));
      opts.onProgress(steps, losses, last, steps / ((performance.now() - start) / 1000));
    }
  }
  const seconds = (performance.now() - start) / 1000;
  for (let k = 0; k < K; k++) {
    const chosen = byAccuracy ? bestAcc[k] > -Infinity : Number.isFinite(bestVal[k]);
    if (!opts.bestEpoch || !chosen) {
      chosenStep[k] = steps;
      const v = valLoss[k];
      const lastIsFinal = valSteps.length > 0 && valSteps[valSteps.length - 1] === steps;
      chosenValLoss[k] = lastIsFinal ? v[v.length - 1] : NaN;
      chosenValAccuracy[k] = lastIsFinal && lastAcc !== null ? lastAcc[k] : NaN;
      snapshot(best, k);
    }
    if (diverged[k] === null) {
      const i = firstNonFiniteIndex(best, ranges[k]);
      if (i >= 0) {
        const e = new DivergenceError(chosenStep[k], "parameter", best[i], K === 1 ? null : k);
        if (K === 1) throw e;
        diverged[k] = e;
      }
    }
  }
  return { trainLoss, valLoss, valSteps, chosenStep, chosenValLoss, chosenValAccuracy, theta: best, steps, seconds, diverged };
}

/**
 * The pretraining loop (shared by the FNN and Transformer pretrainers): Adam at one learning rate,
 * no weight decay, no validation, stopping at the first step where `stop` holds (or at `steps`).
 */
export function* pretrainLoopReads(
  stepper: LoopStepper,
  theta: Float32Array,
  steps: number,
  lr: number,
  stop: (step: number, trainLoss: number[]) => boolean,
): Reads<{ result: LoopResult; reached: boolean }> {
  let reached = false;
  const result = yield* loopReads(stepper, theta, {
    steps,
    lr: new Float32Array(theta.length).fill(lr),
    weightDecay: new Float32Array(theta.length),
    valEvery: 0,
    bestEpoch: false,
    stopWhen: (t, l) => (reached = stop(t, l)),
  });
  return { result, reached };
}

/**
 * The divergence of a trained model's test metrics (loss, shifted loss, accuracies), or null when
 * every one is finite (null accuracies, of the regression task, are skipped). `step` is the step
 * whose parameters were tested.
 */
export function testDivergence(step: number, metrics: ReadonlyArray<number | null>, model: number | null = null): DivergenceError | null {
  for (const m of metrics) if (m !== null && !Number.isFinite(m)) return new DivergenceError(step, "test metric", m, model);
  return null;
}
