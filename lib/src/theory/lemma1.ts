/** Lemma 1 (deep linear model): the discrepancy, its threshold and the optimal error. */
import type { Matrix } from "ml-matrix";
import { ShapeError } from "../errors";
import { product, sub } from "../linalg/matrix";
import { numericalRank, sigma } from "../linalg/svd";

/** Discrepancy `E = W̄ − W_L···W_1`. */
export function discrepancy(target: Matrix, frozen: readonly Matrix[]): Matrix {
  const P = product(frozen, target.rows);
  if (P.rows !== target.rows || P.columns !== target.columns) {
    throw new ShapeError(`target is ${target.rows}×${target.columns} but the frozen product is ${P.rows}×${P.columns}`);
  }
  return sub(target, P);
}

/** Lemma 1 threshold `⌈rank(E)/L⌉` (E given, or its rank). */
export function lemma1Threshold(E: Matrix | number, depth: number): number {
  const r = typeof E === "number" ? E : numericalRank(E);
  return Math.ceil(r / depth);
}

/** Total rank budget: `R·L` for a uniform rank, `Σ R_l` for per-layer ranks. */
export function totalRank(rank: number | readonly number[], depth: number): number {
  return typeof rank === "number" ? rank * depth : rank.reduce((a, b) => a + b, 0);
}

/**
 * Lemma 1: optimal spectral error `σ_{RL+1}(E)` (per-layer ranks: `σ_{ΣR_l+1}(E)`; 0 past the width). A lower bound for
 * any adapters; attained by the construction when Lemma 1's invertibility assumption holds (generic weights).
 */
export function lemma1OptimalError(E: Matrix, rank: number | readonly number[], depth: number): number {
  return sigma(E, totalRank(rank, depth) + 1);
}
