/**
 * Models are data: plain records of float64 weights that both engines (exact float64 and tfjs
 * float32) read. Matrices are `ml-matrix` `Matrix` objects, vectors are `number[]`.
 *
 * Conventions (PAPER.md §1): every weight is D×D, inputs are columns (`x ∈ R^D`, a batch is a
 * D×n matrix whose columns are examples; a Transformer input is one D×N matrix per example),
 * products are written in decreasing index order, LoRA writes `ΔW = A Bᵀ` with `A, B ∈ R^{D×R}`.
 */
import type { Matrix } from "ml-matrix";

/** Activation of an FNN: ReLU after every layer (the last too, as in the reference), or none. */
export type Activation = "relu" | "linear";

/** One dense layer `z ↦ σ(W z + b)`. */
export interface DenseLayer {
  W: Matrix;
  /** Bias vector of length D (all zeros when the model has no bias). */
  b: number[];
}

/** Feed-forward network `z_l = σ(W_l z_{l-1} + b_l)`, l = 1..L (PAPER.md §2, Theorem 3). */
export interface FNN {
  kind: "fnn";
  /** Width D. */
  width: number;
  activation: Activation;
  /** Whether the biases are part of the model (`--use_bias`). When false every `b` is zero. */
  bias: boolean;
  layers: DenseLayer[];
}

/** One attention head with full D×D matrices (no 1/√d scaling). */
export interface AttentionHead {
  WQ: Matrix;
  WK: Matrix;
  WV: Matrix;
  WO: Matrix;
}

/**
 * Transformer block l (PAPER.md §2, Theorem 7):
 * `Attn(Z) = Σ_h W_O^h W_V^h Z · softmax((W_K^h Z)ᵀ (W_Q^h Z))` (softmax over each column),
 * `H = ReLU(W_1 Attn(Z) + b_1 1ᵀ)`, `Z' = W_2 H + b_2 1ᵀ`.
 */
export interface TransformerBlock {
  heads: AttentionHead[];
  W1: Matrix;
  b1: number[];
  W2: Matrix;
  b2: number[];
}

/** Transformer without residuals or LayerNorm; output `Y = W_o Z_L` (no bias). */
export interface Transformer {
  kind: "transformer";
  width: number;
  blocks: TransformerBlock[];
  Wo: Matrix;
}

/** A LoRA adapter: `ΔW = A Bᵀ`, `A, B ∈ R^{D×r}` (r = its rank budget). */
export interface Adapter {
  A: Matrix;
  B: Matrix;
}

/** LoRA on an FNN: one adapter per layer, optionally re-tuned biases (one vector per layer). */
export interface FNNAdaptation {
  adapters: Adapter[];
  /** Re-tuned biases replacing the frozen ones; `null` keeps the frozen biases. */
  biases: number[][] | null;
}

/** The adapters of one attention head. */
export interface HeadAdapters {
  WQ: Adapter;
  WK: Adapter;
  WV: Adapter;
  WO: Adapter;
}

/**
 * LoRA on a Transformer, exactly the parameters Theorem 7 adapts: `W_Q, W_K, W_V, W_O` of every
 * head and block, `W_2` of the last block, `W_o`, and the FFN biases of every block.
 */
export interface TransformerAdaptation {
  blocks: Array<{
    heads: HeadAdapters[];
    /** Adapter on `W_2` (present on the last block only). */
    W2: Adapter | null;
    b1: number[];
    b2: number[];
  }>;
  Wo: Adapter;
}
