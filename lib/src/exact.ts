/**
 * The exact (float64) engine: linear algebra, model records and forward passes, the paper's
 * statements (theory) and constructions. Never imports tfjs.
 */
export * from "./linalg/random";
export * from "./linalg/matrix";
export * from "./linalg/svd";
export * from "./linalg/draw";
export * from "./models/types";
export * from "./models/init";
export * from "./models/merge";
export * from "./models/forward";
export * from "./models/sample";
export * from "./models/metrics";
export * from "./models/params";
export * from "./models/targets";
export * from "./theory/partition";
export * from "./theory/lemma1";
export * from "./theory/fnn";
export * from "./theory/transformer";
export * from "./theory/assumptions";
export * from "./construct/lemma1";
export * from "./construct/fnn";
export * from "./construct/transformer";
