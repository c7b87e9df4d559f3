#!/usr/bin/env node
/**
 * `npm run sweep -- --preset NAME [--budget quick|course|paper] [--shard i/n] [--out FILE] [--workers N] [--batch K]`
 * `npm run sweep -- merge FILES... --out FILE`
 * `npm run sweep -- aggregate [--preset NAME|--all] [--budget B]`
 * `npm run sweep -- list [--budget B]`
 * `npm run sweep -- verify --preset NAME [--budget B] [--sample N] [--json FILE]`: re-runs N recorded runs and compares
 * Exit codes: 0 done, 1 some runs failed or are missing (or a crash), 2 bad arguments or a
 * corrupt results file (an unknown flag or command, a `--out` of another preset or budget, a
 * JSONL line that does not parse), 4 `--out` is locked by another running sweep. A diverged run
 * is a result (`status: "diverged"`), not a failure.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import { ConfigError, LoraError } from "../errors";
import { expandPreset, parsePreset, PRESET_DESCRIPTIONS, PRESET_NAMES, type PresetName } from "./presets";
import { BUDGETS, parseBudget } from "./sweep/budgets";
import { writeAggregates } from "./sweep/finalize";
import { mergeFiles } from "./sweep/merge";
import { writeFileAtomic } from "./atomic";
import { rawFile } from "./sweep/paths";
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

/** The flags each command accepts (any other is a ConfigError, exit status 2). */
const ALLOWED: Record<"run" | "merge" | "aggregate" | "list" | "verify", ReadonlySet<string>> = {
  run: new Set(["preset", "budget", "shard", "out", "workers", "batch", "methods", "no-reuse", "quiet", "help"]),
  merge: new Set(["out", "help"]),
  aggregate: new Set(["preset", "all", "budget", "help"]),
  list: new Set(["budget", "help"]),
  verify: new Set(["preset", "budget", "sample", "json", "help"]),
};

function parseFlags(argv: readonly string[]): Flags {
  const f: Flags = { positional: [], values: new Map(), switches: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--?([A-Za-z0-9_-]+)(?:=(.*))?$/.exec(a);
    if (!m) {
      f.positional.push(a);
      continue;
    }
    if (!a.startsWith("--")) throw new ConfigError(`unexpected argument "${a}": flags look like --preset fnn (see --help)`);
    if (SWITCHES.has(m[1])) {
      if (m[2] !== undefined) throw new ConfigError(`--${m[1]} takes no value`);
      f.switches.add(m[1]);
    } else {
      const v = m[2] ?? argv[++i];
      if (v === undefined) throw new ConfigError(`--${m[1]} needs a value`);
      f.values.set(m[1], v);
    }
  }
  return f;
}

/** Rejects flags the command does not take (`--shards 0/3`, `--budgt quick`) and stray arguments. */
function checkFlags(f: Flags, cmd: keyof typeof ALLOWED): void {
  const allowed = ALLOWED[cmd];
  for (const name of [...f.values.keys(), ...f.switches]) {
    if (!allowed.has(name)) {
      const known = [...allowed].map((n) => `--${n}`).join(", ");
      throw new ConfigError(`unknown flag --${name} for ${cmd === "run" ? "a sweep run" : `sweep ${cmd}`}: it takes ${known} (see --help)`);
    }
  }
  if (cmd !== "merge" && f.positional.length > (cmd === "run" ? 0 : 1)) {
    throw new ConfigError(`unexpected argument "${f.positional[cmd === "run" ? 0 : 1]}" (see --help)`);
  }
}

/** `--workers`: at most the cores this process may use (`os.availableParallelism()`), saying so on stderr. */
export function capWorkers(requested: number, available = os.availableParallelism()): number {
  if (requested <= available) return requested;
  process.stderr.write(`sweep: --workers ${requested} exceeds the ${available} available cores: using ${available}\n`);
  return available;
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
    if (cmd !== undefined && cmd !== "merge" && cmd !== "aggregate" && cmd !== "list" && cmd !== "verify") {
      throw new ConfigError(`unknown command ${cmd}: use merge, aggregate, list, verify, or --preset NAME`);
    }
    checkFlags(f, cmd ?? "run");
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
      for (const p of PRESET_NAMES) write(`${p.padEnd(24)} ${String(expandPreset(p, budget).length).padStart(6)} runs  ${PRESET_DESCRIPTIONS[p]}`);
      const b = BUDGETS[budget];
      write(`budget ${budget}: ${b.steps} steps, lr ${b.lrs.join("/")}, wd ${b.weightDecays.join("/")}, seeds ${b.seeds.join(",")}, n_test ${b.nTest}, ${b.grid} grid`);
      return 0;
    }
    if (cmd === "aggregate") {
      const all = f.switches.has("all");
      if (all && f.values.has("preset")) throw new ConfigError("give --preset NAME or --all, not both");
      const presets: PresetName[] = all ? [...PRESET_NAMES] : [parsePreset(f.values.get("preset") ?? "")];
      let bad = 0;
      for (const p of presets) {
        const raw = rawFile(p, budget);
        if (!fs.existsSync(raw)) {
          if (!all) throw new ConfigError(`${raw} does not exist: run \`sweep --preset ${p} --budget ${budget}\` first`);
          write(`${p}: no results file at budget ${budget}, skipped`);
          continue;
        }
        try {
          const w = writeAggregates(p, budget);
          if (w.partialBytes > 0) process.stderr.write(`sweep: ${raw}: ignored a partial last line (${w.partialBytes} bytes, a run interrupted while writing; the next sweep on this file drops it)\n`);
          write(`${w.csv}: ${w.rows} rows from ${w.runs}/${w.expected} runs${w.diverged > 0 ? ` (${w.diverged} diverged)` : ""}${w.history ? `; curves in ${w.history}` : ""}`);
        } catch (e) {
          if (!(e instanceof LoraError)) throw e;
          process.stderr.write(`sweep: ${p}: ${e.name}: ${e.message}\n`);
          bad++;
        }
      }
      return bad > 0 ? 2 : 0;
    }
    if (cmd === "verify") {
      const r = await verifyPreset(parsePreset(f.values.get("preset") ?? ""), budget, intFlag(f, "sample", 5), undefined, write);
      const json = f.values.get("json");
      if (json !== undefined) writeFileAtomic(json, JSON.stringify(r, null, 1) + "\n");
      const p = r.provenance;
      write(`${r.file} (commit ${p?.git_commit.slice(0, 8) ?? "?"}, git_dirty ${String(p?.git_dirty)}): ${r.bitwise}/${r.runs.length} sampled runs of ${r.recorded} bitwise identical; largest relative difference ${r.maxRelDiff.toExponential(2)}`);
      return r.bitwise === r.runs.length ? 0 : 1;
    }
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
      workers: capWorkers(intFlag(f, "workers", Math.min(2, os.availableParallelism()))),
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
