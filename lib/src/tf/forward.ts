/**
 * Float32 forward passes in tfjs for the same model records the float64 engine uses (row
 * batches: an FNN batch is `[n, D]`, a Transformer batch `[n, N, D]`, token-major). LoRA adapters
 * are applied as `W + A Bᵀ` (merged) before the pass. Every projection is one 2-D matmul over all
 * examples (and all tokens): tiling the weights per example is ~5x slower.
 */
import { ShapeError } from "../errors";
import { mergeFNN, mergeTransformer } from "../models/merge";
import type { Activation, FNN, FNNAdaptation, Transformer, TransformerAdaptation } from "../models/types";
import { tf } from "./backend";
import { transposedData } from "../linalg/matrix";
import { transposedTensor } from "./convert";

/** One dense layer in row layout: `z ↦ σ(z·Wᵀ + b)` with `Wᵀ` given (`[D_in, D_out]`). */
export function denseRows(z: tf.Tensor2D, WT: tf.Tensor2D, b: tf.Tensor1D, activation: Activation): tf.Tensor2D {
  return tf.fused.matMul({ a: z, b: WT, bias: b, activation: activation === "relu" ? "relu" : "linear" }) as tf.Tensor2D;
}

/** FNN weights as tensors: `Wᵀ_l` (`[D, D]`) and `b_l` per layer. */
export interface FNNTensors {
  activation: Activation;
  WT: tf.Tensor2D[];
  b: tf.Tensor1D[];
}

/** Upload an FNN record (float64 → float32, weights transposed). Dispose with `disposeFNNTensors`. */
export function fnnTensors(model: FNN): FNNTensors {
  return {
    activation: model.activation,
    WT: model.layers.map((l) => transposedTensor(l.W)),
    b: model.layers.map((l) => tf.tensor1d(l.b)),
  };
}

export function disposeFNNTensors(w: FNNTensors): void {
  tf.dispose([...w.WT, ...w.b]);
}

/** FNN output on an `[n, D]` row batch. */
export function fnnForwardTensors(w: FNNTensors, X: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    let z = X;
    for (let l = 0; l < w.WT.length; l++) z = denseRows(z, w.WT[l], w.b[l], w.activation);
    return z;
  });
}

/** Float32 FNN forward of a record (adapted by `adaptation` when given): `[n, D]` → `[n, D]`. */
export function forwardFNNTf(model: FNN, adaptation: FNNAdaptation | null, X: tf.Tensor2D): tf.Tensor2D {
  if (X.shape[1] !== model.width) throw new ShapeError(`FNN input has ${X.shape[1]} features, expected width ${model.width}`);
  const w = fnnTensors(adaptation === null ? model : mergeFNN(model, adaptation));
  try {
    return fnnForwardTensors(w, X);
  } finally {
    disposeFNNTensors(w);
  }
}

/**
 * One Transformer block as tensors; heads are concatenated along the output axis so each
 * projection is a single `[n·N, D]·[D, H·D]` matmul.
 */
export interface TransformerBlockTensors {
  /** `[W_Q^1ᵀ | … | W_Q^Hᵀ]`, `[D, H·D]`. */
  WQT: tf.Tensor2D;
  /** `[W_K^1ᵀ | … | W_K^Hᵀ]`. */
  WKT: tf.Tensor2D;
  /** `[(W_O^1 W_V^1)ᵀ | … ]`: value and output projections of each head combined. */
  MT: tf.Tensor2D;
  W1T: tf.Tensor2D;
  b1: tf.Tensor1D;
  W2T: tf.Tensor2D;
  b2: tf.Tensor1D;
}

export interface TransformerTensors {
  heads: number;
  blocks: TransformerBlockTensors[];
  WoT: tf.Tensor2D;
}

function concatTransposed(mats: import("ml-matrix").Matrix[]): tf.Tensor2D {
  const D = mats[0].rows;
  const H = mats.length;
  const out = new Float32Array(D * H * D);
  mats.forEach((M, h) => {
    const t = transposedData(M);
    for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) out[i * H * D + h * D + j] = t[i * D + j];
  });
  return tf.tensor2d(out, [D, H * D]);
}

/** Upload a Transformer record (float64 products `W_O W_V` formed before the cast). */
export function transformerTensors(model: Transformer): TransformerTensors {
  return {
    heads: model.blocks[0].heads.length,
    blocks: model.blocks.map((bl) => ({
      WQT: concatTransposed(bl.heads.map((h) => h.WQ)),
      WKT: concatTransposed(bl.heads.map((h) => h.WK)),
      MT: concatTransposed(bl.heads.map((h) => h.WO.mmul(h.WV))),
      W1T: transposedTensor(bl.W1),
      b1: tf.tensor1d(bl.b1),
      W2T: transposedTensor(bl.W2),
      b2: tf.tensor1d(bl.b2),
    })),
    WoT: transposedTensor(model.Wo),
  };
}

export function disposeTransformerTensors(w: TransformerTensors): void {
  for (const b of w.blocks) tf.dispose([b.WQT, b.WKT, b.MT, b.W1T, b.b1, b.W2T, b.b2]);
  w.WoT.dispose();
}

/** `[n·N, H·D]` → `[n, H, N, D]`. */
function splitHeads(P: tf.Tensor2D, n: number, N: number, H: number, D: number): tf.Tensor4D {
  return tf.transpose(tf.reshape(P, [n, N, H, D]), [0, 2, 1, 3]);
}

/**
 * Attention of Theorem 7 in row layout: for query token j, `Σ_h Σ_i softmax_i(q_j·k_i) (W_O W_V z_i)`
 * (softmax over the keys: each query's weights sum to 1), no 1/√d scaling. `Z` is `[n·N, D]`.
 */
export function attentionRows(bl: TransformerBlockTensors, Z: tf.Tensor2D, n: number, N: number, H: number): tf.Tensor2D {
  const D = Z.shape[1];
  const Q = splitHeads(tf.matMul(Z, bl.WQT), n, N, H, D);
  const K = splitHeads(tf.matMul(Z, bl.WKT), n, N, H, D);
  const V = splitHeads(tf.matMul(Z, bl.MT), n, N, H, D);
  const P = tf.softmax(tf.matMul(Q, K, false, true));
  const O = tf.matMul(P, V); // [n, H, N, D]
  return tf.reshape(tf.sum(O, 1), [n * N, D]);
}

/** Transformer output on `[n, N, D]` (token-major) → `[n, N, D]`. */
export function transformerForwardTensors(w: TransformerTensors, X: tf.Tensor3D): tf.Tensor3D {
  const [n, N, D] = X.shape;
  return tf.tidy(() => {
    let Z = tf.reshape(X, [n * N, D]) as tf.Tensor2D;
    for (const bl of w.blocks) {
      const A = attentionRows(bl, Z, n, N, w.heads);
      const Hd = denseRows(A, bl.W1T, bl.b1, "relu");
      Z = denseRows(Hd, bl.W2T, bl.b2, "linear");
    }
    return tf.reshape(tf.matMul(Z, w.WoT), [n, N, D]);
  });
}

/** Float32 Transformer forward of a record (adapted when `adaptation` is given). */
export function forwardTransformerTf(model: Transformer, adaptation: TransformerAdaptation | null, X: tf.Tensor3D): tf.Tensor3D {
  if (X.shape[2] !== model.width) throw new ShapeError(`Transformer input has ${X.shape[2]} features, expected width ${model.width}`);
  const w = transformerTensors(adaptation === null ? model : mergeTransformer(model, adaptation));
  try {
    return transformerForwardTensors(w, X);
  } finally {
    disposeTransformerTensors(w);
  }
}
