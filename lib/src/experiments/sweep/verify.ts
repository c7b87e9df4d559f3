/**
 * Reproducibility check of a committed results file: re-runs a deterministic sample of its
 * recorded runs with the current code (each run alone, through the sweep's executor) and compares
 * every recorded metric. "Bitwise" means every compared number is the identical float64 (a missing
 * value, null or NaN, equals only a missing value: results files store NaN as null).
 */
import { ConfigError } from "../../errors";
import { expandPreset, type PresetName } from "../presets";
import { BUDGETS } from "./budgets";
import { executeTask } from "./execute";
import { rawFile } from "./paths";
import { loadResultsFile } from "./store";
import type { BudgetName, Provenance, RunRecord, RunResult } from "./types";

/** The metrics compared (those present in the record). */
export const VERIFIED_FIELDS = ["test_loss", "test_shift_loss", "val_loss", "best_step", "accuracy", "shift_accuracy", "val_accuracy"] as const;
type Field = (typeof VERIFIED_FIELDS)[number];

export interface VerifiedRun {
  id: string;
  label: string;
  /** Per compared field: recorded and re-run values, and |a − b| / max(|a|, |b|) (0 when equal). */
  fields: Array<{ field: Field; recorded: number | null; rerun: number | null; relDiff: number }>;
  bitwise: boolean;
  /** Set when the re-run failed. */
  error?: string;
}

export interface VerifyReport {
  file: string;
  provenance: Provenance | null;
  recorded: number;
  runs: VerifiedRun[];
  bitwise: number;
  maxRelDiff: number;
}

/** `n` records spread evenly over the file's records sorted by id (deterministic). */
export function sampleRecords(records: readonly RunRecord[], n: number): RunRecord[] {
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`--sample ${n} must be a positive integer`);
  const sorted = [...records].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (n >= sorted.length) return sorted;
  return Array.from({ length: n }, (_, i) => sorted[Math.floor((i * sorted.length) / n)]);
}

const valueOf = (r: RunResult, f: Field): number | null => {
  const v = (r as unknown as Record<string, unknown>)[f];
  return typeof v === "number" ? v : null;
};

/**
 * Relative difference of two recorded values: 0 when identical; a missing value (null, or NaN,
 * which JSON stores as null) equals only another missing value, else the difference is 1.
 */
export function relDiff(a: number | null, b: number | null): number {
  const x = a ?? NaN;
  const y = b ?? NaN;
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) && Number.isNaN(y) ? 0 : 1;
  if (x === y) return 0;
  return Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y));
}

export function compareResults(recorded: RunResult, rerun: RunResult): VerifiedRun["fields"] {
  return VERIFIED_FIELDS.filter((f) => f in recorded).map((f) => {
    const a = valueOf(recorded, f);
    const b = valueOf(rerun, f);
    return { field: f, recorded: a, rerun: b, relDiff: relDiff(a, b) };
  });
}

/** Re-runs `sample` recorded runs of `preset` at `budget` and compares them with the file. */
export async function verifyPreset(preset: PresetName, budget: BudgetName, sample: number, dir?: string, log?: (line: string) => void): Promise<VerifyReport> {
  const file = rawFile(preset, budget, undefined, dir);
  const { provenance, records } = loadResultsFile(file);
  if (records.length === 0) throw new ConfigError(`${file} has no recorded runs to verify`);
  const b = BUDGETS[budget];
  const specs = new Map(expandPreset(preset, b).map((s) => [s.id, s]));
  const runs: VerifiedRun[] = [];
  for (const r of sampleRecords(records, sample)) {
    const spec = specs.get(r.id);
    const label = `${r.point} ${r.variant} ${r.method} ${r.frozen} ${r.x_name}=${r.x} seed=${r.seed} lr=${r.lr} wd=${r.weight_decay}`;
    if (spec === undefined) {
      runs.push({ id: r.id, label, fields: [], bitwise: false, error: `run ${r.id} is not in preset ${preset} at budget ${budget}` });
      continue;
    }
    const out = await executeTask([spec], b.historyPoints, () => undefined);
    if (out.records.length === 0) {
      runs.push({ id: r.id, label, fields: [], bitwise: false, error: out.failures[0]?.error ?? "no result" });
      continue;
    }
    const fields = compareResults(r.result, out.records[0].result);
    const v: VerifiedRun = { id: r.id, label, fields, bitwise: fields.every((f) => f.relDiff === 0) };
    runs.push(v);
    log?.(`${v.bitwise ? "bitwise" : "DIFFERS"} ${r.id} ${label}${v.bitwise ? "" : ": " + fields.filter((f) => f.relDiff > 0).map((f) => `${f.field} ${f.recorded} vs ${f.rerun}`).join(", ")}`);
  }
  const diffs = runs.flatMap((r) => r.fields.map((f) => f.relDiff));
  return { file, provenance, recorded: records.length, runs, bitwise: runs.filter((r) => r.bitwise).length, maxRelDiff: diffs.length === 0 ? NaN : Math.max(...diffs) };
}
