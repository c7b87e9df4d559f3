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
  | "numeric";

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
