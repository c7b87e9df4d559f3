/// <reference lib="dom" />
// `npm start` end to end, in the real notebook UI: started with HOME pointed at an empty temporary
// folder (nothing may be written there: Jupyter's data, runtime and config stay in <project>/.jupyter),
// the committed notebooks are trusted in the project's signature database, and notebook 00 opened in
// Chromium shows its chart before running, then Run All finishes with no error output and its chart
// visible. Runs `node lib/scripts/start.mjs` (what `npm start` runs after `npm run build`).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { browserMissing, launch, type Browser } from "./browser";

const root = join(__dirname, "..", "..", "..");
const shots = join(root, "test", ".out", "site");
const notebook = join(root, "notebooks", "00-welcome.ipynb");
const classic = spawnSync("/usr/bin/python3", ["-c", "import notebook"]).status === 0;
const skip = browserMissing() ?? (classic ? null : "the classic notebook is not installed (apt-get install jupyter-notebook)");
if (skip !== null && !classic && process.env.CI) throw new Error(`CI: ${skip}`);

let home = "";
let server: ChildProcess | null = null;
let log = "";
let url = "";
let browser: Browser | null = null;
const sha = () => createHash("sha256").update(readFileSync(notebook)).digest("hex");
const shaBefore = sha();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Every file under `dir`, relative. */
function filesUnder(dir: string, prefix = ""): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
}

before(async () => {
  if (skip) return;
  home = mkdtempSync(join(tmpdir(), "lora-home-"));
  // Start from no trust database, so the trust checks below see what this `npm start` wrote.
  rmSync(join(root, ".jupyter", "nbsignatures.db"), { force: true });
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, LORA_PROFILE: "quick" };
  for (const k of ["XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTER_CONFIG_DIR", "IPYTHONDIR"]) delete env[k];
  server = spawn(process.execPath, [join(root, "lib", "scripts", "start.mjs"), "--no-browser", `--port=${port}`, "--ip=127.0.0.1"], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  const found = new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      log += d.toString();
      const m = new RegExp(`http://127\\.0\\.0\\.1:${port}/\\?token=\\w+`).exec(log);
      if (m) resolve(m[0]);
    };
    server!.stdout!.on("data", onData);
    server!.stderr!.on("data", onData);
    server!.on("exit", (code) => reject(new Error(`npm start exited (${code}) before serving:\n${log}`)));
  });
  url = await found;
  browser = await launch();
  mkdirSync(shots, { recursive: true });
});

after(async () => {
  if (skip) return;
  await browser?.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server!.once("exit", r));
    server.kill("SIGTERM");
    await exited;
  }
  rmSync(home, { recursive: true, force: true });
});

test("npm start marks the committed notebooks trusted in the project's .jupyter", { skip: skip ?? false }, () => {
  const check = spawnSync("/usr/bin/python3", ["-c", [
    "import sys, glob, nbformat",
    "from nbformat.sign import NotebookNotary",
    "n = NotebookNotary(data_dir=sys.argv[1])",
    "files = sorted(glob.glob(sys.argv[2] + '/*.ipynb'))",
    "print(len(files), sum(n.check_signature(nbformat.read(f, 4)) for f in files))",
  ].join("\n"), join(root, ".jupyter"), join(root, "notebooks")], { encoding: "utf8" });
  assert.equal(check.status, 0, check.stderr);
  const [files, trusted] = check.stdout.trim().split(" ").map(Number);
  assert.ok(files >= 11, `found ${files} notebooks`);
  assert.equal(trusted, files, "every committed notebook is trusted in <project>/.jupyter/nbsignatures.db");
});

test("notebook 00 opens trusted with its chart, runs all cells without errors, and nothing is written to HOME", { skip: skip ?? false }, async () => {
  const page = await browser!.context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  const base = url.replace(/\/\?token=.*/, "");
  const token = url.replace(/.*\?token=/, "");
  await page.goto(`${base}/notebooks/00-welcome.ipynb?token=${token}`);
  type J = { notebook: { trusted: boolean; kernel: { is_connected(): boolean } | null; set_autosave_interval(ms: number): void; get_cells(): Array<{ cell_type: string; input_prompt_number: unknown }> } };
  await page.waitForFunction(() => {
    const j = (window as unknown as { Jupyter?: J }).Jupyter;
    return j?.notebook?.kernel?.is_connected() === true;
  }, undefined, { timeout: 60000 });
  // Never write the committed notebook: no autosave while the test runs cells.
  await page.evaluate(() => (window as unknown as { Jupyter: J }).Jupyter.notebook.set_autosave_interval(0));
  const trusted = await page.evaluate(() => (window as unknown as { Jupyter: J }).Jupyter.notebook.trusted);
  assert.equal(trusted, true, "the notebook opens trusted");
  const chartsOnOpen = await page.locator(".output_svg svg").count();
  assert.ok(chartsOnOpen >= 1, "the committed chart shows on first open (before running anything)");
  await page.screenshot({ path: join(shots, "notebook-00-open.png") });
  await page.click("#celllink");
  await page.click("#run_all_cells");
  await page.waitForFunction(() => {
    const cells = (window as unknown as { Jupyter: J }).Jupyter.notebook.get_cells().filter((c) => c.cell_type === "code");
    return cells.every((c) => typeof c.input_prompt_number === "number");
  }, undefined, { timeout: 240000, polling: 500 });
  const errorOutputs = await page.locator(".output_error").allInnerTexts();
  assert.deepEqual(errorOutputs, [], "no error output");
  const chart = page.locator(".output_svg svg").first();
  await chart.scrollIntoViewIfNeeded();
  assert.ok(await chart.isVisible(), "the chart is visible after Run All");
  const box = await chart.boundingBox();
  assert.ok(box !== null && box.width > 200 && box.width <= 960, `chart box ${JSON.stringify(box)}`);
  await page.screenshot({ path: join(shots, "notebook-00-run-all.png") });
  assert.deepEqual(errors, [], "no page errors");
  await page.close();
  assert.deepEqual(filesUnder(home), [], "npm start wrote nothing under HOME");
  assert.equal(sha(), shaBefore, "the committed notebook was not modified");
});
