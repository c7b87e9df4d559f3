/**
 * Records ↔ tensors. The float64 engine stores examples as COLUMNS (a batch is D×n); the tfjs
 * engine stores them as ROWS (`[n, D]`, a Transformer batch `[n, N, D]`, token-major), so a dense
 * layer is `x·Wᵀ`. Weights are uploaded pre-transposed (`Wᵀ`, shape `[D_in, D_out]`): on the wasm
 * backend a matmul with `transposeB` is several times slower than one without.
 */
import { Matrix } from "ml-matrix";
import { ShapeError } from "../errors";
import { transposedData } from "../linalg/matrix";
import { tf } from "./backend";

/** Row-major float32 copy of `M`. */
export function rowMajorData(M: Matrix): Float32Array {
  const out = new Float32Array(M.rows * M.columns);
  for (let i = 0; i < M.rows; i++) for (let j = 0; j < M.columns; j++) out[i * M.columns + j] = M.get(i, j);
  return out;
}

/** `Wᵀ` as a `[D_in, D_out]` tensor. */
export function transposedTensor(W: Matrix): tf.Tensor2D {
  return tf.tensor2d(transposedData(W), [W.columns, W.rows]);
}

/** A D×n column batch (float64 engine) as an `[n, D]` row batch. */
export function columnsToRows(X: Matrix): tf.Tensor2D {
  return transposedTensor(X);
}

/** An `[n, D]` row batch back to a D×n float64 column batch. */
export function rowsToColumns(Y: tf.Tensor2D): Matrix {
  const [n, D] = Y.shape;
  const data = Y.dataSync();
  const out = new Matrix(D, n);
  for (let j = 0; j < n; j++) for (let i = 0; i < D; i++) out.set(i, j, data[j * D + i]);
  return out;
}

/** n Transformer inputs (each D×N, tokens are columns) as one `[n, N, D]` tensor. */
export function sequencesToTensor(Xs: readonly Matrix[]): tf.Tensor3D {
  if (Xs.length === 0) throw new ShapeError("no Transformer inputs: give at least one D×N matrix");
  const D = Xs[0].rows;
  const N = Xs[0].columns;
  const out = new Float32Array(Xs.length * N * D);
  Xs.forEach((X, e) => {
    if (X.rows !== D || X.columns !== N) {
      throw new ShapeError(`Transformer input ${e} is ${X.rows}×${X.columns}, expected ${D}×${N}`);
    }
    for (let t = 0; t < N; t++) for (let i = 0; i < D; i++) out[(e * N + t) * D + i] = X.get(i, t);
  });
  return tf.tensor3d(out, [Xs.length, N, D]);
}

/** An `[n, N, D]` tensor back to n D×N matrices (tokens as columns). */
export function tensorToSequences(Y: tf.Tensor3D): Matrix[] {
  const [n, N, D] = Y.shape;
  const data = Y.dataSync();
  const out: Matrix[] = [];
  for (let e = 0; e < n; e++) {
    const M = new Matrix(D, N);
    for (let t = 0; t < N; t++) for (let i = 0; i < D; i++) M.set(i, t, data[(e * N + t) * D + i]);
    out.push(M);
  }
  return out;
}
