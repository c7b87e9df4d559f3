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
import { Matrix } from "ml-matrix";
import { taskCrossEntropy } from "../../../lib/src/models/metrics";
import { halvesMatrix, taskLoss } from "../../../lib/src/tf/task";
import { ShapeError } from "../../../lib/src/errors";

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
  // Attention matrices are N(0,1): scores reach ~10², and softmax amplifies float32 rounding. Measured 2.1e-6 × scale;
  // 2e-5 allows ×10 for other backends.
  assert.ok(err <= 2e-5 * scale, `max error ${err} vs scale ${scale}`);
});

test("taskCrossEntropy (float64, columns = examples) equals the training engine's classification losses for both targets; soft labels: at Ŷ = Y it is the labels' entropy", async () => {
  await initBackend();
  const g = stream(21, "ce");
  for (const D of [5, 16]) {
    const n = 40;
    const Y = new Matrix(Array.from({ length: D }, () => Array.from({ length: n }, () => 2 * g.normal())));
    const Yhat = new Matrix(Array.from({ length: D }, () => Array.from({ length: n }, () => 2 * g.normal())));
    for (const task of ["classification", "binary"] as const) {
      for (const ce of ["raw", "softmax"] as const) {
        const halves = task === "binary" ? halvesMatrix(D) : null;
        const rows = (M: Matrix) => tf.tensor2d(M.transpose().to2DArray());
        const [yT, pT] = [rows(Y), rows(Yhat)];
        const want = tf.tidy(() => taskLoss(pT, yT, task, halves, ce).dataSync()[0]);
        tf.dispose([yT, pT, ...(halves ? [halves] : [])]);
        const got = taskCrossEntropy(Y, Yhat, task, ce);
        assert.ok(Math.abs(got - want) <= 1e-5 * Math.abs(want), `${task} ${ce} D=${D}: ${got} vs ${want}`);
        if (ce === "softmax") {
          const self = taskCrossEntropy(Y, Y, task, ce);
          assert.ok(self > 0 && self < got, `${task} D=${D}: entropy ${self} is the minimum`);
        }
      }
      // The raw targets differ from the soft labels' loss (a bug that ignored ce_target would pass the loop above).
      assert.ok(Math.abs(taskCrossEntropy(Y, Yhat, task, "raw") - taskCrossEntropy(Y, Yhat, task, "softmax")) > 0.1, `${task} D=${D}: raw and softmax targets differ`);
    }
  }
  assert.throws(() => taskCrossEntropy(new Matrix(2, 3), new Matrix(3, 2), "binary", "raw"), ShapeError);
});
