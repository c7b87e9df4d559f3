// Execute notebooks through the real kernel protocol: shared by the notebook tests and
// `npm run execute-notebooks` (which re-executes them in place, outputs committed).
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { registerKernel, jupyterEnv, findNotebookPython, projectRoot } from "./jupyter.mjs";

export const notebooksDir = join(projectRoot, "notebooks");

/** The course notebooks in reading order. */
export function listNotebooks() {
  return readdirSync(notebooksDir)
    .filter((f) => /^\d\d-.*\.ipynb$/.test(f))
    .sort();
}

/** The JSON payload of the first stdout line `TAG <json>`, or undefined. */
function tagged(log, tag) {
  const line = log.split("\n").find((l) => l.startsWith(tag + " "));
  return line ? JSON.parse(line.slice(tag.length + 1)) : undefined;
}

/**
 * Execute `notebook` (a file name in notebooks/, or an absolute path) and write the executed copy to `output`.
 * A kernel that never answers is started again once (execute_notebook.py); a cell error is never retried.
 * Resolves { ok, seconds, kernelRetry?: { attempt, message }, error?: { cell, source, message }, log }.
 * `kernelName` runs another registered kernel (tests); by default the course's kernel is (re)registered.
 * @param {string} python
 * @param {string} notebook
 * @param {string} output
 * @param {{ timeoutPerCell?: number, env?: Record<string, string>, kernelName?: string }} [options]
 */
export function executeNotebook(python, notebook, output, { timeoutPerCell = 900, env = {}, kernelName = undefined } = {}) {
  const name = kernelName ?? registerKernel().name;
  const path = isAbsolute(notebook) ? notebook : join(notebooksDir, notebook);
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(
      python,
      [join(projectRoot, "lib", "scripts", "execute_notebook.py"), path, output, name, String(timeoutPerCell)],
      { cwd: dirname(path), env: jupyterEnv(env) },
    );
    let log = "";
    child.stdout.on("data", (d) => (log += d));
    child.stderr.on("data", (d) => (log += d));
    child.on("close", (code) => {
      const seconds = (Date.now() - started) / 1000;
      const kernelRetry = tagged(log, "KERNEL-RETRY");
      const kernelError = tagged(log, "KERNEL-ERROR");
      const cellError = tagged(log, "CELL-ERROR");
      const error = cellError
        ?? (kernelError ? { cell: null, source: "", message: `the kernel never answered, twice (retried once): ${kernelError.message}` } : undefined)
        ?? (code === 0 ? undefined : { cell: null, source: "", message: log.slice(-4000) });
      resolve({ ok: code === 0, seconds, kernelRetry, error, log });
    });
  });
}

export { findNotebookPython };
