/**
 * Theorem 7 construction (PAPER.md §2), block by block with calibration C_l:
 * 1. query–key: Lemma 1 (L = 2) on (W_Q, W_Kᵀ) toward `C_lᵀ W̄_Kᵀ W̄_Q C_l` → scores match;
 * 2. value–output: Lemma 1 on (W_V, W_O) toward `W_1⁻¹ W̄_1 W̄_O W̄_V C_l` (W_1 not adapted);
 * 3. `b̂_1 = b̄_1`; for l < L, `b̂_2 = W_2 W̄_2⁻¹ b̄_2` (so `Z̄_l = C_{l+1} Z_l`);
 * 4. last block: Lemma 1 on (W_{2L}, W_o) toward `W̄_o W̄_{2L}`, then `b̂_{2L} = Ŵ_o⁻¹ W̄_o b̄_{2L}`.
 */
import type { Matrix } from "ml-matrix";
import { assertFinite, invert, matVec, spectralNorm } from "../linalg/matrix";
import { mergeTransformer } from "../models/merge";
import type { HeadAdapters, Transformer, TransformerAdaptation } from "../models/types";
import { checkTransformerPair, outputTarget, transformerBlockTargets, transformerThreshold } from "../theory/transformer";
import { lemma1Construct } from "./lemma1";
import { roundingLevel, transformerVerifiedError } from "./verify";

/** Largest `‖Ŵ_a‖₂‖Ŵ_b‖₂ / ‖W̄_a W̄_b‖₂`-like ratio over the adapted pairs: how much their product must cancel. */
function transformerRoundingScale(adapted: Transformer, target: Transformer): number {
  let worst = 1;
  adapted.blocks.forEach((b, l) => {
    b.heads.forEach((h, i) => {
      const t = target.blocks[l].heads[i];
      const ratio = (x: Matrix, y: Matrix, tx: Matrix, ty: Matrix) => (spectralNorm(x) * spectralNorm(y)) / Math.max(spectralNorm(tx) * spectralNorm(ty), Number.MIN_VALUE);
      worst = Math.max(worst, ratio(h.WQ, h.WK, t.WQ, t.WK), ratio(h.WV, h.WO, t.WV, t.WO));
    });
  });
  return worst;
}

export interface TransformerConstruction {
  adaptation: TransformerAdaptation;
  adapted: Transformer;
  diagnostics: {
    /** Ranks G_1..G_{L+1} of Theorem 7. */
    G: number[];
    /** `max_i ⌈G_i/2⌉`. */
    threshold: number;
    /** σ_{2R+1} of each Lemma 1 problem: per block, per head `{ qk, ov }`; then the output pair. */
    pairErrors: Array<Array<{ qk: number; ov: number }>>;
    outputError: number;
    /** Theorem 7's prediction: rank at/above the threshold. */
    theoryExact: boolean;
    /** `theoryExact` and the self-check on fresh inputs at rounding level (no calibration: exact on every input). */
    exactExpected: boolean;
    /** Relative error on the self-check inputs (null when not checked). */
    verifiedError: number | null;
    verifyTolerance: number;
    /** Why exactness is not claimed although the theory predicts it: empty when none. */
    warnings: string[];
  };
}

export interface TransformerConstructionOptions {
  /** Inputs of the self-check (default 16 sequences of 10 N(0, I) tokens, stream `verification`); `false` skips it. */
  verify?: { inputs: Matrix[] } | false;
}

/** Theorem 7: LoRA (rank R on every adapted matrix) + FFN biases making the frozen Transformer equal the target. */
export function constructTransformer(frozen: Transformer, target: Transformer, rank: number, opts: TransformerConstructionOptions = {}): TransformerConstruction {
  checkTransformerPair(frozen, target);
  const L = frozen.blocks.length;
  const pairErrors: Array<Array<{ qk: number; ov: number }>> = [];
  const blocks: TransformerAdaptation["blocks"] = [];
  let WoAdapter = null;
  let outputError = 0;
  for (let l = 0; l < L; l++) {
    const fb = frozen.blocks[l];
    const tb = target.blocks[l];
    const t = transformerBlockTargets(frozen, target, l);
    const errs: Array<{ qk: number; ov: number }> = [];
    const heads: HeadAdapters[] = fb.heads.map((h, i) => {
      const tag = `block ${l + 1} head ${i + 1}`;
      const qk = lemma1Construct([h.WQ, h.WK.transpose()], t.heads[i].qk, rank, { layers: [`frozen ${tag} W_Q`, `frozen ${tag} W_Kᵀ`], context: tag });
      const ov = lemma1Construct([h.WV, h.WO], t.heads[i].ov, rank, { layers: [`frozen ${tag} W_V`, `frozen ${tag} W_O`], context: tag });
      errs.push({ qk: qk.optimalError, ov: ov.optimalError });
      // Δ(W_Kᵀ) = A Bᵀ  ⇔  ΔW_K = B Aᵀ: the K adapter swaps the factors.
      return { WQ: qk.adapters[0], WK: { A: qk.adapters[1].B, B: qk.adapters[1].A }, WV: ov.adapters[0], WO: ov.adapters[1] };
    });
    pairErrors.push(errs);
    let W2 = null;
    let b2: number[];
    if (l < L - 1) {
      b2 = matVec(fb.W2.mmul(invert(tb.W2, `target block ${l + 1} W̄_2`, "Theorem 7 needs invertible target W̄_2 for l < L")), tb.b2);
    } else {
      const out = lemma1Construct([fb.W2, frozen.Wo], outputTarget(target), rank, {
        layers: [`frozen block ${L} W_2`, "frozen W_o"],
        context: "output pair",
      });
      W2 = out.adapters[0];
      WoAdapter = out.adapters[1];
      outputError = out.optimalError;
      const WoHat = out.adapted[1];
      b2 = matVec(invert(WoHat, "adapted W_o", "Theorem 7 needs the adapted output layer invertible").mmul(target.Wo), tb.b2);
    }
    assertFinite(b2, `block ${l + 1} b_2`);
    blocks.push({ heads, W2, b1: [...tb.b1], b2 });
  }
  if (WoAdapter === null) throw new Error("unreachable: the last block sets W_o's adapter");
  const adaptation: TransformerAdaptation = { blocks, Wo: WoAdapter };
  const { G, threshold } = transformerThreshold(frozen, target);
  const adapted = mergeTransformer(frozen, adaptation);
  const theoryExact = rank >= threshold;
  // Lemma 1 cancels inverses of frozen matrices here too; the product of the adapted and target
  // scales bounds how much float64 rounding the comparison may show
  const verifyTolerance = roundingLevel(target.width, transformerRoundingScale(adapted, target));
  const warnings: string[] = [];
  let verifiedError: number | null = null;
  if (theoryExact && opts.verify !== false) {
    verifiedError = transformerVerifiedError(adapted, target, opts.verify?.inputs);
    if (!(verifiedError <= verifyTolerance)) {
      warnings.push(`not exact on fresh inputs: relative error ${verifiedError.toExponential(2)} > rounding level ${verifyTolerance.toExponential(1)}: the adapted weights are too ill-conditioned for float64`);
    }
  }
  return {
    adaptation,
    adapted,
    diagnostics: { G, threshold, pairErrors, outputError, theoryExact, exactExpected: theoryExact && warnings.length === 0, verifiedError, verifyTolerance, warnings },
  };
}
