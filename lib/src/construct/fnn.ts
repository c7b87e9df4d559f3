/**
 * Theorem 3 construction (ReLU FNN, PAPER.md §2), block by block over a consecutive partition:
 * 1. weights: Lemma 1 inside block P_i with target W̄_i;
 * 2. linearise: every layer of the block but the last gets a bias making its pre-activations
 *    non-negative (ReLU = identity) — `calibrate`: c = −2·min(0, min pre-activation) on sample
 *    inputs (reference; centred by default, see BiasMode); `bound`: c_l = maxRowNorm(Ŵ_l)·s_{l−1}
 *    from sup‖x‖ ≤ ρ (rigorous);
 * 3. align: `b̂_{l₂} = b̄_i − Σ_{l<l₂} (Ŵ_{l₂}···Ŵ_{l+1}) b̂_l`, so the block computes σ(W̄_i z + b̄_i).
 *
 * Where it is exact (at or above the threshold): with `bound`, on every input with ‖x‖ ≤ ρ; with
 * `calibrate`, on the calibration sample and on inputs whose inner pre-activations the constants
 * cover (c = 2·|most negative| over the sample), which for a few hundred N(0, I) calibration inputs
 * includes fresh N(0, I) inputs but not every input (the ×5 shifted set may leave it). Hence the
 * self-check: when the theory predicts exactness the construction evaluates fresh inputs
 * (`verify`, stream `verification`) and claims `exactExpected` only at rounding level, else says
 * why in `diagnostics.warnings`.
 */
import type { Matrix } from "ml-matrix";
import { ConfigError } from "../errors";
import { stream } from "../linalg/random";
import { addColumn, assertFinite, matVec, maxRowNorm, minEntry, product, relu, spectralNorm, vectorNorm } from "../linalg/matrix";
import { sigma } from "../linalg/svd";
import { layerRanks } from "../models/init";
import { mergeFNN } from "../models/merge";
import { gaussianInputs } from "../models/sample";
import type { Adapter, FNN, FNNAdaptation } from "../models/types";
import { fnnThreshold, resolvePartition } from "../theory/fnn";
import type { Partition } from "../theory/partition";
import { lemma1Construct } from "./lemma1";
import { defaultFNNVerifyInputs, fnnVerifiedError, roundingLevel, type VerifyOption } from "./verify";

/** How the linearising biases are chosen (step 2). */
/**
 * `calibrate`: constants sized on sample inputs (the reference's c = −2·min(0, min pre-activation));
 * `centred` (default true) sizes each layer's constant on the bias-free linear image and removes the
 * constant carried from the layer below (b̂_l = c_l·1 − c_{l−1}·Ŵ_l 1), so constants do not compound
 * in blocks of 3+ layers (identical to the reference's choice for blocks of 2). `bound`: rigorous,
 * from sup‖x‖ ≤ ρ.
 */
export type BiasMode = { mode: "calibrate"; inputs: Matrix; centred?: boolean } | { mode: "bound"; rho: number };

export interface FNNConstructionOptions {
  /** Uniform LoRA rank, or one rank per frozen layer. */
  rank: number | readonly number[];
  /** Consecutive partition (0-based layer indices); default uniform. */
  partition?: Partition;
  /** Default: calibrate on 256 N(0, I) inputs from `stream(0, "calibration")`. */
  bias?: BiasMode;
  /**
   * Inputs of the self-check run when the theory predicts exactness (default: 256 fresh N(0, I)
   * inputs from `stream(0, "verification")`, or uniform in the ball for `bound`); `false` skips it.
   */
  verify?: VerifyOption;
}

export interface FNNConstruction {
  adaptation: FNNAdaptation;
  adapted: FNN;
  diagnostics: {
    partition: Partition;
    discrepancyRanks: number[];
    /** Theorem 3: `max_i ⌈rank(E_i)/|P_i|⌉`. */
    threshold: number;
    /** Theorem 5: `σ_{budget_i+1}(E_i)`, the spectral error of each block's weight product. */
    blockErrors: number[];
    /** Linearising constant c_l per layer (0 on the last layer of a block, null when biases are off). */
    biasConstants: Array<number | null>;
    /** Whether the inner ReLUs were linearised (false for a bias-free ReLU model with blocks longer than 1). */
    linearised: boolean;
    /** Exactness predicted by the theory: rank at/above threshold and linearised (with biases sized on the calibration sample). */
    theoryExact: boolean;
    /**
     * Exactness claimed: `theoryExact`, and the self-check on fresh inputs is at rounding level
     * (`verifiedError ≤ verifyTolerance`), and there was a calibration sample. A calibrated
     * construction is exact on the inputs its biases cover — its calibration sample, and inputs
     * like it — not on every input (the ×5 shifted test set, say); `bound` covers the ball ‖x‖ ≤ ρ.
     */
    exactExpected: boolean;
    /** Relative error `‖f̂(X) − f̄(X)‖_F/‖f̄(X)‖_F` on the self-check inputs (null when not checked). */
    verifiedError: number | null;
    /** The rounding level the self-check allows (`roundingLevel(D, roundingScale)`). */
    verifyTolerance: number;
    /** Why exactness is not claimed although the theory predicts it, and the rounding warning: empty when none. */
    warnings: string[];
    /**
     * Float64 conditioning: the largest `Π_{l∈P_i}‖Ŵ_l‖₂ / ‖W̄_i‖₂` over blocks. Lemma 1's factors carry
     * inverses of frozen matrices, so adapted weights can be huge and must cancel; float64 then leaves
     * a relative error of roughly `eps · roundingScale`.
     */
    roundingScale: number;
    /** A warning when `eps · roundingScale > 1e-6` (deep blocks of ill-conditioned frozen layers), else null. */
    roundingWarning: string | null;
  };
}

/** Theorem 3: LoRA adapters + re-tuned biases making the frozen FNN compute the target (exact at the threshold). */
export function constructFNN(frozen: FNN, target: FNN, opts: FNNConstructionOptions): FNNConstruction {
  const P = resolvePartition(frozen, target, opts.partition);
  const D = frozen.width;
  const ranks = layerRanks(opts.rank, frozen.layers.length, D);
  const useBias = frozen.bias || target.bias;
  const relu_ = frozen.activation === "relu";
  const bias: BiasMode = opts.bias ?? { mode: "calibrate", inputs: gaussianInputs(stream(0, "calibration"), D, 256) };
  if (bias.mode === "bound" && !(bias.rho >= 0 && Number.isFinite(bias.rho))) throw new ConfigError(`input bound ρ = ${bias.rho} must be a finite number ≥ 0`);
  const adapters: Adapter[] = [];
  const biases: number[][] = [];
  const biasConstants: Array<number | null> = [];
  const blockErrors: number[] = [];
  let z = bias.mode === "calibrate" ? bias.inputs : null; // calibration trajectory
  let rho = bias.mode === "bound" ? bias.rho : 0; // bound on ‖z‖ entering the block
  P.forEach((block, i) => {
    const Wbar = target.layers[i];
    const c = lemma1Construct(block.map((l) => frozen.layers[l].W), Wbar.W, block.map((l) => ranks[l]), {
      layers: block.map((l) => `frozen layer ${l + 1}`),
      context: `block ${i + 1}`,
    });
    adapters.push(...c.adapters);
    blockErrors.push(c.optimalError);
    const W = c.adapted;
    const b: number[][] = [];
    let s = rho;
    let prevC = 0; // centred: the constant carried by z from the layer below
    for (let k = 0; k < W.length - 1; k++) {
      let ck = 0;
      let bk = new Array<number>(D).fill(0);
      if (useBias && relu_) {
        if (z) {
          const u = W[k].mmul(z);
          if (bias.mode === "calibrate" && bias.centred !== false) {
            // z = y + c_{k−1}·1 with y the bias-free linear image: remove the carried shift
            // (−c_{k−1}·Ŵ_k 1), then add c_k·1 sized on y alone, so constants do not compound.
            const carried = matVec(W[k], new Array<number>(D).fill(prevC));
            const y = addColumn(u, carried.map((v) => -v));
            ck = -2 * Math.min(0, minEntry(y));
            bk = carried.map((v) => ck - v);
            z = addColumn(y, new Array<number>(D).fill(ck));
            prevC = ck;
          } else {
            ck = -2 * Math.min(0, minEntry(u));
            bk = new Array<number>(D).fill(ck);
            z = addColumn(u, bk);
          }
        } else {
          ck = maxRowNorm(W[k]) * s;
          s = spectralNorm(W[k]) * s + ck * Math.sqrt(D);
          bk = new Array<number>(D).fill(ck);
        }
      }
      b.push(bk);
      biasConstants.push(useBias ? ck : null);
    }
    // align: b̂_{l₂} = b̄_i − Σ_{l<l₂} (Ŵ_{l₂}···Ŵ_{l+1}) b̂_l
    const last = Wbar.b.slice();
    for (let k = 0; k < W.length - 1; k++) {
      const shifted = matVec(product(W.slice(k + 1)), b[k]);
      for (let r = 0; r < D; r++) last[r] -= shifted[r];
    }
    b.push(last);
    biasConstants.push(useBias ? 0 : null);
    assertFinite(last, `aligned bias of block ${i + 1}`);
    biases.push(...b);
    if (z) {
      const pre = addColumn(W[W.length - 1].mmul(z), last);
      z = relu_ ? relu(pre) : pre;
    }
    // Bound on the block's output norm. On the ball the inner ReLUs are identities and the aligned
    // biases add up to b̄_i, so the block computes ReLU(Π_{l∈P_i}Ŵ_l z + b̄_i): ‖out‖ ≤ ‖ΠŴ_l‖₂·ρ + ‖b̄_i‖.
    // The adapted product, not W̄_i: below the threshold the two differ.
    rho = spectralNorm(product(W)) * rho + vectorNorm(Wbar.b);
  });
  const adaptation: FNNAdaptation = { adapters, biases: useBias ? biases : null };
  const th = fnnThreshold(frozen, target, P);
  const linearised = !relu_ || useBias || P.every((b) => b.length === 1);
  const adaptedLayers = mergeFNN(frozen, adaptation).layers;
  const roundingScale = Math.max(
    ...P.map((block, i) => block.reduce((acc, l) => acc * spectralNorm(adaptedLayers[l].W), 1) / Math.max(spectralNorm(target.layers[i].W), Number.MIN_VALUE)),
  );
  const expectedRounding = Number.EPSILON * roundingScale;
  const roundingWarning =
    expectedRounding > 1e-6
      ? `adapted weights are ill-conditioned (Π‖Ŵ_l‖/‖W̄_i‖ = ${roundingScale.toExponential(1)}): float64 rounding may reach ~${expectedRounding.toExponential(0)} relative error; deep blocks multiply inverses of frozen layers`
      : null;
  const atThreshold = P.every((block, i) => block.reduce((acc, l) => acc + ranks[l], 0) >= th.discrepancyRanks[i]);
  const theoryExact = linearised && atThreshold;
  const adapted: FNN = { ...frozen, layers: adaptedLayers };
  const warnings: string[] = [];
  const calibrationSize = bias.mode === "calibrate" ? bias.inputs.columns : null;
  const needsCalibration = useBias && relu_ && P.some((b) => b.length > 1);
  if (theoryExact && needsCalibration && calibrationSize === 0) {
    warnings.push("no calibration inputs: the linearising biases could not be sized, so the inner ReLUs are not linearised and the construction is not exact");
  }
  const verifyTolerance = roundingLevel(D, roundingScale);
  let verifiedError: number | null = null;
  if (theoryExact && warnings.length === 0 && opts.verify !== false) {
    const X = opts.verify?.inputs ?? defaultFNNVerifyInputs(D, bias.mode === "bound" ? bias.rho : null);
    verifiedError = fnnVerifiedError(adapted, target, X);
    if (!(verifiedError <= verifyTolerance)) {
      // the same check on the calibration sample tells the two causes apart: rounding fails there too
      const onCalibration = bias.mode === "calibrate" && calibrationSize !== null && calibrationSize > 0 ? fnnVerifiedError(adapted, target, bias.inputs) : null;
      const cause =
        onCalibration !== null && !(onCalibration <= verifyTolerance)
          ? `it is not exact on its calibration sample either (relative error ${onCalibration.toExponential(2)}): the adapted weights are too ill-conditioned for float64`
          : onCalibration !== null && needsCalibration
            ? `the linearising biases were sized on ${calibrationSize} calibration input${calibrationSize === 1 ? "" : "s"} and do not cover these inputs (exact on the calibration sample only, error ${onCalibration.toExponential(1)}; calibrate on more inputs, e.g. 256)`
            : roundingWarning !== null
              ? "the adapted weights are too ill-conditioned for float64"
              : "the inputs leave the region the linearising biases cover";
      warnings.push(
        `not exact on ${X.columns} fresh inputs: relative error ${verifiedError.toExponential(2)} > rounding level ${verifyTolerance.toExponential(1)}: ${cause}`,
      );
    }
  }
  if (roundingWarning !== null) warnings.push(roundingWarning);
  const exactExpected = theoryExact && warnings.every((w) => w === roundingWarning) && (verifiedError === null || verifiedError <= verifyTolerance);
  return {
    adaptation,
    adapted,
    diagnostics: {
      partition: P,
      discrepancyRanks: th.discrepancyRanks,
      threshold: th.threshold,
      blockErrors,
      biasConstants,
      linearised,
      theoryExact,
      exactExpected,
      verifiedError,
      verifyTolerance,
      warnings,
      roundingScale,
      roundingWarning,
    },
  };
}

/** Theorem 5's quantity for one block: `σ_{R|P_i|+1}(E_i)`. */
export function blockError(E: Matrix, budget: number): number {
  return sigma(E, budget + 1);
}
