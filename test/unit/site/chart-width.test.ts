// Every chart output of the executed notebooks fits a 960 px output column: the SVG fallback's width
// attribute and the vega-lite spec's width (a faceted spec: its columns of panels). Reads the committed
// notebooks, or the folder in LORA_CHART_NOTEBOOKS (e.g. freshly executed copies).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { chartOutputs, specWidth, svgWidth, MAX_OUTPUT_WIDTH } from "./chart-outputs";

const dir = process.env.LORA_CHART_NOTEBOOKS ?? join(__dirname, "..", "..", "..", "notebooks");
const files = readdirSync(dir).filter((f) => /^\d\d-.*\.ipynb$/.test(f)).sort();

test("the notebooks have chart outputs to check", () => {
  const total = files.reduce((a, f) => a + chartOutputs(JSON.parse(readFileSync(join(dir, f), "utf8"))).length, 0);
  assert.ok(total >= 30, `expected the course's ~37 charts, found ${total} in ${dir}`);
});

for (const f of files) {
  test(`${f}: every chart output is at most ${MAX_OUTPUT_WIDTH} px wide`, () => {
    const too: string[] = [];
    for (const c of chartOutputs(JSON.parse(readFileSync(join(dir, f), "utf8")))) {
      if (c.svg !== undefined) {
        const w = svgWidth(c.svg);
        if (!(w <= MAX_OUTPUT_WIDTH)) too.push(`${c.cell}: SVG width ${w}`);
      }
      if (c.spec !== undefined) {
        const w = specWidth(c.spec);
        if (!(w <= MAX_OUTPUT_WIDTH)) too.push(`${c.cell}: vega-lite width ${w}`);
      }
    }
    assert.deepEqual(too, [], `charts wider than ${MAX_OUTPUT_WIDTH} px`);
  });
}
