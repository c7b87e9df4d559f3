/** Random matrices from a seeded stream (row-major fill order, so a seed fixes every entry). */
import { Matrix } from "ml-matrix";
import type { RandomStream } from "./random";

/** m×n matrix with i.i.d. N(mean, std²) entries, filled row by row. */
export function randomNormal(rng: RandomStream, m: number, n: number, std = 1, mean = 0): Matrix {
  return Matrix.from1DArray(m, n, rng.normals(m * n, mean, std));
}

/** m×n matrix with i.i.d. U(low, high) entries, filled row by row. */
export function randomUniform(rng: RandomStream, m: number, n: number, low: number, high: number): Matrix {
  return Matrix.from1DArray(m, n, rng.uniforms(m * n, low, high));
}

/** Vector of n i.i.d. U(low, high) draws. */
export function uniformVector(rng: RandomStream, n: number, low: number, high: number): number[] {
  return Array.from(rng.uniforms(n, low, high));
}

/** Vector of n i.i.d. N(mean, std²) draws. */
export function normalVector(rng: RandomStream, n: number, std = 1, mean = 0): number[] {
  return Array.from(rng.normals(n, mean, std));
}

/** Fill `out[offset + j·D + i]` (example j, feature i) with N(0, 1) draws, `gaussianInputs` order (feature by feature). */
export function fillGaussianRows(rng: RandomStream, out: Float32Array, offset: number, n: number, D: number): void {
  for (let i = 0; i < D; i++) rng.fillNormal(out, offset + i, n, D);
}

/** Fill n Transformer inputs (each D×N drawn like `transformerInputs`) into `[n, N, D]` token-major rows. */
export function fillGaussianSequences(
  rng: RandomStream,
  out: Float32Array,
  offset: number,
  n: number,
  N: number,
  D: number,
): void {
  for (let e = 0; e < n; e++) {
    for (let i = 0; i < D; i++) rng.fillNormal(out, offset + e * N * D + i, N, D);
  }
}
