/**
 * The task losses of the fast engine on typed arrays, one definition for the FNN and the
 * Transformer cores (the reference engine's are the tfjs ops of `tf/task.ts`; the tests hold the
 * two to float32 tolerance). Regression stays in each core (the FNN's squared error is a SIMD
 * kernel); here are the task's labels from the target's outputs and the cross-entropies.
 *
 * Objectives (see `tf/task.ts`): `classification` is the cross-entropy of the output's softmax
 * against the labels; `binary` first sums each half of the output into two logits. With
 * `ceTarget: "raw"` (the reference's) the labels are the target's raw logits, with `softmax` their
 * softmax. The gradient of `−Σ y·log softmax(z)` is `softmax(z)·Σy − y` (Σy = 1 for soft labels).
 */
import type { CeTarget, Task } from "../tf/task";

type Floats = Float32Array | Float64Array;

/** `dst[dO + i] = softmax(src[so … so + n))_i`. */
function softmaxInto(src: Floats, so: number, n: number, dst: Floats, dO: number): void {
  let mx = -Infinity;
  for (let i = 0; i < n; i++) if (src[so + i] > mx) mx = src[so + i];
  let s = 0;
  for (let i = 0; i < n; i++) s += dst[dO + i] = Math.exp(src[so + i] - mx);
  for (let i = 0; i < n; i++) dst[dO + i] /= s;
}

/** The two logits of the binary task into `out[0], out[1]`: the sums of the first ⌈D/2⌉ outputs and of the rest. */
export function halfSumsInto(Y: Floats, o: number, D: number, out: Float64Array): void {
  const half = Math.ceil(D / 2);
  let a = 0;
  let b = 0;
  for (let d = 0; d < half; d++) a += Y[o + d];
  for (let d = half; d < D; d++) b += Y[o + d];
  out[0] = a;
  out[1] = b;
}

/** Scratch of the binary logits (the cores are single-threaded; a worker has its own module). */
const LG = new Float64Array(2);

/** Width of a row of labels: D, or 2 for the binary task. */
export function labelWidth(task: Task, D: number): number {
  return task === "binary" ? 2 : D;
}

/**
 * Labels of n rows of target outputs `Y[yo…]` (rows of D) into `out[oo…]` (rows of `labelWidth`):
 * the outputs (regression, raw classification), their softmax, or the binary half-sums (raw or
 * softmaxed).
 */
export function labelsInto(Y: Floats, yo: number, n: number, D: number, task: Task, ceTarget: CeTarget, out: Floats, oo: number): void {
  if (task === "regression" || (task === "classification" && ceTarget === "raw")) {
    for (let i = 0; i < n * D; i++) out[oo + i] = Y[yo + i];
  } else if (task === "classification") {
    for (let i = 0; i < n; i++) softmaxInto(Y, yo + i * D, D, out, oo + i * D);
  } else {
    const lg = LG;
    // Softmaxed in float64, then stored (a float32 `out` rounds once, at the end).
    const p = new Float64Array(2);
    for (let i = 0; i < n; i++) {
      halfSumsInto(Y, yo + i * D, D, lg);
      if (ceTarget !== "raw") softmaxInto(lg, 0, 2, p, 0);
      else p.set(lg);
      out[oo + i * 2] = p[0];
      out[oo + i * 2 + 1] = p[1];
    }
  }
}

/**
 * Cross-entropy of one row of outputs `P[po…]` (D entries) against its labels `L[lo…]`, for the
 * `classification` or `binary` task, subtracted from `acc` (returned). With `G`, also writes
 * `G[go + j] = scale · ∂loss/∂P_j`, or 0 where `relu` and `P_j ≤ 0` (a top-layer ReLU).
 */
export function crossEntropyRow(
  P: Floats, po: number, L: Floats, lo: number, D: number, task: "classification" | "binary", raw: boolean,
  G: Floats | null, go: number, scale: number, relu: boolean, acc: number,
): number {
  let total = acc;
  if (task === "classification") {
    let m = -Infinity;
    for (let j = 0; j < D; j++) if (P[po + j] > m) m = P[po + j];
    let s = 0;
    for (let j = 0; j < D; j++) s += Math.exp(P[po + j] - m);
    const lse = m + Math.log(s);
    let sy = 1;
    if (raw) {
      sy = 0;
      for (let j = 0; j < D; j++) sy += L[lo + j];
    }
    for (let j = 0; j < D; j++) {
      const logp = P[po + j] - lse;
      total -= L[lo + j] * logp;
      if (G !== null) G[go + j] = relu && !(P[po + j] > 0) ? 0 : (raw ? Math.exp(logp) * sy - L[lo + j] : Math.exp(logp) - L[lo + j]) * scale;
    }
    return total;
  }
  const half = Math.ceil(D / 2);
  halfSumsInto(P, po, D, LG);
  const l0 = LG[0];
  const l1 = LG[1];
  const m = Math.max(l0, l1);
  const lse = m + Math.log(Math.exp(l0 - m) + Math.exp(l1 - m));
  const lp0 = l0 - lse;
  const lp1 = l1 - lse;
  const y0 = L[lo];
  const y1 = L[lo + 1];
  total -= y0 * lp0 + y1 * lp1;
  if (G !== null) {
    const sy = y0 + y1;
    const g0 = (raw ? Math.exp(lp0) * sy - y0 : Math.exp(lp0) - y0) * scale;
    const g1 = (raw ? Math.exp(lp1) * sy - y1 : Math.exp(lp1) - y1) * scale;
    for (let j = 0; j < D; j++) G[go + j] = relu && !(P[po + j] > 0) ? 0 : j < half ? g0 : g1;
  }
  return total;
}

/**
 * Whether a row's predicted class (argmax of the task's logits of `P[po…]`, first on ties) is its
 * labels' (argmax of `L[lo…]`: softmax keeps the order of the target's logits).
 */
export function rowCorrect(P: Floats, po: number, L: Floats, lo: number, D: number, task: "classification" | "binary"): boolean {
  const C = labelWidth(task, D);
  let yc = 0;
  for (let c = 1; c < C; c++) if (L[lo + c] > L[lo + yc]) yc = c;
  let pc = 0;
  if (task === "binary") {
    halfSumsInto(P, po, D, LG);
    pc = LG[1] > LG[0] ? 1 : 0;
  } else for (let j = 1; j < D; j++) if (P[po + j] > P[po + pc]) pc = j;
  return pc === yc;
}
