/** Notebook 03 · Deep linear models (Lemma 1). */
import { frobeniusNorm, sub } from "../linalg/matrix";
import { lemma1Construct } from "../construct/lemma1";
import { makeFNNPair } from "../models/targets";
import { lemma1OptimalError, lemma1Threshold } from "../theory/lemma1";
import { type Exercise, fields, twoParts, isFunction, isInteger, isMatrix, isNumber, isRecord, nearRelative, wrongType } from "./types";

const EX1 = { D: 12, L: 3 };
const EX2 = { R: 3 };
const EX4 = { D: 16, L: 3, R: 2 };

export const notebook03: Exercise[] = [
  {
    id: "ex1",
    kind: "numeric",
    points: 1,
    title: `Lemma 1 threshold for random weights, D = ${EX1.D}, L = ${EX1.L}, L̄ = 1`,
    hint: "what is rank(E) for random weights? Then the L frozen layers share it.",
    check(answer) {
      if (!isInteger(answer)) return wrongType("a whole number (a rank)");
      return answer === lemma1Threshold(EX1.D, EX1.L);
    },
  },
  {
    id: "ex2",
    kind: "derivation",
    points: 2,
    title: `this notebook's pair (L = 2): the spectral error of the best rank-${EX2.R} LoRA`,
    hint: "Lemma 1 names one singular value of E as the optimum; work out its index from R and L, then read it from sE (0-based!).",
    check(answer, data) {
      const { E, L } = fields("03 ex2", data, {
        E: [isMatrix, "the discrepancy E (a Matrix)"],
        L: [isInteger, "the frozen depth L"],
      });
      if (!isNumber(answer)) return wrongType("a number");
      return nearRelative(answer, lemma1OptimalError(E, EX2.R, L), 1e-6);
    },
  },
  {
    id: "ex3",
    kind: "implementation",
    points: 3,
    title: "deltaW1(W1, W2, Wbar, r) = W₂⁻¹ E V₁V₁ᵀ, the first update of Lemma 1's construction for L = 2",
    hint: "E = W̄ − W₂W₁; V₁ holds the first r right singular vectors of E (columns of svd(E).V); invert W₂ with `invert`.",
    check(answer) {
      if (!isFunction(answer)) return wrongType("a function (W1, W2, Wbar, r) => Matrix");
      for (const [seed, r] of [[31, 1], [32, 3], [33, 5]] as Array<[number, number]>) {
        const { frozen, target } = makeFNNPair({ width: 10, targetDepth: 1, frozenDepth: 2, activation: "linear", bias: false, seed: seed });
        const Ws = frozen.layers.map((l) => l.W), Wbar = target.layers[0].W;
        const got = answer(Ws[0].clone(), Ws[1].clone(), Wbar.clone(), r);
        if (!isMatrix(got) || got.rows !== 10 || got.columns !== 10) return `deltaW1 must return a D×D Matrix (10×10 in the test), it returned ${isMatrix(got) ? `${got.rows}×${got.columns}` : String(got)}.`;
        const want = lemma1Construct(Ws, Wbar, r).deltas[0];
        if (frobeniusNorm(sub(got, want)) > 1e-9 * Math.max(1, frobeniusNorm(want))) return `deltaW1 differs from Lemma 1's ΔW₁ on a fresh 10×10 pair at r = ${r}: is E = W̄ − W₂W₁ (in that order), and V₁ the *right* singular vectors?`;
      }
      return true;
    },
  },
  {
    id: "ex4",
    kind: "derivation",
    points: 2,
    title: `L = ${EX4.L}, rank-${EX4.R} adapters, D = ${EX4.D}: the largest rank of ∏(W_l+ΔW_l) − ∏W_l, and the smallest exact uniform rank`,
    hint: "telescope the difference of products into L terms and bound each term's rank; the second part is Lemma 1's threshold for a full-rank E.",
    check(answer) {
      if (!isRecord(answer) || !isInteger(answer.maxRank) || !isInteger(answer.exactRank)) return wrongType("{ maxRank: number, exactRank: number }");
      const maxOk = answer.maxRank === Math.min(EX4.L * EX4.R, EX4.D);
      const exactOk = answer.exactRank === lemma1Threshold(EX4.D, EX4.L);
      return twoParts(maxOk, exactOk, "the largest rank is right; now the threshold for a full-rank discrepancy.", "the threshold is right; for the largest rank, each telescoping term has rank at most R.");
    },
  },
];
