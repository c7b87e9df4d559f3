#!/usr/bin/env node
// `npm run site`: the course website, built from the committed executed notebooks into site/ (git-ignored).
// index.html is the course map; each notebook becomes <name>.html with its Markdown and math typeset on
// the server (KaTeX), code highlighted (highlight.js), tables styled, and every vega-lite output
// rendered interactively by vega-embed. Every script, stylesheet and font is copied from node_modules
// into site/assets: the site works offline and from any static host.
// Usage: node lib/scripts/site/build.mjs [--out DIR] [--notebooks DIR]
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { escapeHtml, highlight, renderInline, renderMarkdown } from "./markdown.mjs";

const here = dirname(fileURLToPath(import.meta.url));
export const projectRoot = resolve(here, "..", "..", "..");
const require = createRequire(import.meta.url);
const VEGALITE_MIME = "application/vnd.vegalite.v5+json";
const COURSE_TITLE = "The Expressive Power of LoRA — a TypeScript course";

/** Bad input to the site build (a notebook it cannot read): exit status 2. */
export class SiteInputError extends Error {}

const text = (v) => (Array.isArray(v) ? v.join("") : typeof v === "string" ? v : "");
const stripAnsi = (s) => s.replace(/\u001b\[[0-9;]*[A-Za-z]/g, "");

/** Read one notebook: its file stem, title (first heading), summary (first paragraph) and cells. */
export function readNotebook(path) {
  let nb;
  try {
    nb = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new SiteInputError(`${path}: not a readable notebook (${e instanceof Error ? e.message : e})`);
  }
  if (!Array.isArray(nb.cells)) throw new SiteInputError(`${path}: no cells array`);
  const stem = basename(path, ".ipynb");
  const firstMd = nb.cells.find((c) => c.cell_type === "markdown");
  const lines = firstMd ? text(firstMd.source).split("\n") : [];
  const heading = lines.find((l) => /^#\s/.test(l));
  const title = heading ? heading.replace(/^#\s+/, "").trim() : stem;
  const body = lines.filter((l) => l !== heading).join("\n").trim();
  const summary = body.split(/\n\s*\n/)[0] ?? "";
  return { path, stem, title, summary, cells: nb.cells };
}

/** The HTML of one output; charts are collected into `charts` (their specs go into the page as JSON). */
function renderOutput(o, ctx) {
  if (o.output_type === "stream") {
    return `<pre class="output stream ${o.name === "stderr" ? "stderr" : "stdout"}">${escapeHtml(stripAnsi(text(o.text)))}</pre>`;
  }
  if (o.output_type === "error") {
    return `<pre class="output error">${escapeHtml(stripAnsi((o.traceback ?? []).join("\n") || `${o.ename}: ${o.evalue}`))}</pre>`;
  }
  const d = o.data ?? {};
  if (d[VEGALITE_MIME] !== undefined) {
    const id = `chart-${ctx.charts.length}`;
    ctx.charts.push({ id, spec: d[VEGALITE_MIME] });
    const svg = text(d["image/svg+xml"]);
    // The SVG stays as the no-JavaScript fallback; vega-embed replaces it with the interactive view.
    return `<figure class="output chart"><div class="vega-chart" id="${id}" data-spec="${id}-spec">${svg ? `<noscript>${svg}</noscript>` : ""}</div></figure>`;
  }
  if (d["text/html"] !== undefined) return `<div class="output html">${text(d["text/html"])}</div>`;
  if (d["text/markdown"] !== undefined) return `<div class="output markdown">${renderMarkdown(text(d["text/markdown"]), ctx.where)}</div>`;
  if (d["image/svg+xml"] !== undefined) return `<div class="output svg">${text(d["image/svg+xml"])}</div>`;
  if (d["image/png"] !== undefined) return `<div class="output png"><img alt="output" src="data:image/png;base64,${text(d["image/png"]).trim()}"></div>`;
  if (d["text/plain"] !== undefined) return `<pre class="output text">${escapeHtml(stripAnsi(text(d["text/plain"])))}</pre>`;
  return "";
}

/** The article HTML of a notebook and the chart specs it embeds. */
export function renderNotebook(nb) {
  const ctx = { charts: [], where: nb.stem };
  const parts = nb.cells.map((cell, i) => {
    const where = `${nb.stem} cell ${cell.id ?? i}`;
    ctx.where = where;
    if (cell.cell_type === "markdown") return `<section class="cell markdown">${renderMarkdown(text(cell.source), where)}</section>`;
    if (cell.cell_type !== "code") return "";
    const src = text(cell.source);
    const n = cell.execution_count ?? " ";
    const outputs = (cell.outputs ?? []).map((o) => renderOutput(o, ctx)).join("\n");
    return `<section class="cell code"><div class="input"><span class="prompt">[${n}]</span><pre><code class="hljs language-typescript">${highlight(src)}</code></pre></div>${outputs ? `<div class="outputs">${outputs}</div>` : ""}</section>`;
  });
  return { html: parts.join("\n"), charts: ctx.charts };
}

function nav(list, i) {
  const prev = i > 0 ? list[i - 1] : null;
  const next = i < list.length - 1 ? list[i + 1] : null;
  return `<nav class="prevnext">${prev ? `<a class="prev" rel="prev" href="${prev.stem}.html">← ${renderInline(prev.title)}</a>` : `<span></span>`}<a class="home" href="index.html">Course map</a>${next ? `<a class="next" rel="next" href="${next.stem}.html">${renderInline(next.title)} →</a>` : `<span></span>`}</nav>`;
}

function page({ title, body, charts = [], depth = "" }) {
  const specs = charts.map((c) => `<script type="application/json" id="${c.id}-spec">${JSON.stringify(c.spec).replace(/</g, "\\u003c")}</script>`).join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${depth}assets/katex/katex.min.css">
<link rel="stylesheet" href="${depth}assets/highlight/github.min.css">
<link rel="stylesheet" href="${depth}assets/site.css">
</head>
<body>
<header class="top"><a href="index.html">${escapeHtml(COURSE_TITLE)}</a></header>
<main>
${body}
</main>
${specs}
<script src="${depth}assets/vega/vega.min.js"></script>
<script src="${depth}assets/vega/vega-lite.min.js"></script>
<script src="${depth}assets/vega/vega-embed.min.js"></script>
<script src="${depth}assets/site.js"></script>
</body>
</html>
`;
}

/** Copy the browser builds of the npm packages the pages load into `out`/assets. */
function copyAssets(out) {
  // node_modules/<name> (some packages do not export ./package.json, so it is found by path).
  const pkgDir = (name) => {
    for (let d = dirname(require.resolve(name)); d !== dirname(d); d = dirname(d)) {
      if (basename(d) === name && existsSync(join(d, "package.json"))) return d;
    }
    throw new Error(`cannot find the ${name} package folder`);
  };
  const assets = join(out, "assets");
  mkdirSync(join(assets, "vega"), { recursive: true });
  cpSync(join(pkgDir("vega"), "build", "vega.min.js"), join(assets, "vega", "vega.min.js"));
  cpSync(join(pkgDir("vega-lite"), "build", "vega-lite.min.js"), join(assets, "vega", "vega-lite.min.js"));
  cpSync(join(pkgDir("vega-embed"), "build", "vega-embed.min.js"), join(assets, "vega", "vega-embed.min.js"));
  mkdirSync(join(assets, "katex"), { recursive: true });
  cpSync(join(pkgDir("katex"), "dist", "katex.min.css"), join(assets, "katex", "katex.min.css"));
  cpSync(join(pkgDir("katex"), "dist", "fonts"), join(assets, "katex", "fonts"), { recursive: true });
  mkdirSync(join(assets, "highlight"), { recursive: true });
  cpSync(join(pkgDir("highlight.js"), "styles", "github.min.css"), join(assets, "highlight", "github.min.css"));
  cpSync(join(here, "site.css"), join(assets, "site.css"));
  cpSync(join(here, "site.js"), join(assets, "site.js"));
}

function indexPage(list) {
  const items = list
    .map((nb) => {
      const charts = renderNotebook(nb).charts.length;
      return `<li><a href="${nb.stem}.html"><span class="map-title">${renderInline(nb.title, nb.stem)}</span></a><div class="map-summary">${renderMarkdown(nb.summary, `${nb.stem} summary`)}</div><div class="map-meta">${charts} interactive chart${charts === 1 ? "" : "s"}</div></li>`;
    })
    .join("\n");
  const body = `<h1>${escapeHtml(COURSE_TITLE)}</h1>
<p class="lead">Zeng &amp; Lee, <em>The Expressive Power of Low-Rank Adaptation</em> (ICLR 2024), derived, implemented and verified in TypeScript notebooks. These pages are the notebooks as executed, with interactive charts: hover for values, click a legend entry to highlight a series, move the rank sliders.</p>
<h2>Course map</h2>
<ol class="course-map">
${items}
</ol>`;
  return page({ title: COURSE_TITLE, body });
}

/** Build the site from `notebooksDir` into `out` (written to a temporary folder, then renamed). */
export function buildSite({ notebooksDir = join(projectRoot, "notebooks"), out = join(projectRoot, "site") } = {}) {
  if (!existsSync(notebooksDir)) throw new SiteInputError(`no notebooks folder at ${notebooksDir}`);
  const files = readdirSync(notebooksDir).filter((f) => f.endsWith(".ipynb")).sort();
  if (files.length === 0) throw new SiteInputError(`no .ipynb files in ${notebooksDir}`);
  const list = files.map((f) => readNotebook(join(notebooksDir, f)));
  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  copyAssets(tmp);
  const pages = [];
  list.forEach((nb, i) => {
    const { html, charts } = renderNotebook(nb);
    const body = `${nav(list, i)}<article class="notebook" data-notebook="${nb.stem}">${html}</article>${nav(list, i)}`;
    writeFileSync(join(tmp, `${nb.stem}.html`), page({ title: `${nb.title.replace(/\$/g, "")} — LoRA course`, body, charts }));
    pages.push({ file: `${nb.stem}.html`, notebook: `${nb.stem}.ipynb`, title: nb.title, charts: charts.length });
  });
  writeFileSync(join(tmp, "index.html"), indexPage(list));
  writeFileSync(join(tmp, "pages.json"), JSON.stringify(pages, null, 1) + "\n");
  writeFileSync(join(tmp, ".nojekyll"), "");
  rmSync(out, { recursive: true, force: true });
  renameSync(tmp, out);
  return { out, pages };
}

function main() {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? resolve(args[i + 1]) : undefined;
  };
  try {
    const { out, pages } = buildSite({ out: opt("--out"), notebooksDir: opt("--notebooks") });
    const charts = pages.reduce((a, p) => a + p.charts, 0);
    console.log(`site: ${pages.length} notebook pages and index.html (${charts} interactive charts) in ${out}`);
    console.log(`open ${join(out, "index.html")} or serve the folder from any static host`);
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exit(e instanceof SiteInputError ? 2 : e?.name === "MathError" || e?.constructor?.name === "MathError" ? 3 : 1);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) main();
