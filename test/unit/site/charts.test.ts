// The chart helpers: every chart fits the column (CHART_COLUMN_WIDTH), has tooltips, a legend that
// highlights a series, and on a rank axis a bound rank slider; the SVG fallback still renders.
import { test } from "node:test";
import assert from "node:assert/strict";
import { barChart, CHART_COLUMN_WIDTH, facetLayout, lineChart, nearestStopExpr, renderSvg, wrapTitle } from "../../../lib/src/viz";
import { specWidth, svgWidth } from "./chart-outputs";

type Json = Record<string, unknown>;
const long = (i: number) => `a rather long series label that names method number ${i}`;
const rows = [1, 2, 3].flatMap((p) =>
  Array.from({ length: 16 }, (_, i) => [0, 1, 2, 3, 4, 5].map((m) => ({ rank: i + 1, mse: 10 ** -(i / 3) * (m + 1), method: long(m), panel: `panel ${p}: L̄=${p}, L=${2 * p}` }))).flat(),
);

/** Every object in a spec, depth first. */
function walk(v: unknown, out: Json[] = []): Json[] {
  if (Array.isArray(v)) v.forEach((x) => walk(x, out));
  else if (v !== null && typeof v === "object") {
    out.push(v as Json);
    Object.values(v).forEach((x) => walk(x, out));
  }
  return out;
}

test("facetLayout wraps panels so that a row of them fits the column", () => {
  for (let n = 1; n <= 8; n++) {
    const { columns, width } = facetLayout(n, 600);
    assert.ok(columns * width + (columns - 1) * 16 + 105 <= CHART_COLUMN_WIDTH, `${n} panels: ${columns} × ${width}`);
    assert.ok(width >= 200, `${n} panels: panels stay readable (${width} px)`);
  }
  assert.deepEqual(facetLayout(4, 600).columns, 2, "four panels as 2 × 2, not 3 + 1");
  assert.throws(() => facetLayout(0), /positive integer/);
});

test("a three-panel chart with long legend labels and a too-wide request renders within the column", async () => {
  const spec = lineChart({ data: rows, x: "rank", y: "mse", color: "method", column: "panel", logY: true, width: 600, title: "x ".repeat(120), xTitle: "LoRA rank R", rules: [{ at: 15, label: "a threshold label near the right edge" }] });
  assert.ok(specWidth(spec as unknown as Json) <= CHART_COLUMN_WIDTH, `spec width ${specWidth(spec as unknown as Json)}`);
  const w = svgWidth(await renderSvg(spec));
  assert.ok(w <= CHART_COLUMN_WIDTH, `rendered SVG is ${w} px wide`);
  const unfaceted = lineChart({ data: rows.filter((r) => r.panel.startsWith("panel 1")), x: "rank", y: "mse", color: "method", width: 2000 });
  const w2 = svgWidth(await renderSvg(unfaceted));
  assert.ok(w2 <= CHART_COLUMN_WIDTH, `unfaceted SVG is ${w2} px wide`);
  const bars = barChart({ data: rows.slice(0, 24).map((r) => ({ ...r, run: `R=${r.rank}, ${r.method}` })), x: "run", y: "mse", color: "method", width: 1500 });
  const w3 = svgWidth(await renderSvg(bars));
  assert.ok(w3 <= CHART_COLUMN_WIDTH, `bar chart SVG is ${w3} px wide`);
});

test("long titles wrap into lines", () => {
  const t = wrapTitle("word ".repeat(80).trim(), 500);
  assert.ok(Array.isArray(t) && t.length > 1 && t.every((l) => l.length * 13 * 0.8 <= 500 + 13), JSON.stringify(t));
  assert.equal(wrapTitle("short"), "short");
});

test("lines have tooltips and a legend-bound selection that sets the opacity", () => {
  const spec = lineChart({ data: rows, x: "rank", y: "mse", color: "method" });
  const objs = walk(spec);
  const sel = objs.find((o) => o.bind === "legend");
  assert.ok(sel, "a selection bound to the legend");
  assert.deepEqual((sel.select as Json).fields, ["method"]);
  assert.ok(objs.some((o) => (o.opacity as Json | undefined)?.condition !== undefined && ((o.opacity as Json).condition as Json).param === sel.name), "opacity follows the selection");
  assert.ok(objs.some((o) => Array.isArray(o.tooltip) && (o.tooltip as Json[]).some((t) => t.field === "mse")), "tooltip shows the y value");
  const bars = walk(barChart({ data: rows.slice(0, 12), x: "rank", y: "mse", color: "method" }));
  assert.ok(bars.some((o) => o.bind === "legend") && bars.some((o) => Array.isArray(o.tooltip)), "bars too");
});

test("a rank axis gets a bound rank slider; other axes do not unless asked", () => {
  const params = (s: unknown) => ((s as Json).params ?? []) as Json[];
  const ranked = lineChart({ data: rows, x: "rank", y: "mse", color: "method", rules: [{ at: 8, label: "threshold" }] });
  const slider = params(ranked).find((p) => p.bind !== undefined);
  assert.ok(slider, "slider on a rank axis");
  assert.deepEqual(slider.bind, { input: "range", min: 1, max: 16, step: 1, name: "rank R " });
  assert.equal(slider.value, 8, "starts at the threshold rule");
  const notRank = lineChart({ data: rows.map((r) => ({ ...r, L: r.rank })), x: "L", y: "mse", color: "method" });
  assert.equal(params(notRank).length, 0, "no slider on a depth axis");
  const truncate = lineChart({ data: rows, x: "rank", y: "mse", slider: { mode: "truncate", value: 3 } });
  const filters = walk(truncate).map((o) => o.filter).filter((f): f is string => typeof f === "string");
  assert.ok(filters.some((f) => f === 'datum["rank"] > rank_at'), `truncate mode greys the dropped values: ${filters}`);
  assert.throws(() => lineChart({ data: rows, x: "rank", y: "mse", slider: { value: 40 } }), /value 40 must lie in \[1, 16\]/);
});

test("the slider snaps to the ranks the data has", () => {
  const expr = nearestStopExpr([1, 2, 4, 8]);
  const at = (rank: number) => Function("rank", `return ${expr};`)(rank) as number;
  assert.deepEqual([1, 1.4, 2.9, 3.1, 5, 6.1, 7, 8].map(at), [1, 1, 2, 4, 4, 8, 8, 8]);
});

test("the SVG fallback draws the slider's initial state and the legend", async () => {
  const svg = await renderSvg(lineChart({ data: rows.filter((r) => r.panel.startsWith("panel 1") && r.method.endsWith("1")), x: "rank", y: "mse", color: "method", rules: [{ at: 8, label: "threshold" }] }));
  assert.match(svg, /R = 8/, "the slider's caption at its start value");
  assert.match(svg, /a rather long series label/, "legend labels");
});
