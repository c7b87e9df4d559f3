/**
 * Training, validation and test inputs for the tfjs engine, each from its own seeded stream
 * (`stream(seed, "train" | "validation" | "test")`). Every batch is drawn in the same order as
 * the float64 engine's `gaussianInputs` (a D×n matrix filled row by row), so a float64 check can
 * reproduce any batch; here it lands in a row-major `[n, D]` buffer.
 *
 * Unlike the reference code (whose validation/test code re-seeds the global RNG, so its
 * "fresh" training batches repeat), every training step here draws a genuinely new batch.
 */
import type { RandomStream } from "../linalg/random";

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
