// Project-local Jupyter set-up shared by `npm start`, `npm run kernel`, `npm run execute-notebooks`
// and the notebook tests: the tslab kernel is registered under <project>/.jupyter (JUPYTER_PATH),
// so nothing global is touched.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync, copyFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const projectRoot = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
export const jupyterDataDir = join(projectRoot, ".jupyter");
export const KERNEL_NAME = "lora-course";
export const KERNEL_DISPLAY_NAME = "TypeScript (LoRA course)";

/** Write <project>/.jupyter/kernels/lora-course/kernel.json pointing at this project's tslab. */
export function registerKernel() {
  const tslab = join(projectRoot, "node_modules", "tslab", "package.json");
  if (!existsSync(tslab)) {
    throw new Error(`tslab is not installed at ${dirname(tslab)}: run \`npm install\` in ${projectRoot} first`);
  }
  const dir = join(jupyterDataDir, "kernels", KERNEL_NAME);
  mkdirSync(dir, { recursive: true });
  const spec = {
    // tslab's kernel through the course's launcher, which binds every socket before serving any
    // (lib/scripts/tslab-kernel.cjs says why); the node that runs npm runs the kernel.
    argv: kernelArgv("{connection_file}"),
    display_name: KERNEL_DISPLAY_NAME,
    language: "typescript",
    env: { TF_CPP_MIN_LOG_LEVEL: "2" },
  };
  const file = join(dir, "kernel.json");
  const text = JSON.stringify(spec, null, 2) + "\n";
  if (!existsSync(file) || readFileSync(file, "utf8") !== text) {
    writeFileSync(file + ".tmp", text);
    renameSync(file + ".tmp", file);
  }
  for (const logo of ["logo-32x32.png", "logo-64x64.png"]) {
    const src = join(projectRoot, "node_modules", "tslab", "python", "tslab", "kernelspec", logo);
    if (existsSync(src)) copyFileSync(src, join(dir, logo));
  }
  return { dir, file, name: KERNEL_NAME };
}

/** The command that starts the course's kernel on a Jupyter connection file. */
export function kernelArgv(connectionFile) {
  return [process.execPath, join(projectRoot, "lib", "scripts", "tslab-kernel.cjs"), "--config-path", connectionFile];
}

/** Environment for Jupyter processes: the project-local data folder first on JUPYTER_PATH. */
export function jupyterEnv(extra = {}) {
  const prior = process.env.JUPYTER_PATH;
  return {
    ...process.env,
    JUPYTER_PATH: prior ? `${jupyterDataDir}:${prior}` : jupyterDataDir,
    ...extra,
  };
}

function works(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: "ignore" });
  return r.status === 0;
}

/** The interpreter of a script's `#!` line, if it is a python. */
function shebangPython(script) {
  try {
    const first = readFileSync(script, "utf8").split("\n")[0];
    const m = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(first);
    if (!m) return null;
    if (m[1].endsWith("/env") && m[2]) return m[2];
    return m[1];
  } catch {
    return null;
  }
}

function which(cmd) {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
}

/**
 * Pythons to look for Jupyter in: `LORA_PYTHON` alone when set (e.g. a virtualenv's python),
 * else Debian's /usr/bin/python3, the python behind `jupyter` on PATH, then `python3`.
 */
function pythonCandidates() {
  if (process.env.LORA_PYTHON) return [process.env.LORA_PYTHON];
  const candidates = ["/usr/bin/python3"];
  const jupyter = which("jupyter");
  if (jupyter) {
    const py = shebangPython(jupyter);
    if (py) candidates.push(py);
  }
  candidates.push("python3");
  return candidates;
}

/**
 * A python that can run nbclient (to execute notebooks through the kernel protocol):
 * Debian's /usr/bin/python3 first, then the python behind `jupyter` on PATH, then `python3`.
 */
export function findNotebookPython() {
  for (const py of pythonCandidates()) {
    if (works(py, ["-c", "import nbclient, nbformat"])) return py;
  }
  return null;
}

/** How to start a notebook UI: JupyterLab if installed, else the classic notebook. */
export function findNotebookApp() {
  const jupyter = process.env.LORA_PYTHON ? null : which("jupyter");
  const pythons = pythonCandidates();
  for (const py of pythons) {
    if (works(py, ["-c", "import jupyterlab"])) return { name: "JupyterLab", cmd: py, args: ["-m", "jupyterlab"] };
  }
  for (const py of pythons) {
    if (works(py, ["-c", "import notebook"])) return { name: "classic notebook", cmd: py, args: ["-m", "notebook"] };
  }
  if (jupyter && works(jupyter, ["lab", "--version"])) return { name: "JupyterLab", cmd: jupyter, args: ["lab"] };
  if (jupyter && works(jupyter, ["notebook", "--version"])) return { name: "classic notebook", cmd: jupyter, args: ["notebook"] };
  return null;
}

export const INSTALL_JUPYTER_HINT = [
  "No Jupyter found. Install one of:",
  "  JupyterLab (recommended):  pip install jupyterlab",
  "  Debian/Ubuntu classic:     sudo apt-get install jupyter-notebook",
  "then run `npm start` again.",
].join("\n");
