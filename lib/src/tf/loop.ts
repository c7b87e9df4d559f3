/**
 * The training loop shared by every trainer: Adam on the host-side θ, validation on a fixed set,
 * best-validation snapshots per model, a progress callback, an optional early stop (pretraining).
 *
 * Step semantics: at iteration t (t = 0..N) one pass evaluates θ_t (after t updates) on the
 * validation set and, for t < N, on training batch t+1, whose gradient makes θ_{t+1}.
 * `trainLoss[t−1]` is batch t's loss before its update (what PyTorch logs); `valLoss` at step t
 * is the validation loss after t updates. The best step is the t ≥ 1 with the lowest validation loss
 * (`selectBy: "loss"`) or, as the reference's classification loop, the highest validation accuracy
 * (`selectBy: "accuracy"`: the first step reaching the maximum, as `val_output > best_val` there).
 */
import { ConfigError } from "../errors";
import { FlatAdam } from "./adam";

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

export function runLoop(stepper: LoopStepper, theta: Float32Array, opts: LoopOptions): LoopResult {
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
  let steps = 0;
  for (let t = 0; t <= N; t++) {
    const withVal = opts.valEvery > 0 && (t === N || t % opts.valEvery === 0) && t > 0;
    if (t === N && !withVal) break;
    const out = stepper.evaluate(theta, withVal, t < N);
    if (withVal) {
      valSteps.push(t);
      lastAcc = stepper.valAccuracy?.() ?? null;
      for (let k = 0; k < K; k++) {
        const v = out[2 * k + 1];
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
    losses.forEach((l, k) => trainLoss[k].push(l));
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
  }
  return { trainLoss, valLoss, valSteps, chosenStep, chosenValLoss, chosenValAccuracy, theta: best, steps, seconds };
}

/**
 * The pretraining loop (shared by the FNN and Transformer pretrainers): Adam at one learning rate,
 * no weight decay, no validation, stopping at the first step where `stop` holds (or at `steps`).
 */
export function runPretrainLoop(
  stepper: LoopStepper,
  theta: Float32Array,
  steps: number,
  lr: number,
  stop: (step: number, trainLoss: number[]) => boolean,
): { result: LoopResult; reached: boolean } {
  let reached = false;
  const result = runLoop(stepper, theta, {
    steps,
    lr: new Float32Array(theta.length).fill(lr),
    weightDecay: new Float32Array(theta.length),
    valEvery: 0,
    bestEpoch: false,
    stopWhen: (t, l) => (reached = stop(t, l)),
  });
  return { result, reached };
}
