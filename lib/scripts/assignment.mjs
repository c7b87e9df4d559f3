#!/usr/bin/env node
// Coursework from the course's notebooks, in nbgrader's conventions (README, "Teaching with this course").
//
//   npm run assignment -- release --out DIR [--notebooks 01,02] [--jobs N] [--timeout S]
//       DIR/student/<nb>.ipynb   solutions replaced by `// YOUR CODE HERE`, hidden tests removed
//       DIR/solutions/<nb>.ipynb the instructor's notebook, executed (every test cell must pass)
//       DIR/points.csv           notebook, grade_id, points of every test cell
//   npm run assignment -- grade [--timeout S] [--jobs N] [--feedback DIR] --out GRADEBOOK.csv PATH...
//       PATH: notebooks or folders of them; the student is the name of the folder holding a notebook.
//       GRADEBOOK.csv: student, notebook, grade_id, points, max_points, status (one row per test cell);
//       DIR (default: feedback/ beside the gradebook): <student>.md per student.
//
// The notebooks run at LORA_PROFILE (default here: quick; the answers do not depend on it).
// Exit status: 0 done (graded submissions may score zero), 1 the release's solutions fail a test, 2 bad usage.
import { availableParallelism } from "node:os";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { findNotebookPython, listNotebooks, notebooksDir } from "./notebooks.mjs";
import {
  AssignmentError, collectSubmissions, feedbackMarkdown, gradebookCsv, gradeOne, matchSource, runPool,
  studentVersion, testCells, validateSource, writeAtomic, writeNotebook, csvField,
} from "./assignment-lib.mjs";

const USAGE = `usage:
  npm run assignment -- release --out DIR [--notebooks 00,01,...] [--jobs N] [--timeout S] [--no-execute]
  npm run assignment -- grade --out GRADEBOOK.csv [--timeout S] [--jobs N] [--feedback DIR] [--source DIR] PATH...`;

function parse(argv) {
  const [command, ...rest] = argv;
  const opts = { _: [] };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === "--no-execute") opts.noExecute = true;
    else if (a.startsWith("--")) {
      const key = a.slice(2);
      if (!["out", "notebooks", "jobs", "timeout", "feedback", "source"].includes(key)) throw new AssignmentError(`unknown option ${a}\n${USAGE}`);
      if (i + 1 >= rest.length) throw new AssignmentError(`${a} needs a value\n${USAGE}`);
      opts[key] = rest[++i];
    } else opts._.push(a);
  }
  return { command, opts };
}

function positiveNumber(value, name, fallback) {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new AssignmentError(`--${name} must be a positive number, got "${value}"`);
  return n;
}

function requirePython() {
  const python = findNotebookPython();
  if (python === null) {
    throw new AssignmentError("no Python with nbclient found: install Debian's python3-nbclient jupyter-nbconvert python3-ipykernel jupyter-client (or pip install nbclient ipykernel), or set LORA_PYTHON");
  }
  return python;
}

const profileEnv = () => ({ LORA_PROFILE: process.env.LORA_PROFILE ?? "quick" });

async function release(opts) {
  if (!opts.out) throw new AssignmentError(`release needs --out DIR\n${USAGE}`);
  const out = resolve(opts.out);
  const timeout = positiveNumber(opts.timeout, "timeout", 900);
  const jobs = positiveNumber(opts.jobs, "jobs", Math.min(2, availableParallelism()));
  const wanted = opts.notebooks ? opts.notebooks.split(",").map((s) => s.trim()).filter(Boolean) : null;
  const names = listNotebooks().filter((n) => wanted === null || wanted.some((w) => n.startsWith(w)));
  if (names.length === 0) throw new AssignmentError(`no course notebook matches --notebooks ${opts.notebooks}`);
  const pointsRows = [];
  for (const name of names) {
    const nb = JSON.parse(readFileSync(join(notebooksDir, name), "utf8"));
    for (const t of validateSource(nb, name)) pointsRows.push({ notebook: name, ...t });
    writeNotebook(join(out, "student", name), studentVersion(nb, name));
  }
  writeAtomic(join(out, "points.csv"), ["notebook,grade_id,points", ...pointsRows.map((r) => [r.notebook, r.grade_id, r.points].map(csvField).join(","))].join("\n") + "\n");
  console.log(`student copies: ${names.length} notebooks in ${join(out, "student")} (${pointsRows.length} test cells, ${pointsRows.reduce((a, r) => a + r.points, 0)} points)`);
  if (opts.noExecute) return 0;
  const python = requirePython();
  const scratch = mkdtempSync(join(tmpdir(), "lora-release-"));
  let failed = 0;
  try {
    const results = await runPool(names.map((name) => async () => {
      const r = await gradeOne(python, {
        source: join(notebooksDir, name), submission: join(notebooksDir, name), resultPath: join(scratch, `${name}.json`),
        timeout: timeout, executedOut: join(out, "solutions", name), env: profileEnv(),
      });
      const bad = r.tests.filter((t) => t.status !== "correct");
      console.log(`solutions ${name}: ${r.tests.length - bad.length}/${r.tests.length} test cells pass, ${r.seconds.toFixed(1)} s`);
      for (const t of bad) console.log(`  ${t.grade_id}: ${t.status} — ${t.message}`);
      return bad.length;
    }), jobs);
    failed = results.reduce((a, b) => a + b, 0);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  if (failed > 0) {
    console.error(`${failed} test cell(s) fail on the solutions: fix the notebooks before releasing`);
    return 1;
  }
  console.log(`solutions: executed in ${join(out, "solutions")}`);
  return 0;
}

async function grade(opts) {
  if (!opts.out) throw new AssignmentError(`grade needs --out GRADEBOOK.csv\n${USAGE}`);
  if (opts._.length === 0) throw new AssignmentError(`grade needs at least one notebook or folder\n${USAGE}`);
  const timeout = positiveNumber(opts.timeout, "timeout", 120);
  const jobs = positiveNumber(opts.jobs, "jobs", availableParallelism());
  const sourceDir = resolve(opts.source ?? notebooksDir);
  const sourceNames = opts.source ? listIpynb(sourceDir) : listNotebooks();
  const gradebook = resolve(opts.out);
  const feedbackDir = resolve(opts.feedback ?? join(dirname(gradebook), "feedback"));
  const submissions = collectSubmissions(opts._);
  if (submissions.length === 0) throw new AssignmentError(`no .ipynb files under ${opts._.join(", ")}`);
  const python = requirePython();
  const scratch = mkdtempSync(join(tmpdir(), "lora-grade-"));
  const notes = new Map(); // student -> notebook -> notes
  const rows = [];
  const started = Date.now();
  const graded = [];
  const seen = new Set();
  const extraNotes = new Map(); // "student/notebook" -> notes about skipped files
  for (const s of submissions) {
    const src = matchSource(sourceNames, s.notebook);
    if (src === null) {
      console.warn(`skipped ${s.path}: no instructor notebook matches ${s.notebook}`);
      continue;
    }
    if (seen.has(`${s.student}/${src}`)) {
      const why = `${s.path} was not graded: ${s.student} already has a submission of ${src} (the first in name order is graded)`;
      console.warn(why);
      extraNotes.set(`${s.student}/${src}`, [...(extraNotes.get(`${s.student}/${src}`) ?? []), why]);
      continue;
    }
    seen.add(`${s.student}/${src}`);
    graded.push({ ...s, source: src });
  }
  try {
    const results = await runPool(graded.map((g, i) => async () => {
      const r = await gradeOne(python, {
        source: join(sourceDir, g.source), submission: g.path, resultPath: join(scratch, `${i}.json`), timeout: timeout, env: profileEnv(),
      });
      const got = r.tests.reduce((a, t) => a + t.points, 0), of = r.tests.reduce((a, t) => a + t.max_points, 0);
      console.log(`${g.student}/${g.source}: ${got}/${of} in ${r.seconds.toFixed(1)} s`);
      return r;
    }), jobs);
    results.forEach((r, i) => {
      const g = graded[i];
      for (const t of r.tests) rows.push({ student: g.student, notebook: g.source, ...t });
      if (!notes.has(g.student)) notes.set(g.student, new Map());
      notes.get(g.student).set(g.source, [...(extraNotes.get(`${g.student}/${g.source}`) ?? []), ...(r.notes ?? [])]);
    });
    // a notebook some students handed in and others did not: "missing" rows
    const students = [...new Set(graded.map((g) => g.student))].sort();
    const notebooks = [...new Set(graded.map((g) => g.source))].sort();
    for (const student of students) for (const nb of notebooks) {
      if (seen.has(`${student}/${nb}`)) continue;
      const tests = testCells(JSON.parse(readFileSync(join(sourceDir, nb), "utf8")));
      for (const t of tests) rows.push({ student: student, notebook: nb, grade_id: t.grade_id, points: 0, max_points: t.points, status: "missing", message: "no submission of this notebook" });
      if (!notes.has(student)) notes.set(student, new Map());
      notes.get(student).set(nb, ["no submission of this notebook"]);
    }
    const order = new Map();
    for (const nb of notebooks) testCells(JSON.parse(readFileSync(join(sourceDir, nb), "utf8"))).forEach((t, k) => order.set(`${nb}/${t.grade_id}`, k));
    rows.sort((a, b) => a.student.localeCompare(b.student) || a.notebook.localeCompare(b.notebook) || (order.get(`${a.notebook}/${a.grade_id}`) ?? 0) - (order.get(`${b.notebook}/${b.grade_id}`) ?? 0));
    writeAtomic(gradebook, gradebookCsv(rows));
    for (const student of students) {
      const per = notebooks.map((nb) => ({ notebook: nb, rows: rows.filter((r) => r.student === student && r.notebook === nb), notes: notes.get(student)?.get(nb) ?? [] }));
      writeAtomic(join(feedbackDir, `${student.replace(/[^\w.-]/g, "_")}.md`), feedbackMarkdown(student, per));
    }
    const seconds = (Date.now() - started) / 1000;
    const perSubmission = results.map((r) => r.seconds);
    console.log(`graded ${graded.length} submission(s) of ${students.length} student(s) in ${seconds.toFixed(1)} s with ${Math.min(jobs, graded.length)} parallel kernel(s) ` +
      `(per submission: mean ${(perSubmission.reduce((a, b) => a + b, 0) / perSubmission.length).toFixed(1)} s, max ${Math.max(...perSubmission).toFixed(1)} s)`);
    console.log(`gradebook: ${gradebook}\nfeedback:  ${feedbackDir}/`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return 0;
}

function listIpynb(dir) {
  return collectSubmissions([dir]).filter((s) => dirname(s.path) === dir).map((s) => basename(s.path)).sort();
}

async function main() {
  const { command, opts } = parse(process.argv.slice(2));
  if (command === "release") return release(opts);
  if (command === "grade") return grade(opts);
  throw new AssignmentError(`unknown command "${command ?? ""}"\n${USAGE}`);
}

main().then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof AssignmentError) {
      console.error(`assignment: ${err.message}`);
      process.exit(2);
    }
    console.error(err);
    process.exit(1);
  },
);
