// Running sweeps: a tiny fnn sweep completes and a second identical call does no work; a sweep
// killed with SIGKILL mid-run resumes into a complete, duplicate-free file.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { expandPreset } from "../../../lib/src/experiments/presets";
import { BUDGETS, type Budget } from "../../../lib/src/experiments/sweep/budgets";
import { runSweep } from "../../../lib/src/experiments/sweep/runner";
import { loadResultsFile } from "../../../lib/src/experiments/sweep/store";

const root = path.resolve(__dirname, "..", "..", "..");
const tiny: Partial<Budget> = { steps: 4, nTest: 64, nVal: 16, batchSize: 16, pretrainEpochs: 3, valEvery: 2, historyPoints: 3 };

test("fnn sweep (tiny budget) completes; a second identical invocation does no work", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sweep-run-"));
  const out = path.join(dir, "fnn.quick.jsonl");
  const expected = expandPreset("fnn", { ...BUDGETS.quick, ...tiny }).length;
  const first = await runSweep({ preset: "fnn", budget: "quick", budgetOverride: tiny, out, workers: 1, batch: 4 });
  assert.deepEqual([first.expected, first.ran, first.failures.length], [expected, expected, 0]);
  const second = await runSweep({ preset: "fnn", budget: "quick", budgetOverride: tiny, out, workers: 1 });
  assert.deepEqual([second.alreadyDone, second.ran, second.reused], [expected, 0, 0]);
  const { provenance, records } = loadResultsFile(out);
  assert.equal(records.length, expected);
  assert.equal(provenance?.budget, "quick");
  assert.ok(provenance?.git_commit && provenance.node === process.version && provenance.cores >= 1);
  const trained = records.find((r) => r.method === "sgd")!;
  assert.ok(trained.result.history !== null && trained.result.history.steps.at(-1) === 4, "trained runs store their curve");
  // an identical run in a sibling file is copied, not recomputed
  const again = await runSweep({ preset: "shift", budget: "quick", budgetOverride: tiny, out: path.join(dir, "shift.quick.jsonl"), workers: 1 });
  assert.deepEqual([again.ran, again.reused], [0, again.expected]);
});

test("a sweep killed with SIGKILL mid-run resumes to a complete, duplicate-free file", { timeout: 120_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sweep-kill-"));
  const out = path.join(dir, "linear.quick.jsonl");
  const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "lib/src/experiments/sweep-cli.ts"), "--preset", "linear", "--budget", "quick", "--out", out, "--workers", "1", "--no-reuse", "--quiet"], {
    cwd: root,
    stdio: "ignore",
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const lines = () => (fs.existsSync(out) ? fs.readFileSync(out, "utf8").split("\n").length - 1 : 0);
  const start = Date.now();
  while (lines() < 4 && Date.now() - start < 90_000) await new Promise((r) => setTimeout(r, 20));
  child.kill("SIGKILL");
  await exited;
  const before = loadResultsFile(out).records.length;
  const expected = expandPreset("linear", "quick").length;
  assert.ok(before >= 3 && before < expected, `killed mid-run (${before} of ${expected} done)`);
  const resumed = await runSweep({ preset: "linear", budget: "quick", out, workers: 1, reuse: false });
  assert.equal(resumed.alreadyDone, before);
  assert.equal(resumed.ran, expected - before);
  const text = fs.readFileSync(out, "utf8");
  assert.ok(text.endsWith("\n"));
  const parsed = text.trim().split("\n").map((l) => JSON.parse(l) as { id?: string; kind?: string });
  assert.equal(parsed[0].kind, "provenance");
  const ids = parsed.slice(1).map((r) => r.id);
  assert.equal(ids.length, expected);
  assert.equal(new Set(ids).size, expected, "no duplicates");
  assert.deepEqual(new Set(ids), new Set(expandPreset("linear", "quick").map((s) => s.id)), "complete");
});
