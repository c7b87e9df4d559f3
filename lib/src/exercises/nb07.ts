/** Notebook 07 · Transformers (Theorem 7). */
import { add, frobeniusNorm, mmul, sub } from "../linalg/matrix";
import { randomNormal } from "../linalg/draw";
import { stream } from "../linalg/random";
import { numericalRank } from "../linalg/svd";
import { initTransformer, initTransformerAdapters } from "../models/init";
import { mergeTransformer } from "../models/merge";
import { transformerAdaptationParameterCount } from "../models/params";
import { makeTransformerPair } from "../models/targets";
import type { Transformer } from "../models/types";
import { randomTransformerThreshold, transformerBlockTargets, transformerThreshold } from "../theory/transformer";
import { type Exercise, isFunction, isInteger, isMatrix, wrongType } from "./types";

const EX1 = { D: 12 };
const EX2 = { D: 16, R: 3, draws: 3 };
const EX3 = { D: 12, H: 3, L: 2, R: 5 };
const EX5 = { D: 16, H: 2, changeRank: 2 };

/**
 * Exercise 5's target: notebook 07's `frozen1` (width 16, 2 heads, depth 1, seed 0) with head 1's W_Q
 * moved by a random rank-2 matrix. Used by the notebook and by the checker (one definition).
 */
export function queryChangeExercisePair(): { frozen: Transformer; target: Transformer } {
  const { frozen } = makeTransformerPair({ width: EX5.D, depth: 1, heads: EX5.H, seed: 0 });
  const r = stream(8, "target");
  const target = mergeTransformer(frozen, initTransformerAdapters(frozen, 1, 0, r)); // a copy of frozen (zero adapters)
  target.blocks[0].heads[0].WQ = add(target.blocks[0].heads[0].WQ, mmul(randomNormal(r, EX5.D, EX5.changeRank), randomNormal(r, EX5.D, EX5.changeRank).transpose()));
  return { frozen, target };
}

export const notebook07: Exercise[] = [
  {
    id: "ex1",
    kind: "numeric",
    points: 1,
    title: `the smallest rank at which Theorem 7 guarantees an exact adaptation of a random Transformer of width ${EX1.D}`,
    hint: "what is G_i for random weights? And by how much can a pair of rank-R adapters move a product?",
    check(answer) {
      if (!isInteger(answer)) return wrongType("a whole number (a rank)");
      return answer === randomTransformerThreshold(EX1.D);
    },
  },
  {
    id: "ex2",
    kind: "derivation",
    points: 2,
    title: `rank(Ŵ_Kᵀ Ŵ_Q − W_Kᵀ W_Q) for generic rank-${EX2.R} adapters on W_Q and W_K (width ${EX2.D})`,
    hint: "expand (W_K + Δ_K)ᵀ(W_Q + Δ_Q) − W_KᵀW_Q into terms and bound the rank of each.",
    check(answer) {
      if (!isInteger(answer)) return wrongType("a whole number (a rank)");
      const model = initTransformer({ width: EX2.D, depth: 1, heads: 1, rng: stream(70, "frozen") });
      const h = model.blocks[0].heads[0];
      const r = stream(71, "adapters");
      for (let t = 0; t < EX2.draws; t++) {
        const dQ = mmul(randomNormal(r, EX2.D, EX2.R), randomNormal(r, EX2.D, EX2.R).transpose());
        const dK = mmul(randomNormal(r, EX2.D, EX2.R), randomNormal(r, EX2.D, EX2.R).transpose());
        const moved = numericalRank(sub(mmul(add(h.WK, dK).transpose(), add(h.WQ, dQ)), mmul(h.WK.transpose(), h.WQ)));
        if (answer !== moved) return false;
      }
      return true;
    },
  },
  {
    id: "ex3",
    kind: "numeric",
    points: 2,
    title: `parameters tuned by the Theorem 7 adaptation for D = ${EX3.D}, H = ${EX3.H}, L = ${EX3.L}, R = ${EX3.R} (adapters and re-tuned FFN biases)`,
    hint: "list the adapted matrices (per head, per block, and the output pair) — each costs 2·R·D — then add the biases the construction re-tunes.",
    check(answer) {
      if (!isInteger(answer)) return wrongType("a whole number");
      const model = initTransformer({ width: EX3.D, depth: EX3.L, heads: EX3.H, rng: stream(72, "frozen") });
      return answer === transformerAdaptationParameterCount(initTransformerAdapters(model, EX3.R, 0.25, stream(72, "adapters")));
    },
  },
  {
    id: "ex4",
    kind: "implementation",
    points: 3,
    title: "calibration(frozen, target, l): the calibration matrix C_l of Theorem 7 (l 0-based)",
    hint: "C_l must turn the frozen model's input to block l into the target's: it undoes the frozen W_2 of the block before and applies the target's; the first block needs none.",
    check(answer) {
      if (!isFunction(answer)) return wrongType("a function (frozen: Transformer, target: Transformer, l: number) => Matrix");
      const { frozen, target } = makeTransformerPair({ width: 8, depth: 3, heads: 2, seed: 40 });
      for (let l = 0; l < 3; l++) {
        const got = answer(frozen, target, l);
        if (!isMatrix(got) || got.rows !== 8 || got.columns !== 8) return `calibration must return a D×D Matrix (8×8 in the test) for l = ${l}.`;
        const want = transformerBlockTargets(frozen, target, l).C;
        if (frobeniusNorm(sub(got, want)) > 1e-9 * Math.max(1, frobeniusNorm(want))) return `C_${l + 1} (l = ${l}) is off on a fresh depth-3 pair${l === 0 ? ": what must the first block's calibration be?" : ": check the order of the product and which model each W_2 comes from."}`;
      }
      return true;
    },
  },
  {
    id: "ex5",
    kind: "derivation",
    points: 2,
    title: "the smallest rank at which constructTransformer adapts frozen1 exactly to a target differing only in head 1's W_Q by a rank-2 matrix",
    hint: "which of the mismatches G_i are non-zero, and what are their ranks? The threshold is max_i ⌈G_i/2⌉.",
    check(answer) {
      if (!isInteger(answer)) return wrongType("a whole number (a rank)");
      const { frozen, target } = queryChangeExercisePair();
      return answer === transformerThreshold(frozen, target).threshold;
    },
  },
];
