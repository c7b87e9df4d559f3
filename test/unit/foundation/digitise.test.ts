// The digitiser (lib/scripts/digitise) on synthetic matplotlib-like PNGs with known axes and points,
// the stored-table parsers, and the data/reference loader.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PNG } from "pngjs";
import { DigitiseError, findFrames, findGridlines, findLegendBoxes, findLine } from "../../../lib/scripts/digitise/core.mjs";
import { digitiseFigure, expandXs, parseStored, writeCsv } from "../../../lib/scripts/digitise/digitise.mjs";
import { loadPaperReference, paperValue } from "../../../lib/src/experiments/reference";
import { agrees, curvesComparison, paperComparison, paperPoints } from "../../../lib/src/experiments/paper-compare";
import { ConfigError } from "../../../lib/src/errors";
import type { ResultRow } from "../../../lib/src/experiments/sweep/aggregate";

type RGB = [number, number, number];

/** A white canvas with one or two axes frames, grey gridlines, a legend box and square markers. */
class Canvas {
  readonly png: PNG;
  constructor(readonly width: number, readonly height: number) {
    this.png = new PNG({ width, height });
    this.png.data.fill(255);
  }
  set(x: number, y: number, c: RGB): void {
    const i = (Math.round(y) * this.width + Math.round(x)) * 4;
    this.png.data[i] = c[0];
    this.png.data[i + 1] = c[1];
    this.png.data[i + 2] = c[2];
    this.png.data[i + 3] = 255;
  }
  rect(x0: number, y0: number, x1: number, y1: number, c: RGB): void {
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) this.set(x, y, c);
  }
  hline(y: number, x0: number, x1: number, c: RGB): void {
    this.rect(x0, y, x1, y, c);
  }
  vline(x: number, y0: number, y1: number, c: RGB): void {
    this.rect(x, y0, x, y1, c);
  }
  /** round-trip through PNG bytes, as the digitiser reads notebook outputs */
  decoded(): { width: number; height: number; data: Buffer } {
    return PNG.sync.read(PNG.sync.write(this.png));
  }
}

const BLACK: RGB = [0, 0, 0];
const GRID: RGB = [176, 176, 176];
const BLUE: RGB = [0x11, 0x8a, 0xb2];
const PINK: RGB = [0xdd, 0x34, 0x97];

// one panel: frame x 40..380, y 20..260; x ticks 4, 8, 12, 16 at 120, 200, 280, 360 (20 px per rank);
// log y ticks 1e-8 at y=180 and 1e-4 at y=100 (20 px per decade)
const frame = { left: 40, right: 380, top: 20, bottom: 260 };
const xPix = (r: number) => 40 + 20 * r;
const yPix = (v: number) => 180 - 20 * (Math.log10(v) + 8);

function drawPanel(c: Canvas, points: Record<string, Array<[number, number]>>, legend = false): void {
  c.hline(frame.top, frame.left, frame.right, BLACK);
  c.hline(frame.bottom, frame.left, frame.right, BLACK);
  c.vline(frame.left, frame.top, frame.bottom, BLACK);
  c.vline(frame.right, frame.top, frame.bottom, BLACK);
  for (const r of [4, 8, 12, 16]) c.vline(xPix(r), frame.top + 1, frame.bottom - 1, GRID);
  for (const v of [1e-8, 1e-4]) c.hline(yPix(v), frame.left + 1, frame.right - 1, GRID);
  if (legend) {
    // a legend box (grey frame, white fill) with a blue sample marker inside it
    c.rect(200, 130, 340, 170, [255, 255, 255]);
    c.hline(130, 200, 340, [204, 204, 204]);
    c.hline(170, 200, 340, [204, 204, 204]);
    c.vline(200, 130, 170, [204, 204, 204]);
    c.vline(340, 130, 170, [204, 204, 204]);
    c.rect(277, 147, 282, 152, BLUE);
  }
  for (const [name, pts] of Object.entries(points)) {
    const col = name === "sgd" ? BLUE : PINK;
    // 5-pixel markers centred on the value's pixel row (rounded: at most 0.5 px from the exact row)
    for (const [r, v] of pts) c.rect(xPix(r) - 2, Math.round(yPix(v)) - 2, xPix(r) + 2, Math.round(yPix(v)) + 2, col);
  }
}

const truth: Record<string, Array<[number, number]>> = {
  sgd: [[1, 0.08], [4, 0.015], [7, 1e-4], [16, 1.1e-5]],
  ours: [[2, 0.05], [8, 1e-9], [10, 3e-10], [14, 2e-11]],
};
const calibration = {
  figure: "synthetic",
  panels: ["only"],
  yScale: "log",
  yTicks: [1e-8, 1e-4],
  xTicks: [4, 8, 12, 16],
  series: [
    { name: "sgd", colour: "#118AB2", xs: [1, 4, 7, 16] },
    { name: "ours", colour: "#DD3497", xs: [2, 8, 10, 14] },
  ],
};

test("the digitiser recovers known points on a log axis to within its stated ±1-pixel uncertainty", () => {
  const c = new Canvas(420, 300);
  drawPanel(c, truth);
  const img = c.decoded();
  assert.deepEqual(findFrames(img), [frame]);
  assert.deepEqual(findGridlines(img, frame, "x").map(Math.round), [120, 200, 280, 360]);
  assert.deepEqual(findGridlines(img, frame, "y").map(Math.round), [100, 180]);
  const { rows, missing } = digitiseFigure(img, calibration, "synthetic.png");
  assert.deepEqual(missing, []);
  assert.equal(rows.length, 8);
  for (const r of rows) {
    const v = truth[r.series].find(([x]) => x === r.x)![1];
    // the drawn centre is at most 0.5 px (0.025 decades at 20 px per decade) from the exact value;
    // the digitiser must find the centre itself (to the 6 significant digits it writes), and its
    // stated ±1 px must cover the rest
    const drawn = 10 ** ((180 - Math.round(yPix(v))) / 20 - 8);
    assert.ok(Math.abs(r.y / drawn - 1) < 1e-5, `${r.series}@${r.x}: ${r.y} vs drawn ${drawn}`);
    assert.ok(Math.abs(Math.log10(r.y / v)) <= 0.025 + 1e-9, `${r.series}@${r.x}: ${r.y} vs ${v}`);
    assert.ok(Math.abs(r.y - v) <= r.uncertainty, `${r.series}@${r.x}: error ${Math.abs(r.y - v)} > uncertainty ${r.uncertainty}`);
    assert.equal(r.method, "digitised");
  }
});

test("a legend's sample marker is not read as data, and a missing marker is reported, not invented", () => {
  const c = new Canvas(420, 300);
  // sgd has no marker at rank 12, whose column crosses the legend's blue sample (x 277..282)
  drawPanel(c, { sgd: [[1, 0.08], [4, 0.015]], ours: truth.ours }, true);
  const img = c.decoded();
  assert.deepEqual(findLegendBoxes(img, frame), [{ left: 200, right: 340, top: 130, bottom: 170 }]);
  assert.deepEqual(findGridlines(img, frame, "y").map(Math.round), [100, 180], "the legend's grey edges are not gridlines");
  const cal = { ...calibration, series: [{ name: "sgd", colour: "#118AB2", xs: [1, 4, 12] }] };
  const { rows, missing } = digitiseFigure(img, cal, "synthetic.png");
  assert.deepEqual(rows.map((r: { x: number }) => r.x), [1, 4]);
  assert.deepEqual(missing.map((m: { x: number }) => m.x), [12]);
});

test("a calibration that does not fit the image is a DigitiseError naming the mismatch", () => {
  const c = new Canvas(420, 300);
  drawPanel(c, truth);
  const img = c.decoded();
  assert.throws(() => digitiseFigure(img, { ...calibration, yTicks: [1e-8, 1e-4, 1] }, "s"), (e: unknown) => e instanceof DigitiseError && /found 2 gridlines but the calibration lists 3/.test(e.message));
  assert.throws(() => digitiseFigure(img, { ...calibration, panels: ["a", "b"] }, "s"), (e: unknown) => e instanceof DigitiseError && /found 1 axes frames/.test(e.message));
  assert.throws(() => expandXs("1-16"), DigitiseError);
  assert.deepEqual(expandXs("64*(1..3)+32"), [96, 160, 224]);
});

test("stored tables parse into rows: the bitfit dict, the early rank table, the flt series", () => {
  const bitfit = parseStored({ figure: "lora_bitfit_approx", panel: "random", format: "bitfit-dict", series: { 0: "tune_bias=0", 1: "tune_bias=1" } }, "{0: {0: 0.16716726124286652,\n  64: 0.10881733149290083},\n 1: {32: inf,\n  96: 0.10972966253757475,\n  544: 4.5796386127783246e-10}}");
  assert.deepEqual(bitfit.map((r: { series: string; x: number; y: number }) => [r.series, r.x, r.y]), [["tune_bias=0", 0, 0.16716726124286652], ["tune_bias=0", 64, 0.10881733149290083], ["tune_bias=1", 96, 0.10972966253757475], ["tune_bias=1", 544, 4.5796386127783246e-10]]);
  const table = parseStored({ figure: "fnn_approx", panel: "p", format: "rank-table", columns: ["sgd best", "ours first"] }, "         sgd          ours\n1   0.079980  1.019946e-01\n8   0.000056  1.188237e-09\n");
  assert.deepEqual(table.map((r: { series: string; x: number; y: number }) => [r.series, r.x, r.y]), [["sgd best", 1, 0.07998], ["ours first", 1, 0.1019946], ["sgd best", 8, 0.000056], ["ours first", 8, 1.188237e-9]]);
  const flt = parseStored({ figure: "flt_approx", panel: "random", format: "param-series", seriesName: "flt" }, "1             {}\n256     0.118086\n2             {}\n1792    0.073206\ndtype: object");
  assert.deepEqual(flt.map((r: { x: number; y: number }) => [r.x, r.y]), [[256, 0.118086], [1792, 0.073206]]);
  assert.throws(() => parseStored({ figure: "f", panel: "p", format: "param-series", seriesName: "s", notebook: "n", cell: 1 }, "nothing here"), DigitiseError);
});

function tmpReference(rows: string[], name = "fig.csv"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ref-"));
  fs.writeFileSync(path.join(dir, name), ["figure,panel,series,x,y,method,uncertainty,source", ...rows].join("\n") + "\n");
  return dir;
}

test("loadPaperReference returns typed rows, prefers stored values, and rejects malformed files", () => {
  const dir = tmpReference([
    'lora_bitfit_approx,random,tune_bias=0,64,0.108817,stored,0,"draw_bitfit.ipynb@eaeb7d3 cell 5"',
    "lora_bitfit_approx,random,tune_bias=0,64,0.1085,digitised,0.0011,draw_bitfit.ipynb@eaeb7d3 cell 6",
    'log_fnn_approx,"Lbar=1,L=2",ours,8,4.9e-10,digitised,8e-11,draw_plot_v1.ipynb@eaeb7d3 cell 7',
  ]);
  writeCsv(path.join(dir, "early_tables.csv"), [{ figure: "fnn_approx", panel: "Lbar=1,L=2", series: "sgd pooled best run", x: 1, y: 0.07998, method: "stored", uncertainty: 0, source: "b4ca584" }]);
  const all = loadPaperReference(undefined, { dir });
  assert.equal(all.length, 3, "early tables are left out by default");
  assert.equal(loadPaperReference(undefined, { dir, early: true }).length, 4);
  const fnn = loadPaperReference("log_fnn_approx", { dir });
  assert.deepEqual(fnn[0], { figure: "log_fnn_approx", panel: "Lbar=1,L=2", series: "ours", x: 8, y: 4.9e-10, method: "digitised", uncertainty: 8e-11, source: "draw_plot_v1.ipynb@eaeb7d3 cell 7", file: "fig.csv" });
  const v = paperValue(loadPaperReference("lora_bitfit_approx", { dir }), "random", "tune_bias=0", 64);
  assert.equal(v?.method, "stored");
  assert.equal(v?.y, 0.108817);
  assert.throws(() => loadPaperReference("figure9", { dir }), (e: unknown) => e instanceof ConfigError && /known: log_fnn_approx, lora_bitfit_approx/.test(e.message));
  const bad = tmpReference(["figure1,random,sgd,1,0.2,guessed,0,x"]);
  assert.throws(() => loadPaperReference(undefined, { dir: bad }), (e: unknown) => e instanceof ConfigError && /method must be stored or digitised/.test(e.message));
  const nan = tmpReference(["figure1,random,sgd,1,,stored,0,x"]);
  assert.throws(() => loadPaperReference(undefined, { dir: nan }), (e: unknown) => e instanceof ConfigError && /y must be a finite number/.test(e.message));
});

test("the committed data/reference loads: every figure has rows, stored rows carry no uncertainty", () => {
  const all = loadPaperReference();
  const figures = new Set(all.map((r) => r.figure));
  for (const f of ["figure1", "figure2", "log_fnn_approx", "tfn_approx", "flt_approx", "lora_bitfit_approx", "train_test_gen", "bin_classification", "bin_in_out_dist", "convergence"]) assert.ok(figures.has(f), `${f} has reference rows`);
  for (const r of all) {
    assert.ok(r.method === "digitised" ? r.uncertainty > 0 : r.uncertainty === 0, `${r.figure} ${r.series}@${r.x}`);
    assert.match(r.source, /@[0-9a-f]{7} cell \d+$/);
  }
  // the stored bitfit table keeps every printed digit: 0.16716726124286652 at 0 parameters (draw_bitfit.ipynb cell 5)
  assert.equal(paperValue(loadPaperReference("lora_bitfit_approx"), "random", "tune_bias=0", 0)?.y, 0.16716726124286652);
});

test("paperComparison pairs ours with the paper and applies the stated agreement criterion", () => {
  const ref = loadPaperReference(undefined, { dir: tmpReference(['log_fnn_approx,"Lbar=1,L=2",sgd,1,0.05,digitised,0.01,x@abcdef0 cell 7', 'log_fnn_approx,"Lbar=1,L=2",ours,8,4.9e-10,digitised,8e-11,x@abcdef0 cell 7']) });
  const row = (method: string, x: number, loss: number, min: number, max: number) => ({ point: "L̄=1, L=2", frozen: "random", method, variant: "", x, params: 0, test_loss: loss, test_loss_min: min, test_loss_max: max, accuracy: null }) as unknown as ResultRow;
  const cmp = paperComparison("fnn", [row("sgd", 1, 0.07, 0.065, 0.09), row("ours", 8, 1e-28, 1e-29, 1e-27)], { ref });
  assert.equal(cmp.length, 2);
  const sgd = cmp.find((c) => c.series === "sgd")!;
  assert.ok(Math.abs(sgd.ratio - 1.4) < 1e-12);
  assert.equal(sgd.agrees, false, "0.05 ± 0.01 does not reach our range 0.065–0.09");
  assert.equal(cmp.find((c) => c.series === "ours")!.agrees, false);
  assert.equal(agrees("test_loss", 0.07, 0.058, 0.09, 0.05, 0.01), true, "0.05 ± 0.01 reaches 0.058");
  assert.equal(agrees("accuracy", 0.83, null, null, 0.85, 0.005), true);
  assert.equal(agrees("accuracy", 0.95, null, null, 0.85, 0.005), false);
  assert.equal(paperPoints("depth", ref).length, 0, "presets without an official figure have no paper points");
});

test("withPaperPoints layers the paper's diamonds on a faceted chart without changing it, and the chart's own line skips them", async () => {
  const { lineChart, renderSvg, withPaperPoints } = await import("../../../lib/src/viz");
  const data = [1, 2, 3].flatMap((x) => ["random", "pretrained"].map((panel) => ({ x, mse: 10 ** -x, method: "ours", panel })));
  const spec = lineChart({ data, x: "x", y: "mse", color: "method", column: "panel", logY: true });
  const before = JSON.stringify(spec);
  assert.equal(withPaperPoints(spec, { points: [], x: "x", y: "mse" }), spec, "no paper points: the chart itself");
  const points = [{ x: 2, mse: 0.02, lo: 0.018, hi: 0.022, method: "ours", panel: "random" }];
  const over = withPaperPoints(spec, { points, x: "x", y: "mse", color: "method", column: "panel" });
  assert.equal(JSON.stringify(spec), before, "the input spec is not mutated");
  const inner = (over as unknown as { spec: { layer: Array<{ transform?: Array<{ filter: string }>; mark?: { type: string; shape?: string } }> } }).spec;
  assert.match(inner.layer[0].transform![0].filter, /!== 'paper'/, "the chart's line reads only our rows");
  assert.deepEqual(inner.layer.slice(-2).map((l) => l.mark?.type), ["rule", "point"]);
  const svg = await renderSvg(over);
  assert.match(svg, />paper</, "legend entry 'paper'");
  assert.match(svg, /official repository/);
  assert.doesNotMatch(await renderSvg(spec), /official repository/);
});

test("a line series (no markers) is read as the median row of its colour band, with half the band as spread", () => {
  const c = new Canvas(420, 300);
  drawPanel(c, {});
  // a noisy curve: rows 96..104 covered in columns 199..201, the rest of the line elsewhere
  for (let x = 150; x <= 250; x++) c.rect(x, 100, x, 101, PINK);
  c.rect(199, 96, 201, 104, PINK);
  const img = c.decoded();
  const got = findLine(img, frame, PINK, 200);
  assert.ok(got !== null, "the band is found");
  assert.equal(got.row, 100, "median of rows 96..104");
  assert.equal(got.spread, 4);
  assert.equal(findLine(img, frame, BLUE, 200), null, "no band of another colour");
  const cal = { ...calibration, series: [{ name: "noisy", colour: "#DD3497", xs: [8], line: true }] };
  const { rows } = digitiseFigure(img, cal, "s");
  // 20 px per decade: ±(1 + 4) px = 0.25 decades above the value
  assert.ok(Math.abs(rows[0].uncertainty / (rows[0].y * (10 ** 0.25 - 1)) - 1) < 1e-5, `uncertainty ${rows[0].uncertainty}`);
  assert.deepEqual(expandXs("0..1000:250"), [0, 250, 500, 750, 1000]);
});

test("curvesComparison pairs our median history with the official curve at the nearest step", () => {
  const ref = loadPaperReference(undefined, { dir: tmpReference(['convergence,"Lbar=1,L=2",rank=4,1000,0.02,digitised,0.004,x@abcdef0 cell 5']) });
  const h = (step: number, loss: number) => ({ point: "L̄=1, L=2", variant: "", method: "sgd", frozen: "random", x_name: "rank", x: 4, curve: "train" as const, step, loss, n_seeds: 5 });
  const cmp = curvesComparison([h(951, 1), h(1001, 0.023), h(1051, 1)], { ref });
  assert.equal(cmp.length, 1);
  assert.equal(cmp[0].ours, 0.023, "the history row nearest step 1000");
  assert.equal(cmp[0].agrees, true, "0.02 ± 0.004 contains 0.023");
  assert.equal(curvesComparison([h(1001, 0.03)], { ref })[0].agrees, false);
});
