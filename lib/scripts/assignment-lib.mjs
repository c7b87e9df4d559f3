// Release and grading of the course's exercises in nbgrader's conventions (see README, "Teaching
// with this course"). Pure functions here; the CLI is assignment.mjs.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { projectRoot, jupyterEnv, registerKernel } from "./jupyter.mjs";

export const MARKERS = {
  solution: ["// BEGIN SOLUTION", "// END SOLUTION"],
  hidden: ["// BEGIN HIDDEN TESTS", "// END HIDDEN TESTS"],
};
export const STUB = "// YOUR CODE HERE";
export const STATUSES = ["correct", "incorrect", "error", "timeout", "missing"];

/** Bad input to the assignment tool (exit status 2). */
export class AssignmentError extends Error {
  constructor(message) {
    super(message);
    this.name = "AssignmentError";
  }
}

export function nbgrader(cell) {
  return (cell.metadata && cell.metadata.nbgrader) || {};
}

export function cellSource(cell) {
  return Array.isArray(cell.source) ? cell.source.join("") : String(cell.source ?? "");
}

function toSourceLines(text) {
  const lines = text.split("\n");
  return lines.map((l, i) => (i < lines.length - 1 ? l + "\n" : l));
}

/**
 * Replace every `begin … end` region of `text` (marker lines included) by `replacement` (null:
 * drop it), keeping the begin line's indentation. Throws AssignmentError on unbalanced markers.
 */
export function replaceRegions(text, markers, replacement, where) {
  const [begin, end] = markers;
  const out = [];
  let inside = false;
  for (const line of text.split("\n")) {
    const t = line.trim();
    if (t === begin) {
      if (inside) throw new AssignmentError(`${where}: "${begin}" inside another region`);
      inside = true;
      if (replacement !== null) out.push(line.slice(0, line.indexOf(begin)) + replacement);
    } else if (t === end) {
      if (!inside) throw new AssignmentError(`${where}: "${end}" without "${begin}"`);
      inside = false;
    } else if (!inside) out.push(line);
  }
  if (inside) throw new AssignmentError(`${where}: "${begin}" is never closed by "${end}"`);
  return out.join("\n");
}

/** Test cells of a notebook: [{ grade_id, points }] in order. */
export function testCells(nb) {
  return nb.cells
    .filter((c) => c.cell_type === "code" && nbgrader(c).grade === true)
    .map((c) => ({ grade_id: nbgrader(c).grade_id, points: Number(nbgrader(c).points ?? 0) }));
}

/** Checks the nbgrader metadata of an instructor notebook (unique grade_ids, points, markers). */
export function validateSource(nb, name) {
  const seen = new Set();
  for (const c of nb.cells) {
    const g = nbgrader(c);
    if (g.grade_id === undefined) continue;
    if (seen.has(g.grade_id)) throw new AssignmentError(`${name}: grade_id "${g.grade_id}" is used twice`);
    seen.add(g.grade_id);
    if (g.grade === true && !(Number(g.points) > 0)) throw new AssignmentError(`${name}: test cell "${g.grade_id}" has no positive points`);
    const text = cellSource(c);
    if (g.solution === true && !text.includes(MARKERS.solution[0])) throw new AssignmentError(`${name}: answer cell "${g.grade_id}" has no "${MARKERS.solution[0]}"`);
    replaceRegions(text, MARKERS.solution, STUB, `${name} cell ${g.grade_id}`);
    replaceRegions(text, MARKERS.hidden, null, `${name} cell ${g.grade_id}`);
  }
  return testCells(nb);
}

/** The student's copy: solutions replaced by a stub, hidden tests removed, answer/test outputs cleared. */
export function studentVersion(nb, name) {
  const copy = JSON.parse(JSON.stringify(nb));
  for (const c of copy.cells) {
    const g = nbgrader(c);
    if (c.cell_type !== "code" || (g.solution !== true && g.grade !== true)) continue;
    let text = cellSource(c);
    if (g.solution === true) text = replaceRegions(text, MARKERS.solution, STUB, `${name} cell ${g.grade_id}`);
    if (g.grade === true) text = replaceRegions(text, MARKERS.hidden, null, `${name} cell ${g.grade_id}`);
    c.source = toSourceLines(text.replace(/\n+$/, ""));
    c.outputs = [];
    c.execution_count = null;
  }
  for (const c of copy.cells) {
    const text = cellSource(c);
    for (const m of [...MARKERS.solution, ...MARKERS.hidden]) {
      if (text.includes(m)) throw new AssignmentError(`${name}: the student copy still contains "${m}" (a marker outside an answer or test cell?)`);
    }
  }
  return copy;
}

/** Write a file through a temporary name and a rename. */
export function writeAtomic(path, text) {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export function writeNotebook(path, nb) {
  writeAtomic(path, JSON.stringify(nb, null, 1) + "\n");
}

/** Every .ipynb under the given files/folders (checkpoints skipped), as { student, notebook, path }. */
export function collectSubmissions(paths) {
  const out = [];
  const visit = (p) => {
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) {
        if (name.startsWith(".")) continue; // .ipynb_checkpoints and hidden folders
        visit(join(p, name));
      }
    } else if (p.endsWith(".ipynb")) {
      out.push({ student: basename(dirname(resolve(p))), notebook: basename(p), path: resolve(p) });
    }
  };
  for (const p of paths) {
    if (!existsSync(p)) throw new AssignmentError(`no such file or folder: ${p}`);
    visit(p);
  }
  return out;
}

/** The instructor notebook matching a submitted file name (same name, else the same NN- prefix). */
export function matchSource(sourceNames, notebook) {
  if (sourceNames.includes(notebook)) return notebook;
  const m = /^(\d\d)-/.exec(notebook);
  return m ? (sourceNames.find((s) => s.startsWith(m[1] + "-")) ?? null) : null;
}

/** Run async `tasks` with at most `jobs` at a time. */
export async function runPool(tasks, jobs) {
  const results = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, tasks.length)) }, worker));
  return results;
}

/** Grader processes still running (killed if the tool is interrupted). */
export const running = new Set();

for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    for (const child of running) child.kill("SIGTERM");
    process.exit(sig === "SIGINT" ? 130 : 143);
  });
}

/**
 * Grade (or execute) one notebook with grade_notebook.py. Resolves the result object; a crash of the
 * grader process gives every test cell "error" with the reason.
 */
export function gradeOne(python, { source, submission, resultPath, timeout, executedOut, env = {} }) {
  const { name } = registerKernel();
  const tests = testCells(JSON.parse(readFileSync(source, "utf8")));
  const started = Date.now();
  return new Promise((resolvePromise) => {
    const args = [join(projectRoot, "lib", "scripts", "grade_notebook.py"), source, submission, resultPath, name, String(timeout), join(projectRoot, "notebooks")];
    if (executedOut) args.push(executedOut);
    const child = spawn(python, args, { cwd: join(projectRoot, "notebooks"), env: jupyterEnv(env) });
    running.add(child);
    let log = "";
    child.stdout.on("data", (d) => (log += d));
    child.stderr.on("data", (d) => (log += d));
    child.on("error", (err) => (log += String(err)));
    child.on("close", (code) => {
      running.delete(child);
      const seconds = (Date.now() - started) / 1000;
      let result = null;
      try {
        result = JSON.parse(readFileSync(resultPath, "utf8"));
      } catch {
        result = null;
      }
      if (code !== 0 || result === null || !Array.isArray(result.tests)) {
        const reason = `the grader failed on this submission (exit ${code}): ${log.trim().split("\n").slice(-3).join(" | ").slice(0, 500)}`;
        result = { tests: tests.map((t) => ({ ...t, max_points: t.points, points: 0, status: "error", message: reason })), notes: [reason] };
      }
      resolvePromise({ ...result, seconds, log });
    });
  });
}

export function csvField(v) {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function gradebookCsv(rows) {
  const header = ["student", "notebook", "grade_id", "points", "max_points", "status"];
  return [header.join(","), ...rows.map((r) => header.map((h) => csvField(r[h])).join(","))].join("\n") + "\n";
}

/** Markdown feedback for one student. */
export function feedbackMarkdown(student, perNotebook) {
  const lines = [`# Feedback for ${student}`, ""];
  let total = 0, max = 0;
  for (const { notebook, rows, notes } of perNotebook) {
    const got = rows.reduce((a, r) => a + r.points, 0), of = rows.reduce((a, r) => a + r.max_points, 0);
    total += got;
    max += of;
    lines.push(`## ${notebook}: ${got} / ${of}`, "", "| test cell | points | status | what happened |", "| --- | --- | --- | --- |");
    for (const r of rows) lines.push(`| ${r.grade_id} | ${r.points} / ${r.max_points} | ${r.status} | ${(r.message || (r.status === "correct" ? "passed" : "")).replace(/\|/g, "\\|").replace(/\n/g, " ")} |`);
    if (notes && notes.length) lines.push("", ...notes.map((n) => `* ${n}`));
    lines.push("");
  }
  lines.splice(1, 0, "", `**Total: ${total} / ${max}**`);
  return lines.join("\n") + "\n";
}
