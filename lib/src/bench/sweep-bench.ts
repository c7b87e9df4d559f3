/**
 * Sweep throughput: runs/s and model-steps/s of one small sweep (fnn, gradient LoRA only) with
 * 1 or 2 worker threads and with or without the batched trainer.
 * `node --import tsx lib/src/bench/sweep-bench.ts [steps] [--json FILE]`.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { backendInfo } from "../tf/backend";
import { BUDGETS } from "../experiments/sweep/budgets";
import { runSweep } from "../experiments/sweep/runner";

interface BenchRow {
  workers: number;
  batch: number;
  runs: number;
  seconds: number;
  runsPerSec: number;
  modelStepsPerSec: number;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const steps = Number(args.find((a) => /^\d+$/.test(a)) ?? 200);
  const jsonAt = args.indexOf("--json");
  const info = await backendInfo();
  const rows: BenchRow[] = [];
  for (const [workers, batch] of [
    [1, 1],
    [1, 7],
    [2, 1],
    [2, 4],
  ] as const) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sweep-bench-"));
    const s = await runSweep({
      preset: "fnn",
      budget: "quick",
      budgetOverride: { ...BUDGETS.quick, steps, batchSize: 256, nTest: 1000, nVal: 256, valEvery: 10 },
      methods: ["sgd"],
      out: path.join(dir, "fnn.bench.jsonl"),
      workers,
      batch,
      reuse: false,
    });
    const row = { workers, batch, runs: s.ran, seconds: s.seconds, runsPerSec: s.ran / s.seconds, modelStepsPerSec: (s.ran * steps) / s.seconds };
    rows.push(row);
    console.log(`workers=${workers} batch=${batch}: ${s.ran} runs × ${steps} steps in ${s.seconds.toFixed(1)} s = ${row.runsPerSec.toFixed(2)} runs/s, ${row.modelStepsPerSec.toFixed(0)} model-steps/s`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const load = os.loadavg()[0];
  console.log(`backend ${info.name}, ${os.cpus().length} cores, load average ${load.toFixed(1)} (other processes share these cores)`);
  if (jsonAt >= 0) fs.writeFileSync(args[jsonAt + 1], JSON.stringify({ backend: info.name, cores: os.cpus().length, load, steps, rows, date: new Date().toISOString() }, null, 2) + "\n");
}

void main();
