/** Notebook 09 · Beyond the paper. */
import type { Matrix } from "ml-matrix";
import { product, spectralNorm, sub } from "../linalg/matrix";
import { randomNormal } from "../linalg/draw";
import { stream } from "../linalg/random";
import { sigma } from "../linalg/svd";
import { lemma1Construct } from "../construct/lemma1";
import { forwardFNN } from "../models/forward";
import { mse } from "../models/metrics";
import { scaled } from "../models/sample";
import { lemma1OptimalError } from "../theory/lemma1";
import { randomThresholdCheck } from "./nb05";
import { type Exercise, fields, isIntegerArray, isFNN, isFunction, isMatrix, isMatrixArray, isNumber, nearRelative, wrongType } from "./types";

const EX1 = { D: 16, L: 7, Lbar: 3 };
const EX3 = { L: 4, errorIndex: 11 };
const EX4 = { factors: [1, 2, 3, 5, 8], exactMse: 1e-12 };

export const notebook09: Exercise[] = [
  {
    id: "ex1",
    kind: "derivation",
    points: 2,
    title: `the smallest exact rank for D = ${EX1.D}, L̄ = ${EX1.Lbar}, L = ${EX1.L} on random weights (Corollary 4, uniform partition)`,
    hint: "split the L frozen layers into L̄ consecutive blocks as equal as possible; every block's discrepancy is full-rank, so which block needs the most rank?",
    check: randomThresholdCheck(EX1),
  },
  {
    id: "ex2",
    kind: "implementation",
    points: 3,
    title: "perLayerOptimalError(E, ranks): Lemma 1's optimal spectral error with per-layer ranks R_1..R_L",
    hint: "only one number about the ranks matters; use it as an index into the singular values of E (0 once it reaches the size of E).",
    check(answer) {
      if (!isFunction(answer)) return wrongType("a function (E: Matrix, ranks: number[]) => number");
      const rng = stream(90, "exercises");
      const cases: Array<[Matrix, number[]]> = [
        [randomNormal(rng, 8, 8), [1, 2]],
        [randomNormal(rng, 8, 8), [3, 1, 1]],
        [randomNormal(rng, 6, 6), [2, 2, 2]],
        [randomNormal(rng, 6, 6), [5, 4]],
      ];
      for (const [E, ranks] of cases) {
        const got = answer(E.clone(), [...ranks]);
        if (!isNumber(got)) return `perLayerOptimalError returned ${String(got)}, not a number.`;
        const want = lemma1OptimalError(E, ranks, ranks.length);
        if (Math.abs(got - want) > 1e-9 * Math.max(1, want)) return `off for ranks [${ranks.join(", ")}] on a ${E.rows}×${E.rows} E${want === 0 ? " (what happens when the ranks add up to D or more?)" : ""}.`;
      }
      return true;
    },
  },
  {
    id: "ex3",
    kind: "construction",
    points: 2,
    title: `an allocation [R_1..R_4] for Ws4/Wbar4, every R_l ≥ 1 and not all equal, whose spectral error is exactly σ_${EX3.errorIndex}(E)`,
    hint: "Lemma 1 with per-layer ranks: the error is σ_{ΣR_l+1}(E), whatever the split.",
    check(answer, data) {
      const { frozen: Ws, target: Wbar } = fields("09 ex3", data, {
        frozen: [isMatrixArray, "the frozen layers (Ws4)"],
        target: [isMatrix, "the target (Wbar4)"],
      });
      if (!isIntegerArray(answer) || answer.length !== EX3.L) return wrongType(`an array of ${EX3.L} whole numbers`);
      if (answer.some((r) => r < 1 || r > Wbar.rows)) return `every R_l must be between 1 and ${Wbar.rows}.`;
      if (new Set(answer).size === 1) return "the ranks must not all be equal.";
      const err = spectralNorm(sub(product(lemma1Construct(Ws, Wbar, answer).adapted), Wbar));
      return nearRelative(err, sigma(sub(Wbar, product(Ws)), EX3.errorIndex), 1e-9) || "the spectral error of your allocation is a different singular value.";
    },
  },
  {
    id: "ex4",
    kind: "numeric",
    points: 2,
    title: `the smallest scale factor s in {${EX4.factors.join(", ")}} at which the calibrated R = 8 construction stops being exact (MSE > ${EX4.exactMse}) on scaled(Xtest, s)`,
    hint: "loop over the factors and compare the calibrated model's output with the target's on scaled(Xtest, s).",
    check(answer, data) {
      const { target, calibrated, X } = fields("09 ex4", data, {
        target: [isFNN, "the target FNN"],
        calibrated: [isFNN, "the calibrated construction's adapted FNN"],
        X: [isMatrix, "the test inputs (Xtest)"],
      });
      if (!isNumber(answer)) return wrongType("a number from the list");
      const first = EX4.factors.find((f) => mse(forwardFNN(target, scaled(X, f)), forwardFNN(calibrated, scaled(X, f))) > EX4.exactMse);
      return answer === first;
    },
  },
];
