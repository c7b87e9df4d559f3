/**
 * lora-expressive-power: the constructions, bounds and experiments of
 * Zeng & Lee, "The Expressive Power of Low-Rank Adaptation" (ICLR 2024).
 *
 * The public API: what a course reader or a researcher uses — models, constructions, theory,
 * trainers, sweeps and results, charts, exercises (at most ~150 runtime names; a test counts them).
 * Engine internals (steppers, the loop, tensor layouts, the fast kernels of `lib/src/fast`) are not
 * exported: import them by path in tests. Runtime names are listed one by one; every type of the
 * modules below is exported (`export type *`), so notebooks can name any record they receive.
 */
// errors (every failure is a typed LoraError naming the violated condition)
export { LoraError, RankError, DepthError, ShapeError, PartitionError, AssumptionError, ConfigError, BackendError, NumericError, DivergenceError } from "./errors";
export type * from "./errors";
// course settings
export { profile, byProfile } from "./profile";
export type * from "./profile";
// exact engine (float64): linear algebra
export { RandomStream, stream } from "./linalg/random";
export { toMatrix, toArray, identity, add, sub, scale, mmul, product, spectralNorm, frobeniusNorm, vectorNorm, maxRowNorm, relativeError, invert, addColumn, relu, matVec, minEntry } from "./linalg/matrix";
export { svd, singularValues, sigma, numericalRank, lowRankApprox } from "./linalg/svd";
export { randomNormal } from "./linalg/draw";
export type * from "./linalg/random";
export type * from "./linalg/matrix";
export type * from "./linalg/svd";
export type * from "./linalg/draw";
// exact engine: models, their adaptations, inputs and metrics
export { initFNN, initTransformer, initAdapter, initAdapters, initTransformerAdapters } from "./models/init";
export { delta, mergeFNN, mergeTransformer } from "./models/merge";
export { forwardFNNLayers, forwardFNN, softmaxColumns, transformerBlock, forwardTransformer } from "./models/forward";
export { gaussianInputs, transformerInputs, ballInputs, scaled } from "./models/sample";
export { mse, mseBatch, relativeErrorBatch, argmaxAgreement, binaryAgreement, taskCrossEntropy } from "./models/metrics";
export { fnnAdaptationParameterCount, transformerAdaptationParameterCount, finalLayersParameterCount } from "./models/params";
export { makeFNNPair, makeTransformerPair, cloneFNN, fnnFromWeights } from "./models/targets";
export type * from "./models/types";
export type * from "./models/init";
export type * from "./models/merge";
export type * from "./models/forward";
export type * from "./models/sample";
export type * from "./models/metrics";
export type * from "./models/params";
export type * from "./models/targets";
// the paper's statements (theory) and constructions
export { uniformPartition, validatePartition, partitionFromSizes } from "./theory/partition";
export { discrepancy, lemma1Threshold, lemma1OptimalError } from "./theory/lemma1";
export { fnnDiscrepancies, fnnThreshold, randomFnnThreshold, fnnBlockErrors, fnnErrorBound } from "./theory/fnn";
export { transformerBlockTargets, transformerThreshold, randomTransformerThreshold } from "./theory/transformer";
export { checkLemma1Assumptions, assumptionHolds } from "./theory/assumptions";
export { lemma1Construct, adaptedProduct } from "./construct/lemma1";
export { constructFNN } from "./construct/fnn";
export { constructTransformer } from "./construct/transformer";
export type * from "./theory/partition";
export type * from "./theory/lemma1";
export type * from "./theory/fnn";
export type * from "./theory/transformer";
export type * from "./theory/assumptions";
export type * from "./construct/lemma1";
export type * from "./construct/fnn";
export type * from "./construct/transformer";
// training engine (tfjs, float32): backend, tensor forwards, trainers; `engine: "reference" | "fast"` chooses the step (see resolveEngine)
export { initBackend, backendInfo, tf } from "./tf/backend";
export { transposedTensor, columnsToRows, rowsToColumns, sequencesToTensor, tensorToSequences } from "./tf/convert";
export { forwardFNNTf, forwardTransformerTf } from "./tf/forward";
export { resolveEngine } from "./tf/settings";
export { rankSchedule, trainFNNLoRA, trainFNNFinalLayers, trainFNNLoRABatch, pretrainFNN, trainFNNLoRAAsync, trainFNNFinalLayersAsync, trainFNNLoRABatchAsync, pretrainFNNAsync } from "./tf/fnn-train";
export { trainTransformerLoRA, pretrainTransformer, trainTransformerLoRAAsync, pretrainTransformerAsync } from "./tf/transformer-train";
export type * from "./tf/backend";
export type * from "./tf/convert";
export type * from "./tf/forward";
export type * from "./tf/settings";
export type * from "./tf/task";
export type * from "./tf/loop";
export type * from "./tf/fnn-train";
export type * from "./tf/transformer-train";
// experiments: the reference's flags, one run
export { parseArgs } from "./experiments/config";
export { runOurs } from "./experiments/run-ours";
export { runExperiment } from "./experiments/run";
export type * from "./experiments/config";
export type * from "./experiments/run-ours";
export type * from "./experiments/run-trained";
export type * from "./experiments/run";
export type * from "./experiments/setup";
// sweeps and committed results (data/results): the reader-facing parts at top level, the rest under `sweep`
export * as sweep from "./experiments/sweep";
export { PRESET_NAMES, PRESET_DESCRIPTIONS, BUDGETS, loadResults, loadHistory, loadBudgetResults, loadBestResults } from "./experiments/sweep";
export type { ResultRow, HistoryRow, BudgetName, PresetName, BudgetResults } from "./experiments/sweep";
// the paper's own figure values (data/reference) and ours beside them
export { loadPaperReference } from "./experiments/reference";
export { PAPER_MAPPINGS, paperPoints, AGREEMENT_CRITERION, paperComparison, curvesComparison } from "./experiments/paper-compare";
export type * from "./experiments/reference";
export type * from "./experiments/paper-compare";
// notebooks: charts, tables, checks, figures
export { showMarkdown } from "./viz/display";
export { showChart } from "./viz/chart";
export { showTable } from "./viz/table";
export { lineChart, barChart } from "./viz/specs";
export { progressLine, trainingProgress } from "./viz/progress";
export { verify, relativeDifference, selfCheck } from "./viz/checks";
export { frame } from "./viz/frame";
export { figureSpecWithPaper, figureSpec } from "./viz/figures";
export type * from "./viz/display";
export type * from "./viz/chart";
export type * from "./viz/table";
export type * from "./viz/specs";
export type * from "./viz/progress";
export type * from "./viz/checks";
export type * from "./viz/frame";
export type * from "./viz/layout";
export type * from "./viz/interact";
export type * from "./viz/paper-overlay";
export type * from "./viz/figures";
// exercises (graded in the library: the notebooks never hold the expected value)
export { partitionExercisePair, queryChangeExercisePair, exerciseCatalogue, gradeExercise, checkExercise, assertExercise } from "./exercises";
export type * from "./exercises";
