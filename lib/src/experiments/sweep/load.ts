/**
 * Typed loaders for notebooks: `loadResults(preset, budget)` reads the tidy CSV
 * `data/results/<preset>.<budget>.csv`, `loadHistory` the training curves, `loadRaw` the JSONL,
 * `loadBestResults(preset)` the most thorough complete budget committed.
 */
import * as fs from "node:fs";
import { ConfigError } from "../../errors";
import { HISTORY_COLUMNS, RESULT_COLUMNS, type HistoryRow, type ResultRow } from "./aggregate";
import { parseCsv } from "./csv";
import { csvFile, historyCsvFile, rawFile, resultsDir } from "./paths";
import { loadResultsFile } from "./store";
import type { BudgetName, Provenance, RunRecord } from "./types";

const STRING_COLUMNS = new Set(["preset", "budget", "point", "variant", "method", "frozen", "x_name", "curve"]);
const NULLABLE = new Set(["accuracy", "shift_accuracy"]);
/** Columns added after results were committed, with the value an older CSV implies (no diverged run was recorded then). */
const ADDED_LATER: Readonly<Record<string, number>> = { n_diverged: 0 };

function typedRows<T>(file: string, expected: readonly string[]): { provenance: Record<string, unknown>; rows: T[] } {
  if (!fs.existsSync(file)) throw new ConfigError(`${file} does not exist: run \`npm run sweep -- --preset …\` first (or check the budget name)`);
  const { provenance, columns, rows } = parseCsv(fs.readFileSync(file, "utf8"), file);
  const missing = expected.filter((c) => !columns.includes(c) && !(c in ADDED_LATER));
  if (missing.length > 0) throw new ConfigError(`${file} lacks columns ${missing.join(", ")}: regenerate it with \`npm run sweep -- aggregate\``);
  return {
    provenance,
    rows: rows.map((cells) => {
      const o: Record<string, string | number | null> = {};
      for (const c of expected) if (!columns.includes(c) && c in ADDED_LATER) o[c] = ADDED_LATER[c];
      columns.forEach((c, i) => {
        const v = cells[i] ?? "";
        o[c] = STRING_COLUMNS.has(c) ? v : v === "" ? (NULLABLE.has(c) ? null : NaN) : Number(v);
      });
      return o as unknown as T;
    }),
  };
}

/** Aggregated results of a preset (one row per panel, variant, method, frozen kind and x). */
export function loadResults(preset: string, budget: BudgetName, dir = resultsDir()): { provenance: Record<string, unknown>; rows: ResultRow[] } {
  return typedRows<ResultRow>(csvFile(preset, budget, dir), RESULT_COLUMNS);
}

/** Median training curves (presets whose runs store a history: every trained run does). */
export function loadHistory(preset: string, budget: BudgetName, dir = resultsDir()): { provenance: Record<string, unknown>; rows: HistoryRow[] } {
  return typedRows<HistoryRow>(historyCsvFile(preset, budget, dir), HISTORY_COLUMNS);
}

/** Every raw run record (one per finished run, all grid configurations and seeds). */
export function loadRaw(preset: string, budget: BudgetName, dir = resultsDir()): { provenance: Provenance | null; records: RunRecord[] } {
  const { provenance, records } = loadResultsFile(rawFile(preset, budget, undefined, dir));
  return { provenance, records };
}

/** A preset's committed results at one budget, with how complete they are. */
export interface BudgetResults {
  preset: string;
  budget: BudgetName;
  rows: ResultRow[];
  /** Median training curves (empty when the preset has none). */
  history: HistoryRow[];
  finished: number;
  expected: number;
  /**
   * Construction runs missing from rows that have other seeds: the exact engine refused them
   * (`AssumptionError`, e.g. a singular product deep in an 8-layer block). Re-running cannot add them.
   */
  refused: number;
  /** Every run finished, or every missing run is a refused construction. */
  complete: boolean;
}

/** The results of a preset at one budget, or null when that budget has no CSV. */
export function loadBudgetResults(preset: string, budget: BudgetName, dir = resultsDir()): BudgetResults | null {
  if (!fs.existsSync(csvFile(preset, budget, dir))) return null;
  const { rows, provenance } = loadResults(preset, budget, dir);
  const history = fs.existsSync(historyCsvFile(preset, budget, dir)) ? loadHistory(preset, budget, dir).rows : [];
  const finished = Number(provenance.runs_finished);
  const expected = Number(provenance.runs_expected);
  const refused = rows.filter((r) => r.method === "ours").reduce((s, r) => s + Math.max(0, r.n_seeds_expected - r.n_seeds), 0);
  return { preset, budget, rows, history, finished, expected, refused, complete: finished + refused >= expected };
}

/**
 * The most thorough complete results of a preset: paper, else course, else quick (complete:
 * `BudgetResults.complete`); a partial sweep only when no budget is complete. Null when none is committed.
 */
export function loadBestResults(preset: string, dir = resultsDir()): BudgetResults | null {
  const found = (["paper", "course", "quick"] as BudgetName[]).map((b) => loadBudgetResults(preset, b, dir)).filter((r): r is BudgetResults => r !== null);
  return found.find((r) => r.complete) ?? found[0] ?? null;
}
