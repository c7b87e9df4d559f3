/**
 * Singular value decomposition with the guarantees the constructions need: singular values
 * sorted in decreasing order, and complete orthonormal singular-vector bases
 * (ml-matrix returns a thin U for tall matrices and may leave columns that belong to zero
 * singular values unnormalised; we sort, re-orthonormalise and complete).
 */
import { Matrix, SingularValueDecomposition } from "ml-matrix";
import { NumericError, RankError } from "../errors";

/** `M = U diag(s) Vᵀ` with `U` m×m and `V` n×n orthogonal, `s` (length min(m,n)) decreasing. */
export interface SVD {
  U: Matrix;
  s: number[];
  V: Matrix;
}

/** Full SVD, singular values sorted decreasingly, U and V completed to orthogonal matrices. */
export function svd(M: Matrix): SVD {
  const m = M.rows;
  const n = M.columns;
  if (m === 0 || n === 0) throw new RankError(`cannot take the SVD of an empty ${m}×${n} matrix`);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      if (!Number.isFinite(M.get(i, j))) throw new NumericError(`SVD of a matrix with a ${String(M.get(i, j))} entry at (${i + 1}, ${j + 1})`);
    }
  }
  if (m < n) {
    const t = svd(M.transpose());
    return { U: t.V, s: t.s, V: t.U };
  }
  const dec = new SingularValueDecomposition(M, { autoTranspose: false });
  const k = n; // m ≥ n
  const raw = dec.diagonal.slice(0, k).map((x) => Math.abs(x));
  const order = raw.map((_, i) => i).sort((a, b) => raw[b] - raw[a]);
  const s = order.map((i) => raw[i]);
  const Uraw = dec.leftSingularVectors;
  const Vraw = dec.rightSingularVectors;
  const U = new Matrix(m, m);
  const V = new Matrix(n, n);
  order.forEach((src, dst) => {
    for (let i = 0; i < m; i++) U.set(i, dst, src < Uraw.columns ? Uraw.get(i, src) : 0);
    for (let i = 0; i < n; i++) V.set(i, dst, Vraw.get(i, src));
  });
  const tol = (s[0] ?? 0) * Math.max(m, n) * Number.EPSILON;
  // Columns of numerically-zero singular values are only defined up to an orthonormal basis of
  // the null space: re-orthonormalise them (and add the missing columns of U).
  const trustedU = s.filter((x) => x > tol).length;
  completeOrthonormal(U, trustedU);
  completeOrthonormal(V, trustedU);
  return { U, s, V };
}

/**
 * Keeps columns `0..keep−1` of the square matrix Q and replaces the others by an orthonormal
 * completion (modified Gram–Schmidt twice, seeded by the existing column or standard vectors).
 */
function completeOrthonormal(Q: Matrix, keep: number): void {
  const n = Q.rows;
  const cols: Float64Array[] = [];
  for (let j = 0; j < keep; j++) cols.push(Float64Array.from(Q.getColumn(j)));
  const candidates: Float64Array[] = [];
  for (let j = keep; j < Q.columns; j++) candidates.push(Float64Array.from(Q.getColumn(j)));
  for (let e = 0; e < n; e++) {
    const v = new Float64Array(n);
    v[e] = 1;
    candidates.push(v);
  }
  for (const c of candidates) {
    if (cols.length >= n) break;
    const v = Float64Array.from(c);
    const before = Math.hypot(...v);
    if (before === 0) continue;
    for (let pass = 0; pass < 2; pass++) {
      for (const q of cols) {
        let d = 0;
        for (let i = 0; i < n; i++) d += q[i] * v[i];
        for (let i = 0; i < n; i++) v[i] -= d * q[i];
      }
    }
    const norm = Math.hypot(...v);
    if (norm < 1e-8 * before) continue;
    for (let i = 0; i < n; i++) v[i] /= norm;
    cols.push(v);
  }
  for (let j = keep; j < n; j++) for (let i = 0; i < n; i++) Q.set(i, j, cols[j][i]);
}

/** Singular values `σ₁ ≥ … ≥ σ_min(m,n)` (NumericError for NaN/Infinity entries). */
export function singularValues(M: Matrix): number[] {
  const m = M.rows;
  const n = M.columns;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      if (!Number.isFinite(M.get(i, j))) throw new NumericError(`singular values of a matrix with a ${String(M.get(i, j))} entry at (${i + 1}, ${j + 1})`);
    }
  }
  const A = m < n ? M.transpose() : M;
  const dec = new SingularValueDecomposition(A, {
    computeLeftSingularVectors: false,
    computeRightSingularVectors: false,
  });
  return dec.diagonal
    .slice(0, Math.min(m, n))
    .map((x) => Math.abs(x))
    .sort((a, b) => b - a);
}

/** `σ_i(M)` with the paper's 1-based index; `σ_i = 0` for i > min(m, n). */
export function sigma(M: Matrix, i: number): number {
  if (!Number.isInteger(i) || i < 1) throw new RankError(`singular value index ${i} must be an integer ≥ 1`);
  const s = singularValues(M);
  return i <= s.length ? s[i - 1] : 0;
}

/** Default tolerance of `numericalRank`: `σ₁ · max(m, n) · eps` (numpy.linalg.matrix_rank). */
export function defaultRankTolerance(M: Matrix, s: number[] = singularValues(M)): number {
  return (s[0] ?? 0) * Math.max(M.rows, M.columns) * Number.EPSILON;
}

/** Number of singular values above `tol` (default `σ₁ · max(m, n) · eps`, as numpy). */
export function numericalRank(M: Matrix, tol?: number): number {
  const s = singularValues(M);
  const t = tol ?? defaultRankTolerance(M, s);
  return s.filter((x) => x > t).length;
}

/**
 * Rank of a mismatch `A − B` between two computed products, counting singular values above
 * `rtol · max(‖A‖₂, ‖B‖₂)` (default rtol 1e-10). Unlike `numericalRank(A − B)`, whose tolerance is
 * relative to the mismatch itself, rounding noise between two equal products (e.g. `W₁⁻¹W₁M` vs `M`)
 * counts as rank 0.
 */
export function differenceRank(A: Matrix, B: Matrix, rtol = 1e-10): number {
  const scale = Math.max(singularValues(A)[0] ?? 0, singularValues(B)[0] ?? 0);
  const D = A.clone().sub(B);
  return numericalRank(D, rtol * scale);
}

/** `LR_r(M)`: the best rank-r approximation (truncated SVD; Eckart–Young–Mirsky). */
export function lowRankApprox(M: Matrix, r: number): Matrix {
  if (!Number.isInteger(r) || r < 0) throw new RankError(`truncation rank ${r} must be a non-negative integer`);
  const { U, s, V } = svd(M);
  const k = Math.min(r, s.length);
  const out = Matrix.zeros(M.rows, M.columns);
  for (let t = 0; t < k; t++) {
    const st = s[t];
    if (st === 0) continue;
    for (let i = 0; i < M.rows; i++) {
      const ui = U.get(i, t) * st;
      if (ui === 0) continue;
      for (let j = 0; j < M.columns; j++) out.set(i, j, out.get(i, j) + ui * V.get(j, t));
    }
  }
  return out;
}
