/**
 * Transformer trainers (Theorem 7's architecture): LoRA by gradient on exactly the parameters the
 * theorem adapts — `W_Q, W_K, W_V, W_O` of every head and block, `W_2` of the last block, `W_o`,
 * and the FFN biases `b_1, b_2` of every block — and pretraining of all frozen parameters.
 * Single model (K = 1); θ is one flat float32 vector, updated by the host-side Adam of `runLoop`.
 *
 * Two engines give the loop the same losses and gradients (equal to float32 tolerance), chosen by
 * the `engine` setting or `LORA_ENGINE` (see `resolveEngine`):
 * - `fast` (default on the cpu and wasm backends): `fast/transformer-core.ts`, a hand-written forward
 *   and backward pass in TypeScript with WebAssembly SIMD product kernels, one example at a time;
 *   no tensors, no autodiff tape. ~3.5x the autodiff engine on wasm at D=16, N=10, batch 256.
 * - `reference` (default on other backends, e.g. the native `tensorflow` backend / GPU): the tfjs
 *   graph, gradients by tfjs autodiff with respect to one flat parameter tensor; token-major layout
 *   `[n, N, D]`, every projection one 2-D matmul over all n·N tokens.
 * Test metrics (after training) always use the tfjs forward.
 */
import { Matrix } from "ml-matrix";
import { ConfigError, ShapeError } from "../errors";
import { transposedData } from "../linalg/matrix";
import { stream } from "../linalg/random";
import { initTransformerAdapters } from "../models/init";
import type { Adapter, Transformer, TransformerAdaptation } from "../models/types";
import { checkOptimiserSettings } from "./adam";
import { requireBackend, tf } from "./backend";
import { fillGaussianSequences } from "../linalg/draw";
import { disposeTransformerTensors, transformerForwardTensors, transformerTensors, type TransformerTensors } from "./forward";
import type { Pretrained, PretrainOptions } from "./fnn-train";
import { pretrainStopRule } from "./fnn-train";
import { loopReads, pretrainLoopReads, testDivergence, type LoopStepper } from "./loop";
import { readAsync, readSync, type Reads } from "./reads";
import { FusedTransformerStepper } from "../fast/transformer-stepper";
import type { RawBlock, RawModel } from "../fast/transformer-core";
import { resolveEngine, resolveSettings, selectionOf, type ResolvedSettings, type TrainOutcome, type TrainSettings } from "./settings";
import { halvesMatrix, taskAccuracy, taskLoss, type CeTarget, type Task } from "./task";

export type TransformerTrainMode = "lora" | "full";
type Mode = TransformerTrainMode;

interface Entry {
  name: string;
  offset: number;
  rows: number;
  cols: number;
}

/** Flat parameter layout over named matrices (row-major). */
class Layout {
  readonly entries = new Map<string, Entry>();
  size = 0;
  add(name: string, rows: number, cols: number): void {
    this.entries.set(name, { name, offset: this.size, rows, cols });
    this.size += rows * cols;
  }
  get(name: string): Entry {
    const e = this.entries.get(name);
    if (e === undefined) throw new ShapeError(`no parameter ${name}`);
    return e;
  }
}

const MATS = ["WQ", "WK", "WV", "WO"] as const;

/**
 * Builds θ-dependent Transformer tensors (differentiable in θ) for LoRA or full training, and the
 * same weights as float64 arrays for the fused engine. Exported for tests.
 */
export class TransformerParams {
  readonly layout = new Layout();
  readonly theta: Float32Array;
  private readonly consts = new Map<string, tf.Tensor2D>();
  /** The same frozen `Wᵀ` (float32 values) for the fused engine. */
  private readonly constsRaw = new Map<string, Float64Array>();
  readonly D: number;
  readonly H: number;
  readonly L: number;

  constructor(readonly frozen: Transformer, readonly mode: Mode, adaptation: TransformerAdaptation | null) {
    const D = (this.D = frozen.width);
    this.H = frozen.blocks[0].heads.length;
    this.L = frozen.blocks.length;
    const lay = this.layout;
    const R = (a: Adapter): number => a.A.columns;
    frozen.blocks.forEach((bl, l) => {
      bl.heads.forEach((_, h) => {
        for (const M of MATS) {
          if (mode === "lora") {
            const ad = adaptation!.blocks[l].heads[h][M];
            lay.add(`A.${l}.${h}.${M}`, D, R(ad));
            lay.add(`B.${l}.${h}.${M}`, D, R(ad));
          } else lay.add(`T.${l}.${h}.${M}`, D, D);
        }
      });
      if (mode === "full") lay.add(`T.${l}.W1`, D, D);
      if (mode === "full") lay.add(`T.${l}.W2`, D, D);
      else if (l === this.L - 1) {
        const ad = adaptation!.blocks[l].W2;
        if (ad === null) throw new ConfigError("the last block needs a W_2 adapter (Theorem 7)");
        lay.add(`A.${l}.W2`, D, R(ad));
        lay.add(`B.${l}.W2`, D, R(ad));
      }
      lay.add(`b.${l}.b1`, 1, D);
      lay.add(`b.${l}.b2`, 1, D);
    });
    if (mode === "full") lay.add("T.Wo", D, D);
    else {
      lay.add("A.Wo", D, R(adaptation!.Wo));
      lay.add("B.Wo", D, R(adaptation!.Wo));
    }
    this.theta = new Float32Array(lay.size);
    const put = (name: string, data: ArrayLike<number>): void => this.theta.set(data, lay.get(name).offset);
    const rowMajor = (M: Matrix): number[] => M.to1DArray();
    frozen.blocks.forEach((bl, l) => {
      const ab = adaptation?.blocks[l];
      bl.heads.forEach((head, h) => {
        for (const M of MATS) {
          if (mode === "lora") {
            put(`A.${l}.${h}.${M}`, rowMajor(ab!.heads[h][M].A));
            put(`B.${l}.${h}.${M}`, rowMajor(ab!.heads[h][M].B));
          } else put(`T.${l}.${h}.${M}`, transposedData(head[M]));
        }
      });
      if (mode === "full") {
        put(`T.${l}.W1`, transposedData(bl.W1));
        put(`T.${l}.W2`, transposedData(bl.W2));
      } else if (l === this.L - 1) {
        put(`A.${l}.W2`, rowMajor(ab!.W2!.A));
        put(`B.${l}.W2`, rowMajor(ab!.W2!.B));
      }
      put(`b.${l}.b1`, ab?.b1 ?? bl.b1);
      put(`b.${l}.b2`, ab?.b2 ?? bl.b2);
    });
    if (mode === "full") put("T.Wo", transposedData(frozen.Wo));
    else {
      put("A.Wo", rowMajor(adaptation!.Wo.A));
      put("B.Wo", rowMajor(adaptation!.Wo.B));
    }
    // Frozen (transposed) weights used as constants.
    const c = (name: string, M: Matrix): void => {
      const data = transposedData(M);
      this.consts.set(name, tf.tensor2d(data, [D, D]));
      this.constsRaw.set(name, Float64Array.from(data));
    };
    frozen.blocks.forEach((bl, l) => {
      bl.heads.forEach((head, h) => MATS.forEach((M) => c(`${l}.${h}.${M}`, head[M])));
      c(`${l}.W1`, bl.W1);
      c(`${l}.W2`, bl.W2);
    });
    c("Wo", frozen.Wo);
  }

  private slice(t: tf.Tensor1D, name: string): tf.Tensor2D {
    const e = this.layout.get(name);
    return tf.reshape(tf.slice(t, [e.offset], [e.rows * e.cols]), [e.rows, e.cols]) as tf.Tensor2D;
  }

  /** `Wᵀ` of a matrix: trained (full), `Wᵀ + B Aᵀ` (LoRA) or frozen. */
  private weightT(t: tf.Tensor1D, key: string, adapted: boolean): tf.Tensor2D {
    if (this.mode === "full") return this.slice(t, `T.${key}`);
    const W = this.consts.get(key)!;
    if (!adapted) return W;
    return tf.add(W, tf.matMul(this.slice(t, `B.${key}`), this.slice(t, `A.${key}`), false, true)) as tf.Tensor2D;
  }

  tensors(t: tf.Tensor1D): TransformerTensors {
    const blocks = this.frozen.blocks.map((bl, l) => {
      const heads = bl.heads.map((_, h) => {
        const [q, k, v, o] = MATS.map((M) => this.weightT(t, `${l}.${h}.${M}`, true));
        return { q, k, m: tf.matMul(v, o) as tf.Tensor2D }; // (W_O W_V)ᵀ = W_Vᵀ W_Oᵀ
      });
      return {
        WQT: tf.concat(heads.map((x) => x.q), 1) as tf.Tensor2D,
        WKT: tf.concat(heads.map((x) => x.k), 1) as tf.Tensor2D,
        MT: tf.concat(heads.map((x) => x.m), 1) as tf.Tensor2D,
        W1T: this.weightT(t, `${l}.W1`, false),
        b1: tf.reshape(this.slice(t, `b.${l}.b1`), [this.D]) as tf.Tensor1D,
        W2T: this.weightT(t, `${l}.W2`, l === this.L - 1),
        b2: tf.reshape(this.slice(t, `b.${l}.b2`), [this.D]) as tf.Tensor1D,
      };
    });
    return { heads: this.H, blocks, WoT: this.weightT(t, "Wo", true) };
  }

  /** `Wᵀ` as float64 for the fused engine: trained (full), `Wᵀ + B Aᵀ` (LoRA) or frozen. */
  private weightTRaw(theta: Float32Array, key: string, adapted: boolean): Float64Array {
    const D = this.D;
    if (this.mode === "full") {
      const e = this.layout.get(`T.${key}`);
      return Float64Array.from(theta.subarray(e.offset, e.offset + D * D));
    }
    const W0 = this.constsRaw.get(key)!;
    if (!adapted) return W0;
    const A = this.layout.get(`A.${key}`);
    const B = this.layout.get(`B.${key}`);
    const r = A.cols;
    const out = new Float64Array(W0);
    for (let i = 0; i < D; i++) {
      for (let j = 0; j < D; j++) {
        let s = 0;
        for (let q = 0; q < r; q++) s += theta[B.offset + i * r + q] * theta[A.offset + j * r + q];
        out[i * D + j] += s;
      }
    }
    return out;
  }

  private vector(theta: Float32Array, name: string): Float64Array {
    const e = this.layout.get(name);
    return Float64Array.from(theta.subarray(e.offset, e.offset + e.rows * e.cols));
  }

  /** θ as raw transposed float64 weights (LoRA adapters merged) for the fused engine. */
  raw(theta: Float32Array): RawModel {
    const last = this.L - 1;
    const blocks = this.frozen.blocks.map((bl, l): RawBlock => {
      const head = (M: (typeof MATS)[number]): Float64Array[] => bl.heads.map((_, h) => this.weightTRaw(theta, `${l}.${h}.${M}`, true));
      return {
        WQT: head("WQ"),
        WKT: head("WK"),
        WVT: head("WV"),
        WOT: head("WO"),
        W1T: this.weightTRaw(theta, `${l}.W1`, false),
        b1: this.vector(theta, `b.${l}.b1`),
        W2T: this.weightTRaw(theta, `${l}.W2`, l === last),
        b2: this.vector(theta, `b.${l}.b2`),
      };
    });
    return { blocks, WoT: this.weightTRaw(theta, "Wo", true) };
  }

  /** Writes dθ (at `out[offset…]`) from the gradient of the raw weights (chain rule through `B Aᵀ`). */
  scatterGrad(theta: Float32Array, g: RawModel, out: Float32Array, offset: number): void {
    const D = this.D;
    const put = (key: string, dWT: Float64Array, adapted: boolean): void => {
      if (this.mode === "full") {
        const e = this.layout.get(`T.${key}`);
        for (let i = 0; i < D * D; i++) out[offset + e.offset + i] = dWT[i];
        return;
      }
      if (!adapted) return;
      const A = this.layout.get(`A.${key}`);
      const B = this.layout.get(`B.${key}`);
      const r = A.cols;
      // WT = W0T + B Aᵀ: dB = dWT A, dA = dWTᵀ B.
      for (let i = 0; i < D; i++) {
        for (let q = 0; q < r; q++) {
          let sB = 0;
          let sA = 0;
          for (let j = 0; j < D; j++) {
            sB += dWT[i * D + j] * theta[A.offset + j * r + q];
            sA += dWT[j * D + i] * theta[B.offset + j * r + q];
          }
          out[offset + B.offset + i * r + q] = sB;
          out[offset + A.offset + i * r + q] = sA;
        }
      }
    };
    const vec = (name: string, v: Float64Array): void => {
      const e = this.layout.get(name);
      for (let i = 0; i < v.length; i++) out[offset + e.offset + i] = v[i];
    };
    const last = this.L - 1;
    g.blocks.forEach((bl, l) => {
      for (let h = 0; h < this.H; h++) {
        put(`${l}.${h}.WQ`, bl.WQT[h], true);
        put(`${l}.${h}.WK`, bl.WKT[h], true);
        put(`${l}.${h}.WV`, bl.WVT[h], true);
        put(`${l}.${h}.WO`, bl.WOT[h], true);
      }
      put(`${l}.W1`, bl.W1T, false);
      put(`${l}.W2`, bl.W2T, l === last);
      vec(`b.${l}.b1`, bl.b1);
      vec(`b.${l}.b2`, bl.b2);
    });
    put("Wo", g.WoT, true);
  }

  private read(theta: Float32Array, name: string, transpose: boolean): Matrix {
    const e = this.layout.get(name);
    const M = Matrix.from1DArray(e.rows, e.cols, Array.from(theta.subarray(e.offset, e.offset + e.rows * e.cols)));
    return transpose ? M.transpose() : M;
  }

  /** θ back to records: the adaptation (LoRA) or the trained model (full). */
  adaptation(theta: Float32Array): TransformerAdaptation {
    const ad = (key: string): Adapter => ({ A: this.read(theta, `A.${key}`, false), B: this.read(theta, `B.${key}`, false) });
    return {
      blocks: this.frozen.blocks.map((bl, l) => ({
        heads: bl.heads.map((_, h) => ({ WQ: ad(`${l}.${h}.WQ`), WK: ad(`${l}.${h}.WK`), WV: ad(`${l}.${h}.WV`), WO: ad(`${l}.${h}.WO`) })),
        W2: l === this.L - 1 ? ad(`${l}.W2`) : null,
        b1: Array.from(this.read(theta, `b.${l}.b1`, false).getRow(0)),
        b2: Array.from(this.read(theta, `b.${l}.b2`, false).getRow(0)),
      })),
      Wo: ad("Wo"),
    };
  }

  model(theta: Float32Array): Transformer {
    return {
      kind: "transformer",
      width: this.D,
      blocks: this.frozen.blocks.map((bl, l) => ({
        heads: bl.heads.map((_, h) => ({
          WQ: this.read(theta, `T.${l}.${h}.WQ`, true),
          WK: this.read(theta, `T.${l}.${h}.WK`, true),
          WV: this.read(theta, `T.${l}.${h}.WV`, true),
          WO: this.read(theta, `T.${l}.${h}.WO`, true),
        })),
        W1: this.read(theta, `T.${l}.W1`, true),
        b1: Array.from(this.read(theta, `b.${l}.b1`, false).getRow(0)),
        W2: this.read(theta, `T.${l}.W2`, true),
        b2: Array.from(this.read(theta, `b.${l}.b2`, false).getRow(0)),
      })),
      Wo: this.read(theta, "T.Wo", true),
    };
  }

  dispose(): void {
    tf.dispose([...this.consts.values()]);
  }
}

/**
 * Loop stepper for one Transformer on the tfjs graph (autodiff): fresh `[n, N, D]` batches (or a
 * fixed n_train set), fixed validation set. Exported for tests.
 */
export class TransformerStepper implements LoopStepper {
  readonly K = 1;
  readonly owner: Int32Array;
  private readonly trainRng: ReturnType<typeof stream>;
  private readonly buf: Float32Array;
  private readonly Xval: tf.Tensor3D;
  private readonly Yval: tf.Tensor2D;
  private readonly fixed: [tf.Tensor3D, tf.Tensor2D] | null;
  private readonly nTr: number;
  private readonly halves: tf.Tensor2D | null;
  private readonly ceTarget: CeTarget;
  private readonly valTokens: number;
  private readonly lastAccuracy = new Float64Array(1).fill(NaN);
  private readonly grad: (t: tf.Tensor1D, X: tf.Tensor3D, Y: tf.Tensor2D) => { value: tf.Scalar; grad: tf.Tensor1D };

  constructor(
    readonly params: TransformerParams,
    readonly targetT: TransformerTensors,
    readonly N: number,
    readonly task: Task,
    s: ResolvedSettings,
    trainPurpose = "train",
  ) {
    const D = params.D;
    this.owner = new Int32Array(params.theta.length);
    this.nTr = s.nTrain ?? s.batchSize;
    this.trainRng = stream(s.seed, trainPurpose);
    this.buf = new Float32Array(this.nTr * N * D);
    this.halves = task === "binary" ? halvesMatrix(D) : null;
    this.ceTarget = s.ceTarget;
    this.valTokens = s.nVal * N;
    const vbuf = new Float32Array(s.nVal * N * D);
    fillGaussianSequences(stream(s.seed, "validation"), vbuf, 0, s.nVal, N, D);
    this.Xval = tf.tensor3d(vbuf, [s.nVal, N, D]);
    this.Yval = this.targetRows(this.Xval);
    if (s.nTrain !== null) {
      fillGaussianSequences(this.trainRng, this.buf, 0, this.nTr, N, D);
      const X = tf.tensor3d(this.buf, [this.nTr, N, D]);
      this.fixed = [X, this.targetRows(X)];
    } else this.fixed = null;
    const f = (t: tf.Tensor, X: tf.Tensor3D, Y: tf.Tensor2D): tf.Scalar => {
      const w = this.params.tensors(t as tf.Tensor1D);
      return taskLoss(this.rows(transformerForwardTensors(w, X)), Y, this.task, this.halves, this.ceTarget);
    };
    this.grad = (t, X, Y) => {
      const r = tf.valueAndGrad((x: tf.Tensor) => f(x, X, Y))(t);
      return { value: r.value, grad: r.grad as tf.Tensor1D };
    };
  }

  private rows(Y: tf.Tensor3D): tf.Tensor2D {
    return tf.reshape(Y, [Y.shape[0] * Y.shape[1], Y.shape[2]]) as tf.Tensor2D;
  }

  targetRows(X: tf.Tensor3D): tf.Tensor2D {
    return tf.tidy(() => this.rows(transformerForwardTensors(this.targetT, X)));
  }

  /** Validation accuracy at the last validated evaluation (NaN for regression). */
  valAccuracy(): Float64Array {
    return this.lastAccuracy;
  }

  evaluate(theta: Float32Array, withVal: boolean, trainBatch: boolean): Float32Array {
    return readSync(this.evaluateReads(theta, withVal, trainBatch), "TransformerStepper.evaluate", "evaluateReads through readAsync");
  }

  *evaluateReads(theta: Float32Array, withVal: boolean, trainBatch: boolean): Reads<Float32Array> {
    const D = this.params.D;
    let X: tf.Tensor3D;
    let Y: tf.Tensor2D;
    if (this.fixed !== null) [X, Y] = this.fixed;
    else {
      if (trainBatch) fillGaussianSequences(this.trainRng, this.buf, 0, this.nTr, this.N, D);
      X = tf.tensor3d(this.buf, [this.nTr, this.N, D]);
      Y = this.targetRows(X);
    }
    try {
      const out = yield tf.tidy(() => {
        const t = tf.tensor1d(theta);
        const { value, grad } = this.grad(t, X, Y);
        let val: tf.Scalar = tf.scalar(NaN);
        let acc: tf.Scalar = tf.scalar(NaN);
        if (withVal) {
          const pred = this.rows(transformerForwardTensors(this.params.tensors(t), this.Xval));
          val = taskLoss(pred, this.Yval, this.task, this.halves, this.ceTarget);
          if (this.task !== "regression") acc = taskAccuracy(pred, this.Yval, this.task, this.halves);
        }
        return tf.concat([tf.stack([value, val]), grad, tf.reshape(acc, [1])]);
      });
      // Accuracies are multiples of 1/(nVal·N): rounded so float32 means equal the fused engine's.
      if (withVal) this.lastAccuracy[0] = Math.round(out[out.length - 1] * this.valTokens) / this.valTokens;
      return out.subarray(0, out.length - 1);
    } finally {
      if (this.fixed === null) tf.dispose([X, Y]);
    }
  }

  dispose(): void {
    tf.dispose([this.Xval, this.Yval]);
    if (this.fixed) tf.dispose(this.fixed);
    this.halves?.dispose();
  }
}

/** The per-step evaluator: the fast stepper (`fast/`) or the tfjs autodiff stepper (see `resolveEngine`). */
function makeStepper(
  params: TransformerParams,
  target: Transformer,
  targetT: TransformerTensors,
  N: number,
  task: Task,
  s: ResolvedSettings,
  trainPurpose = "train",
): LoopStepper & { dispose(): void } {
  return resolveEngine(s.engine) === "fast"
    ? new FusedTransformerStepper(params, target, N, task, s, trainPurpose)
    : new TransformerStepper(params, targetT, N, task, s, trainPurpose);
}

const targetTensors = transformerTensors;

/** A trained Transformer: curves, test metrics, the adaptation (LoRA). */
export interface TransformerTrained extends TrainOutcome {
  adaptation: TransformerAdaptation;
}

export interface TransformerLoRAOptions {
  rank: number;
  /** Tokens per input (`--seq_length`), default 10. */
  seqLength?: number;
  /** Std of the B initialisation, default 0.25. */
  std?: number;
}

function checkPair(frozen: Transformer, target: Transformer): void {
  if (frozen.width !== target.width || frozen.blocks.length !== target.blocks.length || frozen.blocks[0].heads.length !== target.blocks[0].heads.length) {
    throw new ShapeError("frozen and target Transformers must share width, depth and number of heads");
  }
}

/** LoRA by gradient on a Transformer (Theorem 7's adapted parameters), Adam, fresh batches. */
export function trainTransformerLoRA(frozen: Transformer, target: Transformer, opts: TransformerLoRAOptions & TrainSettings): TransformerTrained {
  return readSync(transformerLoRA(frozen, target, opts), "trainTransformerLoRA");
}

/** `trainTransformerLoRA` with asynchronous tensor reads: the same numbers, on every backend (the only way on `webgpu`). */
export function trainTransformerLoRAAsync(frozen: Transformer, target: Transformer, opts: TransformerLoRAOptions & TrainSettings): Promise<TransformerTrained> {
  return readAsync(transformerLoRA(frozen, target, opts));
}

function* transformerLoRA(frozen: Transformer, target: Transformer, opts: TransformerLoRAOptions & TrainSettings): Reads<TransformerTrained> {
  requireBackend();
  checkPair(frozen, target);
  const s = resolveSettings(opts);
  checkOptimiserSettings(s.lr, s.weightDecay);
  const N = opts.seqLength ?? 10;
  const init = initTransformerAdapters(frozen, opts.rank, opts.std ?? 0.25, stream(s.seed, "adapters"));
  const params = new TransformerParams(frozen, "lora", init);
  const targetT = targetTensors(target);
  const stepper = makeStepper(params, target, targetT, N, s.task, s);
  try {
    const theta = new Float32Array(params.theta);
    const cb = opts.onProgress;
    const res = yield* loopReads(stepper, theta, {
      steps: s.steps,
      lr: new Float32Array(theta.length).fill(s.lr),
      weightDecay: new Float32Array(theta.length).fill(s.weightDecay),
      valEvery: s.valEvery,
      bestEpoch: s.bestEpoch,
      selectBy: selectionOf(s),
      onProgress: cb ? (step, t, v, sps) => cb(step, t[0], v[0], sps) : undefined,
      progressEvery: opts.progressEvery,
    });
    const test = yield* transformerTest(params, res.theta, targetT, N, s);
    const diverged = testDivergence(res.chosenStep[0], [test.testLoss, test.testShiftLoss, test.testAccuracy, test.testShiftAccuracy]);
    if (diverged !== null) throw diverged;
    return {
      trainLoss: res.trainLoss[0],
      valLoss: res.valLoss[0],
      valSteps: res.valSteps,
      bestStep: res.chosenStep[0],
      valLossAtBest: res.chosenValLoss[0],
      valAccuracyAtBest: s.task === "regression" ? null : res.chosenValAccuracy[0],
      ...test,
      steps: res.steps,
      seconds: res.seconds,
      stepsPerSec: res.steps / Math.max(res.seconds, 1e-9),
      adaptation: params.adaptation(res.theta),
    };
  } finally {
    stepper.dispose();
    params.dispose();
    disposeTransformerTensors(targetT);
  }
}

function* transformerTest(
  params: TransformerParams,
  theta: Float32Array,
  targetT: TransformerTensors,
  N: number,
  s: ResolvedSettings,
): Reads<{ testLoss: number; testShiftLoss: number; testAccuracy: number | null; testShiftAccuracy: number | null }> {
  const D = params.D;
  const buf = new Float32Array(s.nTest * N * D);
  fillGaussianSequences(stream(s.seed, "test"), buf, 0, s.nTest, N, D);
  const halves = s.task === "binary" ? halvesMatrix(D) : null;
  const classify = s.task !== "regression";
  /** `[loss]` or `[loss, accuracy]` (classification), read at once. */
  const metric = (scale: number): tf.Tensor1D =>
    tf.tidy(() => {
      const X = tf.mul(tf.tensor3d(buf, [s.nTest, N, D]), scale) as tf.Tensor3D;
      const flat = (Y: tf.Tensor3D): tf.Tensor2D => tf.reshape(Y, [s.nTest * N, D]) as tf.Tensor2D;
      const pred = flat(transformerForwardTensors(params.tensors(tf.tensor1d(theta)), X));
      const Y = flat(transformerForwardTensors(targetT, X));
      const loss = taskLoss(pred, Y, s.task, halves, s.ceTarget);
      return tf.stack(classify ? [loss, taskAccuracy(pred, Y, s.task, halves)] : [loss]) as tf.Tensor1D;
    });
  try {
    const a = yield metric(1);
    const b = yield metric(5);
    return { testLoss: a[0], testShiftLoss: b[0], testAccuracy: classify ? a[1] : null, testShiftAccuracy: classify ? b[1] : null };
  } finally {
    halves?.dispose();
  }
}

/** Pretraining of all frozen Transformer parameters toward the target (MSE, Adam), reference stop rule. */
export function pretrainTransformer(frozen: Transformer, target: Transformer, opts: PretrainOptions & { seqLength?: number }): Pretrained<Transformer> {
  return readSync(transformerPretrain(frozen, target, opts), "pretrainTransformer");
}

/** `pretrainTransformer` with asynchronous tensor reads (see `trainTransformerLoRAAsync`). */
export function pretrainTransformerAsync(frozen: Transformer, target: Transformer, opts: PretrainOptions & { seqLength?: number }): Promise<Pretrained<Transformer>> {
  return readAsync(transformerPretrain(frozen, target, opts));
}

function* transformerPretrain(frozen: Transformer, target: Transformer, opts: PretrainOptions & { seqLength?: number }): Reads<Pretrained<Transformer>> {
  requireBackend();
  checkPair(frozen, target);
  const epochs = opts.epochs ?? 1000;
  const s = resolveSettings({ steps: epochs, lr: opts.lr ?? 1e-3, seed: opts.seed, batchSize: opts.batchSize, valEvery: 0, bestEpoch: false, engine: opts.engine, threads: opts.threads });
  checkOptimiserSettings(s.lr, 0);
  const params = new TransformerParams(frozen, "full", null);
  const targetT = targetTensors(target);
  const stepper = makeStepper(params, target, targetT, opts.seqLength ?? 10, "regression", s, "pretrain");
  try {
    const theta = new Float32Array(params.theta);
    const { result: res, reached } = yield* pretrainLoopReads(stepper, theta, epochs, s.lr, pretrainStopRule(opts.level ?? 3));
    const losses = res.trainLoss[0];
    return { model: params.model(res.theta), steps: res.steps, initialLoss: losses[0], finalLoss: losses[losses.length - 1], reachedLevel: reached };
  } finally {
    stepper.dispose();
    params.dispose();
    disposeTransformerTensors(targetT);
  }
}
