/**
 * Runs a preset under a budget: expands it, keeps this shard's runs, skips the ones already in the
 * results file, copies the ones another results file in the same folder already holds (same id =
 * same configuration), and runs the rest on a worker pool, appending each record as it finishes.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { backendInfo } from "../../tf/backend";
import { expandPreset, type PresetName } from "../presets";
import { BUDGETS } from "./budgets";
import { batchable, batchKey } from "./execute";
import { makeProvenance } from "./provenance";
import { rawFile } from "./paths";
import { runPool } from "./pool";
import { ALL, inShard, shardLabel, type Shard } from "./shard";
import { loadResultsFile, ResultStore } from "./store";
import type { Budget } from "./budgets";
import { figureLabels, type BudgetName, type RunRecord, type RunSpec } from "./types";

export interface SweepOptions {
  preset: PresetName;
  budget: BudgetName;
  /** Override budget fields (tests use tiny budgets). */
  budgetOverride?: Partial<Omit<Budget, "name">>;
  shard?: Shard;
  out?: string;
  workers?: number;
  /** Largest group of LoRA runs trained in one batched computation (1: no batching). */
  batch?: number;
  /** Copy records of identical runs from other results files in the output folder (default true). */
  reuse?: boolean;
  /** Only these methods (default all): e.g. the cheap constructions first. */
  methods?: readonly string[];
  /** Progress line per finished run. */
  log?: (line: string) => void;
}

export interface SweepSummary {
  file: string;
  expected: number;
  alreadyDone: number;
  reused: number;
  ran: number;
  failures: Array<{ id: string; error: string }>;
  seconds: number;
}

/** The runs of a shard, as the sweep would run them (ids stable across calls). */
export function shardRuns(preset: PresetName, budget: Budget, shard: Shard): RunSpec[] {
  return expandPreset(preset, budget).filter((r) => inShard(r.id, shard));
}

function siblingRecords(file: string): Map<string, { record: RunRecord; from: string }> {
  const dir = path.dirname(file);
  const out = new Map<string, { record: RunRecord; from: string }>();
  if (!fs.existsSync(dir)) return out;
  for (const name of fs.readdirSync(dir).sort()) {
    const f = path.join(dir, name);
    if (!name.endsWith(".jsonl") || path.resolve(f) === path.resolve(file)) continue;
    try {
      for (const record of loadResultsFile(f).records) if (!out.has(record.id)) out.set(record.id, { record, from: name });
    } catch {
      // an unreadable sibling is simply not reused
    }
  }
  return out;
}

/** Groups pending runs into tasks: `ours` first, then batchable LoRA runs of one shape in groups of ≤ batch. */
export function planTasks(pending: readonly RunSpec[], batch: number): RunSpec[][] {
  const ours = pending.filter((s) => s.method === "ours").map((s) => [s]);
  const rest = pending.filter((s) => s.method !== "ours");
  const tasks: RunSpec[][] = [];
  const groups = new Map<string, RunSpec[]>();
  for (const s of rest) {
    if (batch <= 1 || !batchable(s)) {
      tasks.push([s]);
      continue;
    }
    const key = batchKey(s);
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = []));
    g.push(s);
    if (g.length >= batch) {
      tasks.push(g);
      groups.set(key, []);
    }
  }
  for (const g of groups.values()) if (g.length > 0) tasks.push(g);
  const firstSeed = (t: RunSpec[]) => Math.min(...t.map((s) => s.seed));
  const prio = coarseToFine([...new Set(pending.map((s) => s.x))]);
  const firstX = (t: RunSpec[]) => Math.min(...t.map((s) => prio.get(s.x) ?? 0));
  // stable sort: seed by seed, and within a seed the x values coarse to fine, so a sweep cut
  // short still has a whole curve at a coarse resolution
  return [...ours, ...tasks.sort((a, b) => firstSeed(a) - firstSeed(b) || firstX(a) - firstX(b))];
}

/** Position of each x in a coarse-to-fine order: both ends, then midpoints of ever finer halves. */
export function coarseToFine(values: readonly number[]): Map<number, number> {
  const xs = [...values].sort((a, b) => a - b);
  const order: number[] = [];
  const seen = new Set<number>();
  const take = (i: number) => {
    if (!seen.has(i)) {
      seen.add(i);
      order.push(xs[i]);
    }
  };
  if (xs.length > 0) {
    take(0);
    take(xs.length - 1);
  }
  let intervals: Array<[number, number]> = [[0, xs.length - 1]];
  while (intervals.length > 0) {
    const next: Array<[number, number]> = [];
    for (const [a, b] of intervals) {
      if (b - a < 2) continue;
      const m = (a + b) >> 1;
      take(m);
      next.push([a, m], [m, b]);
    }
    intervals = next;
  }
  xs.forEach((_, i) => take(i));
  return new Map(order.map((x, i) => [x, i]));
}

export async function runSweep(o: SweepOptions): Promise<SweepSummary> {
  const start = performance.now();
  const budget: Budget = { ...BUDGETS[o.budget], ...(o.budgetOverride ?? {}) };
  const shard = o.shard ?? ALL;
  const file = o.out ?? rawFile(o.preset, o.budget, shard);
  const runs = shardRuns(o.preset, budget, shard).filter((r) => o.methods === undefined || o.methods.includes(r.method));
  const info = await backendInfo();
  const store = ResultStore.open(file, makeProvenance({ preset: o.preset, budget: o.budget, backend: info.name, adapter: info.adapter, shard: shardLabel(shard), runsExpected: runs.length }));
  try {
    return await runWithStore(o, store, runs, budget, file, start);
  } finally {
    store.close();
  }
}

async function runWithStore(o: SweepOptions, store: ResultStore, runs: RunSpec[], budget: Budget, file: string, start: number): Promise<SweepSummary> {
  const log = o.log ?? (() => undefined);
  if (store.truncatedBytes > 0) log(`dropped a partial last line (${store.truncatedBytes} bytes) left by an interrupted run`);
  const alreadyDone = runs.filter((r) => store.done.has(r.id)).length;
  let pending = runs.filter((r) => !store.done.has(r.id));
  let reused = 0;
  if ((o.reuse ?? true) && pending.length > 0) {
    const sib = siblingRecords(file);
    for (const s of pending) {
      const hit = sib.get(s.id);
      if (hit === undefined) continue;
      const r = hit.record;
      store.append({ ...r, ...figureLabels(s), reused_from: hit.from });
      reused++;
    }
    pending = pending.filter((r) => !store.done.has(r.id));
  }
  let ran = 0;
  const failures: Array<{ id: string; error: string }> = [];
  const total = pending.length;
  await runPool(planTasks(pending, o.batch ?? 1), o.workers ?? 1, budget.historyPoints, {
    onRecord: (r) => {
      if (store.append(r)) ran++;
      log(`[${ran}/${total}] ${r.preset} ${r.point}${r.variant ? " " + r.variant : ""} ${r.method} ${r.frozen} ${r.x_name}=${r.x} seed=${r.seed} lr=${r.lr} wd=${r.weight_decay}: ${r.result.status === "diverged" ? "DIVERGED" : `test ${r.result.test_loss.toExponential(3)}`} (${r.seconds.toFixed(1)} s)`);
    },
    onFailure: (f) => {
      failures.push(f);
      log(`FAILED ${f.id}: ${f.error}`);
    },
  });
  return { file, expected: runs.length, alreadyDone, reused, ran, failures, seconds: (performance.now() - start) / 1000 };
}
