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

/** Fill `out[offset + j·D + i]` (example j, feature i) with N(0, scale²) draws, `gaussianInputs` order. */
export function fillGaussianRows(rng: RandomStream, out: Float32Array, offset: number, n: number, D: number, scale = 1): void {
  for (let i = 0; i < D; i++) {
    for (let j = 0; j < n; j++) out[offset + j * D + i] = scale * rng.normal();
  }
}

/** Fill n Transformer inputs (each D×N drawn like `transformerInputs`) into `[n, N, D]` token-major rows. */
export function fillGaussianSequences(
  rng: RandomStream,
  out: Float32Array,
  offset: number,
  n: number,
  N: number,
  D: number,
  scale = 1,
): void {
  for (let e = 0; e < n; e++) {
    const base = offset + e * N * D;
    for (let i = 0; i < D; i++) for (let t = 0; t < N; t++) out[base + t * D + i] = scale * rng.normal();
  }
}
