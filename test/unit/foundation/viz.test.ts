import { test } from "node:test";
import assert from "node:assert/strict";
import { chartBundle, lineChart, barChart, tableBundle, formatCell, VEGALITE_MIME, grade, verify, ClaimFailed } from "../../../lib/src/viz";

const rows = Array.from({ length: 16 }, (_, i) => ({ rank: i + 1, mse: 10 ** -(i / 2), method: i % 2 ? "sgd" : "ours", panel: "random" }));

test("a chart bundle holds the vega-lite v5 spec and an SVG rendered in Node", async () => {
  const spec = lineChart({ data: rows, x: "rank", y: "mse", color: "method", logY: true, rules: [{ at: 8, label: "threshold" }], title: "t" });
  const bundle = await chartBundle(spec);
  assert.deepEqual(Object.keys(bundle).sort(), [VEGALITE_MIME, "image/svg+xml", "text/plain"].sort());
  assert.equal(VEGALITE_MIME, "application/vnd.vegalite.v5+json");
  const svg = bundle["image/svg+xml"] as string;
  assert.match(svg, /^<svg[\s\S]*<\/svg>$/);
  assert.match(svg, /threshold/, "the threshold rule's label is drawn");
  assert.ok((svg.match(/<path/g) ?? []).length >= 2, "the lines are drawn");
});

test("faceted charts and bar charts render", async () => {
  const faceted = lineChart({ data: rows, x: "rank", y: "mse", column: "panel", color: "method" });
  assert.ok("facet" in faceted);
  const svg1 = (await chartBundle(faceted))["image/svg+xml"] as string;
  assert.match(svg1, /random/);
  const svg2 = (await chartBundle(barChart({ data: rows.slice(0, 4), x: "rank", y: "mse", color: "method" })))["image/svg+xml"] as string;
  assert.match(svg2, /<svg/);
});

test("tables render records and DataFrame-like objects as HTML and text", () => {
  const html = tableBundle([{ a: 1, b: 0.000123456 }, { a: 2, c: "x<y" }], { caption: "cap" });
  assert.match(html["text/html"] as string, /<th>a<\/th><th>b<\/th><th>c<\/th>/);
  assert.match(html["text/html"] as string, /x&lt;y/);
  assert.match(html["text/plain"] as string, /1\.235e-4/);
  const df = tableBundle({ columns: ["rank", "loss"], values: [[1, 0.5], [2, 0.25]] });
  assert.match(df["text/plain"] as string, /rank\s+loss\n\s+1\s+0\.5\n\s+2\s+0\.25/);
  assert.equal(formatCell(12345678.9), "1.235e+7");
  assert.equal(formatCell(3), "3");
  assert.equal(formatCell(9.342242476018795e27, 3), "9.34e+27", "huge floats are integers too, but print in exponent form");
});

test("danfojs DataFrames render through the table helper", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dfd = require("danfojs") as { DataFrame: new (rows: object[]) => { columns: string[]; values: unknown[][] } };
  const df = new dfd.DataFrame([{ rank: 1, loss: 0.1 }, { rank: 2, loss: 0.05 }]);
  const text = tableBundle(df)["text/plain"] as string;
  assert.match(text, /rank\s+loss/);
  assert.match(text, /0\.05/);
});

test("grade says correct, not answered, or what is off; verify throws on a false claim", () => {
  assert.equal(grade("e", 8, 8, "h").correct, true);
  assert.match(grade("e", undefined, 8, "think").message, /not answered yet\. Hint: think/);
  assert.match(grade("e", 7, 8, "h").message, /not quite \(you answered 7\)/);
  assert.equal(grade("e", (x: number) => x * 2, (f: (x: number) => number) => f(2) === 4, "h").correct, true);
  assert.throws(() => verify("two is three", false, "2 ≠ 3"), (e: unknown) => e instanceof ClaimFailed && /claim failed: two is three \(2 ≠ 3\)/.test(e.message));
});
