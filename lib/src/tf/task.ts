/**
 * The three tasks of the experiments, as per-example losses in row layout (`[R, D]` outputs):
 * - `regression`: MSE over the D outputs;
 * - `classification` (multi-class, D classes): cross-entropy of `softmax(f(x))` against the soft
 *   labels `softmax(f̄(x))` of the target; accuracy = agreement of the argmaxes;
 * - `binary`: the outputs' two halves are summed into two logits, then as above.
 */
import { ConfigError } from "../errors";
import { tf } from "./backend";

export type Task = "regression" | "classification" | "binary";

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

/**
 * Per-example loss `[R]` and its gradient with respect to the outputs `[R, D]` (per example, not
 * yet divided by the number of examples).
 */
export function taskRows(pred: tf.Tensor2D, Y: tf.Tensor2D, task: Task, halves: tf.Tensor2D | null): { rowLoss: tf.Tensor1D; rowGrad: tf.Tensor2D } {
  const D = pred.shape[1];
  if (task === "regression") {
    const diff = tf.sub(pred, Y);
    return { rowLoss: tf.div(tf.sum(tf.square(diff), 1), D) as tf.Tensor1D, rowGrad: tf.mul(diff, 2 / D) as tf.Tensor2D };
  }
  const logits = taskLogits(pred, task, halves);
  const labels = tf.softmax(taskLogits(Y, task, halves));
  const logp = tf.logSoftmax(logits);
  const rowLoss = tf.neg(tf.sum(tf.mul(labels, logp), 1)) as tf.Tensor1D;
  const gLogits = tf.sub(tf.exp(logp), labels) as tf.Tensor2D;
  const rowGrad: tf.Tensor2D = task === "binary" && halves !== null ? tf.matMul(gLogits, halves, false, true) : gLogits;
  return { rowLoss, rowGrad };
}

/** Mean loss of a task (a scalar tensor; differentiable). */
export function taskLoss(pred: tf.Tensor2D, Y: tf.Tensor2D, task: Task, halves: tf.Tensor2D | null): tf.Scalar {
  if (task === "regression") return tf.mean(tf.square(tf.sub(pred, Y))) as tf.Scalar;
  const labels = tf.softmax(taskLogits(Y, task, halves));
  return tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(taskLogits(pred, task, halves))), 1))) as tf.Scalar;
}

/** Fraction of examples whose predicted class (argmax of the task's logits) matches the target's. */
export function taskAccuracy(pred: tf.Tensor2D, Y: tf.Tensor2D, task: Task, halves: tf.Tensor2D | null): tf.Scalar {
  return tf.mean(tf.cast(tf.equal(tf.argMax(taskLogits(pred, task, halves), 1), tf.argMax(taskLogits(Y, task, halves), 1)), "float32"));
}
