/** Notebook 04 · ReLU networks (Theorem 3 / Corollary 4). */
import { relativeError, vectorNorm } from "../linalg/matrix";
import { stream } from "../linalg/random";
import { constructFNN } from "../construct/fnn";
import { forwardFNN } from "../models/forward";
import { gaussianInputs } from "../models/sample";
import { makeFNNPair } from "../models/targets";
import { type Exercise, fields, isFNN, isFunction, isInteger, isNumber, isNumberArray, nearRelative, wrongType } from "./types";

const EX1 = { D: 12, L: 3, seed: 3 };
const EX2 = { D: 16, L: 3, R: 6, seeds: [5, 6] };
const EX3 = { R: 6 };

export const notebook04: Exercise[] = [
  {
    id: "ex1",
    kind: "construction",
    points: 2,
    title: `Corollary 4 threshold for D = ${EX1.D}, L = ${EX1.L}, L̄ = 1 (checked by building the construction at your rank and one below)`,
    hint: "rank(E) is D for random weights and the L layers of the single block share it; your rank must be exact and the one below must not be.",
    check(answer) {
      if (!isInteger(answer)) return wrongType("a whole number (a rank)");
      if (answer < 2 || answer > EX1.D) return `a rank between 2 and ${EX1.D}, please.`;
      const p = makeFNNPair({ width: EX1.D, targetDepth: 1, frozenDepth: EX1.L, activation: "relu", bias: true, seed: EX1.seed });
      const X = gaussianInputs(stream(EX1.seed, "test"), EX1.D, 500), Y = forwardFNN(p.target, X);
      const err = (r: number) => relativeError(forwardFNN(constructFNN(p.frozen, p.target, { rank: r }).adapted, X), Y);
      const exact = err(answer) < 1e-10, below = err(answer - 1) < 1e-10;
      if (exact && !below) return true;
      return exact ? "your rank is exact, but so is the one below it: it is not the smallest." : "the construction at your rank is not exact yet: the rank is too small.";
    },
  },
  {
    id: "ex2",
    kind: "implementation",
    points: 3,
    title: "alignLastBias(Ws, bs, bbar): the aligned bias b̂_{l₂} of a block's last layer",
    hint: "the block must compute W̄z + b̄ once its ReLUs act as the identity: expand the block's affine map and solve for the last bias; product(Ws.slice(l + 1)) is Ŵ_{l₂}···Ŵ_{l+1}.",
    check(answer) {
      if (!isFunction(answer)) return wrongType("a function (Ws: Matrix[], bs: number[][], bbar: number[]) => number[]");
      for (const seed of EX2.seeds) {
        const p = makeFNNPair({ width: EX2.D, targetDepth: 1, frozenDepth: EX2.L, activation: "relu", bias: true, seed: seed });
        const built = constructFNN(p.frozen, p.target, { rank: EX2.R });
        const Ws = built.adapted.layers.map((l) => l.W.clone()), bs = built.adapted.layers.slice(0, EX2.L - 1).map((l) => [...l.b]);
        const got = answer(Ws, bs, [...p.target.layers[0].b]);
        if (!isNumberArray(got) || got.length !== EX2.D) return `alignLastBias must return an array of ${EX2.D} numbers.`;
        const want = built.adapted.layers[EX2.L - 1].b;
        if (vectorNorm(got.map((v, i) => v - want[i])) > 1e-9 * Math.max(1, vectorNorm(want))) return `alignLastBias differs from the construction's bias on a fresh 3-layer block (seed ${seed}).`;
      }
      return true;
    },
  },
  {
    id: "ex3",
    kind: "numeric",
    points: 2,
    title: `the rigorous first-layer bias c = ρ·maxᵢ‖rowᵢ(Ŵ₁)‖ of section 4c's bound-mode construction at R = ${EX3.R}`,
    hint: "Ŵ₁ is the *adapted* first layer of your construction (.adapted.layers[0].W); maxRowNorm gives the largest row norm.",
    check(answer, data) {
      const { frozen, target, rho } = fields("04 ex3", data, {
        frozen: [isFNN, "the frozen FNN (p0.frozen)"],
        target: [isFNN, "the target FNN (p0.target)"],
        rho: [isNumber, "the radius ρ"],
      });
      if (!isNumber(answer)) return wrongType("a number");
      const c = constructFNN(frozen, target, { rank: EX3.R, bias: { mode: "bound", rho: rho } }).diagnostics.biasConstants[0];
      if (c === null || c === undefined) throw new Error("04 ex3: the bound construction has no first-layer bias constant");
      return nearRelative(answer, c, 1e-9) || "is Ŵ₁ the adapted layer (not the frozen one), and ρ the radius of the shifted set?";
    },
  },
];
