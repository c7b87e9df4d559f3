/**
 * Transformer training benchmark, A/B in one process: steps/s of one LoRA training run (D=16,
 * H=2, N=10, L=1, rank 4, batch 256, a train step + validation forward every step) with the
 * reference (tfjs autodiff) engine and the fast engine (`lib/src/fast`), alternating `--reps` times. Prints wall
 * steps/s, CPU-time steps/s (process CPU time, less sensitive to other load), the load average,
 * and the ratio against the official PyTorch code's training rate (`OFFICIAL_TRAINING_RATE.tfn`; target 1.5x).
 *
 * Run: `npm run build && node lib/dist/bench/transformer-bench.js [--steps 60] [--autodiff-steps 20]
 * [--reps 3] [--skip-autodiff]`; `LORA_BACKEND=cpu|wasm|tensorflow` picks the backend.
 */
import { loadavg } from "node:os";
import { makeTransformerPair } from "../models/targets";
import { initBackend, tf } from "../tf/backend";
import type { Engine } from "../tf/settings";
import { trainTransformerLoRA } from "../tf/transformer-train";
import { OFFICIAL_TRAINING_RATE } from "./official-rates";

const REFERENCE = OFFICIAL_TRAINING_RATE.tfn;
const TARGET = 1.5;

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  const info = await initBackend();
  console.log(`backend: ${info.name} (${info.package}, tfjs ${info.tfjsVersion}${info.gpu ? ", GPU" : ""})`);
  const steps = flag("steps", 60);
  const adSteps = flag("autodiff-steps", 20);
  const reps = flag("reps", 3);
  const skipAutodiff = process.argv.includes("--skip-autodiff");
  const common = { lr: 1e-3, seed: 0, batchSize: 256, nVal: 256, nTest: 256, valEvery: 1, rank: 4 };
  const { frozen, target } = makeTransformerPair({ width: 16, depth: 1, heads: 2, seed: 0 });
  const run = (engine: Engine, n: number): { wall: number; cpu: number } => {
    const c0 = process.cpuUsage();
    const r = trainTransformerLoRA(frozen, target, { ...common, steps: n, engine });
    const c = process.cpuUsage(c0);
    // CPU time covers the whole call (setup and test set too): a lower bound on the loop's CPU rate.
    return { wall: r.stepsPerSec, cpu: n / ((c.user + c.system) / 1e6) };
  };
  const engines: Engine[] = skipAutodiff ? ["fast"] : ["reference", "fast"];
  for (const e of engines) run(e, 5); // warm-up (kernels, JIT)
  const results = new Map<Engine, { wall: number[]; cpu: number[] }>(engines.map((e) => [e, { wall: [], cpu: [] }]));
  console.log(`load average at start: ${loadavg().map((x) => x.toFixed(2)).join(" ")}; tensors ${tf.memory().numTensors}`);
  for (let i = 0; i < reps; i++) {
    for (const e of engines) {
      const r = run(e, e === "reference" ? adSteps : steps);
      results.get(e)!.wall.push(r.wall);
      results.get(e)!.cpu.push(r.cpu);
      console.log(`  rep ${i + 1} ${e.padEnd(9)} ${r.wall.toFixed(1).padStart(7)} steps/s wall ${r.cpu.toFixed(1).padStart(7)} steps/s CPU  (load ${loadavg()[0].toFixed(2)})`);
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const e of engines) {
    const r = results.get(e)!;
    const w = median(r.wall);
    const ratio = w / REFERENCE;
    console.log(
      `Transformer single, ${e.padEnd(9)} median ${w.toFixed(1)} steps/s wall (best ${Math.max(...r.wall).toFixed(1)}), ` +
        `${median(r.cpu).toFixed(1)} steps/s CPU; ratio ${ratio.toFixed(2)}x vs PyTorch (target ${TARGET}x: ${ratio >= TARGET ? "meets" : "BELOW"})`,
    );
  }
  if (!skipAutodiff) {
    const f = results.get("fast")!;
    const a = results.get("reference")!;
    console.log(`speed-up fast/reference: ${(median(f.wall) / median(a.wall)).toFixed(2)}x wall, ${(median(f.cpu) / median(a.cpu)).toFixed(2)}x CPU`);
  }
  console.log(`load average at end: ${loadavg().map((x) => x.toFixed(2)).join(" ")}; tensors ${tf.memory().numTensors}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
