/** Input samplers (reference protocol: x ~ N(0, I); the shifted test set scales inputs by 5). */
import type { Matrix } from "ml-matrix";
import { randomNormal } from "../linalg/draw";
import type { RandomStream } from "../linalg/random";

/** D×n batch of i.i.d. N(0, scale²) entries: columns are examples. */
export function gaussianInputs(rng: RandomStream, width: number, n: number, scale = 1): Matrix {
  return randomNormal(rng, width, n, scale);
}

/** n Transformer inputs, each D×N with i.i.d. N(0, scale²) entries. */
export function transformerInputs(rng: RandomStream, width: number, seqLength: number, n: number, scale = 1): Matrix[] {
  const out: Matrix[] = [];
  for (let i = 0; i < n; i++) out.push(randomNormal(rng, width, seqLength, scale));
  return out;
}

/** Inputs scaled into the ball ‖x‖ ≤ ρ: Gaussian directions with radii ρ·U(0,1)^(1/D) (uniform in the ball). */
export function ballInputs(rng: RandomStream, width: number, n: number, rho: number): Matrix {
  const X = randomNormal(rng, width, n);
  for (let j = 0; j < n; j++) {
    let norm = 0;
    for (let i = 0; i < width; i++) norm += X.get(i, j) ** 2;
    norm = Math.sqrt(norm) || 1;
    const r = rho * Math.pow(rng.uniform(), 1 / width);
    for (let i = 0; i < width; i++) X.set(i, j, (X.get(i, j) / norm) * r);
  }
  return X;
}

/** Each column scaled by `c` (the reference's shifted test set uses c = 5). */
export function scaled(X: Matrix, c: number): Matrix {
  return X.clone().mul(c);
}
