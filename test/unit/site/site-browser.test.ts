/// <reference lib="dom" />
// The course site in a real browser (Debian's Chromium through playwright-core): built from the
// executed notebooks (committed ones, or the folder in LORA_SITE_NOTEBOOKS), served on 127.0.0.1.
// Every page loads with no console error and no request leaving localhost; every vega-lite output of
// the notebook is a rendered vega view; no raw TeX is visible; a legend click highlights a series and
// a rank slider moves the chart.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import type { AddressInfo } from "node:net";
import type { Page } from "playwright-core";
import { browserMissing, launch, type Browser } from "./browser";

const root = join(__dirname, "..", "..", "..");
const notebooks = process.env.LORA_SITE_NOTEBOOKS ?? join(root, "notebooks");
const shots = join(root, "test", ".out", "site");
const missing = browserMissing();
const TYPES: Record<string, string> = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".json": "application/json", ".woff2": "font/woff2", ".woff": "font/woff", ".ttf": "font/ttf", ".svg": "image/svg+xml" };

let out = "";
let server: Server;
let base = "";
let browser: Browser;
let pages: Array<{ file: string; notebook: string; charts: number }> = [];

/** Static file server for `dir` on 127.0.0.1 (an ephemeral port). */
function serve(dir: string): Promise<Server> {
  const s = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
    const file = join(dir, path.endsWith("/") ? `${path}index.html` : path);
    try {
      if (!file.startsWith(dir) || !statSync(file).isFile()) throw new Error("not a file");
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
      res.end(readFileSync(file));
    } catch {
      res.writeHead(404).end("not found");
    }
  });
  return new Promise((resolve) => s.listen(0, "127.0.0.1", () => resolve(s)));
}

before(async () => {
  if (missing) return;
  out = mkdtempSync(join(tmpdir(), "lora-site-"));
  const r = spawnSync(process.execPath, [join(root, "lib", "scripts", "site", "build.mjs"), "--out", join(out, "site"), "--notebooks", notebooks], { encoding: "utf8" });
  assert.equal(r.status, 0, `site build failed: ${r.stderr}`);
  pages = JSON.parse(readFileSync(join(out, "site", "pages.json"), "utf8"));
  server = await serve(join(out, "site"));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launch();
  mkdirSync(shots, { recursive: true });
});

after(async () => {
  if (missing) return;
  await browser?.close();
  server?.close();
  rmSync(out, { recursive: true, force: true });
});

/** Open a page; resolves once every chart has rendered or failed. Console errors are collected. */
async function open(file: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  const resp = await page.goto(`${base}/${file}`, { waitUntil: "load" });
  assert.equal(resp?.status(), 200, `${file} is served`);
  await page.waitForFunction(() => document.body.dataset.chartsReady !== undefined, undefined, { timeout: 30000 });
  return { page, errors };
}

/** Text a reader sees outside code: TeX delimiters or commands there mean math was not typeset. */
async function rawTex(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    const walker = document.createTreeWalker(document.querySelector("main") ?? document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || el.closest("pre, code, script, .katex, svg")) continue;
      const t = n.textContent ?? "";
      if (/\$[^$\s]|\\(frac|sum|lceil|rceil|sigma|mathrm|mathbb|operatorname|left|right|cdot|bar|top)\b/.test(t)) found.push(t.trim().slice(0, 80));
    }
    return found.concat(Array.from(document.querySelectorAll(".katex-error")).map((e) => `katex-error: ${e.textContent}`));
  });
}

test("the site builds a page per notebook, named after it, and an index", { skip: missing ?? false }, () => {
  const names = pages.map((p) => p.file);
  assert.ok(names.includes("00-welcome.html"), names.join(", "));
  assert.equal(names.length, pages.length);
  for (const p of pages) assert.equal(p.file, p.notebook.replace(/\.ipynb$/, ".html"));
  assert.ok(statSync(join(out, "site", "index.html")).isFile());
});

test("every page loads without console errors or outside requests, charts rendered, math typeset", { skip: missing ?? false }, async () => {
  const report: string[] = [];
  for (const file of ["index.html", ...pages.map((p) => p.file)]) {
    const { page, errors } = await open(file);
    const expected = pages.find((p) => p.file === file)?.charts ?? 0;
    const views = await page.evaluate(() =>
      Array.from(document.querySelectorAll(".vega-chart")).map((el) => ({ rendered: (el as HTMLElement).dataset.rendered, marks: el.querySelectorAll("svg.marks").length, width: el.querySelector("svg.marks")?.getBoundingClientRect().width ?? 0 })),
    );
    assert.equal(views.length, expected, `${file}: one chart container per vega-lite output`);
    views.forEach((v, i) => {
      assert.equal(v.rendered, "true", `${file}: chart ${i} rendered`);
      assert.equal(v.marks, 1, `${file}: chart ${i} is a vega view`);
      assert.ok(v.width > 100 && v.width <= 960, `${file}: chart ${i} is ${v.width} px wide`);
    });
    assert.deepEqual(errors, [], `${file}: console errors`);
    assert.deepEqual(await rawTex(page), [], `${file}: raw TeX visible`);
    const nav = await page.evaluate(() => ({ prev: document.querySelector("a[rel=prev]")?.getAttribute("href") ?? null, next: document.querySelector("a[rel=next]")?.getAttribute("href") ?? null }));
    const i = pages.findIndex((p) => p.file === file);
    if (i >= 0) {
      assert.equal(nav.prev, i > 0 ? pages[i - 1].file : null, `${file}: previous link`);
      assert.equal(nav.next, i < pages.length - 1 ? pages[i + 1].file : null, `${file}: next link`);
    }
    const controls = await page.evaluate(() => ({ sliders: document.querySelectorAll(".vega-bindings input[type=range]").length }));
    report.push(`${file}: ${views.length} charts, ${controls.sliders} sliders`);
    if (file === "index.html" || file.startsWith("01-")) await page.screenshot({ path: join(shots, file.replace(".html", ".png")), fullPage: false });
    await page.close();
  }
  assert.deepEqual(browser.external, [], "requests that left localhost");
  console.log(report.join("\n"));
});

/** The SVG markup of chart `i` on the page. */
const chartSvg = (page: Page, i: number) => page.evaluate((k) => document.querySelectorAll(".vega-chart svg.marks")[k].outerHTML, i);

test("a legend click highlights one series, a rank slider moves the chart", { skip: missing ?? false }, async () => {
  // Find the first chart with a legend selection and the first with a slider, on any page.
  let legendDone = "", sliderDone = "";
  for (const p of pages) {
    if (legendDone && sliderDone) break;
    if (p.charts === 0) continue;
    const { page } = await open(p.file);
    const info = await page.evaluate(() =>
      (window as unknown as { courseCharts: Array<{ id: string; view: { getState(): { signals: Record<string, unknown> } } }> }).courseCharts.map((c) => ({
        id: c.id,
        legend: document.querySelector(`#${c.id} .role-legend`) !== null && document.getElementById(`${c.id}-spec`)!.textContent!.includes('"bind":"legend"'),
        slider: document.querySelector(`#${c.id} .vega-bindings input[type=range]`) !== null,
      })),
    );
    const index = (id: string) => Number(id.replace("chart-", ""));
    const withLegend = info.find((c) => c.legend);
    if (!legendDone && withLegend) {
      const before = await chartSvg(page, index(withLegend.id));
      await page.locator(`#${withLegend.id} .role-legend-symbol path`).first().click({ force: true });
      await page.waitForTimeout(200);
      const after = await chartSvg(page, index(withLegend.id));
      assert.notEqual(after, before, `${p.file} ${withLegend.id}: the legend click changed the chart`);
      const faded = (after.match(/opacity="0\.12"|opacity="0\.2"/g) ?? []).length;
      assert.ok(faded > 0, `${p.file} ${withLegend.id}: the other series are faded`);
      await page.screenshot({ path: join(shots, `legend-${p.file.replace(".html", "")}.png`) });
      legendDone = `${p.file} ${withLegend.id}`;
    }
    const withSlider = info.find((c) => c.slider);
    if (!sliderDone && withSlider) {
      const input = page.locator(`#${withSlider.id} .vega-bindings input[type=range]`).first();
      const before = await chartSvg(page, index(withSlider.id));
      const min = Number(await input.getAttribute("min")), max = Number(await input.getAttribute("max"));
      const from = Number(await input.inputValue());
      const to = from === max ? min : max;
      await input.fill(String(to));
      await page.waitForTimeout(200);
      const after = await chartSvg(page, index(withSlider.id));
      assert.notEqual(after, before, `${p.file} ${withSlider.id}: moving the slider ${from} → ${to} changed the chart`);
      await page.screenshot({ path: join(shots, `slider-${p.file.replace(".html", "")}.png`) });
      sliderDone = `${p.file} ${withSlider.id} (${from} → ${to})`;
    }
    await page.close();
  }
  assert.ok(legendDone, "some chart has a legend selection");
  assert.ok(sliderDone, "some chart has a rank slider");
  console.log(`legend: ${legendDone}; slider: ${sliderDone}`);
});
