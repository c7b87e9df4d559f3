// Executes every notebooks/NN-*.ipynb top to bottom through the real kernel protocol (nbclient +
// the project's tslab kernel) with LORA_PROFILE=quick. A cell error or a TypeScript type error
// fails the notebook's test with the cell and the message. Without Jupyter the tests are skipped
// locally, and fail under CI=true.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { mkdirSync } from "node:fs";
import { executeNotebook, findNotebookPython, listNotebooks } from "../lib/scripts/notebooks.mjs";

const outDir = join(__dirname, ".out");
mkdirSync(outDir, { recursive: true });
const python = findNotebookPython();
const missing = python === null
  ? "no Python with nbclient found (install Debian's python3-nbclient jupyter-nbconvert python3-ipykernel jupyter-client, or pip install nbclient)"
  : null;
const notebooks = listNotebooks();

test("the course has notebooks to execute", () => {
  assert.ok(notebooks.length >= 2, `expected notebooks/NN-*.ipynb, found ${notebooks.length}`);
});

if (missing !== null && process.env.CI === "true") {
  test("Jupyter is available under CI", () => {
    assert.fail(`notebook tests cannot run: ${missing}`);
  });
}

for (const nb of notebooks) {
  test(`notebook ${nb} executes without errors (LORA_PROFILE=quick)`, { skip: missing ?? false }, async (t) => {
    const result = await executeNotebook(python as string, nb, join(outDir, nb), {
      timeoutPerCell: 600,
      env: { LORA_PROFILE: process.env.LORA_PROFILE ?? "quick" },
    });
    if (result.kernelRetry !== undefined) {
      const retry = `${nb}: the kernel never answered (${result.kernelRetry.message}); it was started again once`;
      t.diagnostic(retry);
      console.log(`# ${retry}`);
    }
    const timing = `${nb} executed in ${result.seconds.toFixed(1)} s`;
    t.diagnostic(timing);
    console.log(`# ${timing}`);
    if (!result.ok) {
      const e = result.error ?? { cell: null, source: "", message: result.log };
      assert.fail(`${nb}: cell ${e.cell} failed\n--- cell source ---\n${e.source}\n--- error ---\n${e.message}`);
    }
  });
}
