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
const child = spawn(app.cmd, [...app.args, `--notebook-dir=${notebooks}`, ...process.argv.slice(2)], {
  cwd: notebooks,
  stdio: "inherit",
  env: jupyterEnv(),
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
