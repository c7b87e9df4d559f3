import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadBestResults, loadBudgetResults } from "../../../lib/src/experiments/sweep/load";

const committed = path.join(__dirname, "../../../data/results");

/** Copies a committed CSV into `dir`, optionally rewriting its provenance's runs_finished. */
function copyWithFinished(dir: string, preset: string, budget: string, finished: number | null): void {
  const text = fs.readFileSync(path.join(committed, `${preset}.${budget}.csv`), "utf8");
  const newline = text.indexOf("\n");
  const prov = JSON.parse(text.slice("# provenance ".length, newline)) as Record<string, unknown>;
  if (finished !== null) prov.runs_finished = finished;
  fs.writeFileSync(path.join(dir, `${preset}.${budget}.csv`), `# provenance ${JSON.stringify(prov)}${text.slice(newline)}`);
}

test("loadBestResults: paper when complete, refused constructions count as done, a partial paper sweep falls back to course", () => {
  // The committed paper flt sweep misses only constructions the exact engine refused (an 8-layer block).
  const flt = loadBudgetResults("flt", "paper", committed)!;
  assert.ok(flt.finished < flt.expected, "some flt constructions were refused");
  assert.equal(flt.refused, flt.expected - flt.finished);
  assert.ok(flt.rows.filter((r) => r.method !== "ours").every((r) => r.n_seeds === r.n_seeds_expected && r.n_grid === r.n_grid_expected));
  assert.equal(flt.complete, true);
  assert.equal(loadBestResults("flt", committed)!.budget, "paper");

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "best-results-"));
  try {
    assert.equal(loadBestResults("flt", dir), null);
    copyWithFinished(dir, "flt", "course", null);
    const course = loadBudgetResults("flt", "course", dir)!;
    assert.equal(course.complete, true);
    assert.equal(loadBudgetResults("flt", "paper", dir), null);
    assert.equal(loadBestResults("flt", dir)!.budget, "course");
    // One more missing run than the refusals explain: partial, so the complete course budget is shown.
    copyWithFinished(dir, "flt", "paper", flt.finished - 1);
    const partial = loadBudgetResults("flt", "paper", dir)!;
    assert.equal(partial.complete, false);
    assert.equal(loadBestResults("flt", dir)!.budget, "course");
    // Without the course file, the partial paper sweep is still better than nothing.
    fs.rmSync(path.join(dir, "flt.course.csv"));
    assert.equal(loadBestResults("flt", dir)!.budget, "paper");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
