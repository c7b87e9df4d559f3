#!/usr/bin/env node
/**
 * `npm run sweep -- --preset NAME [--budget quick|course|paper] [--shard i/n] [--out FILE] [--workers N] [--batch K]`
 * `npm run sweep -- merge FILES... --out FILE`
 * `npm run sweep -- aggregate [--preset NAME|--all] [--budget B]`
 * `npm run sweep -- list [--budget B]`
 * `npm run sweep -- verify --preset NAME [--budget B] [--sample N] [--json FILE]`: re-runs N recorded runs and compares
 * Exit codes: 0 done, 1 some runs failed or are missing, 2 bad arguments.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import { ConfigError, LoraError } from "../errors";
import { expandPreset, parsePreset, PRESET_DESCRIPTIONS, PRESET_NAMES, type PresetName } from "./presets";
import { BUDGETS, parseBudget } from "./sweep/budgets";
import { writeAggregates } from "./sweep/finalize";
import { mergeFiles } from "./sweep/merge";
import { runSweep } from "./sweep/runner";
import { parseShard } from "./sweep/shard";
import { verifyPreset } from "./sweep/verify";
import { reportLoraError, runCli } from "./cli-run";

const USAGE = [
  "usage: sweep --preset NAME [--budget quick|course|paper] [--shard i/n] [--out FILE] [--workers N] [--batch K] [--methods ours,sgd,flt] [--no-reuse] [--quiet]",
  "       sweep merge FILES... --out FILE",
  "       sweep aggregate [--preset NAME | --all] [--budget B]",
  "       sweep list [--budget B]",
  "       sweep verify --preset NAME [--budget B] [--sample N] [--json FILE]   (re-run N recorded runs; exit 1 unless all bitwise identical)",
  `presets: ${PRESET_NAMES.join(", ")}`,
];

interface Flags {
  positional: string[];
  values: Map<string, string>;
  switches: Set<string>;
}

const SWITCHES = new Set(["all", "no-reuse", "quiet", "help"]);

function parseFlags(argv: readonly string[]): Flags {
  const f: Flags = { positional: [], values: new Map(), switches: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) {
      f.positional.push(a);
      continue;
    }
    if (SWITCHES.has(m[1])) f.switches.add(m[1]);
    else {
      const v = m[2] ?? argv[++i];
      if (v === undefined) throw new ConfigError(`--${m[1]} needs a value`);
      f.values.set(m[1], v);
    }
  }
  return f;
}

/** Writes JSON through a temporary file and a rename. */
function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(value, null, 1) + "\n");
  fs.renameSync(tmp, file);
}

function intFlag(f: Flags, name: string, dflt: number): number {
  const raw = f.values.get(name);
  if (raw === undefined) return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`--${name} ${raw} must be a positive integer`);
  return n;
}

export async function main(argv: readonly string[], write: (l: string) => void = (l) => process.stdout.write(l + "\n")): Promise<number> {
  try {
    const f = parseFlags(argv);
    if (f.switches.has("help")) {
      USAGE.forEach(write);
      return 0;
    }
    const cmd = f.positional[0];
    const budget = parseBudget(f.values.get("budget") ?? "course");
    if (cmd === "merge") {
      const out = f.values.get("out");
      if (out === undefined) throw new ConfigError("merge needs --out FILE");
      const r = mergeFiles(f.positional.slice(1), out);
      write(`merged ${r.records} runs into ${r.out} (${r.duplicates} duplicates dropped, ${r.foreign} not in the preset); ${r.missing.length} of ${r.expected} runs missing`);
      r.missing.slice(0, 20).forEach((s) => write(`  missing ${s.id} ${s.point} ${s.variant} ${s.method} ${s.frozen} ${s.xName}=${s.x} seed=${s.seed} lr=${s.config.lr} wd=${s.config.weight_decay}`));
      if (r.missing.length > 20) write(`  … and ${r.missing.length - 20} more`);
      return r.missing.length > 0 ? 1 : 0;
    }
    if (cmd === "list") {
      for (const p of PRESET_NAMES) write(`${p.padEnd(16)} ${String(expandPreset(p, budget).length).padStart(6)} runs  ${PRESET_DESCRIPTIONS[p]}`);
      const b = BUDGETS[budget];
      write(`budget ${budget}: ${b.steps} steps, lr ${b.lrs.join("/")}, wd ${b.weightDecays.join("/")}, seeds ${b.seeds.join(",")}, n_test ${b.nTest}, ${b.grid} grid`);
      return 0;
    }
    if (cmd === "aggregate") {
      const presets: PresetName[] = f.switches.has("all") ? [...PRESET_NAMES] : [parsePreset(f.values.get("preset") ?? "")];
      for (const p of presets) {
        try {
          const w = writeAggregates(p, budget);
          write(`${w.csv}: ${w.rows} rows from ${w.runs}/${w.expected} runs${w.history ? `; curves in ${w.history}` : ""}`);
        } catch (e) {
          if (!(e instanceof LoraError)) throw e;
          write(`${p}: ${e.message}`);
        }
      }
      return 0;
    }
    if (cmd === "verify") {
      const r = await verifyPreset(parsePreset(f.values.get("preset") ?? ""), budget, intFlag(f, "sample", 5), undefined, write);
      const json = f.values.get("json");
      if (json !== undefined) writeJsonAtomic(json, r);
      const p = r.provenance;
      write(`${r.file} (commit ${p?.git_commit.slice(0, 8) ?? "?"}, git_dirty ${String(p?.git_dirty)}): ${r.bitwise}/${r.runs.length} sampled runs of ${r.recorded} bitwise identical; largest relative difference ${r.maxRelDiff.toExponential(2)}`);
      return r.bitwise === r.runs.length ? 0 : 1;
    }
    if (cmd !== undefined) throw new ConfigError(`unknown command ${cmd}: use merge, aggregate, list, verify, or --preset NAME`);
    const presetName = f.values.get("preset");
    if (presetName === undefined) throw new ConfigError("--preset NAME is required (see --help)");
    const preset = parsePreset(presetName);
    const shardText = f.values.get("shard");
    const shard = shardText === undefined ? undefined : parseShard(shardText);
    const quiet = f.switches.has("quiet");
    const s = await runSweep({
      preset,
      budget,
      shard,
      out: f.values.get("out"),
      workers: intFlag(f, "workers", Math.min(2, os.cpus().length)),
      batch: intFlag(f, "batch", 1),
      reuse: !f.switches.has("no-reuse"),
      methods: f.values.get("methods")?.split(","),
      log: quiet ? undefined : write,
    });
    write(`${s.file}: ${s.expected} runs in this shard; ${s.alreadyDone} already done, ${s.reused} reused, ${s.ran} ran, ${s.failures.length} failed, ${s.seconds.toFixed(1)} s`);
    if (s.failures.length > 0) write(`first failure: ${s.failures[0].error}`);
    if (shard === undefined || shard.count === 1) {
      if (f.values.get("out") === undefined) {
        const w = writeAggregates(preset, budget);
        write(`${w.csv}: ${w.rows} rows from ${w.runs}/${w.expected} runs`);
      }
    }
    return s.failures.length > 0 ? 1 : 0;
  } catch (e) {
    return reportLoraError("sweep", e);
  }
}

if (require.main === module) runCli("sweep", main);
