/** Notebook 08 · LoRA vs final-layers tuning. */
import { addColumn } from "../linalg/matrix";
import { makeFNNPair } from "../models/targets";
import { type Exercise, isFunction, isInteger, isMatrix, wrongType } from "./types";

const EX1 = { D: 12, L: 6, R: 3 };
const EX2 = { D: 16, L: 4, k: 3 };
const EX3 = { D: 16, seeds: [80, 81, 82] };

export const notebook08: Exercise[] = [
  {
    id: "ex1",
    kind: "numeric",
    points: 1,
    title: `parameters of LoRA with R = ${EX1.R} on the L = ${EX1.L}, D = ${EX1.D} FNN when the biases are tuned too`,
    hint: "each layer has one adapter (A and B, each D×R) and one bias vector of length D.",
    check(answer) {
      if (!isInteger(answer)) return wrongType("a whole number");
      return answer === EX1.L * (2 * EX1.R * EX1.D + EX1.D);
    },
  },
  {
    id: "ex2",
    kind: "derivation",
    points: 2,
    title: `D = ${EX2.D}, L = ${EX2.L}: the LoRA rank (biases fixed) with exactly as many parameters as tuning the last ${EX2.k} layers without biases`,
    hint: "write both counts in D, L, k and R and solve for R.",
    check(answer) {
      if (!isInteger(answer)) return wrongType("a whole number (a rank)");
      return 2 * answer * EX2.D * EX2.L === EX2.k * EX2.D * EX2.D;
    },
  },
  {
    id: "ex3",
    kind: "implementation",
    points: 3,
    title: "deadInput(W1, b1): an input x (D×1) on which the frozen first layer outputs 0, so every final-layers tuning gives the same output on it as on the cone",
    hint: "choose the pre-activation you want first — any vector with no positive entry — and solve W₁x + b₁ = that vector for x (W₁ is invertible).",
    check(answer) {
      if (!isFunction(answer)) return wrongType("a function (W1: Matrix, b1: number[]) => Matrix");
      for (const seed of EX3.seeds) {
        const layer = makeFNNPair({ width: EX3.D, targetDepth: 1, frozenDepth: 2, activation: "relu", bias: true, seed: seed }).frozen.layers[0];
        const x = answer(layer.W.clone(), [...layer.b]);
        if (!isMatrix(x) || x.rows !== EX3.D || x.columns !== 1) return `deadInput must return a ${EX3.D}×1 Matrix.`;
        const pre = addColumn(layer.W.mmul(x), layer.b).getColumn(0);
        const scale = Math.max(1, ...pre.map(Math.abs));
        if (pre.some((v) => v > 1e-12 * scale)) return `on a fresh layer (seed ${seed}) some pre-activation of your x is positive, so the first layer does not output 0.`;
      }
      return true;
    },
  },
  {
    id: "ex4",
    kind: "reading",
    points: 1,
    title: "is final-layers tuning with k = L (every layer trainable) limited by the same mechanism? (true/false)",
    hint: "where does the collapse come from — a layer that is frozen, or one that is trained?",
    check(answer) {
      if (typeof answer !== "boolean") return wrongType("true or false");
      // The lemma needs a frozen first layer (it collapses a region); with k = L no layer is frozen.
      const k = EX1.L, frozenLayers = EX1.L - k;
      return answer === frozenLayers > 0;
    },
  },
];
