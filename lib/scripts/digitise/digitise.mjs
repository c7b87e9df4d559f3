#!/usr/bin/env node
// Digitise the official repository's figures into data/reference/*.csv.
//
//   node lib/scripts/digitise/digitise.mjs <official-clone> [--history <git dir with history>] [--out data/reference]
//
// <official-clone> is a checkout of UW-Madison-Lee-Lab/Expressive_Power_of_LoRA at the commit named in
// calibration.json. Each figure's PNG is read from its plotting notebook's cell output; the axes frames,
// gridlines and markers are found in pixels (core.mjs), the gridlines' tick values come from
// calibration.json (read by eye: the digitiser does not read text). Numbers the repository holds as
// text (cell outputs, some only in its git history: --history, or the clone's own .git) are written as
// method "stored". Every CSV is written to a temp file and renamed. Exit status: 0 ok, 2 bad input
// (missing clone/notebook/cell, a calibration that does not fit the image), 1 anything else.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PNG } from "pngjs";
import { DigitiseError, digitisePanel, findFrames, findGridlines } from "./core.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const COLUMNS = ["figure", "panel", "series", "x", "y", "method", "uncertainty", "source"];

/** "1..16", "256*(1..7)", "64*(1..16)+32", "0..5000:250" → numbers. */
export function expandXs(spec) {
  if (Array.isArray(spec)) return spec;
  const stepped = /^(\d+)\.\.(\d+):(\d+)$/.exec(spec);
  if (stepped) {
    const out = [];
    for (let x = Number(stepped[1]); x <= Number(stepped[2]); x += Number(stepped[3])) out.push(x);
    return out;
  }
  const m = /^(?:(\d+)\*\()?(\d+)\.\.(\d+)\)?(?:\+(\d+))?$/.exec(spec);
  if (!m) throw new DigitiseError(`xs must be "a..b", "k*(a..b)" or "k*(a..b)+c", got ${JSON.stringify(spec)}`);
  const k = m[1] ? Number(m[1]) : 1;
  const c = m[4] ? Number(m[4]) : 0;
  const out = [];
  for (let r = Number(m[2]); r <= Number(m[3]); r++) out.push(k * r + c);
  return out;
}

function csvCell(v) {
  // numbers as given: stored values keep every printed digit, digitised ones are rounded where they are made
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Writes rows (objects with COLUMNS) to `file` through a temp file + rename. */
export function writeCsv(file, rows, columns = COLUMNS) {
  const text = [columns.join(","), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(","))].join("\n") + "\n";
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

function readNotebook(clone, history, nbPath, commit, headCommit) {
  if (commit === headCommit) {
    const p = path.join(clone, nbPath);
    if (!fs.existsSync(p)) throw new DigitiseError(`${p} does not exist: is ${clone} a clone of the official repository?`);
    return JSON.parse(fs.readFileSync(p, "utf8"));
  }
  if (!history) return null;
  const text = execFileSync("git", ["--git-dir", history, "show", `${commit}:${nbPath}`], { encoding: "utf8", maxBuffer: 64 << 20 });
  return JSON.parse(text);
}

function cellOutput(nb, cell, mime, where) {
  const c = nb.cells[cell];
  if (!c) throw new DigitiseError(`${where}: no cell ${cell}`);
  for (const o of c.outputs ?? []) if (o.data?.[mime]) return Array.isArray(o.data[mime]) ? o.data[mime].join("") : o.data[mime];
  throw new DigitiseError(`${where}: cell ${cell} has no ${mime} output`);
}

/** Parses the stored text tables (see calibration.json "stored"). */
export function parseStored(entry, text) {
  const rows = [];
  const push = (series, x, y) => rows.push({ figure: entry.figure, panel: entry.panel, series, x, y, method: "stored", uncertainty: 0 });
  if (entry.format === "bitfit-dict") {
    // {0: {0: 0.167, 64: ...}, 1: {32: inf, ...}}
    const parts = text.split(/(?:^\{|\n )(\d+): \{/).slice(1);
    for (let i = 0; i < parts.length; i += 2) {
      const series = entry.series[parts[i]];
      for (const m of parts[i + 1].matchAll(/(\d+): ([0-9.e+-]+|inf)/g)) if (m[2] !== "inf") push(series, Number(m[1]), Number(m[2]));
    }
  } else if (entry.format === "rank-table") {
    for (const m of text.matchAll(/^\s*(\d+)\s+([0-9.e+-]+)\s+([0-9.e+-]+)\s*$/gm)) {
      push(entry.columns[0], Number(m[1]), Number(m[2]));
      push(entry.columns[1], Number(m[1]), Number(m[3]));
    }
  } else if (entry.format === "param-series") {
    for (const m of text.matchAll(/^(\d+)\s+([0-9.e+-]+)\s*$/gm)) push(entry.seriesName, Number(m[1]), Number(m[2]));
  } else throw new DigitiseError(`unknown stored format ${entry.format}`);
  if (rows.length === 0) throw new DigitiseError(`${entry.notebook} cell ${entry.cell}: no numbers parsed as ${entry.format}`);
  return rows;
}

function intersect(lists) {
  return lists[0].filter((a) => lists.every((l) => l.some((b) => Math.abs(a - b) <= 1.5))).map((a) => lists.reduce((s, l) => s + l.find((b) => Math.abs(a - b) <= 1.5), 0) / lists.length);
}

/** Digitises one calibrated figure from its decoded image; returns {rows, missing, frames}. */
export function digitiseFigure(img, fig, source) {
  const frames = findFrames(img);
  if (frames.length !== fig.panels.length) throw new DigitiseError(`${fig.figure}: found ${frames.length} axes frames, the calibration names ${fig.panels.length} panels`);
  const sharedY = fig.sharey ? intersect(frames.map((f) => findGridlines(img, f, "y"))) : null;
  const rows = [];
  const missing = [];
  fig.panels.forEach((name, i) => {
    if (fig.skipPanels?.[name]) {
      missing.push({ panel: name, series: "*", x: "*", why: fig.skipPanels[name] });
      return;
    }
    const panel = {
      xTicks: fig.xTicksByPanel ? fig.xTicksByPanel[i] : fig.xTicks,
      yTicks: fig.yTicksByPanel ? fig.yTicksByPanel[i] : fig.yTicks,
      xScale: fig.xScale ?? "linear",
      yScale: fig.yScale,
      series: fig.series.map((s) => ({ name: s.name, colour: s.colour, xs: expandXs(s.xs), line: s.line === true })),
      yGridlines: sharedY ?? undefined,
    };
    const res = digitisePanel(img, frames[i], panel);
    const sig = (v) => Number(v.toPrecision(6)); // far below the ±1-pixel uncertainty
    for (const p of res.points) rows.push({ figure: fig.figure, panel: name, series: p.series, x: p.x, y: sig(p.y), method: "digitised", uncertainty: sig(p.uncertainty), source });
    for (const m of res.missing) missing.push({ panel: name, ...m });
  });
  return { rows, missing, frames };
}

function main(argv) {
  const args = { out: path.resolve(here, "../../../data/reference") };
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--out") args.out = path.resolve(argv[++i]);
    else if (argv[i] === "--history") args.history = path.resolve(argv[++i]);
    else rest.push(argv[i]);
  }
  if (rest.length !== 1) throw new DigitiseError("usage: digitise.mjs <official-clone> [--history <git dir>] [--out <dir>]");
  const clone = path.resolve(rest[0]);
  if (!fs.existsSync(path.join(clone, "run_exp.py"))) throw new DigitiseError(`${clone} has no run_exp.py: not a clone of the official repository`);
  const cal = JSON.parse(fs.readFileSync(path.join(here, "calibration.json"), "utf8"));
  const history = args.history ?? (fs.existsSync(path.join(clone, ".git")) ? path.join(clone, ".git") : undefined);
  if (history) {
    const head = execFileSync("git", ["--git-dir", history, "rev-parse", "HEAD"], { encoding: "utf8" }).trim();
    if (fs.existsSync(path.join(clone, ".git")) && head !== cal.commit) throw new DigitiseError(`the clone is at ${head}, the calibration is for ${cal.commit}`);
  }
  fs.mkdirSync(args.out, { recursive: true });
  const byFigure = new Map();
  const early = [];
  const report = [];
  for (const fig of cal.figures) {
    const nb = readNotebook(clone, history, fig.notebook, cal.commit, cal.commit);
    const png = PNG.sync.read(Buffer.from(cellOutput(nb, fig.cell, "image/png", fig.notebook), "base64"));
    const source = `${fig.notebook}@${cal.commit.slice(0, 7)} cell ${fig.cell}`;
    const { rows, missing } = digitiseFigure(png, fig, source);
    byFigure.set(fig.figure, rows);
    report.push(`${fig.figure}: ${rows.length} points digitised, ${missing.length} not found${missing.length ? ` (${missing.map((m) => `${m.panel}/${m.series}@${m.x}`).join(", ")})` : ""}`);
  }
  for (const st of cal.stored) {
    const nb = readNotebook(clone, history, st.notebook, st.commit, cal.commit);
    if (!nb) {
      report.push(`${st.figure} stored table at ${st.commit.slice(0, 7)}: skipped (needs the repository's history: --history <git dir>)`);
      continue;
    }
    const rows = parseStored(st, cellOutput(nb, st.cell, "text/plain", `${st.notebook}@${st.commit.slice(0, 7)}`)).map((r) => ({ ...r, source: `${st.notebook}@${st.commit.slice(0, 7)} cell ${st.cell}` }));
    if (st.early) early.push(...rows);
    else byFigure.set(st.figure, [...rows, ...(byFigure.get(st.figure) ?? [])]);
  }
  for (const [figure, rows] of byFigure) writeCsv(path.join(args.out, `${figure}.csv`), rows);
  if (early.length) writeCsv(path.join(args.out, "early_tables.csv"), early);
  // validation: digitised vs stored where both describe the same numbers, and linear vs log drawings of one table
  const all = [...byFigure.values()].flat();
  const find = (figure, panel, series, x, method) => all.find((r) => r.figure === figure && r.panel === panel && r.series === series && r.x === x && r.method === method);
  const checks = [];
  const compare = (check, ref, dig, unitsPerPx) => {
    if (!ref || !dig) return;
    const r4 = (v) => Number(v.toPrecision(4));
    checks.push({ check, figure: dig.figure, panel: dig.panel, series: dig.series, x: dig.x, reference: ref.y, digitised: dig.y, uncertainty: dig.uncertainty, within: Math.abs(dig.y - ref.y) <= dig.uncertainty + (ref.uncertainty ?? 0) ? 1 : 0, abs_error: r4(Math.abs(dig.y - ref.y)), pixel_error: unitsPerPx ? r4(Math.abs(dig.y - ref.y) / unitsPerPx) : "", log10_error: ref.y > 0 && dig.y > 0 ? r4(Math.abs(Math.log10(dig.y / ref.y))) : "" });
  };
  const perPx = (fig) => {
    const c = cal.figures.find((f) => f.figure === fig);
    const d = all.filter((r) => r.figure === fig && r.method === "digitised");
    return c.yScale === "linear" && d.length ? d[0].uncertainty : null;
  };
  for (const r of all.filter((r) => r.figure === "lora_bitfit_approx" && r.method === "stored")) compare("stored bitfit table vs its figure (same kernel session)", r, find("lora_bitfit_approx", r.panel, r.series, r.x, "digitised"), perPx("lora_bitfit_approx"));
  for (const r of early.filter((r) => r.figure === "flt_approx")) compare("stored flt medians (0fbf035) vs final flt figure", r, find("flt_approx", r.panel, "flt", r.x, "digitised"), perPx("flt_approx"));
  for (const r of all.filter((r) => r.figure === "fnn_approx" && r.y > 0.005)) compare("fnn_approx (linear) vs log_fnn_approx (log), same table", r, find("log_fnn_approx", r.panel, r.series, r.x, "digitised"), null);
  writeCsv(path.join(args.out, "validation.csv"), checks, ["check", "figure", "panel", "series", "x", "reference", "digitised", "uncertainty", "within", "abs_error", "pixel_error", "log10_error"]);
  const median = (v) => {
    const s = [...v].sort((a, b) => a - b);
    return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
  };
  for (const name of new Set(checks.map((c) => c.check))) {
    const cs = checks.filter((c) => c.check === name);
    const big = cs.filter((c) => c.reference > 0.01);
    report.push(`validation "${name}": ${cs.length} points, ${cs.filter((c) => c.within).length} within the stated uncertainty; median |error| ${median(cs.map((c) => c.abs_error)).toPrecision(2)}` + (cs[0].pixel_error !== "" ? ` (${median(cs.map((c) => c.pixel_error)).toFixed(2)} px, max ${Math.max(...cs.map((c) => c.pixel_error)).toFixed(2)} px)` : "") + (big.length ? `; values > 0.01: median log10 error ${median(big.map((c) => c.log10_error)).toFixed(3)}, max ${Math.max(...big.map((c) => c.log10_error)).toFixed(3)}` : ""));
  }
  console.log(report.join("\n"));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(`digitise: ${e.message}`);
    process.exit(e instanceof DigitiseError ? 2 : 1);
  }
}
