/** Writes the tidy CSVs of a preset/budget from its raw results file. */
import { writeFileAtomic } from "../atomic";
import { expandPreset, type PresetName } from "../presets";
import { aggregate, aggregateHistory, asCells, HISTORY_COLUMNS, isDiverged, RESULT_COLUMNS } from "./aggregate";
import { BUDGETS } from "./budgets";
import { writeCsv } from "./csv";
import { csvFile, historyCsvFile, rawFile, resultsDir } from "./paths";
import { loadResultsFile } from "./store";
import type { BudgetName } from "./types";

export interface Written {
  csv: string;
  history: string | null;
  rows: number;
  runs: number;
  expected: number;
  /** Runs whose training diverged (counted, never selected). */
  diverged: number;
  /** Bytes of a trailing partial line of the raw file that were ignored (an interrupted write). */
  partialBytes: number;
}

/** Aggregates `<preset>.<budget>.jsonl` (or `raw`) into `<preset>.<budget>.csv` (+ `.history.csv`). */
export function writeAggregates(preset: PresetName, budget: BudgetName, dir = resultsDir(), raw = rawFile(preset, budget, undefined, dir)): Written {
  const { provenance, records, partialBytes } = loadResultsFile(raw);
  const specs = expandPreset(preset, BUDGETS[budget]);
  const ids = new Set(specs.map((s) => s.id));
  const runs = records.filter((r) => ids.has(r.id)).length;
  const seconds = records.reduce((a, r) => a + (r.reused_from ? 0 : r.seconds), 0);
  const diverged = records.filter((r) => ids.has(r.id) && isDiverged(r)).length;
  const prov = { ...(provenance ?? {}), source: raw.split(/[\\/]/).pop(), runs_finished: runs, runs_diverged: diverged, runs_expected: specs.length, run_seconds_total: Math.round(seconds) };
  const rows = aggregate(specs, records, budget);
  const csv = csvFile(preset, budget, dir);
  writeFileAtomic(csv, writeCsv(RESULT_COLUMNS, asCells(rows), prov));
  const hist = aggregateHistory(specs, records);
  let history: string | null = null;
  if (hist.length > 0) {
    history = historyCsvFile(preset, budget, dir);
    writeFileAtomic(history, writeCsv(HISTORY_COLUMNS, asCells(hist), prov));
  }
  return { csv, history, rows: rows.length, runs, expected: specs.length, diverged, partialBytes };
}
