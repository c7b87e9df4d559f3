/**
 * Theorem 7 (Transformers, PAPER.md §2): the per-block mismatches and the threshold `max_i ⌈G_i/2⌉`.
 * With calibration `C_l = W̄_{2,l−1} W_{2,l−1}⁻¹` (`C_1 = I`):
 *   query–key mismatch   `C_lᵀ W̄_Kᵀ W̄_Q C_l − W_Kᵀ W_Q`,
 *   value–output mismatch `W_1⁻¹ W̄_1 W̄_O W̄_V C_l − W_O W_V` (same rank as `W̄_1 W̄_O W̄_V C_l − W_1 W_O W_V`),
 *   output mismatch       `W̄_o W̄_{2L} − W_o W_{2L}` (G_{L+1}).
 */
import type { Matrix } from "ml-matrix";
import { ShapeError } from "../errors";
import { identity, invert } from "../linalg/matrix";
import { differenceRank } from "../linalg/svd";
import type { Transformer } from "../models/types";

/** Targets of the Lemma 1 (L = 2) problems of one block, per head. */
export interface TransformerBlockTargets {
  /** `C_l` keeping `Z̄_{l−1} = C_l Z_{l−1}`. */
  C: Matrix;
  heads: Array<{ qk: Matrix; ov: Matrix }>;
}

/** Checks that two Transformers have the same width, depth and heads per block. */
export function checkTransformerPair(frozen: Transformer, target: Transformer): void {
  if (frozen.width !== target.width) throw new ShapeError(`frozen width ${frozen.width} differs from target width ${target.width}`);
  if (frozen.blocks.length !== target.blocks.length) {
    throw new ShapeError(`frozen depth ${frozen.blocks.length} differs from target depth ${target.blocks.length}: Theorem 7 adapts a Transformer of the target's depth`);
  }
  frozen.blocks.forEach((b, l) => {
    if (b.heads.length !== target.blocks[l].heads.length) {
      throw new ShapeError(`block ${l + 1}: frozen has ${b.heads.length} heads, target has ${target.blocks[l].heads.length}`);
    }
  });
}

/** Calibration `C_l` and the query–key / value–output targets of block l (0-based). */
export function transformerBlockTargets(frozen: Transformer, target: Transformer, l: number): TransformerBlockTargets {
  const D = frozen.width;
  const C =
    l === 0
      ? identity(D)
      : target.blocks[l - 1].W2.mmul(invert(frozen.blocks[l - 1].W2, `frozen block ${l} W_2`, "Theorem 7 needs invertible frozen W_2 (Assumption 1 fails)"));
  const W1inv = invert(frozen.blocks[l].W1, `frozen block ${l + 1} W_1`, "Theorem 7 needs invertible frozen W_1 (Assumption 1 fails)");
  const Wbar1 = target.blocks[l].W1;
  const heads = target.blocks[l].heads.map((h) => ({
    qk: C.transpose().mmul(h.WK.transpose()).mmul(h.WQ).mmul(C),
    ov: W1inv.mmul(Wbar1).mmul(h.WO).mmul(h.WV).mmul(C),
  }));
  return { C, heads };
}

/** `W̄_o W̄_{2L}`: target of the last (W_{2L}, W_o) pair. */
export function outputTarget(target: Transformer): Matrix {
  return target.Wo.mmul(target.blocks[target.blocks.length - 1].W2);
}

/**
 * Theorem 7: ranks G_1..G_{L+1} (max over heads and the two pairs) and the threshold `max_i ⌈G_i/2⌉`.
 * Mismatch ranks count singular values above 1e-10 × the size of the compared products (`differenceRank`).
 */
export function transformerThreshold(frozen: Transformer, target: Transformer): { threshold: number; G: number[] } {
  checkTransformerPair(frozen, target);
  const G: number[] = frozen.blocks.map((block, l) => {
    const t = transformerBlockTargets(frozen, target, l);
    return Math.max(
      ...block.heads.flatMap((h, i) => [
        differenceRank(t.heads[i].qk, h.WK.transpose().mmul(h.WQ)),
        differenceRank(t.heads[i].ov, h.WO.mmul(h.WV)),
      ]),
    );
  });
  const last = frozen.blocks[frozen.blocks.length - 1];
  G.push(differenceRank(outputTarget(target), frozen.Wo.mmul(last.W2)));
  return { threshold: Math.max(...G.map((g) => Math.ceil(g / 2))), G };
}

/** Corollary of Theorem 7 for random weights (every G_i = D): `⌈D/2⌉`. */
export function randomTransformerThreshold(width: number): number {
  return Math.ceil(width / 2);
}
