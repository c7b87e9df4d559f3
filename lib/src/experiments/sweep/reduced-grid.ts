/**
 * A documented reduction of the lr × weight-decay grid for expensive presets (`tfn-grad`): the
 * full grid on the first seed, then, for every other seed, only the `top` configurations that
 * ranked best by validation on the first seed for the same panel, variant and x. The other seeds
 * of a cell are expanded only once every configuration of the first seed's cell is recorded (the
 * sweep is run twice: the first seed, then the rest; both runs are resumable).
 */
import * as fs from "node:fs";
import { num } from "./aggregate";
import { rawFile } from "./paths";
import { loadResultsFile } from "./store";
import type { RunRecord } from "./types";

/** A grid configuration `[lr, weight_decay]`. */
export type GridPoint = readonly [number, number];

/** Records ranked by validation: lowest loss first (NaN last), ties in the given order. */
export function rankByValidation(records: readonly RunRecord[]): RunRecord[] {
  const key = (r: RunRecord) => {
    const v = num(r.result.val_loss);
    return Number.isNaN(v) ? Infinity : v;
  };
  return records.map((r, i) => ({ r, i })).sort((a, b) => key(a.r) - key(b.r) || a.i - b.i).map((e) => e.r);
}

/**
 * For each cell `point|variant|x` with all `gridSize` configurations of `seed` recorded, the `top`
 * best of them (`[lr, wd]`, best first).
 */
export function topConfigurations(records: readonly RunRecord[], seed: number, gridSize: number, top: number): Map<string, GridPoint[]> {
  const cells = new Map<string, RunRecord[]>();
  for (const r of records) {
    if (r.seed !== seed || r.method === "ours") continue;
    const k = cellKey(r.point, r.x);
    cells.set(k, [...(cells.get(k) ?? []), r]);
  }
  const out = new Map<string, GridPoint[]>();
  for (const [k, rs] of cells) {
    if (rs.length < gridSize) continue;
    out.set(k, rankByValidation(rs).slice(0, top).map((r) => [r.lr, r.weight_decay] as const));
  }
  return out;
}

export const cellKey = (point: string, x: number): string => `${point}|${x}`;

/** The first seed's best configurations from a preset's results file (empty when there is none yet). */
export function topConfigurationsFromFile(preset: string, budget: string, seed: number, gridSize: number, top: number, dir?: string): Map<string, GridPoint[]> {
  const file = rawFile(preset, budget, undefined, dir);
  if (!fs.existsSync(file)) return new Map();
  return topConfigurations(loadResultsFile(file).records, seed, gridSize, top);
}
