/** Notebook 01 · Low-rank approximation (Eckart–Young–Mirsky). */
import { Matrix } from "ml-matrix";
import { randomNormal } from "../linalg/draw";
import { stream } from "../linalg/random";
import { singularValues } from "../linalg/svd";
import { type Exercise, twoParts, isFunction, isInteger, isNumber, isRecord, near, wrongType } from "./types";

const EX1 = { diagonal: [5, 3, 2, 1], rank: 2 };
const EX3 = { size: 16, sigma: (i: number) => 2 ** -i, tolerance: 1e-3 };

export const notebook01: Exercise[] = [
  {
    id: "ex1",
    kind: "derivation",
    points: 2,
    title: `best rank-${EX1.rank} approximation of diag(${EX1.diagonal.join(", ")}): spectral and Frobenius errors`,
    hint: "the singular values of a non-negative diagonal matrix are its entries; Eckart–Young tells you which of them the error keeps, and how each norm combines them.",
    check(answer) {
      if (!isRecord(answer) || !isNumber(answer.spectral) || !isNumber(answer.frobenius)) return wrongType("{ spectral: number, frobenius: number }");
      const s = singularValues(Matrix.diag(EX1.diagonal));
      const tail = s.slice(EX1.rank);
      const spectralOk = near(answer.spectral, tail[0]);
      const frobeniusOk = near(answer.frobenius, Math.sqrt(tail.reduce((a, v) => a + v * v, 0)));
      return twoParts(spectralOk, frobeniusOk, "the spectral error is right; the Frobenius error adds up every discarded singular value (in squares).", "the Frobenius error is right; the spectral norm keeps only the largest discarded singular value.");
    },
  },
  {
    id: "ex2",
    kind: "implementation",
    points: 3,
    title: "bestRankOneError(M): min over rank-1 B of ‖M − B‖₂, without forming LR₁(M)",
    hint: "Eckart–Young gives the best rank-r error in the spectral norm directly from the spectrum of M.",
    check(answer) {
      if (!isFunction(answer)) return wrongType("a function (M: Matrix) => number");
      const rng = stream(101, "exercises");
      const tests = [randomNormal(rng, 6, 6), randomNormal(rng, 8, 5), Matrix.diag([3, 1, 0.5]), randomNormal(rng, 4, 9, 3)];
      for (const M of tests) {
        const got = answer(M);
        if (!isNumber(got)) return `bestRankOneError returned ${String(got)} on a ${M.rows}×${M.columns} matrix, not a number.`;
        if (!near(got, singularValues(M)[1], 1e-9)) return `bestRankOneError is off on a ${M.rows}×${M.columns} matrix. ${"Eckart–Young: which singular value is the spectral error of the best rank-1 approximation?"}`;
      }
      return true;
    },
  },
  {
    id: "ex3",
    kind: "derivation",
    points: 2,
    title: `σᵢ = 2^(−i), ${EX3.size}×${EX3.size}: smallest rank r with ‖E − LR_r(E)‖₂ ≤ ${EX3.tolerance}`,
    hint: "write the spectral error of LR_r(E) as one singular value, then take a base-2 logarithm of the condition.",
    check(answer) {
      if (!isInteger(answer)) return wrongType("a whole number (a rank)");
      let r = 0;
      while (r < EX3.size && EX3.sigma(r + 1) > EX3.tolerance) r++;
      return answer === r;
    },
  },
];
