/**
 * `npm run bench [-- --backend B] [-- flags]`. With `--backend webgpu`: the WebGPU benchmark
 * (`webgpu-bench.ts`; the other flags go to it). Otherwise the CPU benchmarks in turn, as before:
 * `train-bench --skip-tfn`, `transformer-bench`, `sweep-bench` (the other flags go to the last),
 * with `LORA_BACKEND=B` when `--backend B` is given. Exits with the first failing benchmark's status.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";

function run(script: string, args: string[], env: NodeJS.ProcessEnv): void {
  const r = spawnSync(process.execPath, [join(__dirname, script), ...args], { stdio: "inherit", env });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const args = process.argv.slice(2);
const at = args.indexOf("--backend");
const backend = at >= 0 ? args[at + 1] : undefined;
const rest = at >= 0 ? [...args.slice(0, at), ...args.slice(at + 2)] : args;
const env = backend !== undefined ? { ...process.env, LORA_BACKEND: backend } : process.env;
if (backend === "webgpu") run("webgpu-bench.js", rest, env);
else {
  run("train-bench.js", ["--skip-tfn"], env);
  run("transformer-bench.js", [], env);
  run("sweep-bench.js", rest, env);
}
