/**
 * Float64 matrix helpers on `ml-matrix` (PAPER.md §1 conventions).
 *
 * Every function here returns NEW matrices (ml-matrix's instance `add`/`sub`/`mul` mutate; we
 * never call them on an argument). Products are written in decreasing index order:
 * `product([W1, …, WL]) = W_L ··· W_1`.
 */
import { Matrix, inverse as luInverse } from "ml-matrix";
import { AssumptionError, NumericError, ShapeError } from "../errors";
import { singularValues } from "./svd";

/** Machine epsilon of float64, 2⁻⁵². */
export const EPS = Number.EPSILON;

/** A Matrix from rows (`number[][]`). */
export function toMatrix(rows: number[][]): Matrix {
  return new Matrix(rows);
}

/** Rows of a Matrix as plain arrays. */
export function toArray(M: Matrix): number[][] {
  return M.to2DArray();
}

/** The n×n identity. */
/**
 * `Mᵀ` as a row-major typed array `[M.columns, M.rows]` (`out[j·rows + i] = M(i, j)`), float32 (the
 * training engines' weights, rounded on store) or float64: the one transpose-and-flatten both
 * engines upload weights with.
 */
export function transposedData(M: Matrix): Float32Array;
export function transposedData(M: Matrix, precision: "float64"): Float64Array;
export function transposedData(M: Matrix, precision: "float32" | "float64" = "float32"): Float32Array | Float64Array {
  const out = precision === "float64" ? new Float64Array(M.rows * M.columns) : new Float32Array(M.rows * M.columns);
  for (let i = 0; i < M.rows; i++) for (let j = 0; j < M.columns; j++) out[j * M.rows + i] = M.get(i, j);
  return out;
}

export function identity(n: number): Matrix {
  return Matrix.eye(n, n);
}

/** The m×n zero matrix. */
export function zeros(m: number, n: number): Matrix {
  return Matrix.zeros(m, n);
}

/** `A + B` (new matrix). */
export function add(A: Matrix, B: Matrix): Matrix {
  assertSameShape(A, B, "add");
  return Matrix.add(A, B);
}

/** `A − B` (new matrix). */
export function sub(A: Matrix, B: Matrix): Matrix {
  assertSameShape(A, B, "sub");
  return Matrix.sub(A, B);
}

/** `c · A` (new matrix). */
export function scale(A: Matrix, c: number): Matrix {
  return Matrix.mul(A, c);
}

/** `A B` with a shape check. */
export function mmul(A: Matrix, B: Matrix): Matrix {
  if (A.columns !== B.rows) {
    throw new ShapeError(`cannot multiply ${A.rows}×${A.columns} by ${B.rows}×${B.columns}: inner sizes differ`);
  }
  return A.mmul(B);
}

/** `Π_{l=1..L} W_l = W_L ··· W_1`; the empty product is the identity of size `size`. */
export function product(Ws: readonly Matrix[], size?: number): Matrix {
  if (Ws.length === 0) {
    if (size === undefined) throw new ShapeError("empty product needs its size: pass product([], D)");
    return identity(size);
  }
  let P = Ws[0].clone();
  for (let l = 1; l < Ws.length; l++) P = mmul(Ws[l], P);
  return P;
}

/** Spectral norm ‖M‖₂ = σ₁(M). */
export function spectralNorm(M: Matrix): number {
  return singularValues(M)[0] ?? 0;
}

/**
 * `x` when finite, else `NumericError` naming `what`. The library's numeric entry points (norms,
 * errors, losses, singular values) check their result, or their input, with this instead of
 * returning NaN: a sum of squares is non-finite exactly when an entry is NaN/±Infinity or it overflows.
 */
export function finiteResult(x: number, what: string): number {
  if (!Number.isFinite(x)) {
    throw new NumericError(`${what} is ${String(x)}: an input holds NaN or Infinity (or entries so large that their squares overflow)`);
  }
  return x;
}

/** Frobenius norm ‖M‖_F (NumericError for NaN/Infinity entries). */
export function frobeniusNorm(M: Matrix): number {
  let s = 0;
  for (let i = 0; i < M.rows; i++) {
    for (let j = 0; j < M.columns; j++) {
      const v = M.get(i, j);
      s += v * v;
    }
  }
  return finiteResult(Math.sqrt(s), "Frobenius norm");
}

/** Euclidean norm of a vector (NumericError for NaN/Infinity entries). */
export function vectorNorm(v: readonly number[]): number {
  let s = 0;
  for (const x of v) s += x * x;
  return finiteResult(Math.sqrt(s), "vector norm");
}

/** Largest Euclidean norm of a row (bounds every coordinate: |(M y)_i| ≤ maxRowNorm(M)·‖y‖). */
export function maxRowNorm(M: Matrix): number {
  let best = 0;
  for (let i = 0; i < M.rows; i++) best = Math.max(best, vectorNorm(M.getRow(i)));
  return best;
}

/** Relative error `‖F − F̄‖_F / ‖F̄‖_F` (absolute when ‖F̄‖_F = 0); NumericError for NaN/Infinity entries. */
export function relativeError(F: Matrix, Fbar: Matrix): number {
  assertFinite(F, "relative error: F");
  assertFinite(Fbar, "relative error: F̄");
  const num = frobeniusNorm(sub(F, Fbar));
  const den = frobeniusNorm(Fbar);
  return den === 0 ? num : num / den;
}

/** Whether every entry is finite. */
export function isFiniteMatrix(M: Matrix): boolean {
  for (let i = 0; i < M.rows; i++) {
    for (let j = 0; j < M.columns; j++) if (!Number.isFinite(M.get(i, j))) return false;
  }
  return true;
}

/** Throws NumericError naming `what` when `M` holds NaN or ±Infinity. */
export function assertFinite(M: Matrix | readonly number[], what: string): void {
  const ok = Array.isArray(M) ? (M as readonly number[]).every(Number.isFinite) : isFiniteMatrix(M as Matrix);
  if (!ok) throw new NumericError(`${what} is not finite (NaN or Infinity): the inputs are too ill-conditioned or too large`);
}

/** Throws ShapeError unless `M` is `rows×cols`. */
export function assertShape(M: Matrix, rows: number, cols: number, what: string): void {
  if (M.rows !== rows || M.columns !== cols) {
    throw new ShapeError(`${what} is ${M.rows}×${M.columns}, expected ${rows}×${cols}`);
  }
}

function assertSameShape(A: Matrix, B: Matrix, op: string): void {
  if (A.rows !== B.rows || A.columns !== B.columns) {
    throw new ShapeError(`cannot ${op} ${A.rows}×${A.columns} and ${B.rows}×${B.columns}: shapes differ`);
  }
}

/** Default singularity tolerance of a square matrix: `σ₁ · n · eps` (numpy's matrix_rank rule). */
export function singularTolerance(sigma1: number, n: number): number {
  return sigma1 * n * EPS;
}

/**
 * `M⁻¹`, after checking that M is square and numerically invertible (σ_min > σ₁·n·eps).
 * Throws `AssumptionError("<what> is singular (σ_min = …): <consequence>")` otherwise.
 */
export function invert(M: Matrix, what = "matrix", consequence = "it must be invertible"): Matrix {
  if (M.rows !== M.columns) throw new ShapeError(`${what} is ${M.rows}×${M.columns}: only square matrices can be inverted`);
  assertFinite(M, what);
  const s = singularValues(M);
  const smin = s[s.length - 1];
  if (!(smin > singularTolerance(s[0], M.rows))) {
    throw new AssumptionError(`${what} is singular (σ_min = ${smin.toExponential(1)}): ${consequence}`);
  }
  const inv = luInverse(M);
  assertFinite(inv, `inverse of ${what}`);
  return inv;
}

/** `M + v 1ᵀ`: adds the column vector `v` to every column. */
export function addColumn(M: Matrix, v: readonly number[]): Matrix {
  if (v.length !== M.rows) throw new ShapeError(`bias has length ${v.length}, expected ${M.rows}`);
  const out = M.clone();
  for (let i = 0; i < M.rows; i++) {
    const vi = v[i];
    if (vi === 0) continue;
    for (let j = 0; j < M.columns; j++) out.set(i, j, out.get(i, j) + vi);
  }
  return out;
}

/** Entrywise ReLU (new matrix). */
export function relu(M: Matrix): Matrix {
  const out = M.clone();
  for (let i = 0; i < M.rows; i++) {
    for (let j = 0; j < M.columns; j++) if (out.get(i, j) < 0) out.set(i, j, 0);
  }
  return out;
}

/** `M v` for a plain vector. */
export function matVec(M: Matrix, v: readonly number[]): number[] {
  if (v.length !== M.columns) throw new ShapeError(`vector has length ${v.length}, expected ${M.columns}`);
  const out = new Array<number>(M.rows).fill(0);
  for (let i = 0; i < M.rows; i++) {
    let s = 0;
    for (let j = 0; j < M.columns; j++) s += M.get(i, j) * v[j];
    out[i] = s;
  }
  return out;
}

/** Smallest entry of a matrix (+Infinity for an empty one; NumericError for NaN/Infinity entries). */
export function minEntry(M: Matrix): number {
  let m = Infinity;
  for (let i = 0; i < M.rows; i++) for (let j = 0; j < M.columns; j++) m = Math.min(m, M.get(i, j));
  if (M.rows * M.columns > 0) finiteResult(m, "smallest entry");
  return m;
}
