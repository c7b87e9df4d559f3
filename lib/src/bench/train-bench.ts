/**
 * Training-engine benchmark: steps/s of one training run (train step + validation forward every
 * step), for the FNN (D=16, L=2, L̄=1, rank 4, batch 256), the Transformer (D=16, H=2, N=10, L=1,
 * rank 4, batch 256), and 16 FNNs trained in one batched computation. Prints the backend,
 * `tf.memory()` before/after, and ratios against the reference PyTorch rates measured on this
 * machine (FNN ≈ 550 steps/s, Transformer ≈ 20 steps/s).
 *
 * Run: `npx tsc -p lib/tsconfig.json && node lib/dist/bench/train-bench.js [--fnn-steps 2000]
 * [--tfn-steps 60] [--batch-steps 300] [--models 16]`; `LORA_BACKEND=cpu|wasm|tensorflow` picks the backend.
 */
import { makeFNNPair, makeTransformerPair } from "../models/targets";
import { initBackend, tf } from "../tf/backend";
import { trainFNNLoRA, trainFNNLoRABatch } from "../tf/fnn-train";
import { trainTransformerLoRA } from "../tf/transformer-train";

const REFERENCE = { fnn: 550, tfn: 20 };
const TARGET = { fnn: 1.5, tfn: 1.5, batched: 4 };

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function memory(): string {
  const m = tf.memory();
  return `${m.numTensors} tensors, ${(m.numBytes / 1024).toFixed(1)} KiB`;
}

function line(name: string, rate: number, unit: string, ratio: number, target: number): void {
  const ok = ratio >= target ? "meets" : "BELOW";
  console.log(`${name.padEnd(34)} ${rate.toFixed(1).padStart(8)} ${unit.padEnd(14)} ratio ${ratio.toFixed(2)}x (target ${target}x: ${ok})`);
}

async function main(): Promise<void> {
  const info = await initBackend();
  console.log(`backend: ${info.name} (${info.package}, tfjs ${info.tfjsVersion}${info.gpu ? ", GPU" : ""})`);
  const fnnSteps = flag("fnn-steps", 2000);
  const tfnSteps = flag("tfn-steps", 60);
  const batchSteps = flag("batch-steps", 300);
  const K = flag("models", 16);
  const common = { lr: 1e-3, seed: 0, batchSize: 256, nVal: 256, nTest: 256, valEvery: 1 };
  const fnn = makeFNNPair({ width: 16, targetDepth: 1, frozenDepth: 2, activation: "relu", bias: true, seed: 0 });
  const tfn = makeTransformerPair({ width: 16, depth: 1, heads: 2, seed: 0 });

  // Warm-up (kernel setup, JIT), then measured runs; rates cover the training loop only.
  trainFNNLoRA(fnn.frozen, fnn.target, { ...common, rank: 4, steps: 100 });
  console.log(`memory before: ${memory()}`);
  const single = trainFNNLoRA(fnn.frozen, fnn.target, { ...common, rank: 4, steps: fnnSteps });
  line(`FNN single (${fnnSteps} steps)`, single.stepsPerSec, "steps/s", single.stepsPerSec / REFERENCE.fnn, TARGET.fnn);

  trainTransformerLoRA(tfn.frozen, tfn.target, { ...common, rank: 4, steps: 5 });
  const t = trainTransformerLoRA(tfn.frozen, tfn.target, { ...common, rank: 4, steps: tfnSteps });
  line(`Transformer single (${tfnSteps} steps)`, t.stepsPerSec, "steps/s", t.stepsPerSec / REFERENCE.tfn, TARGET.tfn);

  const members = Array.from({ length: K }, (_, k) => ({ ...fnn, rank: 1 + (k % 16), seed: 0, lr: 1e-3 }));
  trainFNNLoRABatch(members, { ...common, steps: 20 });
  const batched = trainFNNLoRABatch(members, { ...common, steps: batchSteps });
  const modelSteps = batched[0].stepsPerSec * K;
  line(`FNN batched, ${K} models (${batchSteps} steps)`, modelSteps, "model-steps/s", modelSteps / single.stepsPerSec, TARGET.batched);
  console.log(`  (${batched[0].stepsPerSec.toFixed(1)} batched steps/s; ratio is vs the single-run FNN rate)`);
  console.log(`memory after: ${memory()}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
