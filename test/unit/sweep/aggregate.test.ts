// Aggregation (best validation per seed, median over seeds), the JSONL store (partial last line),
// merge (dedup, missing runs) and the CSV loader.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { expandPreset } from "../../../lib/src/experiments/presets";
import { aggregate, median } from "../../../lib/src/experiments/sweep/aggregate";
import { BUDGETS, type Budget } from "../../../lib/src/experiments/sweep/budgets";
import { writeAggregates } from "../../../lib/src/experiments/sweep/finalize";
import { loadResults } from "../../../lib/src/experiments/sweep/load";
import { mergeFiles } from "../../../lib/src/experiments/sweep/merge";
import { makeProvenance } from "../../../lib/src/experiments/sweep/provenance";
import { inShard } from "../../../lib/src/experiments/sweep/shard";
import { loadResultsFile, ResultStore } from "../../../lib/src/experiments/sweep/store";
import type { RunRecord, RunSpec } from "../../../lib/src/experiments/sweep/types";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "sweep-"));

function fake(s: RunSpec, test: number, val: number): RunRecord {
  return {
    id: s.id, preset: s.preset, point: s.point, variant: s.variant, method: s.method, frozen: s.frozen, x_name: s.xName, x: s.x,
    seed: s.seed, lr: s.config.lr, weight_decay: s.config.weight_decay, config: s.config,
    result: { test_loss: test, test_shift_loss: 10 * test, val_loss: val, best_step: 1, accuracy: null, shift_accuracy: null, history: null, pretrain_steps: 0 },
    seconds: 0.1, finished: "2024-01-01T00:00:00Z",
  };
}

test("median: odd, even, NaN-free", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
  assert.equal(median([NaN, 5]), 5);
});

test("aggregation keeps the best-validation grid point per seed, then the median over seeds", () => {
  const budget: Budget = { ...BUDGETS.quick, lrs: [1e-2, 1e-3], weightDecays: [0, 1e-3], seeds: [0, 1, 2] };
  const specs = expandPreset("curves", budget).filter((s) => s.x === 4);
  assert.equal(specs.length, 3 * 4);
  // per seed: test = seed + 0.1·(grid index); the best validation is grid index (seed % 4)
  const records = specs.map((s) => {
    const g = specs.filter((t) => t.seed === s.seed).indexOf(s);
    return fake(s, s.seed + 0.1 * g, g === s.seed % 4 ? 0.001 : 1 + g);
  });
  const [row] = aggregate(specs, records, "quick");
  // chosen: seed 0 → 0.0, seed 1 → 1.1, seed 2 → 2.2; median 1.1
  assert.ok(Math.abs(row.test_loss - 1.1) < 1e-12);
  assert.equal(row.test_loss_min, 0);
  assert.ok(Math.abs(row.test_loss_max - 2.2) < 1e-12);
  assert.equal(row.n_seeds, 3);
  assert.equal(row.n_grid, 4);
  assert.equal(row.n_grid_expected, 4);
  // a missing seed and an incomplete grid are reported, not hidden
  const partial = records.filter((r) => r.seed !== 2 && !(r.seed === 1 && r.lr === 1e-3));
  const [p] = aggregate(specs, partial, "quick");
  assert.equal(p.n_seeds, 2);
  assert.equal(p.n_grid, 2);
});

test("store: a partial last line (crash inside a write) is dropped and truncated; appends resume", () => {
  const dir = tmp();
  const file = path.join(dir, "curves.quick.jsonl");
  const specs = expandPreset("curves", "quick");
  const prov = makeProvenance({ preset: "curves", budget: "quick", backend: "test", shard: "0/1", runsExpected: specs.length });
  const a = ResultStore.open(file, prov);
  a.append(fake(specs[0], 1, 1));
  a.append(fake(specs[1], 2, 2));
  assert.equal(a.append(fake(specs[1], 9, 9)), false, "duplicate ids are never appended");
  a.close();
  fs.appendFileSync(file, JSON.stringify(fake(specs[2], 3, 3)).slice(0, 40));
  assert.equal(loadResultsFile(file).records.length, 2);
  const b = ResultStore.open(file, prov);
  assert.ok(b.truncatedBytes > 0);
  assert.equal(b.done.size, 2);
  b.append(fake(specs[2], 3, 3));
  b.close();
  const text = fs.readFileSync(file, "utf8");
  assert.ok(text.endsWith("\n"));
  assert.equal(text.trim().split("\n").length, 4, "provenance + 3 records");
  assert.equal(loadResultsFile(file).provenance?.preset, "curves");
});

test("merge combines shards, drops duplicates and reports the missing runs; CSV round-trips through loadResults", () => {
  const dir = tmp();
  const specs = expandPreset("linear", "quick");
  const files = [0, 1].map((i) => {
    const f = path.join(dir, `linear.quick.shard-${i}-of-2.jsonl`);
    const st = ResultStore.open(f, makeProvenance({ preset: "linear", budget: "quick", backend: "test", shard: `${i}/2`, runsExpected: 0 }));
    specs.filter((s) => inShard(s.id, { index: i, count: 2 })).forEach((s) => st.append(fake(s, 0.5, 0.5)));
    st.close();
    return f;
  });
  const missingId = specs[3].id;
  const dropped = files.map((f) => fs.readFileSync(f, "utf8").split("\n").filter((l) => !l.includes(missingId)).join("\n"));
  dropped.forEach((t, i) => fs.writeFileSync(files[i], t));
  fs.appendFileSync(files[1], fs.readFileSync(files[0], "utf8").split("\n")[1] + "\n"); // a duplicate
  const out = path.join(dir, "linear.quick.jsonl");
  const r = mergeFiles(files, out);
  assert.equal(r.expected, specs.length);
  assert.equal(r.duplicates, 1);
  assert.deepEqual(r.missing.map((s) => s.id), [missingId]);
  assert.equal(loadResultsFile(out).records.length, specs.length - 1);
  const w = writeAggregates("linear", "quick", dir);
  assert.equal(w.runs, specs.length - 1);
  const { rows, provenance } = loadResults("linear", "quick", dir);
  assert.equal(provenance.preset, "linear");
  assert.equal(rows.length, 27, "one (x, method, frozen) cell has no run at all");
  assert.equal(typeof rows[0].x, "number");
  assert.equal(rows[0].point, "L̄=1, L=2");
  assert.equal(rows[0].accuracy, null);
  assert.equal(rows.find((x) => x.method === "ours")!.test_shift_loss, 5);
});
