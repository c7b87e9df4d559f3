/**
 * lora-expressive-power: the constructions, bounds and experiments of
 * Zeng & Lee, "The Expressive Power of Low-Rank Adaptation" (ICLR 2024).
 *
 * Exact engine (float64): linalg, models, theory, construct. Training engine (tfjs): tf, experiments.
 * Notebook helpers: viz. Course settings: profile.
 */
export * from "./errors";
export * from "./profile";
// exact engine
export * from "./linalg/random";
export * from "./linalg/matrix";
export * from "./linalg/svd";
export * from "./linalg/draw";
export * from "./models/types";
export * from "./models/init";
export * from "./models/forward";
export * from "./models/merge";
export * from "./models/metrics";
export * from "./models/params";
export * from "./models/sample";
export * from "./models/targets";
export * from "./theory/assumptions";
export * from "./theory/lemma1";
export * from "./theory/partition";
export * from "./theory/fnn";
export * from "./theory/transformer";
export * from "./construct/lemma1";
export * from "./construct/fnn";
export * from "./construct/transformer";
// training engine
export * from "./tf/backend";
// notebooks
export * from "./viz";
