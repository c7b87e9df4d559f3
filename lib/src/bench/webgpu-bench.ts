/**
 * WebGPU benchmark (`npm run bench -- --backend webgpu`): steps/s of the reference engine on the
 * tfjs WebGPU backend, for one FNN run (D=16, L=2, L̄=1, rank 4, batch 256, validation every step:
 * the setting of `train-bench`), K FNNs trained as one batched computation (K = 1, 16, 256, 4096 by
 * default; ranks 1..16) and one Transformer (D=16, H=2, N=10, L=1, rank 4, batch 256), with the
 * adapter's name (and whether it is a software adapter). Each rate is a measured run after a
 * one-step warm-up run of the same shape (shader compilation; `--warmup 0` skips it, for runs whose
 * steps take far longer than compiling). With `--compare` the same runs are timed on
 * the CPU fast path (`wasm`, `engine: "fast"`) in the same process, so the table says where WebGPU
 * wins and where it loses; the fast path runs more steps (`cpuSteps`), so that its much shorter
 * runs are not timer noise.
 *
 * Flags: `--models 1,16,256,4096`, `--steps N` (FNN single, default 20), `--batch-steps N`
 * (default 5), `--tfn-steps N` (default 5), `--warmup 0|1`, `--only-batched` (no single runs),
 * `--compare`, `--json FILE` (rows as JSON).
 */
import * as fs from "node:fs";
import { loadavg } from "node:os";
import { makeFNNPair, makeTransformerPair } from "../models/targets";
import { adapterName, initBackend, type BackendInfo } from "../tf/backend";
import { trainFNNLoRAAsync, trainFNNLoRABatchAsync } from "../tf/fnn-train";
import type { Engine } from "../tf/settings";
import { trainTransformerLoRAAsync } from "../tf/transformer-train";

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

export interface WebgpuBenchRow {
  backend: string;
  engine: Engine;
  run: string;
  /** Models trained at once. */
  K: number;
  steps: number;
  /** Loop steps per wall-clock second (each step trains all K models). */
  stepsPerSec: number;
  /** K × steps/s. */
  modelStepsPerSec: number;
}

const common = { lr: 1e-3, seed: 0, batchSize: 256, nVal: 256, nTest: 256, valEvery: 1 };

const warmup = flag("warmup", "1") !== "0";

/** Runs `f` twice (one step, which compiles the shaders, then `steps`; see `--warmup`) and reports the measured run's loop rate. */
async function measure(backend: BackendInfo, engine: Engine, run: string, K: number, steps: number, f: (steps: number) => Promise<{ stepsPerSec: number }>): Promise<WebgpuBenchRow> {
  if (warmup) await f(1);
  const r = await f(steps);
  return { backend: backend.name, engine, run, K, steps, stepsPerSec: r.stepsPerSec, modelStepsPerSec: r.stepsPerSec * K };
}

interface Steps {
  fnn: number;
  /** Steps of a batched run of K models. */
  batch: (K: number) => number;
  tfn: number;
}

/** The fast path's step counts: ~2000 model-steps a batched run, 100× the FNN and 20× the Transformer steps. */
function cpuSteps(s: Steps): Steps {
  return { fnn: 100 * s.fnn, batch: (K) => Math.max(s.batch(K), Math.ceil(2000 / K)), tfn: 20 * s.tfn };
}

async function benchOn(backend: BackendInfo, engine: Engine, models: number[], steps: Steps): Promise<WebgpuBenchRow[]> {
  const fnn = makeFNNPair({ width: 16, targetDepth: 1, frozenDepth: 2, activation: "relu", bias: true, seed: 0 });
  const rows: WebgpuBenchRow[] = [];
  const report = (r: WebgpuBenchRow): void => {
    rows.push(r);
    console.log(`${r.backend.padEnd(7)} ${r.engine.padEnd(10)} ${r.run.padEnd(22)} ${String(r.K).padStart(5)} ${r.stepsPerSec.toPrecision(3).padStart(10)} steps/s ${r.modelStepsPerSec.toPrecision(3).padStart(10)} model-steps/s  (${r.steps} steps; load ${loadavg()[0].toFixed(1)})`);
  };
  const singles = !process.argv.includes("--only-batched");
  if (singles) report(await measure(backend, engine, "FNN single", 1, steps.fnn, (n) => trainFNNLoRAAsync(fnn.frozen, fnn.target, { ...common, rank: 4, steps: n, engine })));
  for (const K of models) {
    const members = Array.from({ length: K }, (_, k) => ({ ...fnn, rank: 1 + (k % 16), seed: 0, lr: 1e-3 }));
    report(await measure(backend, engine, "FNN batched", K, steps.batch(K), async (n) => (await trainFNNLoRABatchAsync(members, { ...common, steps: n, engine }))[0]));
  }
  const tfn = makeTransformerPair({ width: 16, depth: 1, heads: 2, seed: 0 });
  if (singles) report(await measure(backend, engine, "Transformer single", 1, steps.tfn, (n) => trainTransformerLoRAAsync(tfn.frozen, tfn.target, { ...common, rank: 4, steps: n, engine })));
  return rows;
}

async function main(): Promise<void> {
  const models = flag("models", "1,16,256,4096").split(",").map(Number);
  if (models.some((k) => !Number.isInteger(k) || k < 1)) throw new Error(`--models ${flag("models", "")}: give positive integers, comma-separated`);
  const batchSteps = Number(flag("batch-steps", "5"));
  const steps: Steps = { fnn: Number(flag("steps", "20")), batch: () => batchSteps, tfn: Number(flag("tfn-steps", "5")) };
  const gpu = await initBackend("webgpu");
  if (gpu.adapter === null) throw new Error("the webgpu backend reported no adapter");
  console.log(`backend: webgpu (${gpu.package}, tfjs ${gpu.tfjsVersion}) on ${adapterName(gpu.adapter)}${gpu.adapter.software ? " — a SOFTWARE adapter (the CPU emulates the GPU): these rates say nothing about GPU hardware" : ""}`);
  console.log(`load average before: ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  console.log("backend engine     run                        K    rate");
  const rows = await benchOn(gpu, "reference", models, steps);
  if (process.argv.includes("--compare")) {
    const cpu = await initBackend("wasm");
    rows.push(...(await benchOn(cpu, "fast", models, cpuSteps(steps))));
  }
  const jsonAt = process.argv.indexOf("--json");
  if (jsonAt >= 0) {
    const file = process.argv[jsonAt + 1];
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, JSON.stringify({ adapter: gpu.adapter, gpu: gpu.gpu, load: loadavg(), rows }, null, 1) + "\n");
    fs.renameSync(tmp, file);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
