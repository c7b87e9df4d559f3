/**
 * FNN statements (PAPER.md §2): Theorem 3 / Corollary 4 thresholds and the Theorem 5 regime.
 */
import type { Matrix } from "ml-matrix";
import { ShapeError } from "../errors";
import { product, spectralNorm } from "../linalg/matrix";
import { differenceRank, sigma } from "../linalg/svd";
import { forwardFNNLayers } from "../models/forward";
import type { FNN } from "../models/types";
import { discrepancy } from "./lemma1";
import { type Partition, uniformPartition, validatePartition } from "./partition";

function checkPair(frozen: FNN, target: FNN): void {
  if (frozen.width !== target.width) throw new ShapeError(`frozen width ${frozen.width} differs from target width ${target.width}`);
  if (frozen.activation !== target.activation) {
    throw new ShapeError(`frozen activation ${frozen.activation} differs from target activation ${target.activation}`);
  }
}

/** The partition to use: the given one (validated) or the uniform one. */
export function resolvePartition(frozen: FNN, target: FNN, partition?: Partition): Partition {
  checkPair(frozen, target);
  const L = frozen.layers.length;
  const Lbar = target.layers.length;
  if (partition === undefined) return uniformPartition(L, Lbar);
  validatePartition(partition, L, Lbar);
  return partition;
}

/** Block discrepancies `E_i = W̄_i − Π_{l∈P_i} W_l`. */
export function fnnDiscrepancies(frozen: FNN, target: FNN, partition?: Partition): Matrix[] {
  const P = resolvePartition(frozen, target, partition);
  return P.map((block, i) => discrepancy(target.layers[i].W, block.map((l) => frozen.layers[l].W)));
}

/** Theorem 3 (general partition): `max_i ⌈rank(W̄_i − Π_{l∈P_i} W_l)/|P_i|⌉`, with the per-block ranks. */
export function fnnThreshold(frozen: FNN, target: FNN, partition?: Partition): { threshold: number; discrepancyRanks: number[]; blockSizes: number[] } {
  const P = resolvePartition(frozen, target, partition);
  // Mismatch ranks relative to the size of the compared products (rounding noise is rank 0).
  const discrepancyRanks = blockProducts(frozen, P).map((prod, i) => differenceRank(target.layers[i].W, prod));
  const blockSizes = P.map((b) => b.length);
  const threshold = Math.max(...discrepancyRanks.map((r, i) => Math.ceil(r / blockSizes[i])));
  return { threshold, discrepancyRanks, blockSizes };
}

/**
 * Corollary 4 (random weights, every discrepancy full rank D): `⌈D/⌊L/L̄⌋⌉`, which is
 * `⌈D·L̄/L⌉` when L̄ divides L (8 for D = 16, L = 2L̄). No consecutive partition does better:
 * some block has at most ⌊L/L̄⌋ layers.
 */
export function randomFnnThreshold(width: number, frozenDepth: number, targetDepth: number): number {
  uniformPartition(frozenDepth, targetDepth); // validates the depths
  return Math.ceil(width / Math.floor(frozenDepth / targetDepth));
}

/** Theorem 5: per-block matrix errors `E_i = σ_{R|P_i|+1}(W̄_i − Π_{l∈P_i} W_l)` (per-layer ranks: Σ over the block). */
export function fnnBlockErrors(frozen: FNN, target: FNN, rank: number | readonly number[], partition?: Partition): number[] {
  const P = resolvePartition(frozen, target, partition);
  const Es = fnnDiscrepancies(frozen, target, P);
  return P.map((block, i) => {
    const budget = block.reduce((s, l) => s + (typeof rank === "number" ? rank : rank[l]), 0);
    return sigma(Es[i], budget + 1);
  });
}

/**
 * Below-threshold bound, DERIVED here from ReLU being 1-Lipschitz (not the paper's Theorem 5, whose form —
 * `E‖f − f̄‖ ≤ β Σ_i max_k(‖W̄_k‖_F + E_k)^{L̄−i} E_i`, as recalled and not confirmed against the paper's text — notebook 06
 * evaluates beside this one):
 * `‖f(x) − f̄(x)‖₂ ≤ Σ_i [Π_{k>i} (‖W̄_k‖₂ + E_k)] · E_i · ‖z̄_{i−1}(x)‖₂`, one value per column of X.
 * Valid for the Lemma 1 construction whenever every linearised ReLU is active on the inputs
 * (always for linear models; for ReLU models with the rigorous `bound` bias variant on ‖x‖ ≤ ρ).
 */
export function fnnErrorBound(frozen: FNN, target: FNN, rank: number | readonly number[], X: Matrix, partition?: Partition): number[] {
  const E = fnnBlockErrors(frozen, target, rank, partition);
  const norms = target.layers.map((l) => spectralNorm(l.W));
  const zs = forwardFNNLayers(target, X);
  const Lbar = target.layers.length;
  const out: number[] = [];
  for (let j = 0; j < X.columns; j++) {
    let total = 0;
    for (let i = 0; i < Lbar; i++) {
      let growth = 1;
      for (let k = i + 1; k < Lbar; k++) growth *= norms[k] + E[k];
      let zn = 0;
      for (let r = 0; r < X.rows; r++) zn += zs[i].get(r, j) ** 2;
      total += growth * E[i] * Math.sqrt(zn);
    }
    out.push(total);
  }
  return out;
}

/** `Π_{l∈P_i} W_l` for every block. */
export function blockProducts(frozen: FNN, partition: Partition): Matrix[] {
  return partition.map((block) => product(block.map((l) => frozen.layers[l].W)));
}
