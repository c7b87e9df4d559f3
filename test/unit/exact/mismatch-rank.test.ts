// Mismatch ranks ignore rounding noise between equal products (a frozen model equal to its target
// needs rank 0), while genuine mismatches keep their rank.
import assert from "node:assert/strict";
import { test } from "node:test";
import { randomNormal } from "../../../lib/src/linalg/draw";
import { invert } from "../../../lib/src/linalg/matrix";
import { stream } from "../../../lib/src/linalg/random";
import { differenceRank, numericalRank } from "../../../lib/src/linalg/svd";
import { makeFNNPair, makeTransformerPair } from "../../../lib/src/models/targets";
import { fnnThreshold } from "../../../lib/src/theory/fnn";
import { transformerThreshold } from "../../../lib/src/theory/transformer";

test("differenceRank: W₁⁻¹W₁M vs M is rank 0 (numericalRank of the difference says full rank)", () => {
  const rng = stream(3, "weights");
  const W = randomNormal(rng, 16, 16);
  const M = randomNormal(rng, 16, 16);
  const roundTrip = invert(W).mmul(W).mmul(M);
  assert.equal(differenceRank(roundTrip, M), 0);
  assert.ok(numericalRank(roundTrip.clone().sub(M)) > 0, "the difference is pure rounding noise, not exactly zero");
  const rank3 = randomNormal(rng, 16, 3).mmul(randomNormal(rng, 3, 16));
  assert.equal(differenceRank(M.clone().add(rank3), M), 3);
});

test("a Transformer adapted to itself needs rank 0 (Theorem 7's G_i are all 0)", () => {
  const { target } = makeTransformerPair({ width: 16, depth: 2, heads: 2, seed: 0 });
  const th = transformerThreshold(target, target);
  assert.deepEqual(th.G, [0, 0, 0]);
  assert.equal(th.threshold, 0);
});

test("an FNN whose blocks already compute the target layers needs rank 0", () => {
  const { frozen } = makeFNNPair({ width: 8, targetDepth: 2, frozenDepth: 4, activation: "relu", bias: true, seed: 1 });
  const target = { ...frozen, layers: [0, 1].map((i) => ({ W: frozen.layers[2 * i + 1].W.mmul(frozen.layers[2 * i].W), b: frozen.layers[2 * i + 1].b })) };
  assert.deepEqual(fnnThreshold(frozen, target).discrepancyRanks, [0, 0]);
});
