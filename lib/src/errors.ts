/**
 * Typed errors. Every message names the violated condition and, where there is one, the fix:
 * `rank 20 exceeds width 16`, `frozen layer 2 is singular (σ_min = 3e-17): Assumption 1 fails`.
 */

/** Base class of every error the library throws on bad input. */
export class LoraError extends Error {
  constructor(readonly code: LoraErrorCode, message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export type LoraErrorCode =
  | "rank"
  | "depth"
  | "shape"
  | "partition"
  | "assumption"
  | "config"
  | "backend"
  | "numeric"
  | "divergence"
  | "lock";

/** A rank outside `1..D`, or a rank list of the wrong length. */
export class RankError extends LoraError {
  constructor(message: string) {
    super("rank", message);
  }
}

/** Depths that do not fit (`L < L̄`, a zero depth, ...). */
export class DepthError extends LoraError {
  constructor(message: string) {
    super("depth", message);
  }
}

/** Matrices or vectors whose shapes do not match. */
export class ShapeError extends LoraError {
  constructor(message: string) {
    super("shape", message);
  }
}

/** A partition of the frozen layers that is not consecutive or does not cover all of them. */
export class PartitionError extends LoraError {
  constructor(message: string) {
    super("partition", message);
  }
}

/** A hypothesis of the paper fails (a singular frozen matrix, a singular intermediate product). */
export class AssumptionError extends LoraError {
  constructor(message: string) {
    super("assumption", message);
  }
}

/** An invalid experiment configuration or CLI flag. */
export class ConfigError extends LoraError {
  constructor(message: string) {
    super("config", message);
  }
}

/** A tfjs backend that was asked for and cannot be had. */
export class BackendError extends LoraError {
  constructor(message: string) {
    super("backend", message);
  }
}

/** A computation that would have produced NaN or Infinity. */
export class NumericError extends LoraError {
  constructor(message: string) {
    super("numeric", message);
  }
}

/**
 * What became non-finite when training diverged. A non-finite gradient is reported as the
 * `parameter` it makes non-finite: Adam carries it into θ at that very update, and the loop finds it
 * at the next loss it reads, without a pass over every gradient entry each step.
 */
export type DivergedQuantity = "training loss" | "validation loss" | "parameter" | "test metric";

/**
 * Training diverged: a loss, a parameter (also through a non-finite gradient) or a test metric
 * became NaN or ±Infinity.
 * `step` counts updates: the quantity was computed from the parameters after `step` updates
 * (the test metrics from the parameters that were kept, at `step`). `model` is the index of the
 * model in a batched run (null for a single run). `lora-exp` exits with status 3 on this error.
 */
export class DivergenceError extends LoraError {
  constructor(
    readonly step: number,
    readonly quantity: DivergedQuantity,
    readonly value: number,
    readonly model: number | null = null,
    detail = "",
  ) {
    super(
      "divergence",
      `training diverged: the ${quantity} became ${String(value)} at step ${step}${model !== null ? ` (model ${model} of the batch)` : ""}` +
        `${detail ? ` ${detail}` : ""}: lower the learning rate`,
    );
  }
}

/** A results file is in use by another process (the sweep's lock on `--out`). */
export class LockError extends LoraError {
  constructor(
    readonly holderPid: number,
    message: string,
  ) {
    super("lock", message);
  }
}
