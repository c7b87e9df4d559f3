import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";

const root = join(__dirname, "..", "..", "..");

test("the library package is requirable by name from plain Node (CommonJS main + types)", () => {
  const pkg = JSON.parse(readFileSync(join(root, "lib", "package.json"), "utf8"));
  assert.equal(pkg.main, "dist/index.js");
  assert.equal(pkg.types, "dist/index.d.ts");
  assert.ok(existsSync(join(root, "lib", pkg.main)), "run `npm run build` first (npm test does)");
  assert.ok(existsSync(join(root, "lib", pkg.types)));
  const r = spawnSync(process.execPath, ["-e", `const l = require("${pkg.name}"); console.log(typeof l.backendInfo, typeof l.showChart, typeof l.stream)`], { cwd: root, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), "function function function");
});

test("the kernel is registered in the project-local Jupyter folder, pointing at this project's tslab", async () => {
  const { registerKernel, jupyterEnv, jupyterDataDir } = await import("../../../lib/scripts/jupyter.mjs");
  const { file } = registerKernel();
  assert.ok(file.startsWith(join(root, ".jupyter")));
  const spec = JSON.parse(readFileSync(file, "utf8"));
  // tslab's kernel through the project's launcher (lib/scripts/tslab-kernel.cjs binds every socket before serving).
  assert.deepEqual(spec.argv, [process.execPath, join(root, "lib", "scripts", "tslab-kernel.cjs"), "--config-path", "{connection_file}"]);
  assert.match(spec.display_name, /LoRA course/);
  assert.ok(jupyterEnv().JUPYTER_PATH.split(":")[0] === jupyterDataDir);
});

test("npm start without any Jupyter says how to install it and exits non-zero", () => {
  // A PATH with node only, and no python able to import jupyterlab/notebook.
  const bin = mkdtempSync(join(tmpdir(), "nojupyter-"));
  const r = spawnSync(process.execPath, [join(root, "lib", "scripts", "start.mjs")], {
    encoding: "utf8",
    env: { PATH: bin, HOME: bin, LORA_PYTHON: join(bin, "python3") },
  });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /pip install jupyterlab/);
  assert.match(r.stderr, /apt-get install jupyter-notebook/);
});

test("the public API is small: at most 150 runtime names, no engine classes, no setters of global state", () => {
  const names = Object.keys(require(join(root, "lib", "dist", "index.js")) as object);
  // Measured 142 when the API was cut down (issue 14); 256 before.
  assert.ok(names.length <= 150, `${names.length} runtime exports: keep the package API to what a course reader or researcher uses`);
  assert.deepEqual(names.filter((n) => /^(set|register)[A-Z]/.test(n)), [], "no setter of global state is exported");
  const internals = ["TransformerParams", "TransformerStepper", "FusedFNNStepper", "FusedTransformerStepper", "FNNEngine", "KernelArena", "runLoop", "FlatAdam"];
  assert.deepEqual(names.filter((n) => internals.includes(n)), [], "no engine class or loop internals");
  // What the notebooks and the graded cells use stays (a sample from each layer).
  for (const n of ["trainFNNLoRA", "trainTransformerLoRA", "constructFNN", "fnnThreshold", "loadBestResults", "showChart", "checkExercise", "resolveEngine", "sweep"]) assert.ok(names.includes(n), n);
});
