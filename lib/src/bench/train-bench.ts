/**
 * Training-engine benchmark: steps/s of one training run (train step + validation forward every
 * step), for the FNN (D=16, L=2, L̄=1, rank 4, batch 256), the Transformer (D=16, H=2, N=10, L=1,
 * rank 4, batch 256), and 16 FNNs (ranks 1..16, one seed) trained in one batched computation.
 *
 * The FNN runs on both engines (`fast`: the fused kernels of `lib/src/fast`, `reference`: the tfjs
 * path; the trainers' `engine` option), interleaved A/B in the same process and repeated (`--reps`), reporting the
 * median. Besides wall-clock rates it prints CPU-time rates (steps per CPU-second of this process,
 * setup and test metrics included), which a loaded machine distorts far less, and the load average.
 * Ratios: single runs against the official PyTorch code's training rates measured side by side on
 * this machine class (`OFFICIAL_TRAINING_RATE`), batched model-steps/s against the single run of
 * the same engine (and against the official single run).
 *
 * Run: `npm run build && node lib/dist/bench/train-bench.js [--fnn-steps 2000] [--tfn-steps 60]
 * [--batch-steps 1000] [--models 16] [--reps 3] [--skip-tfn]`; `LORA_BACKEND=cpu|wasm|tensorflow` picks the backend.
 */
import { availableParallelism, loadavg } from "node:os";
import { makeFNNPair, makeTransformerPair } from "../models/targets";
import { initBackend, tf } from "../tf/backend";
import { fnnThreads } from "../fast/fnn-stepper";
import { OFFICIAL_TRAINING_RATE } from "./official-rates";
import type { Engine } from "../tf/settings";
import { trainFNNLoRA, trainFNNLoRABatch } from "../tf/fnn-train";
import { trainTransformerLoRA } from "../tf/transformer-train";

const REFERENCE = OFFICIAL_TRAINING_RATE;
const TARGET = { fnn: 1.5, tfn: 1.5, batched: 4 };

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function memory(): string {
  const m = tf.memory();
  return `${m.numTensors} tensors, ${(m.numBytes / 1024).toFixed(1)} KiB`;
}

function load(): string {
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
}

function line(name: string, rate: number, unit: string, ratio: number, target: number, extra = ""): void {
  const ok = ratio >= target ? "meets" : "BELOW";
  console.log(`${name.padEnd(34)} ${rate.toFixed(1).padStart(8)} ${unit.padEnd(14)} ratio ${ratio.toFixed(2)}x (target ${target}x: ${ok})${extra}`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

interface Rate {
  /** Loop steps per wall-clock second (the trainer's own timing). */
  wall: number;
  /** Steps per CPU-second of this process (whole call). */
  cpu: number;
}

function timed(steps: number, f: () => { stepsPerSec: number }): Rate {
  const c0 = process.cpuUsage();
  const r = f();
  const c = process.cpuUsage(c0);
  return { wall: r.stepsPerSec, cpu: steps / ((c.user + c.system) / 1e6) };
}

async function main(): Promise<void> {
  const info = await initBackend();
  console.log(`backend: ${info.name} (${info.package}, tfjs ${info.tfjsVersion}${info.gpu ? ", GPU" : ""})`);
  const fnnSteps = flag("fnn-steps", 2000);
  const tfnSteps = flag("tfn-steps", 60);
  const batchSteps = flag("batch-steps", 1000);
  const K = flag("models", 16);
  const reps = flag("reps", 3);
  const common = { lr: 1e-3, seed: 0, batchSize: 256, nVal: 256, nTest: 256, valEvery: 1 };
  const fnn = makeFNNPair({ width: 16, targetDepth: 1, frozenDepth: 2, activation: "relu", bias: true, seed: 0 });
  const members = Array.from({ length: K }, (_, k) => ({ ...fnn, rank: 1 + (k % 16), seed: 0, lr: 1e-3 }));
  const kernels: Engine[] = ["fast", "reference"];
  const single = (k: Engine, steps: number): Rate => timed(steps, () => trainFNNLoRA(fnn.frozen, fnn.target, { ...common, rank: 4, steps, engine: k }));
  const batched = (k: Engine, steps: number, threads: number | null = null): Rate => {
    const r = timed(steps, () => trainFNNLoRABatch(members, { ...common, steps, engine: k, ...(threads !== null ? { threads } : {}) })[0]);
    return { wall: r.wall * K, cpu: r.cpu * K };
  };
  // Threads the fast batched run would pick now (LORA_FNN_THREADS, or by idle cores); both 1 and
  // all cores (at most 4) are measured.
  const autoThreads = fnnThreads(K, batchSteps * K * 768 * 16 * 16 * 2);
  const manyThreads = Math.min(availableParallelism(), 4, K);

  // Warm-up (kernel setup, JIT, the fast engine's worker threads, which then stay in their idle
  // pool), then interleaved measured runs; wall rates cover the training loop only.
  for (const k of kernels) {
    single(k, 100);
    batched(k, k === "fast" ? 200 : 10, k === "fast" ? manyThreads : null);
  }
  console.log(`memory before: ${memory()}`);
  console.log(`load average before: ${load()}`);
  const runs = new Map<string, Rate[]>();
  const record = (key: string, r: Rate): void => void runs.set(key, [...(runs.get(key) ?? []), r]);
  for (let rep = 0; rep < reps; rep++) {
    for (const k of kernels) {
      // The reference engine is ~5× slower per step: fewer steps keep the rounds comparable in time.
      record(`single ${k}`, single(k, k === "fast" ? fnnSteps : Math.ceil(fnnSteps / 4)));
      if (k === "reference") record("batched reference", batched(k, Math.ceil(batchSteps / 4)));
      else {
        record("batched fast, 1 thread", batched(k, batchSteps, 1));
        if (manyThreads > 1) record(`batched fast, ${manyThreads} threads`, batched(k, batchSteps, manyThreads));
      }
    }
  }
  const med = (key: string): Rate => {
    const rs = runs.get(key) ?? [];
    return { wall: median(rs.map((r) => r.wall)), cpu: median(rs.map((r) => r.cpu)) };
  };
  const all = (key: string): string => (runs.get(key) ?? []).map((r) => r.wall.toFixed(0)).join(", ");
  console.log(`FNN, median of ${reps} interleaved runs (wall rates of each run in brackets); cpu = per CPU-second`);
  for (const k of kernels) {
    const s = med(`single ${k}`);
    line(`FNN single, ${k}`, s.wall, "steps/s", s.wall / REFERENCE.fnn, TARGET.fnn, `  cpu ${s.cpu.toFixed(0)} steps/s (${(s.cpu / REFERENCE.fnn).toFixed(2)}x)  [${all(`single ${k}`)}]`);
  }
  const batchedKeys = ["fast, 1 thread", ...(manyThreads > 1 ? [`fast, ${manyThreads} threads`] : []), "reference"];
  console.log(`  (a fast batched run would use ${autoThreads} thread(s) at the current load)`);
  for (const k of batchedKeys) {
    const s = med(`single ${k.startsWith("fast") ? "fast" : k}`);
    const b = med(`batched ${k}`);
    line(`FNN batched ${K}, ${k}`, b.wall, "model-steps/s", b.wall / s.wall, TARGET.batched, `  cpu ${b.cpu.toFixed(0)} (${(b.cpu / s.cpu).toFixed(2)}x)  [${all(`batched ${k}`)}]`);
    // Each repetition's batched rate over the same repetition's single rate (taken moments apart).
    const singles = runs.get(`single ${k.startsWith("fast") ? "fast" : k}`) ?? [];
    const paired = (runs.get(`batched ${k}`) ?? []).map((r, i) => r.wall / singles[i].wall);
    console.log(`${"".padEnd(36)}ratio per repetition: ${paired.map((x) => x.toFixed(2)).join(", ")} (median ${median(paired).toFixed(2)}x)`);
  }
  const bestFast = Math.max(...batchedKeys.filter((k) => k.startsWith("fast")).map((k) => med(`batched ${k}`).wall));
  const fastVsReference = bestFast / med("single reference").wall;
  console.log(`  best batched fast vs single reference: ${fastVsReference.toFixed(2)}x; single fast vs single reference: ${(med("single fast").wall / med("single reference").wall).toFixed(2)}x`);
  console.log(`load average after FNN: ${load()}`);

  if (!process.argv.includes("--skip-tfn")) {
    const tfn = makeTransformerPair({ width: 16, depth: 1, heads: 2, seed: 0 });
    trainTransformerLoRA(tfn.frozen, tfn.target, { ...common, rank: 4, steps: 5 });
    const t = trainTransformerLoRA(tfn.frozen, tfn.target, { ...common, rank: 4, steps: tfnSteps });
    line(`Transformer single (${tfnSteps} steps)`, t.stepsPerSec, "steps/s", t.stepsPerSec / REFERENCE.tfn, TARGET.tfn);
  }
  console.log(`memory after: ${memory()}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
