/** Notebook 05 · Deep targets, partitions, per-layer ranks, and why final layers cannot match LoRA. */
import type { Matrix } from "ml-matrix";
import { add, addColumn, frobeniusNorm, mmul, relativeError, relu, sub } from "../linalg/matrix";
import { randomNormal } from "../linalg/draw";
import { stream } from "../linalg/random";
import { constructFNN } from "../construct/fnn";
import { forwardFNN } from "../models/forward";
import { gaussianInputs } from "../models/sample";
import { makeFNNPair } from "../models/targets";
import type { FNN } from "../models/types";
import { fnnThreshold, randomFnnThreshold } from "../theory/fnn";
import { validatePartition, type Partition } from "../theory/partition";
import { type Exercise, type Verdict, twoParts, isIntegerArray, isFunction, isInteger, isMatrix, isRecord, wrongType } from "./types";

const D = 16;
const EX1 = { D: 12, L: 6, Lbar: 2 };
const EX2 = { seed: 21, rank: 6, L: 4, Lbar: 2, changeRank: 3 };

/**
 * Exercise 2's pair: L = 4, L̄ = 2, and the target's second layer equals the last frozen layer plus a
 * rank-3 matrix (W̄₂ = W₄ + Δ). Used by the notebook and by the checker (one definition).
 */
export function partitionExercisePair(): { frozen: FNN; target: FNN } {
  const pair = makeFNNPair({ width: D, targetDepth: EX2.Lbar, frozenDepth: EX2.L, activation: "relu", bias: true, seed: EX2.seed });
  const rng = stream(EX2.seed, "weights");
  pair.target.layers[1].W = add(pair.frozen.layers[EX2.L - 1].W, mmul(randomNormal(rng, D, EX2.changeRank, 0.3), randomNormal(rng, EX2.changeRank, D, 0.3)));
  return pair;
}

function isPartition(x: unknown): x is Partition {
  return Array.isArray(x) && x.every((b) => Array.isArray(b) && b.every(isInteger));
}

function firstLayer(W: Matrix, b: number[], X: Matrix): Matrix {
  return relu(addColumn(W.mmul(X), b));
}

/** Checker of "Corollary 4's smallest exact rank for random weights at D, L, L̄" (notebooks 05 and 09). */
export function randomThresholdCheck(p: { D: number; L: number; Lbar: number }): (answer: unknown) => Verdict {
  return (answer) => {
    if (!isInteger(answer)) return wrongType("a whole number (a rank)");
    return answer === randomFnnThreshold(p.D, p.L, p.Lbar);
  };
}

export const notebook05: Exercise[] = [
  {
    id: "ex1",
    kind: "numeric",
    points: 1,
    title: `Corollary 4 threshold for D = ${EX1.D}, L = ${EX1.L}, L̄ = ${EX1.Lbar} (uniform partition, random weights)`,
    hint: "how many frozen layers does each target layer get under the uniform partition, and what is the rank of each block's discrepancy?",
    check: randomThresholdCheck(EX1),
  },
  {
    id: "ex2",
    kind: "construction",
    points: 3,
    title: `a partition of partitionExercisePair() that is exact at rank ${EX2.rank} (the uniform one needs more)`,
    hint: "a block's threshold is ⌈rank of its discrepancy / its number of layers⌉: which target layer is cheap to reach, and from which frozen layers?",
    check(answer) {
      if (!isPartition(answer)) return wrongType("a partition: an array of blocks of 0-based layer indices, e.g. [[0, 1], [2, 3]]");
      try {
        validatePartition(answer, EX2.L, EX2.Lbar);
      } catch (e) {
        return `not a valid partition: ${(e as Error).message}`;
      }
      const p = partitionExercisePair();
      const X = gaussianInputs(stream(EX2.seed, "test"), D, 500);
      const err = relativeError(forwardFNN(constructFNN(p.frozen, p.target, { rank: EX2.rank, partition: answer }).adapted, X), forwardFNN(p.target, X));
      return err < 1e-7 || `a valid partition, but the construction at rank ${EX2.rank} is not exact with it (relative error ${err.toExponential(1)}).`;
    },
  },
  {
    id: "ex3",
    kind: "derivation",
    points: 2,
    title: "section 4a's target: an exact per-layer allocation [R1, R2, R3, R4] with R1 = 2, and the smallest exact total rank",
    hint: "Lemma 1 with per-layer ranks: inside a block only the sum of the ranks counts, and each block's sum must reach the rank of its discrepancy.",
    check(answer) {
      if (!isRecord(answer) || !isIntegerArray(answer.allocation) || !isInteger(answer.smallestTotal)) return wrongType("{ allocation: number[], smallestTotal: number }");
      const rs = answer.allocation;
      const deep = makeFNNPair({ width: D, targetDepth: 2, frozenDepth: 4, activation: "relu", bias: true, seed: 0 });
      const X = gaussianInputs(stream(0, "test"), D, 500), Y = forwardFNN(deep.target, X);
      const exact = (ranks: number[]) => relativeError(forwardFNN(constructFNN(deep.frozen, deep.target, { rank: ranks }).adapted, X), Y) < 1e-9;
      const allocationOk = rs.length === 4 && rs[0] === 2 && rs.every((r) => r >= 1 && r <= D) && exact(rs);
      // Lemma 1 per block: the block's ranks must sum to at least rank(discrepancy of the block)
      const smallest = fnnThreshold(deep.frozen, deep.target).discrepancyRanks.reduce((a, r) => a + r, 0);
      const totalOk = answer.smallestTotal === smallest;
      return twoParts(allocationOk, totalOk, "the allocation is exact; the smallest total is off — what must each block's sum reach?", "the smallest total is right; the allocation must have 4 ranks in 1..16, R1 = 2, and be exact.");
    },
  },
  {
    id: "ex4",
    kind: "implementation",
    points: 3,
    title: "collide(W1, b1, x): an input x′ at distance ≥ 1 from x with ReLU(W₁x′ + b₁) = ReLU(W₁x + b₁)",
    hint: "a clipped coordinate (negative pre-activation) can be pushed further down without changing any output; move x along a direction that changes only that coordinate.",
    check(answer) {
      if (!isFunction(answer)) return wrongType("a function (W1: Matrix, b1: number[], x: Matrix) => Matrix");
      for (const seed of [9, 10, 11]) {
        const layer = makeFNNPair({ width: D, targetDepth: 1, frozenDepth: 2, activation: "relu", bias: true, seed: seed }).frozen.layers[0];
        const x0 = gaussianInputs(stream(seed, "test"), D, 1);
        const x1 = answer(layer.W.clone(), [...layer.b], x0.clone());
        if (!isMatrix(x1) || x1.rows !== D || x1.columns !== 1) return `collide must return a ${D}×1 Matrix.`;
        if (frobeniusNorm(sub(x1, x0)) < 1) return "your x′ is closer than 1 to x.";
        if (frobeniusNorm(sub(firstLayer(layer.W, layer.b, x1), firstLayer(layer.W, layer.b, x0))) > 1e-9) return `on a fresh layer (seed ${seed}) the outputs of x′ and x differ.`;
      }
      return true;
    },
  },
];
