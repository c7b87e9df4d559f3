// Every error path: typed error whose message names the violated condition (and layer/head).
import assert from "node:assert/strict";
import { test } from "node:test";
import { Matrix } from "ml-matrix";
import { constructFNN } from "../../../lib/src/construct/fnn";
import { lemma1Construct } from "../../../lib/src/construct/lemma1";
import { constructTransformer } from "../../../lib/src/construct/transformer";
import { AssumptionError, DepthError, PartitionError, RankError, ShapeError } from "../../../lib/src/errors";
import { identity, toMatrix } from "../../../lib/src/linalg/matrix";
import { forwardFNN } from "../../../lib/src/models/forward";
import { mergeFNN } from "../../../lib/src/models/merge";
import { fnnFromWeights, makeFNNPair, makeTransformerPair } from "../../../lib/src/models/targets";
import { assumptionHolds, checkLemma1Assumptions } from "../../../lib/src/theory/assumptions";
import { uniformPartition, validatePartition } from "../../../lib/src/theory/partition";
import { randomMatrices } from "./helpers";

function throwsWith<E extends Error>(fn: () => unknown, cls: new (...a: never[]) => E, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${String(e)}`);
    assert.match((e as Error).message, pattern);
    return true;
  });
}

const Ws = randomMatrices(1, "frozen", 4, 2);
const T = randomMatrices(1, "target", 4, 1)[0];

test("rank < 1 and rank > D", () => {
  throwsWith(() => lemma1Construct(Ws, T, 0), RankError, /rank 0 is below 1/);
  throwsWith(() => lemma1Construct(Ws, T, 5), RankError, /rank 5 exceeds width 4/);
  throwsWith(() => lemma1Construct(Ws, T, [1, 2, 3]), RankError, /3 per-layer ranks for 2 layers/);
  throwsWith(() => lemma1Construct(Ws, T, [1, 9]), RankError, /rank of layer 2 9 exceeds width 4/);
});

test("L < L̄", () => {
  const { target } = makeFNNPair({ width: 4, targetDepth: 2, frozenDepth: 2, activation: "relu", bias: true, seed: 0 });
  const frozen = fnnFromWeights([Ws[0]], { activation: "relu", biases: [[0, 0, 0, 0]] });
  throwsWith(() => constructFNN(frozen, target, { rank: 2 }), DepthError, /frozen depth 1 is below target depth 2/);
  throwsWith(() => makeFNNPair({ width: 4, targetDepth: 3, frozenDepth: 2, activation: "relu", bias: true, seed: 0 }), DepthError, /below target depth 3/);
});

test("non-consecutive and non-covering partitions", () => {
  throwsWith(() => validatePartition([[0, 2], [1, 3]], 4, 2), PartitionError, /block 1 \[0, 2\] is not consecutive/);
  throwsWith(() => validatePartition([[1], [0]], 2, 2), PartitionError, /not consecutive/);
  throwsWith(() => validatePartition([[0], [1]], 3, 2), PartitionError, /covers 2 of 3 frozen layers/);
  throwsWith(() => validatePartition([[0], [], [1]], 2), PartitionError, /block 2 is empty/);
  throwsWith(() => validatePartition([[0, 1]], 2, 2), PartitionError, /1 blocks but the target has 2 layers/);
  assert.deepEqual(uniformPartition(5, 2), [[0, 1], [2, 3, 4]]);
});

test("shape mismatches", () => {
  throwsWith(() => lemma1Construct([randomMatrices(1, "x", 3, 1)[0], Ws[1]], T, 1), ShapeError, /frozen layer 1 is 3×3, expected 4×4/);
  const f = fnnFromWeights(Ws);
  throwsWith(() => forwardFNN(f, Matrix.zeros(3, 2)), ShapeError, /3 rows, expected width 4/);
  throwsWith(() => mergeFNN(f, { adapters: [], biases: null }), ShapeError, /0 adapters for 2 layers/);
});

test("singular frozen matrix names the layer (FNN, Lemma 1) and the head (Transformer)", () => {
  const S = toMatrix([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]]);
  throwsWith(() => lemma1Construct([Ws[0], S], T, 2), AssumptionError, /frozen layer 2 is singular \(σ_min = .*\): Assumption 1 fails/);
  const { target } = makeFNNPair({ width: 4, targetDepth: 2, frozenDepth: 4, activation: "relu", bias: true, seed: 0 });
  const frozen = fnnFromWeights([Ws[0], Ws[1], S, Ws[0]], { activation: "relu", biases: [0, 1, 2, 3].map(() => [0, 0, 0, 0]) });
  throwsWith(() => constructFNN(frozen, target, { rank: 2 }), AssumptionError, /frozen layer 3 is singular/);
  const pair = makeTransformerPair({ width: 4, depth: 1, heads: 2, seed: 0 });
  pair.frozen.blocks[0].heads[1].WQ = S;
  throwsWith(() => constructTransformer(pair.frozen, pair.target, 2), AssumptionError, /frozen block 1 head 2 W_Q is singular/);
  const pair2 = makeTransformerPair({ width: 4, depth: 1, heads: 1, seed: 0 });
  pair2.frozen.blocks[0].W1 = S;
  throwsWith(() => constructTransformer(pair2.frozen, pair2.target, 2), AssumptionError, /frozen block 1 W_1 is singular/);
});

test("singular intermediate product W_L···W_1 + LR_r(E) is named", () => {
  // W_1 = W_2 = I, W̄ = diag(0, 1.5, 1, 1): E = diag(−1, 0.5, 0, 0), I + LR_1(E) = diag(0, 1, 1, 1).
  const I = identity(4);
  const target = toMatrix([[0, 0, 0, 0], [0, 1.5, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]);
  throwsWith(() => lemma1Construct([I, I], target, 1, { context: "block 1" }), AssumptionError, /block 1: adapted product below frozen layer 2 is singular .*Lemma 1's invertibility hypothesis fails/);
  throwsWith(() => checkLemma1Assumptions([I, I], target, [1, 1]), AssumptionError, /intermediate product Π W \+ LR_1\(E\) after adapting layer 1 is singular/);
  const report = assumptionHolds(() => checkLemma1Assumptions([I, I], target, [1, 1]));
  assert.equal(report.ok, false);
  assert.equal(assumptionHolds(() => checkLemma1Assumptions(Ws, T, [2, 2])).ok, true);
});
