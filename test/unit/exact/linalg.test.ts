import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { Matrix } from "ml-matrix";
import { randomNormal } from "../../../lib/src/linalg/draw";
import { frobeniusNorm, identity, invert, product, spectralNorm, sub, toArray, toMatrix } from "../../../lib/src/linalg/matrix";
import { stream } from "../../../lib/src/linalg/random";
import { lowRankApprox, numericalRank, singularValues, svd } from "../../../lib/src/linalg/svd";
import { AssumptionError } from "../../../lib/src/errors";
import { randomRankK } from "./helpers";

function orthogonalityDefect(Q: Matrix): number {
  return frobeniusNorm(sub(Q.transpose().mmul(Q), identity(Q.columns)));
}

test("random streams: same seed same numbers, purposes independent", () => {
  const a = stream(5, "weights").normals(1000);
  const b = stream(5, "weights").normals(1000);
  assert.deepEqual(a, b);
  const c = stream(5, "test").normals(1000);
  const d = stream(6, "weights").normals(1000);
  assert.notDeepEqual(a, c);
  assert.notDeepEqual(a, d);
  let corr = 0;
  for (let i = 0; i < 1000; i++) corr += a[i] * c[i];
  assert.ok(Math.abs(corr / 1000) < 0.15, `purposes correlate: ${corr / 1000}`);
});

test("svd: sorted, complete and reconstructing, also rank-deficient and wide", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 1000 }), (m, n, seed) => {
      const M = randomNormal(stream(seed, "svd"), m, n);
      const { U, s, V } = svd(M);
      for (let i = 1; i < s.length; i++) assert.ok(s[i - 1] >= s[i]);
      assert.ok(orthogonalityDefect(U) < 1e-12 && orthogonalityDefect(V) < 1e-12);
      const S = Matrix.zeros(m, n);
      s.forEach((x, i) => S.set(i, i, x));
      assert.ok(frobeniusNorm(sub(U.mmul(S).mmul(V.transpose()), M)) < 1e-12 * (1 + s[0]));
    }),
    { numRuns: 40 },
  );
  for (const k of [0, 1, 3]) {
    const M = randomRankK(k + 1, 6, k);
    const { U, V } = svd(M);
    assert.ok(orthogonalityDefect(U) < 1e-12 && orthogonalityDefect(V) < 1e-12, `rank ${k}: bases incomplete`);
    assert.equal(numericalRank(M), k);
  }
});

test("LR_r is the Eckart–Young optimum: ‖M − LR_r(M)‖₂ = σ_{r+1}", () => {
  const M = randomNormal(stream(1, "ey"), 7, 7);
  const s = singularValues(M);
  for (let r = 0; r <= 7; r++) {
    const err = spectralNorm(sub(M, lowRankApprox(M, r)));
    assert.ok(Math.abs(err - (s[r] ?? 0)) < 1e-12 * s[0]);
  }
});

test("product is in decreasing index order; helpers convert", () => {
  const A = toMatrix([[1, 2], [0, 1]]);
  const B = toMatrix([[0, 1], [1, 0]]);
  assert.deepEqual(toArray(product([A, B])), toArray(B.mmul(A)));
  assert.deepEqual(toArray(product([], 2)), [[1, 0], [0, 1]]);
});

test("invert names the singular matrix", () => {
  const S = toMatrix([[1, 2], [2, 4]]);
  assert.throws(() => invert(S, "frozen layer 2", "Assumption 1 fails"), (e: unknown) => e instanceof AssumptionError && /frozen layer 2 is singular \(σ_min = .*\): Assumption 1 fails/.test(e.message));
  const I = invert(toMatrix([[2, 0], [0, 4]]));
  assert.deepEqual(toArray(I), [[0.5, 0], [0, 0.25]]);
});
