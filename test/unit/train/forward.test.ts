import { test } from "node:test";
import assert from "node:assert/strict";
import { stream } from "../../../lib/src/linalg/random";
import { forwardFNN, forwardTransformer } from "../../../lib/src/models/forward";
import { initAdapters, initTransformerAdapters } from "../../../lib/src/models/init";
import { mergeFNN, mergeTransformer } from "../../../lib/src/models/merge";
import { gaussianInputs, transformerInputs } from "../../../lib/src/models/sample";
import { makeFNNPair, makeTransformerPair } from "../../../lib/src/models/targets";
import { initBackend, tf } from "../../../lib/src/tf/backend";
import { columnsToRows, rowsToColumns, sequencesToTensor, tensorToSequences } from "../../../lib/src/tf/convert";
import { forwardFNNTf, forwardTransformerTf } from "../../../lib/src/tf/forward";
import type { Matrix } from "ml-matrix";

/** max |M_ij| (ml-matrix's `abs` works in place: clone first). */
function maxAbs(M: Matrix): number {
  return M.clone().abs().max();
}

test("float32 tfjs FNN forward agrees with the float64 engine (with adapters)", async () => {
  await initBackend();
  const { frozen } = makeFNNPair({ width: 16, targetDepth: 1, frozenDepth: 3, activation: "relu", bias: true, seed: 1 });
  const ad = initAdapters(frozen, [2, 4, 3], 0.25, stream(1, "adapters"));
  ad.adapters.forEach((a, l) => a.A.apply((i, j) => void a.A.set(i, j, 0.1 * Math.sin(i + 3 * j + l))));
  const X = gaussianInputs(stream(1, "test"), 16, 64);
  const y64 = forwardFNN(mergeFNN(frozen, ad), X);
  const before = tf.memory().numTensors;
  const Xt = columnsToRows(X);
  const Yt = forwardFNNTf(frozen, ad, Xt);
  const y32 = rowsToColumns(Yt);
  tf.dispose([Xt, Yt]);
  assert.equal(tf.memory().numTensors, before);
  assert.ok(maxAbs(y64.clone().sub(y32)) <= 1e-5 * Math.max(1, maxAbs(y64)));
});

test("float32 tfjs Transformer forward agrees with the float64 engine (with adapters)", async () => {
  await initBackend();
  const { frozen } = makeTransformerPair({ width: 8, depth: 2, heads: 2, seed: 2 });
  const ad = initTransformerAdapters(frozen, 2, 0.25, stream(2, "adapters"));
  ad.blocks[0].heads[1].WQ.A.set(0, 0, 0.3);
  ad.Wo.A.set(1, 1, -0.2);
  const Xs = transformerInputs(stream(2, "test"), 8, 5, 12);
  const y64 = forwardTransformer(mergeTransformer(frozen, ad), Xs);
  const Xt = sequencesToTensor(Xs);
  const Yt = forwardTransformerTf(frozen, ad, Xt);
  const y32 = tensorToSequences(Yt);
  tf.dispose([Xt, Yt]);
  const scale = Math.max(1, ...y64.map(maxAbs));
  const err = Math.max(...y64.map((M, i) => maxAbs(M.clone().sub(y32[i]))));
  // Attention matrices are N(0,1): scores reach ~10², and softmax amplifies float32 rounding.
  assert.ok(err <= 1e-4 * scale, `max error ${err} vs scale ${scale}`);
});
