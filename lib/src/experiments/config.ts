/**
 * Experiment configuration: the reference `run_exp.py` flags with its defaults, parsed by a pure
 * function. Flags take `--name value` or `--name=value` (the reference's old `-seed` is accepted).
 */
import { ConfigError } from "../errors";

export interface ExperimentConfig {
  exp: "fnn" | "tfn";
  width: number;
  target_depth: number;
  frozen_depth: number;
  rank: number;
  use_bias: 0 | 1;
  activation: "relu" | "linear";
  std: number;
  method: "ours" | "sgd" | "flt";
  batch_size: number;
  n_epochs: number;
  lr: number;
  n_test: number;
  weight_decay: number;
  init_mode: "default" | "uniform_singular_values";
  pretrained: 0 | 1;
  pretrained_epochs: number;
  pretrained_lr: number;
  pretrained_level: number;
  tune_bias: 0 | 1;
  last_layers: number;
  seed: number;
  rank_step: number;
  task: "regression" | "classification" | "binary";
  /**
   * Classification objective (ignored for regression): `raw`, the reference's cross-entropy
   * against the target's raw outputs with the best step by validation accuracy, or `softmax`, soft
   * labels `softmax(f̄)` with the best step by validation loss (see `tf/task.ts`).
   */
  ce_target: "raw" | "softmax";
  n_head: number;
  seq_length: number;
  /** Finite training set size (0: a fresh batch every step, as the reference's online protocol). */
  n_train: number;
  /** 1: report the test loss at the best-validation step; 0: at the last step. */
  best_epoch: 0 | 1;
  wandb: 0 | 1;
  /** Print one JSON object instead of the human-readable lines. */
  json: boolean;
}

export interface ExperimentResult {
  test_loss: number;
  test_shift_loss: number;
  val_loss?: number;
  /** Validation accuracy at the best step (trained classification runs). */
  val_accuracy?: number;
  best_step?: number;
  train_loss_history?: number[];
  accuracy?: number;
  shift_accuracy?: number;
  /** Free-form diagnostics of the run (thresholds, constants, relative errors, ...). */
  diagnostics?: Record<string, unknown>;
}

/** Reference defaults (`run_exp.py`); n_train, best_epoch, ce_target and json are ours. */
export const DEFAULT_CONFIG: Readonly<ExperimentConfig> = Object.freeze({
  exp: "fnn",
  width: 4,
  target_depth: 1,
  frozen_depth: 2,
  rank: 2,
  use_bias: 1,
  activation: "relu",
  std: 0.25,
  method: "ours",
  batch_size: 5000,
  n_epochs: 1000,
  lr: 1e-3,
  n_test: 10000,
  weight_decay: 0,
  init_mode: "default",
  pretrained: 0,
  pretrained_epochs: 1000,
  pretrained_lr: 1e-3,
  pretrained_level: 3,
  tune_bias: 1,
  last_layers: 1,
  seed: 123,
  rank_step: 0,
  task: "regression",
  ce_target: "raw",
  n_head: 2,
  seq_length: 10,
  n_train: 0,
  best_epoch: 0,
  wandb: 0,
  json: false,
});

type Kind = "int" | "float" | "bool01" | { choices: readonly string[] };
const FLAGS: Record<Exclude<keyof ExperimentConfig, "json">, Kind> = {
  exp: { choices: ["fnn", "tfn"] },
  width: "int",
  target_depth: "int",
  frozen_depth: "int",
  rank: "int",
  use_bias: "bool01",
  activation: { choices: ["relu", "linear"] },
  std: "float",
  method: { choices: ["ours", "sgd", "flt"] },
  batch_size: "int",
  n_epochs: "int",
  lr: "float",
  n_test: "int",
  weight_decay: "float",
  init_mode: { choices: ["default", "uniform_singular_values"] },
  pretrained: "bool01",
  pretrained_epochs: "int",
  pretrained_lr: "float",
  pretrained_level: "float",
  tune_bias: "bool01",
  last_layers: "int",
  seed: "int",
  rank_step: "int",
  task: { choices: ["regression", "classification", "binary"] },
  ce_target: { choices: ["raw", "softmax"] },
  n_head: "int",
  seq_length: "int",
  n_train: "int",
  best_epoch: "bool01",
  wandb: "bool01",
};

function parseValue(name: string, kind: Kind, raw: string): string | number {
  if (typeof kind === "object") {
    if (!kind.choices.includes(raw)) throw new ConfigError(`--${name} ${raw} is not one of ${kind.choices.join(", ")}`);
    return raw;
  }
  const x = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(x)) throw new ConfigError(`--${name} expects a number, got "${raw}"`);
  if (kind === "int" && !Number.isInteger(x)) throw new ConfigError(`--${name} expects an integer, got ${raw}`);
  if (kind === "bool01" && x !== 0 && x !== 1) throw new ConfigError(`--${name} expects 0 or 1, got ${raw}`);
  return x;
}

/** Parses CLI arguments (without `node script`) into a validated configuration; ConfigError on bad flags. */
export function parseArgs(argv: readonly string[]): ExperimentConfig {
  const out: Record<string, string | number | boolean> = { ...DEFAULT_CONFIG };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--json") {
      out.json = true;
      continue;
    }
    const m = /^--?([a-z_]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new ConfigError(`unexpected argument "${arg}": flags look like --width 16`);
    const name = m[1];
    if (!(name in FLAGS)) throw new ConfigError(`unknown flag --${name}: see --help for the reference run_exp.py flags`);
    let raw = m[2];
    if (raw === undefined) {
      if (i + 1 >= argv.length) throw new ConfigError(`--${name} needs a value`);
      raw = argv[++i];
    }
    out[name] = parseValue(name, FLAGS[name as keyof typeof FLAGS], raw);
  }
  const config = out as unknown as ExperimentConfig;
  validateConfig(config);
  return config;
}

function atLeast(config: ExperimentConfig, name: keyof ExperimentConfig, min: number): void {
  const v = config[name] as number;
  if (v < min) throw new ConfigError(`--${name} ${v} must be at least ${min}`);
}

/** Cross-flag checks (names the violated condition and the fix). */
export function validateConfig(c: ExperimentConfig): void {
  for (const k of ["width", "target_depth", "frozen_depth", "batch_size", "n_test", "n_head", "seq_length", "pretrained_epochs", "last_layers"] as const) atLeast(c, k, 1);
  for (const k of ["n_epochs", "seed", "n_train"] as const) atLeast(c, k, 0);
  for (const k of ["lr", "pretrained_lr", "weight_decay", "std", "pretrained_level"] as const) atLeast(c, k, 0);
  if (c.rank < 1) throw new ConfigError(`rank ${c.rank} is below 1: LoRA needs --rank ≥ 1`);
  if (c.rank > c.width) throw new ConfigError(`rank ${c.rank} exceeds width ${c.width}: use --rank ≤ --width`);
  if (c.exp === "fnn" && c.frozen_depth < c.target_depth) {
    throw new ConfigError(`frozen depth ${c.frozen_depth} is below target depth ${c.target_depth}: LoRA needs --frozen_depth ≥ --target_depth`);
  }
  if (c.method === "flt" && c.last_layers > c.frozen_depth) {
    throw new ConfigError(`--last_layers ${c.last_layers} exceeds --frozen_depth ${c.frozen_depth}`);
  }
  if (c.rank_step !== 0 && c.method === "ours") throw new ConfigError("--rank_step ≠ 0 is not supported with --method ours (as in the reference): use --rank_step 0");
  if (c.exp === "tfn") {
    if (c.target_depth !== c.frozen_depth && c.method === "ours") {
      throw new ConfigError(`--exp tfn --method ours needs --target_depth equal to --frozen_depth (got ${c.target_depth} and ${c.frozen_depth}): Theorem 7 adapts a Transformer of the target's depth`);
    }
    if (c.init_mode === "uniform_singular_values") throw new ConfigError("--init_mode uniform_singular_values is not supported for --exp tfn: use --init_mode default");
    if (c.method === "flt") throw new ConfigError("--method flt is not supported for --exp tfn (as in the reference): use sgd or ours");
  }
}

/** The reference's header: "Experiment Setting:" then "| key: value" per flag. */
export function describeConfig(c: ExperimentConfig): string[] {
  return ["Experiment Setting:", ...Object.keys(FLAGS).map((k) => `| ${k}: ${String(c[k as keyof ExperimentConfig])}`)];
}
