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
