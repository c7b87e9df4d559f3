// Theorem 3 / Corollary 4 / Theorem 5 on ReLU FNNs, in float64.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { Matrix } from "ml-matrix";
import { constructFNN } from "../../../lib/src/construct/fnn";
import { relativeError, product } from "../../../lib/src/linalg/matrix";
import { stream } from "../../../lib/src/linalg/random";
import { forwardFNN } from "../../../lib/src/models/forward";
import { ballInputs, gaussianInputs } from "../../../lib/src/models/sample";
import { fnnFromWeights, makeFNNPair } from "../../../lib/src/models/targets";
import { fnnErrorBound, fnnThreshold, randomFnnThreshold } from "../../../lib/src/theory/fnn";
import { partitionFromSizes, uniformPartition } from "../../../lib/src/theory/partition";
import { cancellationScale, observe, observed, plus, randomMatrices, randomRankK } from "./helpers";

/** Rounding scale of the adapted trajectory: largest intermediate activation relative to the output (cancellation). */
function trajectoryScale(adapted: ReturnType<typeof constructFNN>["adapted"], X: Matrix, Ybar: Matrix): number {
  let z = X;
  let worst = 1;
  const yn = Ybar.norm("frobenius") || 1;
  for (const { W, b } of adapted.layers) {
    z = W.mmul(z);
    for (let i = 0; i < z.rows; i++) for (let j = 0; j < z.columns; j++) z.set(i, j, Math.max(0, z.get(i, j) + b[i]));
    worst = Math.max(worst, z.norm("frobenius") / yn);
  }
  return worst;
}

const PAIRS: Array<[number, number]> = [[1, 2], [2, 4], [1, 4], [2, 5], [3, 6]];

test("Theorem 3: exact at and above ⌈D/⌊L/L̄⌋⌉, inexact below (D = 16, ReLU, calibrated biases)", () => {
  for (const [Lbar, L] of PAIRS) {
    for (const seed of [0, 1]) {
      const { target, frozen } = makeFNNPair({ width: 16, targetDepth: Lbar, frozenDepth: L, activation: "relu", bias: true, seed });
      const R = randomFnnThreshold(16, L, Lbar);
      assert.equal(fnnThreshold(frozen, target).threshold, R);
      const calib = gaussianInputs(stream(seed, "calibration"), 16, 256);
      const X = gaussianInputs(stream(seed, "test"), 16, 200);
      const Ybar = forwardFNN(target, X);
      for (const r of [R, Math.min(16, R + 1)]) {
        const c = constructFNN(frozen, target, { rank: r, bias: { mode: "calibrate", inputs: calib } });
        const rel = relativeError(forwardFNN(c.adapted, X), Ybar);
        // Rounding scale: large intermediate activations, or adapted weights whose product must
        // cancel back to W̄_i (Lemma 1's factors carry frozen inverses), whichever is larger.
        const kappa = Math.max(
          trajectoryScale(c.adapted, X, Ybar),
          ...c.diagnostics.partition.map((block, i) => cancellationScale(block.map((l) => c.adapted.layers[l].W), target.layers[i].W)),
        );
        observe(`FNN (L̄,L)=(${Lbar},${L}) rel error at threshold`, rel);
        assert.ok(rel < Math.max(1e-9, 1e3 * Number.EPSILON * kappa), `(L̄,L)=(${Lbar},${L}) seed ${seed} R=${r}: ${rel} (κ=${kappa.toExponential(1)})`);
        assert.ok(c.diagnostics.exactExpected);
      }
      const below = constructFNN(frozen, target, { rank: R - 1, bias: { mode: "calibrate", inputs: calib } });
      assert.ok(relativeError(forwardFNN(below.adapted, X), Ybar) > 1e-6, `(L̄,L)=(${Lbar},${L}): below threshold should be inexact`);
    }
  }
});

test("Theorem 3, rigorous biases: exact on every input with ‖x‖ ≤ ρ (small D, property)", () => {
  fc.assert(
    fc.property(fc.integer({ min: 3, max: 8 }), fc.constantFrom<[number, number]>([1, 2], [2, 4], [1, 3]), fc.integer({ min: 0, max: 5000 }), fc.double({ min: 0.5, max: 20, noNaN: true }), (D, [Lbar, L], seed, rho) => {
      const { target, frozen } = makeFNNPair({ width: D, targetDepth: Lbar, frozenDepth: L, activation: "relu", bias: true, seed });
      const R = fnnThreshold(frozen, target).threshold;
      const c = constructFNN(frozen, target, { rank: R, bias: { mode: "bound", rho } });
      const X = ballInputs(stream(seed, "ball"), D, 64, rho);
      const Ybar = forwardFNN(target, X);
      const rel = relativeError(forwardFNN(c.adapted, X), Ybar);
      observe("FNN rigorous-bias rel error (D≤8)", rel);
      assert.ok(rel < Math.max(1e-9, 1e3 * Number.EPSILON * trajectoryScale(c.adapted, X, Ybar)), `D=${D} (${Lbar},${L}) ρ=${rho}: ${rel}`);
    }),
    { numRuns: 40 },
  );
});

test("Theorem 5 (derived bound): ‖f(x) − f̄(x)‖ ≤ Σ_i Π_{k>i}(‖W̄_k‖+E_k) E_i ‖z̄_{i−1}(x)‖ below the threshold", () => {
  fc.assert(
    fc.property(fc.integer({ min: 3, max: 8 }), fc.constantFrom<[number, number]>([1, 2], [2, 4], [2, 3]), fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 7 }), (D, [Lbar, L], seed, r) => {
      const { target, frozen } = makeFNNPair({ width: D, targetDepth: Lbar, frozenDepth: L, activation: "relu", bias: true, seed });
      const R = Math.min(r, D);
      const rho = 4;
      const c = constructFNN(frozen, target, { rank: R, bias: { mode: "bound", rho } });
      const X = ballInputs(stream(seed, "ball"), D, 64, rho);
      const diff = forwardFNN(c.adapted, X).sub(forwardFNN(target, X));
      const bound = fnnErrorBound(frozen, target, R, X);
      for (let j = 0; j < X.columns; j++) {
        const err = Math.hypot(...diff.getColumn(j));
        assert.ok(err <= bound[j] * (1 + 1e-9) + 1e-9, `D=${D} R=${R} column ${j}: ${err} > bound ${bound[j]}`);
      }
    }),
    { numRuns: 40 },
  );
});

test("general partition: unequal discrepancy ranks make a non-uniform partition cheaper", () => {
  const D = 8;
  const Ws = randomMatrices(3, "frozen", D, 4);
  // block [0] must fix a rank-2 discrepancy, block [1,2,3] a rank-6 one
  const Wbar1 = plus(Ws[0], randomRankK(11, D, 2));
  const Wbar2 = plus(product(Ws.slice(1)), randomRankK(12, D, 6));
  const biases = [0, 1].map((i) => Array.from(stream(i, "bias").uniforms(D, -0.3, 0.3)));
  const target = fnnFromWeights([Wbar1, Wbar2], { activation: "relu", biases });
  const frozen = fnnFromWeights(Ws, { activation: "relu", biases: [0, 1, 2, 3].map(() => new Array(D).fill(0)) });
  const custom = partitionFromSizes([1, 3]);
  assert.equal(fnnThreshold(frozen, target, custom).threshold, 2);
  assert.equal(fnnThreshold(frozen, target, uniformPartition(4, 2)).threshold, 4);
  const X = gaussianInputs(stream(3, "test"), D, 100);
  const calib = gaussianInputs(stream(3, "calibration"), D, 256);
  const Ybar = forwardFNN(target, X);
  const good = constructFNN(frozen, target, { rank: 2, partition: custom, bias: { mode: "calibrate", inputs: calib } });
  const bad = constructFNN(frozen, target, { rank: 2, bias: { mode: "calibrate", inputs: calib } });
  const relGood = relativeError(forwardFNN(good.adapted, X), Ybar);
  observe("FNN non-uniform partition rel error", relGood);
  assert.ok(relGood < 1e-9, `non-uniform partition at R=2: ${relGood}`);
  assert.ok(relativeError(forwardFNN(bad.adapted, X), Ybar) > 1e-3, "uniform partition at R=2 should be inexact");
});

test("linear FNN without biases: exact at threshold, and uniform_singular_values has a flat spectrum", () => {
  const { target, frozen } = makeFNNPair({ width: 8, targetDepth: 1, frozenDepth: 2, activation: "linear", bias: false, seed: 4, initMode: "uniform_singular_values" });
  const X = gaussianInputs(stream(4, "test"), 8, 50);
  const Ybar = forwardFNN(target, X);
  const errs = [1, 2, 3, 4].map((r) => relativeError(forwardFNN(constructFNN(frozen, target, { rank: r }).adapted, X), Ybar));
  assert.ok(errs[3] < 1e-10);
  assert.ok(errs[2] > 1e-3);
});

test("FNN: largest errors observed", (t) => {
  for (const [k, v] of Object.entries(observed)) t.diagnostic(`${k}: ${v.toExponential(2)}`);
});
