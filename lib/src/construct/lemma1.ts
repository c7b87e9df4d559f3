/**
 * Lemma 1 construction (PAPER.md §2). SVD `E = U S Vᵀ`; layer l takes the next `R_l` columns
 * `V_l` of V and sets `ΔW_l = P_l⁻¹ E V_l V_lᵀ Q_l⁻¹` with `P_l = W_L···W_{l+1}` (frozen above)
 * and `Q_l = Π_{k<l}(W_k+ΔW_k)` (adapted below); the product telescopes to `ΠW + LR_{ΣR_l}(E)`.
 * The factors are read off directly: `A_l = P_l⁻¹ U_l S_l`, `B_l = Q_l⁻ᵀ V_l` (D×R_l, zero-padded
 * when V has run out of columns), so `A_l B_lᵀ = ΔW_l` with rank ≤ R_l by construction.
 */
import { Matrix } from "ml-matrix";
import { DepthError } from "../errors";
import { add, assertFinite, assertShape, identity, invert, product } from "../linalg/matrix";
import { numericalRank, svd } from "../linalg/svd";
import { layerRanks } from "../models/init";
import type { Adapter } from "../models/types";
import { discrepancy, lemma1OptimalError, totalRank } from "../theory/lemma1";

export interface Lemma1Construction {
  adapters: Adapter[];
  /** `ΔW_l = A_l B_lᵀ`. */
  deltas: Matrix[];
  /** `W_l + ΔW_l`. */
  adapted: Matrix[];
  discrepancy: Matrix;
  discrepancyRank: number;
  ranks: number[];
  /** `⌈rank(E)/L⌉`. */
  threshold: number;
  /** `σ_{ΣR_l+1}(E)`: the spectral error the construction attains (and no rank-R LoRA beats). */
  optimalError: number;
}

/** Names for messages: one per layer, and a context prefix (e.g. "block 2"). */
export interface LayerNames {
  layers?: readonly string[];
  context?: string;
}

/** Lemma 1: adapters with `Π(W_l + A_l B_lᵀ) = ΠW_l + LR_{ΣR_l}(W̄ − ΠW_l)` (exact when ΣR_l ≥ rank E). */
export function lemma1Construct(frozen: readonly Matrix[], target: Matrix, rank: number | readonly number[], names: LayerNames = {}): Lemma1Construction {
  const L = frozen.length;
  if (L < 1) throw new DepthError("Lemma 1 needs at least one frozen layer (L ≥ 1)");
  const D = target.rows;
  assertShape(target, D, D, "target");
  const name = (l: number) => names.layers?.[l] ?? `frozen layer ${l + 1}`;
  frozen.forEach((W, l) => assertShape(W, D, D, name(l)));
  const ranks = layerRanks(rank, L, D);
  const inv = frozen.map((W, l) => invert(W, name(l), "Assumption 1 fails"));
  const E = discrepancy(target, frozen);
  const { U, s, V } = svd(E);
  const adapters: Adapter[] = [];
  const deltas: Matrix[] = [];
  const adapted: Matrix[] = [];
  let Q = identity(D);
  let offset = 0;
  for (let l = 0; l < L; l++) {
    const Pinv = product(inv.slice(l + 1).reverse(), D); // W_{l+1}⁻¹ ··· W_L⁻¹
    const Qinv = l === 0 ? identity(D) : invert(Q, `${names.context ? names.context + ": " : ""}adapted product below ${name(l)}`, "Lemma 1's invertibility hypothesis fails: W_L···W_1 + LR_r(E) must be invertible");
    const US = new Matrix(D, ranks[l]);
    const Vl = new Matrix(D, ranks[l]);
    for (let k = 0; k < ranks[l] && offset + k < D; k++) {
      for (let i = 0; i < D; i++) {
        US.set(i, k, U.get(i, offset + k) * s[offset + k]);
        Vl.set(i, k, V.get(i, offset + k));
      }
    }
    const A = Pinv.mmul(US);
    const B = Qinv.transpose().mmul(Vl);
    assertFinite(A, `Lemma 1 factor A of ${name(l)}`);
    assertFinite(B, `Lemma 1 factor B of ${name(l)}`);
    const dW = A.mmul(B.transpose());
    const W = add(frozen[l], dW);
    adapters.push({ A, B });
    deltas.push(dW);
    adapted.push(W);
    Q = W.mmul(Q);
    offset += ranks[l];
  }
  const r = numericalRank(E);
  return {
    adapters,
    deltas,
    adapted,
    discrepancy: E,
    discrepancyRank: r,
    ranks,
    threshold: Math.ceil(r / L),
    optimalError: lemma1OptimalError(E, ranks, L),
  };
}

/** The `Π(W_l + ΔW_l)` a Lemma 1 construction realises. */
export function adaptedProduct(c: Lemma1Construction): Matrix {
  return product(c.adapted);
}

export { totalRank };
