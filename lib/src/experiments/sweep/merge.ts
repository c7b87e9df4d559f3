/**
 * `sweep merge`: combines shard files (or any results files of one preset and budget) into one,
 * drops duplicate run ids, and reports the runs of the preset that no file holds.
 */
import * as fs from "node:fs";
import { ConfigError } from "../../errors";
import { writeFileAtomic } from "../atomic";
import { expandPreset, parsePreset } from "../presets";
import { BUDGETS } from "./budgets";
import { acquireLock, loadResultsFile } from "./store";
import type { Provenance, RunRecord, RunSpec } from "./types";

export interface MergeReport {
  out: string;
  records: number;
  duplicates: number;
  /** Records whose id is not a run of the preset (another budget's, or an older preset definition). */
  foreign: number;
  missing: RunSpec[];
  expected: number;
}

/** Merges `files` into `out` (under `out`'s lock, written to a temporary file, then renamed: never half-written). */
export function mergeFiles(files: readonly string[], out: string): MergeReport {
  if (files.length === 0) throw new ConfigError("merge needs at least one results file: sweep merge FILES... --out FILE");
  let provenance: Provenance | null = null;
  const byId = new Map<string, RunRecord>();
  let duplicates = 0;
  const shards: string[] = [];
  for (const f of files) {
    if (!fs.existsSync(f)) throw new ConfigError(`results file ${f} does not exist`);
    const loaded = loadResultsFile(f);
    if (loaded.provenance === null) throw new ConfigError(`${f} has no provenance line: not a results file`);
    if (provenance !== null && (loaded.provenance.preset !== provenance.preset || loaded.provenance.budget !== provenance.budget)) {
      throw new ConfigError(`${f} holds ${loaded.provenance.preset}/${loaded.provenance.budget}, not ${provenance.preset}/${provenance.budget}: merge one preset and budget at a time`);
    }
    provenance ??= loaded.provenance;
    shards.push(loaded.provenance.shard);
    for (const r of loaded.records) {
      if (byId.has(r.id)) duplicates++;
      else byId.set(r.id, r);
    }
  }
  const p = provenance!;
  const specs = expandPreset(parsePreset(p.preset), BUDGETS[p.budget]);
  const ids = new Set(specs.map((s) => s.id));
  const missing = specs.filter((s) => !byId.has(s.id));
  const foreign = [...byId.keys()].filter((id) => !ids.has(id)).length;
  const merged: Provenance = { ...p, shard: `merged(${shards.join(" ")})`, runs_expected: specs.length, date: new Date().toISOString() };
  const lines = [JSON.stringify(merged), ...[...byId.values()].map((r) => JSON.stringify(r))];
  // the output may be a results file a sweep is appending to: take its lock while replacing it
  const release = acquireLock(out);
  try {
    writeFileAtomic(out, lines.join("\n") + "\n");
  } finally {
    release();
  }
  return { out, records: byId.size, duplicates, foreign, missing, expected: specs.length };
}
