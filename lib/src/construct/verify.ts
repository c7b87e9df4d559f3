/**
 * Self-check of a construction that claims exactness: the adapted model against the target on
 * fresh inputs (a stream of their own, `verification`, drawn like the evaluation inputs), so a
 * claim of exactness is a measured fact and not only the theory's prediction.
 */
import type { Matrix } from "ml-matrix";
import { relativeError } from "../linalg/matrix";
import { stream } from "../linalg/random";
import { forwardFNN, forwardTransformer } from "../models/forward";
import { relativeErrorBatch } from "../models/metrics";
import { ballInputs, gaussianInputs, transformerInputs } from "../models/sample";
import type { FNN, Transformer } from "../models/types";

/** Inputs of the self-check, or `false` to skip it (then `verifiedError` is null). */
export type VerifyOption = { inputs: Matrix } | false;

/** Number of fresh inputs of the default self-check. */
export const VERIFY_INPUTS = 256;

/**
 * Rounding level of a verified error: `100·D·eps·roundingScale`, float64 rounding of a product
 * whose factors must cancel (`roundingScale` = Π‖Ŵ_l‖/‖W̄‖, 1 when nothing cancels) with the same
 * 100·D margin the exactness tests use, kept within [1e-8, 1e-6]: the floor sits far below any real
 * mismatch (below the threshold, or inputs the biases do not cover: 1e-3 and more), and above the
 * cap an error is not "exact" whatever its cause (deep blocks of ill-conditioned layers).
 */
export function roundingLevel(width: number, roundingScale = 1): number {
  return Math.min(1e-6, Math.max(1e-8, 100 * width * Number.EPSILON * roundingScale));
}

/** Default FNN check inputs: N(0, I) (as `lora-exp`'s test inputs), or uniform in the ball ‖x‖ ≤ ρ for a bound. */
export function defaultFNNVerifyInputs(width: number, rho: number | null): Matrix {
  const rng = stream(0, "verification");
  return rho === null ? gaussianInputs(rng, width, VERIFY_INPUTS) : ballInputs(rng, width, VERIFY_INPUTS, rho);
}

/** `‖f̂(X) − f̄(X)‖_F / ‖f̄(X)‖_F` of two FNNs on the columns of X. */
export function fnnVerifiedError(adapted: FNN, target: FNN, X: Matrix): number {
  return relativeError(forwardFNN(adapted, X), forwardFNN(target, X));
}

/** The same for Transformers: 16 sequences of 10 N(0, I) tokens from stream `verification` by default. */
export function transformerVerifiedError(adapted: Transformer, target: Transformer, Xs?: readonly Matrix[]): number {
  const inputs = Xs ?? transformerInputs(stream(0, "verification"), target.width, 10, 16);
  return relativeErrorBatch(forwardTransformer(adapted, inputs), forwardTransformer(target, inputs));
}
