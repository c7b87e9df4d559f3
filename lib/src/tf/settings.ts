/** Settings shared by the trainers (the reference's flags, with its defaults). */
import { ConfigError } from "../errors";
import { tf } from "./backend";
import type { CeTarget, Task } from "./task";

/**
 * Which engine computes each training step (the same choice for the FNN and the Transformer
 * trainers): `reference`, tfjs autodiff over the adapter variables (runs on every backend; the
 * path the notebooks show and the oracle of the tests), or `fast`, the fused float32 kernels of
 * `lib/src/fast` (hand-written backward passes, WebAssembly SIMD, worker threads for batched FNNs;
 * CPU only). Both give the loop the same losses and gradients to float32 tolerance.
 */
export type Engine = "reference" | "fast";

const ENGINES: readonly Engine[] = ["reference", "fast"];

function checkEngine(value: string, what: string): Engine {
  const v = value.trim().toLowerCase();
  if ((ENGINES as readonly string[]).includes(v)) return v as Engine;
  throw new ConfigError(`${what}=${value} is not an engine: use reference or fast`);
}

/** `LORA_ENGINE`, parsed (null when unset or empty). */
export function envEngine(): Engine | null {
  const env = process.env.LORA_ENGINE;
  return env === undefined || env.trim() === "" ? null : checkEngine(env, "LORA_ENGINE");
}

/**
 * The engine a run uses: the `engine` setting, else `LORA_ENGINE`, else by backend — `fast` on
 * `wasm` and `cpu`, `reference` on the others (native `tensorflow`, `webgpu`), where tfjs graphs
 * run on the accelerator or on all cores. On `webgpu` the fast engine is refused (a `ConfigError`):
 * its kernels would compute on the CPU. (`LORA_FNN_KERNEL`, the FNN-only switch it replaces, is
 * refused with a message naming the new one, so an old script does not silently change paths.)
 */
export function resolveEngine(requested: Engine | null = null): Engine {
  if (requested !== null) {
    const engine = checkEngine(requested, "engine");
    if (engine === "fast" && tf.getBackend() === "webgpu") throw new ConfigError("engine: \"fast\" computes on the CPU (lib/src/fast) and cannot run on the webgpu backend: use engine \"reference\" (the default there) or LORA_BACKEND=wasm|cpu");
    return engine;
  }
  if ((process.env.LORA_FNN_KERNEL ?? "").trim() !== "") throw new ConfigError("LORA_FNN_KERNEL is no longer read: set LORA_ENGINE=fast (was fused) or LORA_ENGINE=reference (was tfjs)");
  const env = envEngine();
  const backend = tf.getBackend();
  // The fast kernels compute on the CPU whatever the backend: on webgpu they would bypass the GPU.
  if (backend === "webgpu") {
    if (env === "fast") throw new ConfigError("LORA_ENGINE=fast computes on the CPU (lib/src/fast) and cannot run on the webgpu backend: unset it (webgpu trains with the reference engine) or choose LORA_BACKEND=wasm|cpu");
    return "reference";
  }
  if (env !== null) return env;
  return backend === "wasm" || backend === "cpu" ? "fast" : "reference";
}

export interface TrainSettings {
  /** Adam steps (`--n_epochs`). */
  steps: number;
  /** Learning rate (`--lr`). */
  lr: number;
  /** L2 weight decay added to the gradient, PyTorch-style (`--weight_decay`), default 0. */
  weightDecay?: number;
  /** Training batch size (`--batch_size`), default 256. Ignored when `nTrain` is set (full batch). */
  batchSize?: number;
  /** Seed of the data streams `train`, `validation`, `test` (and `adapters` for the LoRA init). */
  seed: number;
  /** Validation set size, default 256. */
  nVal?: number;
  /** Test set size (`n_test`), default 5000; the shifted test set is the same inputs ×5. */
  nTest?: number;
  /** Validate every k steps (default 1; the last step is always validated). */
  valEvery?: number;
  /** Test at the best-validation step (default true, `--best_epoch 1`) or at the last step. */
  bestEpoch?: boolean;
  /** A finite training set of this size, used full-batch every step (`--n_train`); null: fresh batches. */
  nTrain?: number | null;
  /** `regression` (MSE, default), `classification` or `binary`. */
  task?: Task;
  /**
   * Classification objective (ignored for regression): `raw` (default, the reference's
   * cross-entropy against the target's raw outputs, best step by highest validation accuracy) or
   * `softmax` (soft labels `softmax(f̄)`, best step by lowest validation loss). See `task.ts`.
   */
  ceTarget?: CeTarget;
  /** Progress callback, every `progressEvery` steps (default 100) and at the end. */
  onProgress?: (step: number, trainLoss: number, valLoss: number, stepsPerSec: number) => void;
  progressEvery?: number;
  /** Training engine (see `Engine`); default `LORA_ENGINE`, else by backend (`resolveEngine`). */
  engine?: Engine;
  /** Threads of a batched fast FNN run (1 disables them); default `LORA_FNN_THREADS`, else by idle cores. */
  threads?: number;
}

export interface ResolvedSettings {
  steps: number;
  lr: number;
  weightDecay: number;
  batchSize: number;
  seed: number;
  nVal: number;
  nTest: number;
  valEvery: number;
  bestEpoch: boolean;
  nTrain: number | null;
  task: Task;
  ceTarget: CeTarget;
  /** The requested engine, null for the default (`resolveEngine` decides when the run starts). */
  engine: Engine | null;
  /** The requested thread count, null for the default. */
  threads: number | null;
}

function positiveInt(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 1) throw new ConfigError(`${what} ${v} must be a positive integer`);
  return v;
}

export function resolveSettings(s: TrainSettings): ResolvedSettings {
  if (!Number.isInteger(s.steps) || s.steps < 0) throw new ConfigError(`steps ${s.steps} must be a non-negative integer`);
  if (!Number.isInteger(s.seed) || s.seed < 0) throw new ConfigError(`seed ${s.seed} must be a non-negative integer`);
  const nTrain = s.nTrain ?? null;
  const valEvery = s.valEvery ?? 1;
  if (!Number.isInteger(valEvery) || valEvery < 0) throw new ConfigError(`valEvery ${valEvery} must be a non-negative integer`);
  return {
    steps: s.steps,
    lr: s.lr,
    weightDecay: s.weightDecay ?? 0,
    batchSize: positiveInt(s.batchSize ?? 256, "batch size"),
    seed: s.seed,
    nVal: positiveInt(s.nVal ?? 256, "validation set size"),
    nTest: positiveInt(s.nTest ?? 5000, "test set size"),
    valEvery,
    bestEpoch: s.bestEpoch ?? true,
    nTrain: nTrain === null ? null : positiveInt(nTrain, "n_train"),
    task: s.task ?? "regression",
    ceTarget: s.ceTarget ?? "raw",
    engine: s.engine === undefined ? null : checkEngine(s.engine, "engine"),
    threads: s.threads === undefined ? null : positiveInt(s.threads, "threads"),
  };
}

/** How the best step is chosen: highest validation accuracy under the reference objective, else lowest loss. */
export function selectionOf(s: Pick<ResolvedSettings, "task" | "ceTarget">): "loss" | "accuracy" {
  return s.task !== "regression" && s.ceTarget === "raw" ? "accuracy" : "loss";
}

/** Training curves and test metrics of one trained model. */
export interface TrainOutcome {
  /** Training loss of each step's batch, before that step's update. */
  trainLoss: number[];
  /** Validation losses, at `valSteps` (after that many updates). */
  valLoss: number[];
  valSteps: number[];
  /** Step whose parameters were tested (best validation, or the last with `bestEpoch: false`). */
  bestStep: number;
  /** Validation loss at `bestStep`. */
  valLossAtBest: number;
  /** Validation accuracy at `bestStep` (classification tasks; null for regression). */
  valAccuracyAtBest: number | null;
  /** Test loss (MSE or cross-entropy) on `nTest` fresh inputs. */
  testLoss: number;
  /** Test loss on the shifted test set (the same inputs ×5). */
  testShiftLoss: number;
  /** Accuracies for the classification tasks (argmax agreement with the target), else null. */
  testAccuracy: number | null;
  testShiftAccuracy: number | null;
  /** Updates taken and wall time. */
  steps: number;
  seconds: number;
  stepsPerSec: number;
}
