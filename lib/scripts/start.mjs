#!/usr/bin/env node
// `npm start`: open notebooks/ in JupyterLab (or the classic notebook) with everything Jupyter writes
// kept inside the project: data (kernel spec, notebook-signing key, trust database), runtime files and
// config all live under <project>/.jupyter (git-ignored). Before opening, the committed notebooks are
// marked trusted in that project-local database, so their charts (HTML/JavaScript outputs) show on
// first open. Extra arguments are passed to Jupyter, e.g. `npm start -- --no-browser --port 8890`.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { registerKernel, jupyterEnv, jupyterDataDir, findNotebookApp, projectRoot, INSTALL_JUPYTER_HINT } from "./jupyter.mjs";

export const notebooksDir = join(projectRoot, "notebooks");

/**
 * Jupyter's environment with every directory it writes inside <project>/.jupyter: data (kernels,
 * notebook_secret, nbsignatures.db), runtime (connection files, server info) and config.
 */
export function projectJupyterEnv() {
  const dirs = {
    JUPYTER_DATA_DIR: jupyterDataDir,
    JUPYTER_RUNTIME_DIR: join(jupyterDataDir, "runtime"),
    JUPYTER_CONFIG_DIR: join(jupyterDataDir, "config"),
    // IPython (pulled in by the notebook server's python side) keeps its profile here, not in ~/.ipython.
    IPYTHONDIR: join(jupyterDataDir, "ipython"),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  // The user's config folder (~/.jupyter) is replaced by the project's; system-wide config (/etc/jupyter,
  // <sys.prefix>/etc/jupyter, where installed extensions enable themselves) is still read.
  return jupyterEnv(dirs);
}

/** The committed notebooks, as paths. */
export function courseNotebooks() {
  return readdirSync(notebooksDir).filter((f) => f.endsWith(".ipynb")).sort().map((f) => join(notebooksDir, f));
}

/**
 * Sign the committed notebooks in the project's trust database (nbformat's `jupyter trust`, run with
 * JUPYTER_DATA_DIR = <project>/.jupyter). Returns the python used; throws if signing fails.
 */
export function trustNotebooks(python, env = projectJupyterEnv()) {
  const files = courseNotebooks();
  const r = spawnSync(python, ["-c", "from nbformat.sign import TrustNotebookApp; TrustNotebookApp.launch_instance()", ...files], {
    env,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`marking the notebooks trusted failed (${python}): ${r.stderr || r.stdout}`);
  return files.length;
}

/** The python behind a notebook app (`python -m notebook`) or null (a `jupyter` launcher). */
function appPython(app) {
  return app.args[0] === "-m" ? app.cmd : null;
}

function main() {
  const app = findNotebookApp();
  if (app === null) {
    console.error(INSTALL_JUPYTER_HINT);
    process.exit(1);
  }
  const { name } = registerKernel();
  const env = projectJupyterEnv();
  const python = appPython(app) ?? "python3";
  const n = trustNotebooks(python, env);
  console.log(`Marked ${n} course notebooks trusted in ${join(jupyterDataDir, "nbsignatures.db")} (project-local).`);
  console.log(`Opening ${notebooksDir} in ${app.name} with the "${name}" kernel (LORA_PROFILE=${process.env.LORA_PROFILE ?? "course"}).`);
  const extra = process.argv.slice(2);
  // Jupyter refuses to run as root (containers, CI machines) unless told it is deliberate.
  if (process.getuid?.() === 0 && !extra.includes("--allow-root")) {
    console.log("Running as root: passing --allow-root to Jupyter.");
    extra.push("--allow-root");
  }
  const child = spawn(app.cmd, [...app.args, `--notebook-dir=${notebooksDir}`, ...extra], {
    cwd: notebooksDir,
    stdio: "inherit",
    env,
  });
  for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) main();
