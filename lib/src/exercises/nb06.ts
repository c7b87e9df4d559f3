/** Notebook 06 · Below the threshold (Theorem 5). */
import { product, sub, vectorNorm } from "../linalg/matrix";
import { sigma } from "../linalg/svd";
import { uniformVector } from "../linalg/draw";
import { stream } from "../linalg/random";
import { type Exercise, fields, field, isInteger, isMatrix, isFunction, isMatrixArray, isNumber, isNumberArray, nearRelative, wrongType } from "./types";

const EX1 = { R: 5 };
const EX2 = { L: 3, size: 16, sigma: (k: number) => 2 ** -k, tolerance: 1e-3 };
const EX4 = {
  budget: 20,
  start: [2, 2],
  spectra: [(k: number) => 0.6 ** (k - 1), (k: number) => 0.5 * 0.88 ** (k - 1)],
};

function greedyReference(spectra: number[][], budget: number, start: number[]): number[] {
  const g = [...start];
  const next = (i: number) => spectra[i][g[i]] ?? 0;
  while (g.reduce((a, v) => a + v, 0) < budget) {
    let best = 0;
    for (let i = 1; i < g.length; i++) if (next(i) > next(best)) best = i;
    g[best]++;
  }
  return g;
}

export const notebook06: Exercise[] = [
  {
    id: "ex1",
    kind: "reading",
    points: 1,
    title: `the worst-case pair (flatPair, L̄ = 1, L = 2): the block error σ_{2R+1}(E) at R = ${EX1.R}`,
    hint: "what does the spectrum of the worst-case discrepancy look like (section 3)? Then pick the right index.",
    check(answer, data) {
      const s = field("06 ex1", data, "s", isNumberArray, "the singular values of flatPair's discrepancy (flatS)");
      if (!isNumber(answer)) return wrongType("a number");
      return nearRelative(answer, s[2 * EX1.R], 1e-6);
    },
  },
  {
    id: "ex2",
    kind: "derivation",
    points: 2,
    title: `L = ${EX2.L}, σ_k(E) = 2^(−k): the smallest uniform rank whose optimal spectral error is at most ${EX2.tolerance}`,
    hint: "Lemma 1 names the optimal error as one singular value whose index depends on R and L; take a base-2 logarithm.",
    check(answer) {
      if (!isInteger(answer)) return wrongType("a whole number (a rank)");
      let R = 0;
      while (EX2.L * R < EX2.size && EX2.sigma(EX2.L * R + 1) > EX2.tolerance) R++;
      return answer === R;
    },
  },
  {
    id: "ex3",
    kind: "construction",
    points: 3,
    title: "a unit input x (16×1) on which the linear construction tightC (R = 3, L = 2) errs by at least 0.99·E₁",
    hint: "the construction removes the top singular directions of the discrepancy; which input direction does it leave untouched, and by how much does E stretch it?",
    check(answer, data) {
      const { adapted, Wbar, frozen, R } = fields("06 ex3", data, {
        adapted: [isMatrixArray, "the adapted layers (tightC.adapted)"],
        Wbar: [isMatrix, "the target W̄ (lbWbar)"],
        frozen: [isMatrixArray, "the frozen layers (lbWs)"],
        R: [isInteger, "the rank R"],
      });
      if (!isMatrix(answer) || answer.columns !== 1 || answer.rows !== Wbar.columns) return wrongType(`a ${Wbar.columns}×1 Matrix`);
      const n = vectorNorm(answer.getColumn(0));
      if (Math.abs(n - 1) > 1e-9) return `x must be a unit vector (yours has norm ${n.toPrecision(6)}).`;
      const E1 = sigma(sub(Wbar, product(frozen)), R * frozen.length + 1);
      const err = vectorNorm(sub(product(adapted).mmul(answer), Wbar.mmul(answer)).getColumn(0));
      return err >= 0.99 * E1 || "the error on your x is well below E₁: look for the direction the construction could not reach.";
    },
  },
  {
    id: "ex4",
    kind: "implementation",
    points: 3,
    title: "greedySplit(spectra, budget, start): the greedy rank allocation of section 4c for any number of blocks",
    hint: "from `start`, spend one unit at a time on the block whose *next* singular value is the largest (the first such block on a tie); past the end of a spectrum the next value is 0.",
    check(answer) {
      if (!isFunction(answer)) return wrongType("a function (spectra: number[][], budget: number, start: number[]) => number[]");
      const rng = stream(60, "exercises");
      const decreasing = (n: number) => uniformVector(rng, n, 0, 1).sort((a, b) => b - a);
      const cases: Array<[number[][], number, number[]]> = [
        [EX4.spectra.map((f) => Array.from({ length: 16 }, (_, k) => f(k + 1))), EX4.budget, EX4.start],
        [EX4.spectra.map((f) => Array.from({ length: 16 }, (_, k) => f(k + 1))), 12, EX4.start],
        [[decreasing(8), decreasing(8), decreasing(8)], 14, [1, 1, 1]],
        [[[1, 0.5], [0.9, 0.8, 0.7, 0.6]], 6, [0, 0]],
      ];
      for (const [spectra, budget, start] of cases) {
        const got = answer(spectra.map((s) => [...s]), budget, [...start]);
        if (!isNumberArray(got) || got.length !== spectra.length) return `greedySplit must return one number per block (${spectra.length} here).`;
        if (got.reduce((a, v) => a + v, 0) !== budget) return "the split must spend exactly the budget.";
        if (!greedyReference(spectra, budget, start).every((v, i) => v === got[i])) return `not the greedy split on ${spectra.length} blocks with a budget of ${budget}.`;
      }
      return true;
    },
  },
];
