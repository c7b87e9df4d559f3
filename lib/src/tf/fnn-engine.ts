/**
 * The FNN reference engine: K FNNs with shared shapes (K = 1 for a single run) trained in one tfjs
 * computation whose gradients come from tfjs autodiff (`tf.valueAndGrad`), as a course reader
 * would write it next to the paper:
 *
 *   1. parameters: per layer, the frozen `W_l` plus the adapter `A_l, B_l` (D×r) — the LoRA layer
 *      computes with the merged weight `W_l + A_l B_lᵀ` (PEFT's mergeable delta) — or a fully
 *      trained `W_l`, and a trained or constant bias `b_l`;
 *   2. forward: `z_l = σ(z_{l−1} (W_l + A_l B_lᵀ)ᵀ + b_l)`;
 *   3. loss: the task's per-example loss (`task.ts`), averaged over the training rows;
 *   4. gradient: `tf.valueAndGrad` of that loss with respect to the flat parameter vector θ.
 *
 * The update itself is not here: the loop (`loop.ts`) applies the same float32 Adam to θ whichever
 * engine computed the gradient, so this engine and the fast path (the fused kernels) differ only by
 * float32 rounding of the gradient.
 *
 * Layout: tensors carry a leading model axis K (`[K, n, D]` activations, `[K, D_in, D_out]`
 * transposed weights, since rows are examples: `z Wᵀ`); with K = 1 every product is a plain 2-D
 * matmul (the fast XNNPACK path on wasm). Per-layer and per-model ranks are padded to the largest
 * rank of the layer with zero columns in both A and B: the gradient of a zero column of A is
 * `(∂L/∂W) B_j = 0` since `B_j = 0`, and vice versa, so they stay zero and a padded model trains
 * exactly like the unpadded one.
 *
 * The trainable parameters of all K models are one flat float32 vector θ (see `FlatAdam`); each
 * layer's block stores `Aᵀ` (`[K, r, D]`), `B` (`[K, D, r]`), `Wᵀ` (`[K, D, D]`) or `b` (`[K, D]`),
 * the layout the fast path shares (`fnn-layout.ts`).
 */
import { Matrix } from "ml-matrix";
import { ConfigError, RankError, ShapeError } from "../errors";
import type { Activation, FNN, FNNAdaptation } from "../models/types";
import { tf } from "./backend";
import { fnnThetaLayout, type FNNLayerPlan, type ThetaSegment } from "./fnn-layout";
import { halvesMatrix, taskLogits, taskRowLosses, type CeTarget, type Task } from "./task";

export type { FNNLayerPlan, LayerWeightMode } from "./fnn-layout";

/** One of the K models: its frozen and target FNNs, initial adapters and optimiser settings. */
export interface FNNMember {
  frozen: FNN;
  target: FNN;
  /** Initial adapters of the `lora` layers (`adapters[l]` with A, B of D×r_l; others ignored). */
  adaptation: FNNAdaptation | null;
}

/** Per-layer tensors of one forward pass (`[K, …]`). */
interface LayerTensors {
  WT: tf.Tensor3D;
  b: tf.Tensor2D;
  AT: tf.Tensor3D | null;
  B: tf.Tensor3D | null;
}

function matmul3(a: tf.Tensor3D, b: tf.Tensor3D, transposeA = false, transposeB = false): tf.Tensor3D {
  if (a.shape[0] === 1 && b.shape[0] === 1) {
    const a2 = tf.reshape(a, a.shape.slice(1) as [number, number]) as tf.Tensor2D;
    const b2 = tf.reshape(b, b.shape.slice(1) as [number, number]) as tf.Tensor2D;
    const c = tf.matMul(a2, b2, transposeA, transposeB);
    return tf.reshape(c, [1, c.shape[0] as number, c.shape[1] as number]) as tf.Tensor3D;
  }
  // On wasm a batched matmul (batch > 1) runs a naive loop, many times slower than K 2-D matmuls
  // (XNNPACK); tiny products (adapters, D×r) stay batched. On WebGPU one batched matmul is one
  // dispatch for the K models, K 2-D ones would be K dispatches: it always stays batched.
  if (tf.getBackend() === "webgpu") return tf.matMul(a, b, transposeA, transposeB);
  if (a.shape[1] * a.shape[2] <= 4096 && b.shape[1] * b.shape[2] <= 4096) return tf.matMul(a, b, transposeA, transposeB);
  const as = splitModels(a);
  const bs = splitModels(b);
  const cs = as.map((ak, k) => {
    const c = tf.matMul(ak, bs[k], transposeA, transposeB);
    return tf.reshape(c, [1, c.shape[0] as number, c.shape[1] as number]);
  });
  return tf.concat(cs, 0) as tf.Tensor3D;
}

/** `[K, m, n]` → K tensors `[m, n]` (one split: cheaper than K slices or unstack on wasm). */
function splitModels(a: tf.Tensor3D): tf.Tensor2D[] {
  const [K, m, n] = a.shape;
  return tf.split(a, K, 0).map((t) => tf.reshape(t, [m, n]) as tf.Tensor2D);
}

/** `σ(z·Wᵀ + b)` for K models: `z` `[K, n, D]`, `WT` `[K, D, D]`, `b` `[K, D]`. */
export function denseK(z: tf.Tensor3D, WT: tf.Tensor3D, b: tf.Tensor2D, activation: Activation): tf.Tensor3D {
  const [K, n, Din] = z.shape;
  const Dout = WT.shape[2] as number;
  if (K === 1) {
    const out = tf.fused.matMul({
      a: tf.reshape(z, [n, Din]) as tf.Tensor2D,
      b: tf.reshape(WT, [Din, Dout]) as tf.Tensor2D,
      bias: tf.reshape(b, [Dout]),
      activation: activation === "relu" ? "relu" : "linear",
    });
    return tf.reshape(out, [1, n, Dout]) as tf.Tensor3D;
  }
  const pre = tf.add(matmul3(z, WT), tf.reshape(b, [K, 1, Dout])) as tf.Tensor3D;
  return activation === "relu" ? tf.relu(pre) : pre;
}

/** Writes `Mᵀ` row-major at `offset` (`out[offset + j·M.rows + i] = M(i, j)`). */
function transposedInto(out: Float32Array, offset: number, M: Matrix): void {
  for (let i = 0; i < M.rows; i++) for (let j = 0; j < M.columns; j++) out[offset + j * M.rows + i] = M.get(i, j);
}

/** The batched FNN engine (one instance per training run). Call `dispose()` when done. */
export class FNNEngine {
  readonly K: number;
  readonly D: number;
  readonly L: number;
  readonly activation: Activation;
  /** Per-layer padded rank (0 for layers without adapters). */
  readonly ranks: number[];
  /** Per-model, per-layer actual ranks. */
  readonly memberRanks: number[][];
  /** Trainable parameters of all K models, flat. */
  readonly theta: Float32Array;
  /** Which model each entry of θ belongs to. */
  readonly owner: Int32Array;
  private readonly segments: ThetaSegment[];
  private readonly frozenWT: tf.Tensor3D[];
  private readonly frozenB: tf.Tensor2D[];
  private readonly targetWT: tf.Tensor3D[];
  private readonly targetB: tf.Tensor2D[];
  private readonly targetActivation: Activation;
  private readonly halves: tf.Tensor2D | null;

  constructor(
    readonly members: readonly FNNMember[],
    readonly plan: readonly FNNLayerPlan[],
    readonly task: Task,
    /** The classification objective (see `task.ts`); ignored for regression. */
    readonly ceTarget: CeTarget = "raw",
  ) {
    if (members.length === 0) throw new ConfigError("no models to train: give at least one");
    const first = members[0];
    this.K = members.length;
    this.D = first.frozen.width;
    this.L = first.frozen.layers.length;
    this.activation = first.frozen.activation;
    this.targetActivation = first.target.activation;
    if (plan.length !== this.L) throw new ShapeError(`training plan has ${plan.length} layers for a ${this.L}-layer model`);
    for (const [k, m] of members.entries()) {
      if (m.frozen.width !== this.D || m.target.width !== this.D) throw new ShapeError(`model ${k} has width ${m.frozen.width}, expected ${this.D}: batched models must share shapes`);
      if (m.frozen.layers.length !== this.L) throw new ShapeError(`model ${k} has ${m.frozen.layers.length} layers, expected ${this.L}`);
      if (m.target.layers.length !== first.target.layers.length) throw new ShapeError(`target ${k} has ${m.target.layers.length} layers, expected ${first.target.layers.length}`);
      if (m.frozen.activation !== this.activation) throw new ConfigError(`model ${k} has activation ${m.frozen.activation}, expected ${this.activation}`);
    }
    const D = this.D;
    this.memberRanks = members.map((m) =>
      plan.map((p, l) => {
        if (p.weight !== "lora") return 0;
        const ad = m.adaptation?.adapters[l];
        if (ad === undefined) throw new ConfigError(`layer ${l + 1} is trained with LoRA but no initial adapter was given`);
        const r = ad.A.columns;
        if (ad.B.columns !== r || ad.A.rows !== D || ad.B.rows !== D) throw new ShapeError(`adapter of layer ${l + 1} must have A, B of D×r`);
        if (r < 1 || r > D) throw new RankError(`rank ${r} of layer ${l + 1} is outside 1..${D}`);
        return r;
      }),
    );
    this.ranks = plan.map((_, l) => Math.max(0, ...this.memberRanks.map((rs) => rs[l])));
    const layout = fnnThetaLayout(plan, this.ranks, this.K, D);
    this.segments = layout.segments;
    this.theta = new Float32Array(layout.size);
    this.owner = new Int32Array(layout.size);
    for (const s of this.segments) {
      const per = s.size / this.K;
      for (let k = 0; k < this.K; k++) {
        this.owner.fill(k, s.offset + k * per, s.offset + (k + 1) * per);
        const m = members[k];
        const base = s.offset + k * per;
        if (s.kind === "AT") {
          // AT[r, i] = A(i, r)
          const A = m.adaptation!.adapters[s.layer].A;
          for (let i = 0; i < A.rows; i++) for (let r = 0; r < A.columns; r++) this.theta[base + r * D + i] = A.get(i, r);
        } else if (s.kind === "B") {
          const B = m.adaptation!.adapters[s.layer].B;
          const R = this.ranks[s.layer];
          for (let i = 0; i < B.rows; i++) for (let r = 0; r < B.columns; r++) this.theta[base + i * R + r] = B.get(i, r);
        } else if (s.kind === "WT") {
          transposedInto(this.theta, base, m.frozen.layers[s.layer].W);
        } else {
          const b = m.adaptation?.biases?.[s.layer] ?? m.frozen.layers[s.layer].b;
          for (let i = 0; i < D; i++) this.theta[base + i] = b[i];
        }
      }
    }
    const stackWT = (Ws: Matrix[]): tf.Tensor3D => {
      const data = new Float32Array(this.K * D * D);
      Ws.forEach((W, k) => transposedInto(data, k * D * D, W));
      return tf.tensor3d(data, [this.K, D, D]);
    };
    // Created 1-D then reshaped: the wasm fused matmul checks the rank the data was created with.
    const stackB = (bs: number[][]): tf.Tensor2D => {
      const flat = tf.tensor1d(bs.flatMap((b) => Array.from(b)));
      const out = tf.reshape(flat, [this.K, D]) as tf.Tensor2D;
      flat.dispose();
      return out;
    };
    this.frozenWT = plan.map((_, l) => stackWT(members.map((m) => m.frozen.layers[l].W)));
    this.frozenB = plan.map((_, l) => stackB(members.map((m) => m.adaptation?.biases?.[l] ?? m.frozen.layers[l].b)));
    this.targetWT = first.target.layers.map((_, i) => stackWT(members.map((m) => m.target.layers[i].W)));
    this.targetB = first.target.layers.map((_, i) => stackB(members.map((m) => m.target.layers[i].b)));
    this.halves = task === "binary" ? halvesMatrix(D) : null;
  }

  /** Number of trainable parameters (all K models). */
  get size(): number {
    return this.theta.length;
  }

  /** Target outputs `f̄(X)` for `[K, n, D]` inputs. */
  targetForward(X: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy(() => {
      let y = X;
      for (let i = 0; i < this.targetWT.length; i++) y = denseK(y, this.targetWT[i], this.targetB[i], this.targetActivation);
      return y;
    });
  }

  private layerTensors(thetaT: tf.Tensor1D): LayerTensors[] {
    const out: LayerTensors[] = this.plan.map((_, l) => ({ WT: this.frozenWT[l], b: this.frozenB[l], AT: null, B: null }));
    for (const s of this.segments) {
      const t = tf.reshape(tf.slice(thetaT, [s.offset], [s.size]), [this.K, ...s.shape]);
      const lt = out[s.layer];
      if (s.kind === "AT") lt.AT = t as tf.Tensor3D;
      else if (s.kind === "B") lt.B = t as tf.Tensor3D;
      else if (s.kind === "WT") lt.WT = t as tf.Tensor3D;
      else lt.b = t as tf.Tensor2D;
    }
    for (const [l, lt] of out.entries()) {
      if (this.plan[l].weight === "lora" && lt.AT !== null && lt.B !== null) {
        // (W + A Bᵀ)ᵀ = Wᵀ + B Aᵀ
        lt.WT = tf.add(this.frozenWT[l], matmul3(lt.B, lt.AT)) as tf.Tensor3D;
      }
    }
    return out;
  }

  /** Outputs of the models with parameters θ on `[K, n, D]` inputs. */
  forward(theta: Float32Array, X: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy(() => {
      const layers = this.layerTensors(tf.tensor1d(theta));
      let z = X;
      for (const lt of layers) z = denseK(z, lt.WT, lt.b, this.activation);
      return z;
    });
  }

  /**
   * The losses `[K, 2]` of the models with parameters `thetaT` on `[K, n, D]` inputs `X` with
   * targets `Y`: column 0 averages the per-example loss over the training rows, column 1 over the
   * validation rows (the weights `rowWeights` `[n, 2]` say which rows are which).
   */
  private losses(thetaT: tf.Tensor1D, X: tf.Tensor3D, Y: tf.Tensor3D, rowWeights: tf.Tensor2D): tf.Tensor2D {
    const { K, D } = this;
    const n = X.shape[1];
    let z = X;
    for (const lt of this.layerTensors(thetaT)) z = denseK(z, lt.WT, lt.b, this.activation);
    const rowLoss = taskRowLosses(tf.reshape(z, [K * n, D]), tf.reshape(Y, [K * n, D]), this.task, this.halves, this.ceTarget);
    return tf.matMul(tf.reshape(rowLoss, [K, n]), rowWeights);
  }

  /**
   * One training evaluation: the rows `[0, nTrain)` of `X` are a training batch, the rows after it
   * (if any) the validation set. Returns, in one readback, `[trainLoss_k, valLoss_k]` for each
   * model, then `∂ Σ_k trainLoss_k / ∂θ` (the K models share no parameter, so each model's block is
   * its own gradient), then (classification) the K validation accuracies (argmax agreement over
   * the validation rows; 0 without them). `Y` are the targets (computed from the target when null).
   */
  lossAndGrad(thetaData: Float32Array, X: tf.Tensor3D, Y: tf.Tensor3D | null, rowWeights: tf.Tensor2D): Float32Array {
    const out = this.lossAndGradTensor(thetaData, X, Y, rowWeights);
    try {
      return out.dataSync() as Float32Array;
    } finally {
      out.dispose();
    }
  }

  /** `lossAndGrad` before its readback: the one 1-D tensor to read (the caller disposes it). */
  lossAndGradTensor(thetaData: Float32Array, X: tf.Tensor3D, Y: tf.Tensor3D | null, rowWeights: tf.Tensor2D): tf.Tensor1D {
    const { K, D } = this;
    const n = X.shape[1];
    return tf.tidy(() => {
      const theta = tf.tensor1d(thetaData);
      const target = Y ?? this.targetForward(X);
      // value = the [K, 2] losses; the seed dy = [1, 0] per model differentiates the training column only.
      const dy = tf.tensor2d(Array.from({ length: K }, () => [1, 0]), [K, 2]);
      const { value: losses, grad } = tf.valueAndGrad((t: tf.Tensor1D) => this.losses(t, X, target, rowWeights))(theta, dy);
      const parts: tf.Tensor[] = [tf.reshape(losses, [K * 2]), grad];
      if (this.task !== "regression") {
        // Accuracy is not differentiated: a plain forward pass.
        const predRows = tf.reshape(this.forward(thetaData, X), [K * n, D]) as tf.Tensor2D;
        const yRows = tf.reshape(target, [K * n, D]) as tf.Tensor2D;
        const hit = tf.cast(tf.equal(tf.argMax(taskLogits(predRows, this.task, this.halves), 1), tf.argMax(taskLogits(yRows, this.task, this.halves), 1)), "float32");
        const acc = tf.matMul(tf.reshape(hit, [K, n]) as tf.Tensor2D, rowWeights); // [K, 2]
        parts.push(tf.reshape(tf.slice(acc, [0, 1], [K, 1]), [K]));
      }
      return tf.concat(parts) as tf.Tensor1D;
    });
  }

  /**
   * The trained models as records: for each model, the frozen model with the trained weights and
   * biases written in (`model`) and, for LoRA layers, the adapters (`adaptation`, unpadded).
   */
  records(theta: Float32Array = this.theta): Array<{ model: FNN; adaptation: FNNAdaptation | null }> {
    const { D } = this;
    return this.members.map((m, k) => {
      const model: FNN = { ...m.frozen, layers: m.frozen.layers.map((ly) => ({ W: ly.W.clone(), b: [...ly.b] })) };
      const hasLora = this.plan.some((p) => p.weight === "lora");
      const adapters = m.frozen.layers.map((_, l) => {
        const r = this.memberRanks[k][l];
        return { A: Matrix.zeros(D, r), B: Matrix.zeros(D, r) };
      });
      const biases = m.frozen.layers.map((ly, l) => [...(m.adaptation?.biases?.[l] ?? ly.b)]);
      for (const s of this.segments) {
        const per = s.size / this.K;
        const base = s.offset + k * per;
        const l = s.layer;
        if (s.kind === "AT") {
          for (let i = 0; i < D; i++) for (let r = 0; r < this.memberRanks[k][l]; r++) adapters[l].A.set(i, r, theta[base + r * D + i]);
        } else if (s.kind === "B") {
          const R = this.ranks[l];
          for (let i = 0; i < D; i++) for (let r = 0; r < this.memberRanks[k][l]; r++) adapters[l].B.set(i, r, theta[base + i * R + r]);
        } else if (s.kind === "WT") {
          for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) model.layers[l].W.set(j, i, theta[base + i * D + j]);
        } else {
          for (let i = 0; i < D; i++) biases[l][i] = theta[base + i];
        }
      }
      const trainsBias = this.plan.some((p) => p.bias);
      if (!hasLora) {
        biases.forEach((b, l) => (model.layers[l].b = b));
        return { model, adaptation: null };
      }
      return { model, adaptation: { adapters, biases: trainsBias || m.adaptation?.biases ? biases : null } };
    });
  }

  dispose(): void {
    tf.dispose([...this.frozenWT, ...this.frozenB, ...this.targetWT, ...this.targetB]);
    this.halves?.dispose();
  }
}
