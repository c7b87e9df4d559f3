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
export * from "./exact";
// training engine and experiments
export * from "./tf/backend";
export * from "./tf/convert";
export * from "./tf/forward";
export * from "./tf/settings";
export * from "./tf/task";
export * from "./tf/loop";
export * from "./tf/fnn-train";
export * from "./tf/transformer-train";
export * from "./experiments/config";
export * from "./experiments/run-ours";
export * from "./experiments/run-trained";
export * from "./experiments/run";
export * from "./experiments/setup";
// sweeps and committed results (data/results): the reader-facing parts at top level, the rest under `sweep`
export * as sweep from "./experiments/sweep";
export {
  loadResults, loadHistory, loadBestResults, loadBudgetResults, BUDGETS, PRESET_NAMES, PRESET_DESCRIPTIONS,
  type ResultRow, type HistoryRow, type BudgetName, type PresetName, type BudgetResults,
} from "./experiments/sweep";
export { figureSpec, figureSpecWithPaper } from "./viz/figures";
// the paper's own figure values (data/reference) and ours beside them
export { loadPaperReference, paperValue, referenceDir, type PaperReferenceRow } from "./experiments/reference";
export {
  paperPoints, paperComparison, curvePoints, curvesComparison, agrees, AGREEMENT_CRITERION, PAPER_MAPPINGS,
  type PaperPoint, type PaperMapping, type PaperComparisonRow, type CourseSeries,
} from "./experiments/paper-compare";
// notebooks
export * from "./viz";
// exercises (graded in the library: the notebooks never hold the expected value)
export * from "./exercises";
