// Shared helpers for the exact-engine tests.
import type { Matrix } from "ml-matrix";
import { randomNormal } from "../../../lib/src/linalg/draw";
import { add, identity, scale } from "../../../lib/src/linalg/matrix";
import { stream } from "../../../lib/src/linalg/random";

/** Generic (invertible with probability 1) D×D matrices N(0, 1/D). */
export function randomMatrices(seed: number, purpose: string, D: number, count: number): Matrix[] {
  const rng = stream(seed, purpose);
  return Array.from({ length: count }, () => scale(randomNormal(rng, D, D), 1 / Math.sqrt(D)));
}

/** A random D×D matrix of rank k (product of D×k and k×D Gaussians). */
export function randomRankK(seed: number, D: number, k: number): Matrix {
  const rng = stream(seed, "rank-k");
  if (k === 0) return scale(identity(D), 0);
  return randomNormal(rng, D, k).mmul(randomNormal(rng, k, D));
}

/** W + M. */
export function plus(W: Matrix, M: Matrix): Matrix {
  return add(W, M);
}

/**
 * Rounding scale of a product that must cancel: `Π‖Ŵ_l‖₂ / ‖W̄‖₂`. Lemma 1's factors carry
 * P_l⁻¹ and Q_l⁻¹, so ill-conditioned frozen matrices give large adapted factors whose product
 * cancels back to W̄; float64 then leaves ~eps·D·κ relative error. Exactness tests allow
 * `max(tol, 100·D·eps·κ)`: well-conditioned draws must meet `tol` itself.
 */
export function cancellationScale(adapted: readonly Matrix[], target: Matrix): number {
  let p = 1;
  for (const W of adapted) p *= spectralNormOf(W);
  return p / Math.max(spectralNormOf(target), 1e-300);
}

import { spectralNorm as spectralNormOf } from "../../../lib/src/linalg/matrix";

export function exactTolerance(tol: number, D: number, kappa: number): number {
  return Math.max(tol, 100 * D * Number.EPSILON * kappa);
}

/** Largest values seen by tests, printed as diagnostics (for the report). */
export const observed: Record<string, number> = {};
export function observe(key: string, value: number): void {
  observed[key] = Math.max(observed[key] ?? 0, value);
}
