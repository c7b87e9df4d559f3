#!/usr/bin/env node
/**
 * `lora-exp`: one experiment with the reference run_exp.py flags, e.g.
 * `lora-exp --exp fnn --width 16 --rank 8 --method ours --json`.
 * Human output mirrors the reference ("Experiment Setting:", "| key: value", "Test loss: …",
 * "Test loss on shifted test set: …"); losses below 1e-4 print in exponent form since the
 * float64 construction reaches ~1e-30. `--json` prints exactly one JSON object instead.
 */
import { DivergenceError } from "../errors";
import { DEFAULT_CONFIG, type ExperimentConfig, type ExperimentResult, describeConfig, parseArgs } from "./config";
import { runExperiment } from "./run";
import { EXIT_DIVERGED, reportLoraError, runCli } from "./cli-run";

export { runExperiment };

/** One line of help per flag (the reference run_exp.py's flags, plus n_train, best_epoch, json). */
const FLAG_HELP: Record<Exclude<keyof ExperimentConfig, "json">, string> = {
  exp: "fnn (ReLU/linear feed-forward) or tfn (Transformer)",
  width: "width D (every weight is D×D)",
  target_depth: "target depth L̄ (FNN layers or Transformer blocks)",
  frozen_depth: "frozen depth L (FNN; a Transformer uses target_depth for both)",
  rank: "LoRA rank R (1..D)",
  use_bias: "1: layers have biases",
  activation: "relu or linear (FNN)",
  std: "std of the LoRA B initialisation (A = 0)",
  method: "ours (the paper's construction, float64), sgd (LoRA trained with Adam), flt (final-layers tuning)",
  batch_size: "training batch size; also the number of calibration inputs for ours",
  n_epochs: "training steps",
  lr: "Adam learning rate",
  n_test: "test inputs (the shifted test set uses the same inputs ×5)",
  weight_decay: "Adam weight decay (PyTorch's L2 form)",
  init_mode: "default, or uniform_singular_values (target = frozen product + c·I: no spectral decay)",
  pretrained: "1: pretrain the frozen model toward the target first",
  pretrained_epochs: "pretraining step cap",
  pretrained_lr: "pretraining learning rate",
  pretrained_level: "pretraining stops when the loss falls below initial/level",
  tune_bias: "1: train biases along with the adapters (sgd)",
  last_layers: "k, the number of final layers tuned (flt)",
  seed: "seed of every random stream",
  rank_step: "per-layer ranks rank + l·rank_step, clipped to 1..D (negative steps decrease)",
  task: "regression (MSE), classification (cross-entropy; accuracy = argmax agreement) or binary (the two halves of the output summed into two logits)",
  ce_target:
    "classification objective: raw (default, the reference: cross-entropy −Σ y·log softmax(z) against the target's raw outputs y, as PyTorch computes it for float targets; best step by validation accuracy) or softmax (soft labels softmax(f̄); best step by validation loss)",
  n_head: "attention heads H (tfn)",
  seq_length: "tokens N per input (tfn)",
  n_train: "finite training set size, trained full-batch (0: a fresh batch every step)",
  best_epoch: "1: report test metrics at the best-validation step; 0: at the last step",
  wandb: "accepted for compatibility with the reference; ignored",
};

/** The `--help` text: every flag with its default. */
export function helpText(): string[] {
  const lines = [
    "usage: lora-exp [--flag value ...] [--json]",
    "Runs one experiment of Zeng & Lee (ICLR 2024) with the reference run_exp.py flags and defaults.",
    "",
  ];
  for (const [flag, help] of Object.entries(FLAG_HELP)) {
    const def = DEFAULT_CONFIG[flag as keyof ExperimentConfig];
    lines.push(`  --${flag.padEnd(18)} ${help} (default ${String(def)})`);
  }
  lines.push("  --json               print one JSON object {test_loss, test_shift_loss, ..., config}");
  lines.push("", "example: lora-exp --exp fnn --width 16 --target_depth 1 --frozen_depth 2 --rank 8 --method ours --json");
  return lines;
}

function fmt(x: number): string {
  return x !== 0 && (Math.abs(x) < 1e-4 || Math.abs(x) >= 1e6) ? x.toExponential(4) : x.toFixed(4);
}

/** Runs the CLI; returns the exit code. `write` receives each output line. */
export async function main(argv: readonly string[], write: (line: string) => void = (l) => process.stdout.write(l + "\n")): Promise<number> {
  let config: ExperimentConfig | null = null;
  try {
    if (argv.includes("--help") || argv.includes("-h")) {
      helpText().forEach((l) => write(l));
      return 0;
    }
    config = parseArgs(argv);
    if (!config.json) describeConfig(config).forEach((l) => write(l));
    const result = await runExperiment(config);
    for (const warning of resultWarnings(result)) process.stderr.write(`lora-exp: warning: ${warning}\n`);
    if (config.json) {
      // ce_target is recorded for the classification tasks only (it does not apply to regression).
      const { ce_target, ...common } = config;
      write(JSON.stringify({ ...result, config: config.task === "regression" ? common : { ...common, ce_target } }));
    } else {
      if (result.val_loss !== undefined) write(`Validation loss: ${fmt(result.val_loss)}`);
      write(`Test loss: ${fmt(result.test_loss)}`);
      if (result.accuracy !== undefined) write(`Test classification accuracy: ${result.accuracy.toFixed(4)}`);
      write(`Test loss on shifted test set: ${fmt(result.test_shift_loss)}`);
      if (result.shift_accuracy !== undefined) write(`Test classification accuracy on shifted test set: ${result.shift_accuracy.toFixed(4)}`);
    }
    return 0;
  } catch (e) {
    if (e instanceof DivergenceError && config?.json) {
      // one JSON object on stdout, as for a finished run; the message also goes to stderr
      write(JSON.stringify({ error: { type: e.name, message: e.message, step: e.step, quantity: e.quantity }, config }));
      process.stderr.write(`lora-exp: ${e.name}: ${e.message}\n`);
      return EXIT_DIVERGED;
    }
    return reportLoraError("lora-exp", e);
  }
}

/** The warnings of a result's diagnostics: the construction's `warnings` and its `roundingWarning`. */
function resultWarnings(result: ExperimentResult): string[] {
  const d = result.diagnostics ?? {};
  const out = Array.isArray(d.warnings) ? d.warnings.filter((w): w is string => typeof w === "string") : [];
  if (typeof d.roundingWarning === "string" && !out.includes(d.roundingWarning)) out.push(d.roundingWarning);
  return out;
}

if (require.main === module) runCli("lora-exp", main);
