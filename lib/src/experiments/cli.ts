#!/usr/bin/env node
/**
 * `lora-exp`: one experiment with the reference run_exp.py flags, e.g.
 * `lora-exp --exp fnn --width 16 --rank 8 --method ours --json`.
 * Human output mirrors the reference ("Experiment Setting:", "| key: value", "Test loss: …",
 * "Test loss on shifted test set: …"); losses below 1e-4 print in exponent form since the
 * float64 construction reaches ~1e-30. `--json` prints exactly one JSON object instead.
 */
import { LoraError } from "../errors";
import { type ExperimentConfig, type ExperimentResult, describeConfig, parseArgs } from "./config";
import { runOurs } from "./run-ours";
import { runTrained } from "./run-trained";

/** Dispatch: `ours` → constructions; `sgd`/`flt` → training engine. */
export function runExperiment(config: ExperimentConfig): Promise<ExperimentResult> {
  return config.method === "ours" ? runOurs(config) : runTrained(config);
}

function fmt(x: number): string {
  return x !== 0 && Math.abs(x) < 1e-4 ? x.toExponential(4) : x.toFixed(4);
}

/** Runs the CLI; returns the exit code. `write` receives each output line. */
export async function main(argv: readonly string[], write: (line: string) => void = (l) => process.stdout.write(l + "\n")): Promise<number> {
  try {
    if (argv.includes("--help") || argv.includes("-h")) {
      write("usage: lora-exp [--exp fnn|tfn] [--width D] [--target_depth L̄] [--frozen_depth L] [--rank R] [--method ours|sgd|flt] ... [--json]");
      write("flags and defaults follow the reference run_exp.py; see DEFAULT_CONFIG in experiments/config.ts");
      return 0;
    }
    const config = parseArgs(argv);
    if (!config.json) describeConfig(config).forEach((l) => write(l));
    const result = await runExperiment(config);
    if (config.json) {
      write(JSON.stringify({ ...result, config }));
    } else {
      if (result.val_loss !== undefined) write(`Validation loss: ${fmt(result.val_loss)}`);
      write(`Test loss: ${fmt(result.test_loss)}`);
      if (result.accuracy !== undefined) write(`Test classification accuracy: ${result.accuracy.toFixed(4)}`);
      write(`Test loss on shifted test set: ${fmt(result.test_shift_loss)}`);
      if (result.shift_accuracy !== undefined) write(`Test classification accuracy on shifted test set: ${result.shift_accuracy.toFixed(4)}`);
    }
    return 0;
  } catch (e) {
    if (e instanceof LoraError) {
      process.stderr.write(`lora-exp: ${e.name}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`lora-exp: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
