// Lemma 1: the construction attains σ_{RL+1}(E), is exact at ⌈rank(E)/L⌉, cannot be beaten.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { adaptedProduct, lemma1Construct } from "../../../lib/src/construct/lemma1";
import { randomNormal } from "../../../lib/src/linalg/draw";
import { add, product, relativeError, spectralNorm, sub } from "../../../lib/src/linalg/matrix";
import { stream } from "../../../lib/src/linalg/random";
import { numericalRank, singularValues } from "../../../lib/src/linalg/svd";
import { delta } from "../../../lib/src/models/merge";
import { discrepancy, lemma1OptimalError, lemma1Threshold } from "../../../lib/src/theory/lemma1";
import { cancellationScale, exactTolerance, observe, observed, plus, randomMatrices, randomRankK } from "./helpers";

const dims = { D: fc.integer({ min: 2, max: 8 }), L: fc.integer({ min: 1, max: 4 }), seed: fc.integer({ min: 0, max: 10_000 }) };

test("Lemma 1: construction's spectral error equals σ_{RL+1}(E) (1e-9 relative)", () => {
  fc.assert(
    fc.property(dims.D, dims.L, dims.seed, fc.integer({ min: 1, max: 8 }), (D, L, seed, r) => {
      const R = Math.min(r, D);
      const Ws = randomMatrices(seed, "frozen", D, L);
      const T = randomMatrices(seed, "target", D, 1)[0];
      const c = lemma1Construct(Ws, T, R);
      const err = spectralNorm(sub(adaptedProduct(c), T));
      const E = discrepancy(T, Ws);
      const opt = lemma1OptimalError(E, R, L);
      const slack = exactTolerance(0, D, cancellationScale(c.adapted, T)) * spectralNorm(T);
      assert.ok(Math.abs(err - opt) <= 1e-9 * opt + slack, `D=${D} L=${L} R=${R}: ${err} vs σ=${opt}`);
      if (opt > 0) observe("lemma1 |err−σ|/σ", Math.abs(err - opt) / opt);
      c.adapters.forEach((a, l) => {
        assert.equal(a.A.columns, R);
        assert.ok(numericalRank(delta(a)) <= R);
        assert.ok(spectralNorm(sub(delta(a), c.deltas[l])) <= 1e-12 * (1 + spectralNorm(c.deltas[l])));
      });
    }),
    { numRuns: 60 },
  );
});

test("Lemma 1: exact (relative error < 1e-10) when R ≥ ⌈rank(E)/L⌉", () => {
  fc.assert(
    fc.property(dims.D, dims.L, dims.seed, fc.integer({ min: 1, max: 8 }), (D, L, seed, k0) => {
      const k = Math.min(k0, D);
      const Ws = randomMatrices(seed, "frozen", D, L);
      const T = plus(product(Ws), randomRankK(seed, D, k));
      const R = lemma1Threshold(discrepancy(T, Ws), L);
      assert.equal(R, Math.ceil(k / L));
      for (const r of [R, Math.min(D, R + 1)]) {
        const c = lemma1Construct(Ws, T, r);
        const rel = relativeError(adaptedProduct(c), T);
        const kappa = cancellationScale(c.adapted, T);
        assert.ok(rel < exactTolerance(1e-10, D, kappa), `D=${D} L=${L} rank(E)=${k} R=${r}: relative error ${rel} (κ=${kappa})`);
        observe("lemma1 exact rel error", rel);
        if (kappa < 1e4) observe("lemma1 exact rel error (κ<1e4)", rel);
      }
      if (R > 1) {
        const below = lemma1Construct(Ws, T, R - 1);
        assert.ok(spectralNorm(sub(adaptedProduct(below), T)) > 1e-6, "below threshold should be inexact");
      }
    }),
    { numRuns: 60 },
  );
});

test("Lemma 1: random rank-R adapters never beat σ_{RL+1}(E)", () => {
  fc.assert(
    fc.property(dims.D, fc.integer({ min: 1, max: 3 }), dims.seed, fc.integer({ min: 1, max: 3 }), fc.double({ min: 0.01, max: 3, noNaN: true }), (D, L, seed, r, scaleB) => {
      const R = Math.min(r, D);
      const Ws = randomMatrices(seed, "frozen", D, L);
      const T = randomMatrices(seed, "target", D, 1)[0];
      const opt = lemma1OptimalError(discrepancy(T, Ws), R, L);
      const rng = stream(seed, "random-adapters");
      const adapted = Ws.map((W) => add(W, randomNormal(rng, D, R, scaleB).mmul(randomNormal(rng, D, R).transpose())));
      const err = spectralNorm(sub(product(adapted), T));
      assert.ok(err >= opt * (1 - 1e-9), `random adapters beat the optimum: ${err} < ${opt}`);
    }),
    { numRuns: 60 },
  );
});

test("Lemma 1 with per-layer ranks: only the total Σ R_l matters", () => {
  fc.assert(
    fc.property(fc.integer({ min: 4, max: 8 }), dims.seed, fc.integer({ min: 2, max: 6 }), (D, seed, total) => {
      const Ws = randomMatrices(seed, "frozen", D, 3);
      const T = randomMatrices(seed, "target", D, 1)[0];
      const E = discrepancy(T, Ws);
      const splits = [
        [total - 2 || 1, 1, 1],
        [1, 1, total - 2 || 1],
        [1, total - 2 || 1, 1],
      ].map((s) => s.map((x) => Math.min(x, D)));
      const errs = splits.map((s) => spectralNorm(sub(adaptedProduct(lemma1Construct(Ws, T, s)), T)));
      const opt = lemma1OptimalError(E, splits[0], 3);
      errs.forEach((e) => assert.ok(Math.abs(e - opt) <= 1e-9 * opt + 1e-9, `${e} vs ${opt}`));
    }),
    { numRuns: 30 },
  );
});

test("Lemma 1 at D = 16, L = 2: exact from R = 8, σ_{2R+1}(E) below", () => {
  const Ws = randomMatrices(0, "frozen", 16, 2);
  const T = randomMatrices(0, "target", 16, 1)[0];
  const E = discrepancy(T, Ws);
  for (let R = 1; R <= 16; R++) {
    const c = lemma1Construct(Ws, T, R);
    const err = spectralNorm(sub(adaptedProduct(c), T));
    if (R === 8) observe("lemma1 D=16 L=2 R=8 rel error", relativeError(adaptedProduct(c), T));
    if (R >= 8) assert.ok(relativeError(adaptedProduct(c), T) < 1e-10);
    else assert.ok(Math.abs(err - singularValues(E)[2 * R]) < 1e-9 * err);
  }
});

test("Lemma 1: largest errors observed", (t) => {
  for (const [k, v] of Object.entries(observed)) t.diagnostic(`${k}: ${v.toExponential(2)}`);
});
