/** Losses as the reference computes them (`nn.MSELoss`: mean over every output entry). */
import type { Matrix } from "ml-matrix";
import { ShapeError } from "../errors";
import { assertFinite, finiteResult, frobeniusNorm, relativeError } from "../linalg/matrix";

/** Mean squared error over all entries of `Y − Ŷ` (NumericError for NaN/Infinity entries). */
export function mse(Y: Matrix, Yhat: Matrix): number {
  if (Y.rows !== Yhat.rows || Y.columns !== Yhat.columns) {
    throw new ShapeError(`mse of ${Y.rows}×${Y.columns} and ${Yhat.rows}×${Yhat.columns}: shapes differ`);
  }
  let s = 0;
  for (let i = 0; i < Y.rows; i++) for (let j = 0; j < Y.columns; j++) s += (Y.get(i, j) - Yhat.get(i, j)) ** 2;
  return finiteResult(s / (Y.rows * Y.columns), "mean squared error");
}

/** Mean squared error over a batch of matrices (Transformer outputs). */
export function mseBatch(Ys: readonly Matrix[], Yhats: readonly Matrix[]): number {
  if (Ys.length !== Yhats.length) throw new ShapeError(`mse of ${Ys.length} and ${Yhats.length} outputs: counts differ`);
  let s = 0;
  let n = 0;
  Ys.forEach((Y, k) => {
    s += mse(Y, Yhats[k]) * Y.rows * Y.columns;
    n += Y.rows * Y.columns;
  });
  return finiteResult(n === 0 ? 0 : s / n, "mean squared error");
}

/** `‖F − F̄‖_F / ‖F̄‖_F` stacked over a batch of outputs. */
export function relativeErrorBatch(Fs: readonly Matrix[], Fbars: readonly Matrix[]): number {
  if (Fs.length !== Fbars.length) throw new ShapeError(`relative error of ${Fs.length} and ${Fbars.length} outputs`);
  let num = 0;
  let den = 0;
  Fs.forEach((F, k) => {
    const e = relativeError(F, Fbars[k]) * (frobeniusNorm(Fbars[k]) || 1);
    num += e * e;
    den += frobeniusNorm(Fbars[k]) ** 2;
  });
  return finiteResult(den === 0 ? Math.sqrt(num) : Math.sqrt(num / den), "relative error");
}

/** Fraction of columns whose argmax agrees (multi-class accuracy over the D outputs); NumericError for NaN entries. */
export function argmaxAgreement(Y: Matrix, Yhat: Matrix): number {
  assertFinite(Y, "argmax agreement: Y");
  assertFinite(Yhat, "argmax agreement: Ŷ");
  let agree = 0;
  for (let j = 0; j < Y.columns; j++) {
    let a = 0;
    let b = 0;
    for (let i = 1; i < Y.rows; i++) {
      if (Y.get(i, j) > Y.get(a, j)) a = i;
      if (Yhat.get(i, j) > Yhat.get(b, j)) b = i;
    }
    if (a === b) agree++;
  }
  return Y.columns === 0 ? 1 : agree / Y.columns;
}

/**
 * Binary classification agreement: each output's two halves (the first ⌈D/2⌉ entries, the rest)
 * summed into two logits (the reference's binary task), the fraction of columns where target and
 * prediction pick the same half.
 */
export function binaryAgreement(Y: Matrix, Yhat: Matrix): number {
  assertFinite(Y, "binary agreement: Y");
  assertFinite(Yhat, "binary agreement: Ŷ");
  const half = Math.ceil(Y.rows / 2);
  const side = (M: Matrix, j: number): number => {
    let first = 0;
    let second = 0;
    for (let i = 0; i < M.rows; i++) {
      if (i < half) first += M.get(i, j);
      else second += M.get(i, j);
    }
    return second > first ? 1 : 0;
  };
  let agree = 0;
  for (let j = 0; j < Y.columns; j++) if (side(Y, j) === side(Yhat, j)) agree++;
  return Y.columns === 0 ? 1 : agree / Y.columns;
}

/** The logits of one example (column j) for a classification task: the D outputs, or the two half-sums. */
function columnLogits(M: Matrix, j: number, binary: boolean): number[] {
  if (!binary) return M.getColumn(j);
  const half = Math.ceil(M.rows / 2);
  let first = 0;
  let second = 0;
  for (let i = 0; i < M.rows; i++) {
    if (i < half) first += M.get(i, j);
    else second += M.get(i, j);
  }
  return [first, second];
}

function logSoftmax(z: readonly number[]): number[] {
  const m = Math.max(...z);
  const lse = m + Math.log(z.reduce((s, x) => s + Math.exp(x - m), 0));
  return z.map((x) => x - lse);
}

/**
 * The training engine's classification loss in float64: mean over examples (columns) of the
 * cross-entropy `−Σ_c y_c · log softmax(ŷ)_c` of the prediction's logits (`binary`: the two
 * half-sums) against targets `y` from the target's logits `ȳ`: `y = ȳ` itself (`raw`, the
 * reference's `nn.CrossEntropyLoss()(ŷ, ȳ)`: unnormalised, possibly negative targets, as PyTorch
 * computes it) or the soft labels `y = softmax(ȳ)` (`softmax`; at Ŷ = Y it equals the mean entropy
 * of the labels, its minimum, not 0).
 */
export function taskCrossEntropy(Y: Matrix, Yhat: Matrix, task: "classification" | "binary", ceTarget: "raw" | "softmax"): number {
  if (Y.rows !== Yhat.rows || Y.columns !== Yhat.columns) {
    throw new ShapeError(`cross-entropy of ${Y.rows}×${Y.columns} and ${Yhat.rows}×${Yhat.columns}: shapes differ`);
  }
  let total = 0;
  for (let j = 0; j < Y.columns; j++) {
    const logits = columnLogits(Y, j, task === "binary");
    const labels = ceTarget === "raw" ? logits : logSoftmax(logits).map(Math.exp);
    const logp = logSoftmax(columnLogits(Yhat, j, task === "binary"));
    total -= labels.reduce((s, p, c) => s + p * logp[c], 0);
  }
  return finiteResult(Y.columns === 0 ? 0 : total / Y.columns, "cross-entropy");
}
