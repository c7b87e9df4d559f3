// The reference classification protocol (ce_target raw): presets record it, aggregation and the
// training loop select by validation accuracy; regression and soft-label run ids are unchanged;
// provenance's git_dirty ignores data/.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { expandPreset, PRESET_NAMES } from "../../../lib/src/experiments/presets";
import { bestByValidation } from "../../../lib/src/experiments/sweep/aggregate";
import { BUDGETS } from "../../../lib/src/experiments/sweep/budgets";
import { rawFile } from "../../../lib/src/experiments/sweep/paths";
import { codeDiffers } from "../../../lib/src/experiments/sweep/provenance";
import { loadResultsFile } from "../../../lib/src/experiments/sweep/store";
import type { RunRecord, RunSpec } from "../../../lib/src/experiments/sweep/types";
import { runLoop, type LoopStepper } from "../../../lib/src/tf/loop";
import { runSweep } from "../../../lib/src/experiments/sweep/runner";
import { relDiff, sampleRecords, verifyPreset } from "../../../lib/src/experiments/sweep/verify";
import { cellKey, rankByValidation, topConfigurations } from "../../../lib/src/experiments/sweep/reduced-grid";
import { ConfigError } from "../../../lib/src/errors";

function rec(s: RunSpec, lr: number, val: number, acc: number, test: number): RunRecord {
  return {
    id: `${s.id}-${lr}`, preset: s.preset, point: s.point, variant: s.variant, method: s.method, frozen: s.frozen, x_name: s.xName, x: s.x,
    seed: s.seed, lr, weight_decay: 0, config: { ...s.config, lr },
    result: { test_loss: test, test_shift_loss: test, val_loss: val, val_accuracy: acc, best_step: 1, accuracy: acc, shift_accuracy: acc, history: null, pretrain_steps: 0 },
    seconds: 0.1, finished: "2024-01-01T00:00:00Z",
  };
}

test("presets: ce_target raw on the classification presets' runs only (reference objective); soft-label and regression configs carry none", () => {
  for (const p of PRESET_NAMES) {
    for (const s of expandPreset(p, BUDGETS.course)) {
      const want = p === "classification" || p === "classification-protocol" ? "raw" : undefined;
      assert.equal(s.config.ce_target, want, `${p} ${s.id}`);
    }
  }
  const raw = expandPreset("classification", BUDGETS.paper);
  const soft = expandPreset("classification-softmax", BUDGETS.paper);
  assert.equal(raw.length, soft.length);
  const softIds = new Set(soft.map((s) => s.id));
  assert.ok(raw.every((s) => !softIds.has(s.id)), "the two objectives have distinct run ids");
});

test("the committed soft-label runs (made before ce_target existed) keep their ids", () => {
  const file = rawFile("classification-softmax", "paper");
  const { records } = loadResultsFile(file);
  const ids = new Set(records.map((r) => r.id));
  const specs = expandPreset("classification-softmax", BUDGETS.paper);
  const missing = specs.filter((s) => !ids.has(s.id));
  assert.equal(missing.length, 0, `${missing.length} of ${specs.length} specs without a committed record`);
});

test("aggregation: raw classification keeps the highest validation accuracy (ties: lower validation loss, then grid order); otherwise the lowest validation loss", () => {
  const s = expandPreset("classification", BUDGETS.course).find((r) => r.method === "sgd")!;
  const a = rec(s, 1, 2.0, 0.80, 1);
  const b = rec(s, 2, 1.0, 0.75, 2);
  const c = rec(s, 3, 1.5, 0.80, 3);
  const d = rec(s, 4, 1.5, 0.80, 4);
  assert.equal(bestByValidation([a, b, c, d]).id, c.id, "0.80 twice: the lower validation loss wins");
  assert.equal(bestByValidation([b, d, c]).id, d.id, "equal accuracy and loss: the first");
  const soft = expandPreset("classification-softmax", BUDGETS.course).find((r) => r.method === "sgd")!;
  assert.equal(bestByValidation([rec(soft, 1, 2.0, 0.8, 1), rec(soft, 2, 1.0, 0.75, 2)]).lr, 2, "soft labels: lowest loss");
});

/** A stepper whose validation losses and accuracies follow fixed sequences (one model). */
function scripted(val: number[], acc: number[]): LoopStepper {
  let t = -1;
  let last = NaN;
  return {
    K: 1,
    owner: new Int32Array(1),
    evaluate(_theta, withVal) {
      t++;
      last = acc[t];
      return Float32Array.from([0, withVal ? val[t] : 0, 0]);
    },
    valAccuracy: () => [last],
  };
}

test("loop: selection by accuracy keeps the first step reaching the maximum (run_exp.py's val_output > best_val); by loss the lowest loss", () => {
  const val = [9, 3, 1, 2, 0.5];
  const acc = [0, 0.5, 0.7, 0.7, 0.6];
  const opts = { steps: 4, lr: new Float32Array(1), weightDecay: new Float32Array(1), valEvery: 1, bestEpoch: true };
  const byAcc = runLoop(scripted(val, acc), new Float32Array(1), { ...opts, selectBy: "accuracy" });
  assert.equal(byAcc.chosenStep[0], 2);
  assert.equal(byAcc.chosenValAccuracy[0], 0.7);
  assert.equal(byAcc.chosenValLoss[0], 1);
  const byLoss = runLoop(scripted(val, acc), new Float32Array(1), { ...opts, selectBy: "loss" });
  assert.equal(byLoss.chosenStep[0], 4);
  const noAcc: LoopStepper = { K: 1, owner: new Int32Array(1), evaluate: () => new Float32Array(3) };
  assert.throws(() => runLoop(noAcc, new Float32Array(1), { ...opts, selectBy: "accuracy" }), ConfigError);
});

test("provenance: git_dirty means tracked code differs from the commit; changes under data/ and untracked files do not count", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "prov-"));
  const git = (...args: string[]) => execFileSync("git", ["-c", "user.email=t@t", "-c", "user.name=t", ...args], { cwd: dir, stdio: "ignore" });
  git("init", "-q");
  fs.mkdirSync(path.join(dir, "data"));
  fs.mkdirSync(path.join(dir, "lib"));
  fs.writeFileSync(path.join(dir, "data", "r.jsonl"), "a\n");
  fs.writeFileSync(path.join(dir, "lib", "x.ts"), "a\n");
  git("add", ".");
  git("commit", "-q", "-m", "init");
  assert.equal(codeDiffers(dir), false);
  fs.appendFileSync(path.join(dir, "data", "r.jsonl"), "b\n");
  fs.writeFileSync(path.join(dir, "untracked.ts"), "b\n");
  assert.equal(codeDiffers(dir), false, "results being written and untracked files");
  assert.equal(codeDiffers(path.join(dir, "lib")), false, "from a subfolder too");
  fs.appendFileSync(path.join(dir, "lib", "x.ts"), "b\n");
  assert.equal(codeDiffers(dir), true, "a tracked code change");
  assert.equal(codeDiffers(path.join(dir, "data")), true, "seen from inside data/ as well");
  fs.rmSync(dir, { recursive: true, force: true });
});

test("sweep verify: a file re-run with the code that wrote it is bitwise identical; a tampered record is caught", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "verify-"));
  const out = path.join(dir, "curves.quick.jsonl");
  await runSweep({ preset: "curves", budget: "quick", out, workers: 1, reuse: false });
  const ok = await verifyPreset("curves", "quick", 2, dir);
  assert.equal(ok.runs.length, 2);
  assert.equal(ok.bitwise, 2, JSON.stringify(ok.runs.map((r) => r.fields)));
  assert.ok(ok.runs.every((r) => r.fields.some((f) => f.field === "test_loss")));
  const lines = fs.readFileSync(out, "utf8").trim().split("\n");
  const tampered = lines.map((l, i) => {
    if (i === 0) return l;
    const r = JSON.parse(l) as RunRecord;
    r.result.test_loss *= 1 + 1e-7;
    return JSON.stringify(r);
  });
  fs.writeFileSync(out, tampered.join("\n") + "\n");
  const bad = await verifyPreset("curves", "quick", 2, dir);
  assert.equal(bad.bitwise, 0);
  assert.ok(bad.maxRelDiff > 0 && bad.maxRelDiff < 1e-6, `${bad.maxRelDiff}`);
  assert.deepEqual(sampleRecords(bad.runs.map((r) => ({ id: r.id }) as RunRecord), 1).map((r) => r.id), [bad.runs.map((r) => r.id).sort()[0]]);
  assert.equal(relDiff(null, null), 0);
  assert.equal(relDiff(NaN, NaN), 0);
  assert.equal(relDiff(null, NaN), 0, "JSON stores NaN as null");
  assert.equal(relDiff(NaN, 0), 1);
  assert.equal(relDiff(1, null), 1);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("tfn-grad reduction: full grid on seed 0; each other seed gets seed 0's 3 best configurations of the same cell, once that cell is complete", () => {
  const b = BUDGETS.paper;
  // stage 1 is what an empty results directory expands to (the committed tfn-grad.paper.jsonl holds both stages)
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), "tfngrad-empty-"));
  const prev = process.env.LORA_RESULTS_DIR;
  process.env.LORA_RESULTS_DIR = empty;
  let stage1: ReturnType<typeof expandPreset>;
  try {
    stage1 = expandPreset("tfn-grad", b);
  } finally {
    if (prev === undefined) delete process.env.LORA_RESULTS_DIR;
    else process.env.LORA_RESULTS_DIR = prev;
    fs.rmSync(empty, { recursive: true, force: true });
  }
  assert.equal(stage1.length, 120);
  assert.ok(stage1.every((s) => s.seed === 0 && s.config.exp === "tfn" && s.method === "sgd" && s.config.n_epochs === 5000));
  assert.ok(stage1.every((s) => s.variant.startsWith("grid=12 on seed 0")), "labelled in the data");
  // Rank seed 0's runs of one cell by a made-up validation loss; all other cells incomplete.
  const cell = stage1.filter((s) => s.point === "L=1" && s.x === 7);
  assert.equal(cell.length, 12);
  const vals = [5, 3, NaN, 4, 9, 1, 8, 2, 7, 6, 10, 11];
  const records = cell.map((s, i) => ({ ...rec(s, s.config.lr, vals[i], NaN, 0), id: s.id, lr: s.config.lr, weight_decay: s.config.weight_decay }));
  const top = topConfigurations(records, 0, 12, 3).get(cellKey("L=1", 7))!;
  const want = [5, 7, 1].map((i) => [cell[i].config.lr, cell[i].config.weight_decay]);
  assert.deepEqual(top, want);
  assert.equal(topConfigurations(records.slice(1), 0, 12, 3).size, 0, "an incomplete cell gives nothing");
  assert.deepEqual(rankByValidation(records).map((r) => vals[records.indexOf(r)]).slice(-2), [11, NaN], "NaN losses rank last");
});

test("tfn-grad stage 2: with seed 0's cells complete in the results file, seeds 1–4 expand to 3 configurations per cell", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tfngrad-"));
  const prev = process.env.LORA_RESULTS_DIR;
  process.env.LORA_RESULTS_DIR = dir;
  try {
    const stage1 = expandPreset("tfn-grad", BUDGETS.paper);
    const prov = { kind: "provenance", preset: "tfn-grad", budget: "paper" };
    const lines = [prov, ...stage1.map((s, i) => rec(s, s.config.lr, (i * 7) % 13, NaN, 0)).map((r, i) => ({ ...r, id: stage1[i].id, weight_decay: stage1[i].config.weight_decay }))];
    fs.writeFileSync(path.join(dir, "tfn-grad.paper.jsonl"), lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
    const stage2 = expandPreset("tfn-grad", BUDGETS.paper);
    assert.equal(stage2.length, 120 + 2 * 5 * 4 * 3);
    for (const s of stage2.filter((r) => r.seed !== 0)) {
      const best = topConfigurations(lines.slice(1) as RunRecord[], 0, 12, 3).get(cellKey(s.point, s.x))!;
      assert.ok(best.some(([lr, wd]) => lr === s.config.lr && wd === s.config.weight_decay), `${s.point} R=${s.x} seed ${s.seed}`);
    }
  } finally {
    if (prev === undefined) delete process.env.LORA_RESULTS_DIR;
    else process.env.LORA_RESULTS_DIR = prev;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
