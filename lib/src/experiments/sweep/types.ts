/**
 * Records of a sweep. A sweep expands a preset (one experiment of the paper) under a budget into
 * run specifications; each run has a stable id (a hash of its configuration), and its result is
 * appended as one JSON line to a results file whose first line is the provenance.
 */
import type { ExperimentConfig } from "../config";
import type { Task } from "../../tf/task";
import type { AdapterInfo } from "../../tf/backend";

export type BudgetName = "quick" | "course" | "paper";
export type Method = "ours" | "sgd" | "flt";
export type FrozenKind = "random" | "pretrained";

/** Everything that determines one run's numbers (hashed into its id). */
export interface SweepConfig extends Omit<ExperimentConfig, "task" | "ce_target" | "json" | "wandb"> {
  /** `binary` sums the two halves of the outputs into two logits (the reference's binary task). */
  task: Task;
  /**
   * Classification objective. Present (`raw`) only on classification runs of the reference
   * objective; absent on regression runs (so their ids did not change when it was introduced) and
   * on classification runs of the soft-label objective (`softmax`, every classification run made
   * before it was introduced keeps its id). See `ceTargetOf`.
   */
  ce_target?: "raw";
  /** Validate every this many steps (1 = every step, the reference). */
  val_every: number;
  /** Validation set size (256 in the reference). */
  n_val: number;
}

/** A sweep run's classification objective (see `SweepConfig.ce_target`); `undefined` for regression. */
export function ceTargetOf(c: Pick<SweepConfig, "task" | "ce_target">): "raw" | "softmax" | undefined {
  if (c.task === "regression") return undefined;
  return c.ce_target ?? "softmax";
}

/** One run of a preset: its configuration plus the labels that place it in a figure. */
export interface RunSpec {
  /** Stable id: hash of `config` (labels excluded, so identical runs of two presets share it). */
  id: string;
  preset: string;
  /** The figure panel, e.g. `L̄=1, L=2`. */
  point: string;
  /** A within-panel variant, e.g. `tune_bias=0`, `task=binary`; "" when none. */
  variant: string;
  method: Method;
  frozen: FrozenKind;
  /** What the x axis sweeps: `rank`, `last_layers`, `frozen_depth` or `total_rank`. */
  xName: string;
  x: number;
  seed: number;
  /** Tunable parameters (LoRA `2·D·ΣR_l`, final layers `k·D²`), the paper's parameter count. */
  params: number;
  /** The theoretical threshold rank of this panel (NaN when none applies). */
  threshold: number;
  config: SweepConfig;
}

/** A downsampled training curve (steps after which the losses were measured). */
export interface History {
  steps: number[];
  train: number[];
  val: number[];
  valSteps: number[];
}

/** What one run produced. */
export interface RunResult {
  test_loss: number;
  test_shift_loss: number;
  /** Validation loss at the chosen step (NaN for `ours`, which is not trained). */
  val_loss: number;
  /** Validation accuracy at the chosen step (trained classification runs recorded since `ce_target`). */
  val_accuracy?: number | null;
  best_step: number;
  accuracy: number | null;
  shift_accuracy: number | null;
  history: History | null;
  /** Pretraining steps taken for a pretrained frozen model, else 0. */
  pretrain_steps: number;
  /**
   * `diverged`: training diverged (a `DivergenceError`; the metrics are NaN, stored as null, and
   * `divergence` says where). Aggregation never picks such a run and counts it in `n_diverged`.
   * Absent in records written before divergence was recorded: read it as `ok`.
   */
  status?: "ok" | "diverged";
  divergence?: { step: number; quantity: string; message: string };
}

/** The labels that place a run in a figure, as results files and CSV rows spell them. */
export interface FigureLabels {
  preset: string;
  point: string;
  variant: string;
  method: Method;
  frozen: FrozenKind;
  x_name: string;
  x: number;
}

/** A run spec's figure labels (`xName` becomes `x_name`). */
export function figureLabels(s: RunSpec): FigureLabels {
  return { preset: s.preset, point: s.point, variant: s.variant, method: s.method, frozen: s.frozen, x_name: s.xName, x: s.x };
}

/** One line of a results file (after the provenance line). */
export interface RunRecord extends FigureLabels {
  id: string;
  seed: number;
  lr: number;
  weight_decay: number;
  config: SweepConfig;
  result: RunResult;
  /** Wall time of the run (a batched group's time divided among its members). */
  seconds: number;
  /** ISO time the record was written. */
  finished: string;
  /** Set when the result was copied from another results file with the same run id. */
  reused_from?: string;
}

/** First line of every results file. */
export interface Provenance {
  kind: "provenance";
  preset: string;
  budget: BudgetName;
  git_commit: string;
  git_dirty: boolean;
  backend: string;
  /** The WebGPU adapter (`webgpu` runs only). */
  adapter?: AdapterInfo;
  date: string;
  cores: number;
  cpu: string;
  node: string;
  shard: string;
  runs_expected: number;
}
