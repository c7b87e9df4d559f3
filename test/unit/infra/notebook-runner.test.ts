// The notebook runner (lib/scripts/notebooks.mjs + execute_notebook.py) starts a kernel that never answered
// once more and says so; it never retries a cell error; a kernel silent twice is an error naming the retry.
// Kernels are test/infra/flaky-kernel.cjs registered in a temporary JUPYTER_PATH.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { executeNotebook, findNotebookPython } from "../../../lib/scripts/notebooks.mjs";
import { jupyterDataDir } from "../../../lib/scripts/jupyter.mjs";

const python = findNotebookPython();
const skip = python === null && process.env.CI !== "true" ? "no Python with nbclient found" : false;
const flaky = join(__dirname, "..", "..", "infra", "flaky-kernel.cjs");

function setUp(t: TestContext, mode: string, code: string) {
  const dir = mkdtempSync(join(tmpdir(), "lora-runner-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const counter = join(dir, "launches");
  const kernel = join(dir, "kernels", `flaky-${mode}`);
  mkdirSync(kernel, { recursive: true });
  writeFileSync(join(kernel, "kernel.json"), JSON.stringify({
    argv: [process.execPath, flaky, mode, counter, "--config-path", "{connection_file}"],
    display_name: `flaky ${mode}`,
    language: "typescript",
  }));
  const notebook = join(dir, "nb.ipynb");
  writeFileSync(notebook, JSON.stringify({
    cells: [{ cell_type: "code", execution_count: null, id: "cell-0", metadata: {}, outputs: [], source: [code] }],
    metadata: {}, nbformat: 4, nbformat_minor: 5,
  }));
  const run = () => executeNotebook(python as string, notebook, join(dir, "out.ipynb"), {
    timeoutPerCell: 300,
    kernelName: `flaky-${mode}`,
    env: { JUPYTER_PATH: `${dir}:${jupyterDataDir}` },
  });
  const launches = () => Number(readFileSync(counter, "utf8"));
  return { dir, run, launches, output: join(dir, "out.ipynb") };
}

test("a kernel that never answered is started again once, and the runner says so", { skip }, async (t) => {
  const s = setUp(t, "die-first", 'console.log("answered " + (40 + 2));');
  const r = await s.run();
  assert.equal(r.ok, true, r.log);
  assert.equal(s.launches(), 2);
  assert.ok(r.kernelRetry !== undefined, `no KERNEL-RETRY reported:\n${r.log}`);
  assert.match(r.kernelRetry.message, /died|respond/);
  assert.match(readFileSync(s.output, "utf8"), /answered 42/);
});

test("a cell error is never retried", { skip }, async (t) => {
  const s = setUp(t, "count", 'throw new Error("boom-" + (6 * 7));');
  const r = await s.run();
  assert.equal(r.ok, false);
  assert.equal(s.launches(), 1);
  assert.equal(r.kernelRetry, undefined);
  assert.equal(r.error?.cell, 0);
  assert.match(r.error?.message ?? "", /boom-42/);
});

test("a kernel silent twice fails, naming the retry", { skip }, async (t) => {
  const s = setUp(t, "die-always", "1 + 1;");
  const r = await s.run();
  assert.equal(r.ok, false);
  assert.equal(s.launches(), 2);
  assert.match(r.error?.message ?? "", /never answered, twice \(retried once\)/);
});
