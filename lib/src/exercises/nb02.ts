/** Notebook 02 · LoRA on one linear layer: the best adapter is the truncated SVD of E = W̄ − W. */
import { Matrix } from "ml-matrix";
import { frobeniusNorm, sub } from "../linalg/matrix";
import { lowRankApprox, numericalRank, singularValues } from "../linalg/svd";
import { makeFNNPair } from "../models/targets";
import { type Exercise, twoParts, field, isFunction, isInteger, isMatrix, isNumber, isRecord, near, wrongType } from "./types";

const EX1 = { diagonal: [4, 3, 2, 1], rank: 2 };
const EX3 = { mse: 1e-2 };
const EX4 = { D: 16 };

export const notebook02: Exercise[] = [
  {
    id: "ex1",
    kind: "derivation",
    points: 2,
    title: `E = diag(${EX1.diagonal.join(", ")}): spectral error and Gaussian-input MSE of the best rank-${EX1.rank} adapter`,
    hint: "the spectral error is one discarded singular value; for x ~ N(0, I) the MSE (mean over the D outputs) is ‖E − ΔW‖_F² divided by D.",
    check(answer) {
      if (!isRecord(answer) || !isNumber(answer.spectral) || !isNumber(answer.mse)) return wrongType("{ spectral: number, mse: number }");
      const s = singularValues(Matrix.diag(EX1.diagonal)).slice(EX1.rank);
      const spectralOk = near(answer.spectral, s[0]);
      const mseOk = near(answer.mse, s.reduce((a, v) => a + v * v, 0) / EX1.diagonal.length);
      return twoParts(spectralOk, mseOk, "the spectral error is right; for the MSE sum the squares of every discarded singular value and divide by D.", "the MSE is right; the spectral error is a single singular value.");
    },
  },
  {
    id: "ex2",
    kind: "implementation",
    points: 3,
    title: "bestDelta(W, Wbar, R): the optimal rank-R update ΔW = ABᵀ, from svd, sub, mmul and Matrix methods",
    hint: "take the SVD of the discrepancy the adapter must cancel (not of W̄) and keep its top R singular triplets.",
    check(answer) {
      if (!isFunction(answer)) return wrongType("a function (W, Wbar, R) => Matrix");
      for (const [seed, R] of [[100, 2], [101, 3], [102, 4], [103, 1]] as Array<[number, number]>) {
        const { frozen, target } = makeFNNPair({ width: 8, targetDepth: 1, frozenDepth: 1, activation: "linear", bias: false, seed: seed });
        const W = frozen.layers[0].W, Wbar = target.layers[0].W;
        const got = answer(W.clone(), Wbar.clone(), R);
        if (!isMatrix(got) || got.rows !== 8 || got.columns !== 8) return `bestDelta must return an 8×8 Matrix (it returned ${isMatrix(got) ? `${got.rows}×${got.columns}` : String(got)}).`;
        const best = lowRankApprox(sub(Wbar, W), R);
        if (frobeniusNorm(sub(got, best)) > 1e-10 * Math.max(1, frobeniusNorm(best))) return `bestDelta(W, Wbar, ${R}) is not the optimal update on a fresh 8×8 pair. Check which matrix you decompose, and that you keep R singular triplets.`;
      }
      return true;
    },
  },
  {
    id: "ex3",
    kind: "numeric",
    points: 2,
    title: `this notebook's pair: smallest rank whose best MSE (1/D)·Σ_{i>R} σᵢ² is at most ${EX3.mse}`,
    hint: "compute the best MSE from sE for R = 1, 2, … (the table in section 4 helps) and stop at the first at or below the target.",
    check(answer, data) {
      const E = field("02 ex3", data, "E", isMatrix, "the discrepancy E (a Matrix)");
      if (!isInteger(answer)) return wrongType("a whole number (a rank)");
      const s = singularValues(E);
      const best = (R: number) => s.slice(R).reduce((a, v) => a + v * v, 0) / E.rows;
      let R = 0;
      while (R < s.length && best(R) > EX3.mse) R++;
      return answer === R;
    },
  },
  {
    id: "ex4",
    kind: "derivation",
    points: 2,
    title: `D = ${EX4.D}: the rank at which LoRA has as many parameters as the whole matrix, and whether it adapts this layer exactly`,
    hint: "equate the two parameter counts; one layer is adapted exactly iff the adapter's rank reaches the rank of E.",
    check(answer, data) {
      const E = field("02 ex4", data, "E", isMatrix, "the discrepancy E (a Matrix)");
      if (!isRecord(answer) || !isInteger(answer.rank) || typeof answer.exact !== "boolean") return wrongType("{ rank: number, exact: boolean }");
      const rank = (EX4.D * EX4.D) / (2 * EX4.D);
      const rankOk = answer.rank === rank;
      const exactOk = answer.exact === numericalRank(E) <= rank;
      return twoParts(rankOk, exactOk, "the rank is right; compare it with rank(E) (printed at the top of the notebook).", "the yes/no part is right; recount the parameters: 2RD against D².");
    },
  },
];
