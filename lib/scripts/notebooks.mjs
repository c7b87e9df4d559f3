// Execute notebooks through the real kernel protocol: shared by the notebook tests and
// `npm run execute-notebooks` (which re-executes them in place, outputs committed).
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { registerKernel, jupyterEnv, findNotebookPython, projectRoot } from "./jupyter.mjs";

export const notebooksDir = join(projectRoot, "notebooks");

/** The course notebooks in reading order. */
export function listNotebooks() {
  return readdirSync(notebooksDir)
    .filter((f) => /^\d\d-.*\.ipynb$/.test(f))
    .sort();
}

/**
 * Execute `notebook` (a file name in notebooks/) and write the executed copy to `output`.
 * Resolves { ok, seconds, error?: { cell, source, message }, log }.
 */
export function executeNotebook(python, notebook, output, { timeoutPerCell = 900, env = {} } = {}) {
  const { name } = registerKernel();
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(
      python,
      [join(projectRoot, "lib", "scripts", "execute_notebook.py"), join(notebooksDir, notebook), output, name, String(timeoutPerCell)],
      { cwd: notebooksDir, env: jupyterEnv(env) },
    );
    let log = "";
    child.stdout.on("data", (d) => (log += d));
    child.stderr.on("data", (d) => (log += d));
    child.on("close", (code) => {
      const seconds = (Date.now() - started) / 1000;
      const line = log.split("\n").find((l) => l.startsWith("CELL-ERROR "));
      const error = line ? JSON.parse(line.slice("CELL-ERROR ".length)) : code === 0 ? undefined : { cell: null, source: "", message: log.slice(-4000) };
      resolve({ ok: code === 0, seconds, error, log });
    });
  });
}

export { findNotebookPython };
