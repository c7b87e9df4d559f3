/**
 * Hypotheses of the paper as checks: invertible frozen matrices (Assumption 1) and Lemma 1's
 * invertible intermediate products `W_L···W_1 + LR_r(E)`. Each check throws AssumptionError
 * naming the layer/head, or `assumptionHolds` turns it into a report.
 */
import type { Matrix } from "ml-matrix";
import { AssumptionError, LoraError } from "../errors";
import { add, product, singularTolerance } from "../linalg/matrix";
import { lowRankApprox, singularValues } from "../linalg/svd";
import { discrepancy } from "./lemma1";

/** σ_min of a square matrix; throws `"<what> is singular (σ_min = …): <consequence>"` when ≤ σ₁·n·eps. */
export function checkInvertible(M: Matrix, what: string, consequence = "Assumption 1 fails"): number {
  const s = singularValues(M);
  const smin = s[s.length - 1];
  if (!(smin > singularTolerance(s[0], M.rows))) {
    throw new AssumptionError(`${what} is singular (σ_min = ${smin.toExponential(1)}): ${consequence}`);
  }
  return smin;
}

/**
 * Lemma 1 hypotheses for one (block of) layers: every `W_l` invertible, and
 * `W_L···W_1 + LR_r(E)` invertible for the cumulative budgets r = R_1, R_1+R_2, … used by the
 * construction (the paper states it for every r ≤ R(L−1); generic weights satisfy both).
 */
export function checkLemma1Assumptions(
  frozen: readonly Matrix[],
  target: Matrix,
  ranks: readonly number[],
  names: { layers?: readonly string[]; context?: string } = {},
): void {
  frozen.forEach((W, l) => checkInvertible(W, names.layers?.[l] ?? `frozen layer ${l + 1}`));
  const P = product(frozen, target.rows);
  const E = discrepancy(target, frozen);
  let r = 0;
  for (let l = 0; l < frozen.length - 1; l++) {
    r += ranks[l];
    checkInvertible(
      add(P, lowRankApprox(E, r)),
      `${names.context ? names.context + ": " : ""}intermediate product Π W + LR_${r}(E) after adapting ${names.layers?.[l] ?? `layer ${l + 1}`}`,
      "Lemma 1's invertibility hypothesis fails (perturb the frozen weights or change the rank)",
    );
  }
}

/** Runs a check and reports instead of throwing: `{ ok: true }` or `{ ok: false, error }`. */
export function assumptionHolds(check: () => unknown): { ok: true } | { ok: false; error: LoraError } {
  try {
    check();
    return { ok: true };
  } catch (e) {
    if (e instanceof LoraError) return { ok: false, error: e };
    throw e;
  }
}
