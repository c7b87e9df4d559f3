#!/usr/bin/env node
// `npm start`: register the course kernel locally and open notebooks/ in JupyterLab (or the classic
// notebook). Extra arguments are passed to Jupyter, e.g. `npm start -- --no-browser --port 8890`.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { registerKernel, jupyterEnv, findNotebookApp, projectRoot, INSTALL_JUPYTER_HINT } from "./jupyter.mjs";

const app = findNotebookApp();
if (app === null) {
  console.error(INSTALL_JUPYTER_HINT);
  process.exit(1);
}
const { name } = registerKernel();
const notebooks = join(projectRoot, "notebooks");
console.log(`Opening ${notebooks} in ${app.name} with the "${name}" kernel (LORA_PROFILE=${process.env.LORA_PROFILE ?? "course"}).`);
const extra = process.argv.slice(2);
// Jupyter refuses to run as root (containers, CI machines) unless told it is deliberate.
if (process.getuid?.() === 0 && !extra.includes("--allow-root")) {
  console.log("Running as root: passing --allow-root to Jupyter.");
  extra.push("--allow-root");
}
const child = spawn(app.cmd, [...app.args, `--notebook-dir=${notebooks}`, ...extra], {
  cwd: notebooks,
  stdio: "inherit",
  env: jupyterEnv(),
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
