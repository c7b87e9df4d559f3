/**
 * The three tasks of the experiments, as per-example losses in row layout (`[R, D]` outputs):
 * - `regression`: MSE over the D outputs;
 * - `classification` (multi-class, D classes): cross-entropy of the logits `f(x)` against targets
 *   `y` made from the target's outputs `f̄(x)`; accuracy = agreement of the argmaxes;
 * - `binary`: the outputs' two halves are summed into two logits (target and prediction), then as above.
 *
 * The cross-entropy target (`CeTarget`):
 * - `raw` (the reference, `run_exp.py`: `nn.CrossEntropyLoss()(logits, y)` with `y = f̄(x)` itself):
 *   `−Σ_c y_c · log softmax(z)_c` with the target's raw outputs as `y` — unnormalised and possibly
 *   negative, which is what PyTorch computes for float targets; its gradient in `z` is
 *   `softmax(z) · Σ_c y_c − y`, and its minimum is not at `z = y` (it pushes the logits toward the
 *   largest target entries without bound when `Σ y > 0`).
 * - `softmax` (the course's soft labels): `y = softmax(f̄(x))`, a proper distribution; gradient
 *   `softmax(z) − y`, minimised exactly at `softmax(z) = y`.
 */
import { ConfigError } from "../errors";
import { tf } from "./backend";

export type Task = "regression" | "classification" | "binary";

/** What the classification cross-entropy is taken against (see the header); `raw` is the reference. */
export type CeTarget = "raw" | "softmax";

export function parseCeTarget(value: string): CeTarget {
  if (value === "raw" || value === "softmax") return value;
  throw new ConfigError(`ce_target ${value} is not one of raw, softmax`);
}

export function parseTask(value: string): Task {
  if (value === "regression" || value === "classification" || value === "binary") return value;
  throw new ConfigError(`task ${value} is not one of regression, classification, binary`);
}

/** `[D, 2]` indicator summing the first ⌈D/2⌉ outputs into logit 0 and the rest into logit 1. */
export function halvesMatrix(D: number): tf.Tensor2D {
  if (D < 2) throw new ConfigError(`binary task needs width ≥ 2, got ${D}`);
  const half = Math.ceil(D / 2);
  const data = new Float32Array(D * 2);
  for (let i = 0; i < D; i++) data[i * 2 + (i < half ? 0 : 1)] = 1;
  return tf.tensor2d(data, [D, 2]);
}

/** The logits a task classifies with (`[R, D]` or `[R, 2]`); `halves` is `halvesMatrix(D)` for binary. */
export function taskLogits(out: tf.Tensor2D, task: Task, halves: tf.Tensor2D | null): tf.Tensor2D {
  if (task !== "binary") return out;
  if (halves === null) throw new ConfigError("binary task needs the halves matrix");
  return tf.matMul(out, halves);
}

/** The cross-entropy targets `[R, C]` of target outputs `Y` (raw logits, or their softmax). */
export function taskTargets(Y: tf.Tensor2D, task: Task, halves: tf.Tensor2D | null, ceTarget: CeTarget): tf.Tensor2D {
  const logits = taskLogits(Y, task, halves);
  return ceTarget === "raw" ? logits : tf.softmax(logits);
}

/**
 * Per-example loss `[R]` (differentiable): the squared error averaged over the D outputs, or the
 * cross-entropy `−Σ_c y_c · log softmax(z)_c` of the task's logits against its targets.
 */
export function taskRowLosses(pred: tf.Tensor2D, Y: tf.Tensor2D, task: Task, halves: tf.Tensor2D | null, ceTarget: CeTarget): tf.Tensor1D {
  if (task === "regression") return tf.div(tf.sum(tf.square(tf.sub(pred, Y)), 1), pred.shape[1]) as tf.Tensor1D;
  const labels = taskTargets(Y, task, halves, ceTarget);
  return tf.neg(tf.sum(tf.mul(labels, tf.logSoftmax(taskLogits(pred, task, halves))), 1)) as tf.Tensor1D;
}

/** Mean loss of a task (a scalar tensor; differentiable). The MSE is one mean over all entries, as before (same float32 rounding). */
export function taskLoss(pred: tf.Tensor2D, Y: tf.Tensor2D, task: Task, halves: tf.Tensor2D | null, ceTarget: CeTarget): tf.Scalar {
  if (task === "regression") return tf.mean(tf.square(tf.sub(pred, Y))) as tf.Scalar;
  return tf.mean(taskRowLosses(pred, Y, task, halves, ceTarget)) as tf.Scalar;
}

/** Fraction of examples whose predicted class (argmax of the task's logits) matches the target's. */
export function taskAccuracy(pred: tf.Tensor2D, Y: tf.Tensor2D, task: Task, halves: tf.Tensor2D | null): tf.Scalar {
  return tf.mean(tf.cast(tf.equal(tf.argMax(taskLogits(pred, task, halves), 1), tf.argMax(taskLogits(Y, task, halves), 1)), "float32"));
}
