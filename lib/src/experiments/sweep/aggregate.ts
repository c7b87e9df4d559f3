/**
 * Aggregation, the reference protocol: for every (panel, variant, method, frozen kind, x, seed) keep
 * the grid configuration (lr, weight decay) with the lowest validation loss, then take the median
 * over seeds. `ours` is not trained: one run per seed, no selection. A diverged run (`status:
 * "diverged"`) is never selected: it is counted in `n_diverged` and otherwise ignored, so a seed
 * whose every grid configuration diverged has no best run (and a cell where every run diverged has
 * no row; the provenance's `runs_diverged` still counts it).
 */
import type { Cell } from "./csv";
import { figureLabels, type RunRecord, type RunSpec } from "./types";

/** Where a row belongs in a figure: panel, variant, method, frozen kind and x. */
export interface RowLabels {
  point: string;
  variant: string;
  method: string;
  frozen: string;
  x_name: string;
  x: number;
}

/** One row of `data/results/<preset>.<budget>.csv` (see data/results/README.md). */
export interface ResultRow extends RowLabels {
  preset: string;
  budget: string;
  params: number;
  threshold: number;
  target_depth: number;
  frozen_depth: number;
  /** Seeds with at least one finished run. */
  n_seeds: number;
  /** Seeds the budget asks for. */
  n_seeds_expected: number;
  /** Smallest number of grid configurations finished for one seed, and the grid size asked for. */
  n_grid: number;
  n_grid_expected: number;
  /** Runs of this cell (all seeds and grid configurations) whose training diverged; never selected. */
  n_diverged: number;
  /** Median over seeds of the best-validation run's metrics. */
  test_loss: number;
  test_loss_min: number;
  test_loss_max: number;
  test_shift_loss: number;
  val_loss: number;
  accuracy: number | null;
  shift_accuracy: number | null;
  /** The (lr, weight decay) chosen most often across seeds. */
  best_lr: number;
  best_weight_decay: number;
  /** Mean wall time of one run, seconds. */
  seconds: number;
}

export const RESULT_COLUMNS: readonly (keyof ResultRow)[] = [
  "preset", "budget", "point", "variant", "method", "frozen", "x_name", "x", "params", "threshold",
  "target_depth", "frozen_depth", "n_seeds", "n_seeds_expected", "n_grid", "n_grid_expected", "n_diverged",
  "test_loss", "test_loss_min", "test_loss_max", "test_shift_loss", "val_loss", "accuracy", "shift_accuracy",
  "best_lr", "best_weight_decay", "seconds",
];

/** One row of `<preset>.<budget>.history.csv`: the median over seeds of the best runs' curves. */
export interface HistoryRow extends RowLabels {
  /** `train` (batch loss before the update) or `val` (validation loss after `step` updates). */
  curve: "train" | "val";
  step: number;
  loss: number;
  n_seeds: number;
}

export const HISTORY_COLUMNS: readonly (keyof HistoryRow)[] = ["point", "variant", "method", "frozen", "x_name", "x", "curve", "step", "loss", "n_seeds"];

/** Median (mean of the two middle values for an even count; NaN for none). */
export function median(xs: readonly number[]): number {
  const v = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 === 1 ? v[m] : (v[m - 1] + v[m]) / 2;
}

function mode<T>(xs: readonly T[]): T {
  const counts = new Map<T, number>();
  xs.forEach((x) => counts.set(x, (counts.get(x) ?? 0) + 1));
  let best = xs[0];
  let n = 0;
  for (const [x, c] of counts) if (c > n) [best, n] = [x, c];
  return best;
}

const orNull = (x: number): number | null => (Number.isNaN(x) ? null : x);

/** JSON stores NaN as null: read every metric through this. */
export const num = (v: number | null | undefined): number => (typeof v === "number" ? v : NaN);

/**
 * The grid configuration kept for one seed: lowest validation loss (NaN losses lose; ties keep the
 * first, i.e. the grid order); for classification runs of the reference objective (`ce_target`
 * raw) the highest validation accuracy, ties broken by the lower validation loss, then grid order.
 */
export function bestByValidation(records: readonly RunRecord[]): RunRecord {
  if (records.length > 0 && records[0].config.ce_target === "raw") return bestByAccuracy(records);
  let best = records[0];
  for (const r of records) {
    const v = num(r.result.val_loss);
    const b = num(best.result.val_loss);
    if (Number.isNaN(b) ? !Number.isNaN(v) : v < b) best = r;
  }
  return best;
}

function bestByAccuracy(records: readonly RunRecord[]): RunRecord {
  let best = records[0];
  for (const r of records) {
    const a = num(r.result.val_accuracy);
    const b = num(best.result.val_accuracy);
    if (Number.isNaN(b) ? !Number.isNaN(a) : a > b || (a === b && num(r.result.val_loss) < num(best.result.val_loss))) best = r;
  }
  return best;
}

const groupKey = (s: Pick<RunSpec, "point" | "variant" | "method" | "frozen" | "x">) => JSON.stringify([s.point, s.variant, s.method, s.frozen, s.x]);

interface Cellgroup {
  spec: RunSpec;
  /** Per seed, the finished runs that did not diverge. */
  seeds: Map<number, RunRecord[]>;
  expectedPerSeed: Map<number, number>;
  diverged: number;
}

/** Whether a record's training diverged (`status: "diverged"`; older records have no status). */
export const isDiverged = (r: RunRecord): boolean => r.result.status === "diverged";

function groups(specs: readonly RunSpec[], records: readonly RunRecord[]): Cellgroup[] {
  const byId = new Map(records.map((r) => [r.id, r]));
  const out = new Map<string, Cellgroup>();
  for (const s of specs) {
    const k = groupKey(s);
    let g = out.get(k);
    if (g === undefined) out.set(k, (g = { spec: s, seeds: new Map(), expectedPerSeed: new Map(), diverged: 0 }));
    g.expectedPerSeed.set(s.seed, (g.expectedPerSeed.get(s.seed) ?? 0) + 1);
    const r = byId.get(s.id);
    if (r === undefined) continue;
    if (isDiverged(r)) {
      g.diverged++;
      continue;
    }
    const list = g.seeds.get(s.seed) ?? [];
    list.push(r);
    g.seeds.set(s.seed, list);
  }
  return [...out.values()];
}



/** The tidy table of a preset: one row per (panel, variant, method, frozen, x) with any result. */
export function aggregate(specs: readonly RunSpec[], records: readonly RunRecord[], budget: string): ResultRow[] {
  const rows: ResultRow[] = [];
  for (const g of groups(specs, records)) {
    if (g.seeds.size === 0) continue;
    const best = [...g.seeds.values()].map(bestByValidation);
    const s = g.spec;
    const accs = best.map((r) => num(r.result.accuracy));
    const saccs = best.map((r) => num(r.result.shift_accuracy));
    rows.push({
      ...figureLabels(s),
      budget,
      params: s.params,
      threshold: s.threshold,
      target_depth: s.config.target_depth,
      frozen_depth: s.config.frozen_depth,
      n_seeds: g.seeds.size,
      n_seeds_expected: g.expectedPerSeed.size,
      n_grid: Math.min(...[...g.seeds.values()].map((l) => l.length)),
      n_grid_expected: Math.max(...g.expectedPerSeed.values()),
      n_diverged: g.diverged,
      test_loss: median(best.map((r) => num(r.result.test_loss))),
      test_loss_min: Math.min(...best.map((r) => num(r.result.test_loss))),
      test_loss_max: Math.max(...best.map((r) => num(r.result.test_loss))),
      test_shift_loss: median(best.map((r) => num(r.result.test_shift_loss))),
      val_loss: median(best.map((r) => num(r.result.val_loss))),
      accuracy: orNull(median(accs)),
      shift_accuracy: orNull(median(saccs)),
      best_lr: mode(best.map((r) => r.lr)),
      best_weight_decay: mode(best.map((r) => r.weight_decay)),
      seconds: best.length === 0 ? NaN : [...g.seeds.values()].flat().reduce((a, r) => a + r.seconds, 0) / [...g.seeds.values()].flat().length,
    });
  }
  return rows;
}

/** Median training/validation curves of the best-validation run per seed (runs with a history). */
export function aggregateHistory(specs: readonly RunSpec[], records: readonly RunRecord[]): HistoryRow[] {
  const rows: HistoryRow[] = [];
  for (const g of groups(specs, records)) {
    const best = [...g.seeds.values()].map(bestByValidation).filter((r) => r.result.history !== null);
    if (best.length === 0) continue;
    const s = g.spec;
    const emit = (curve: "train" | "val", steps: number[], pick: (r: RunRecord) => number[]) => {
      steps.forEach((step, i) => {
        const vals = best.map((r) => pick(r)[i]).filter((v): v is number => typeof v === "number" && !Number.isNaN(v));
        const { preset: _preset, ...labels } = figureLabels(s);
        rows.push({ ...labels, curve, step, loss: median(vals), n_seeds: vals.length });
      });
    };
    const h0 = best[0].result.history!;
    emit("train", h0.steps, (r) => r.result.history!.train);
    emit("val", h0.valSteps, (r) => r.result.history!.val);
  }
  return rows;
}

export function asCells<T extends object>(rows: readonly T[]): Array<Record<string, Cell>> {
  return rows as unknown as Array<Record<string, Cell>>;
}
