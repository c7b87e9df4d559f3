// Float64 conditioning diagnostics and the rigorous (input-bound) linearisation below the threshold.
import assert from "node:assert/strict";
import { test } from "node:test";
import { constructFNN } from "../../../lib/src/construct/fnn";
import { relativeError } from "../../../lib/src/linalg/matrix";
import { stream } from "../../../lib/src/linalg/random";
import { forwardFNN } from "../../../lib/src/models/forward";
import { ballInputs } from "../../../lib/src/models/sample";
import { makeFNNPair } from "../../../lib/src/models/targets";
import { fnnBlockErrors } from "../../../lib/src/theory/fnn";

test("the construction reports its float64 conditioning and warns when rounding can be large", () => {
  const shallow = makeFNNPair({ width: 16, targetDepth: 1, frozenDepth: 2, activation: "relu", bias: true, seed: 0 });
  const ok = constructFNN(shallow.frozen, shallow.target, { rank: 8 });
  assert.equal(ok.diagnostics.roundingWarning, null);
  assert.ok(ok.diagnostics.roundingScale >= 1 && Number.EPSILON * ok.diagnostics.roundingScale < 1e-6);
  const deep = makeFNNPair({ width: 16, targetDepth: 1, frozenDepth: 8, activation: "relu", bias: true, seed: 0 });
  const bad = constructFNN(deep.frozen, deep.target, { rank: 2 });
  assert.match(bad.diagnostics.roundingWarning ?? "", /ill-conditioned .* float64 rounding may reach/);
});

test("rigorous biases linearise every layer on the ball ‖x‖ ≤ ρ below the threshold too (L̄ = 2, L = 4)", () => {
  for (const seed of [0, 1, 2]) {
    const { frozen, target } = makeFNNPair({ width: 8, targetDepth: 2, frozenDepth: 4, activation: "relu", bias: true, seed });
    for (const rank of [1, 2, 3]) {
      const rho = 6;
      const c = constructFNN(frozen, target, { rank, bias: { mode: "bound", rho } });
      const X = ballInputs(stream(seed, "ball"), 8, 300, rho);
      // Every pre-activation of the inner layer of each block (layers 1 and 3) is non-negative.
      let z = X;
      for (const [l, layer] of c.adapted.layers.entries()) {
        const pre = layer.W.mmul(z);
        for (let j = 0; j < pre.columns; j++) for (let i = 0; i < pre.rows; i++) pre.set(i, j, pre.get(i, j) + layer.b[i]);
        if (l === 0 || l === 2) {
          assert.ok(pre.min() >= 0, `seed ${seed} rank ${rank}: layer ${l + 1} has a negative pre-activation ${pre.min()} on the ball`);
        }
        z = pre.clone();
        for (let j = 0; j < z.columns; j++) for (let i = 0; i < z.rows; i++) z.set(i, j, Math.max(0, z.get(i, j)));
      }
      // Below the threshold the blocks compute W̄_i up to σ_{budget+1}(E_i): the error is positive.
      // (Ranks 1–3 give each 2-layer block a budget of at most 6 < 8 = rank(E_i): the premise always holds, so it is asserted.)
      const blockErrors = fnnBlockErrors(frozen, target, rank);
      assert.ok(blockErrors.some((e) => e > 1e-9), `seed ${seed} rank ${rank}: block errors ${blockErrors.join(", ")}`);
      const rel = relativeError(forwardFNN(c.adapted, X), forwardFNN(target, X));
      assert.ok(rel > 1e-8, `seed ${seed} rank ${rank}: relative error ${rel}`);
    }
  }
});
