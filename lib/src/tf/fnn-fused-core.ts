/**
 * The fused FNN kernel's arithmetic (see `fnn-fused.ts` for why it exists and when it is used):
 * plain loops over typed arrays, no tfjs, so that worker threads can load it cheaply.
 *
 * `FusedFNNCore` evaluates a subset of the K models of a plain-data `FusedSpec` (built from an
 * `FNNEngine` by `fnn-fused.ts`) and writes their losses and gradients into a shared output in
 * `FNNEngine`'s θ layout.
 */
import { ConfigError } from "../errors";
import { hashSeed } from "../linalg/random";
import type { Task } from "./task";

// ---------------------------------------------------------------------------------------------
// Gaussian draws: the exact sequence of `stream(seed, purpose).normal()` (xoshiro128** +
// Box–Muller with the spare kept), with the state in locals instead of an array and no per-draw
// call; `fillGaussianRows`' order (feature-major over a row-major [n, D] buffer).

/** Same numbers as `stream(seed, purpose)`'s `normal()`, drawn in bulk. */
export class GaussianStream {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare = 0;
  private hasSpare = false;

  constructor(seed: number, purpose: string) {
    if (!Number.isInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative integer, got ${seed}`);
    [this.s0, this.s1, this.s2, this.s3] = hashSeed(seed, purpose);
    for (let i = 0; i < 8; i++) this.nextUint32();
  }

  nextUint32(): number {
    const r = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return r;
  }

  /** `out[offset + j·D + i]` = float32 of the next draw, i outer, j inner (`fillGaussianRows`). */
  fillRows(out: Float64Array, offset: number, n: number, D: number): void {
    let s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    let s3 = this.s3;
    let spare = this.spare;
    let hasSpare = this.hasSpare;
    for (let i = 0; i < D; i++) {
      for (let j = 0; j < n; j++) {
        let z: number;
        if (hasSpare) {
          z = spare;
          hasSpare = false;
        } else {
          let u = 0;
          while (u === 0) {
            // uniform(): two draws, 27 + 26 bits
            let r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
            let t = (s1 << 9) >>> 0;
            s2 ^= s0;
            s3 ^= s1;
            s1 ^= s2;
            s0 ^= s3;
            s2 ^= t;
            s3 = rotl(s3, 11);
            const hi = r >>> 5;
            r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
            t = (s1 << 9) >>> 0;
            s2 ^= s0;
            s3 ^= s1;
            s1 ^= s2;
            s0 ^= s3;
            s2 ^= t;
            s3 = rotl(s3, 11);
            u = (hi * 67108864 + (r >>> 6)) / 9007199254740992;
          }
          let r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
          let t = (s1 << 9) >>> 0;
          s2 ^= s0;
          s3 ^= s1;
          s1 ^= s2;
          s0 ^= s3;
          s2 ^= t;
          s3 = rotl(s3, 11);
          const hi = r >>> 5;
          r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
          t = (s1 << 9) >>> 0;
          s2 ^= s0;
          s3 ^= s1;
          s1 ^= s2;
          s0 ^= s3;
          s2 ^= t;
          s3 = rotl(s3, 11);
          const v = (hi * 67108864 + (r >>> 6)) / 9007199254740992;
          const rad = Math.sqrt(-2 * Math.log(u));
          spare = rad * Math.sin(2 * Math.PI * v);
          hasSpare = true;
          z = rad * Math.cos(2 * Math.PI * v);
        }
        out[offset + j * D + i] = Math.fround(z);
      }
    }
    this.s0 = s0 >>> 0;
    this.s1 = s1 >>> 0;
    this.s2 = s2 >>> 0;
    this.s3 = s3 >>> 0;
    this.spare = spare;
    this.hasSpare = hasSpare;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Kernels on row-major [n, D] Float64Arrays (D×D weights stored transposed, `WT[k·D + j] = W(j, k)`).

/** `out[i, :] = σ(b + zin[i, :] · WT)` for n rows (overwrites `out`). */
type DenseFn = (zin: Float64Array, n: number, WT: Float64Array, b: Float64Array, out: Float64Array, relu: boolean) => void;
/** `dW = zᵀ G` (D×D, overwrites). */
type OuterFn = (z: Float64Array, G: Float64Array, n: number, dW: Float64Array) => void;
/** `Gp = (G · WTᵀ) ⊙ [z > 0]` (the mask only when `relu`), and `db = Σ_rows G` when `db` is given. */
type BackFn = (G: Float64Array, z: Float64Array, n: number, WT: Float64Array, Gp: Float64Array | null, relu: boolean, db: Float64Array | null) => void;

interface Kernels {
  dense: DenseFn;
  outer: OuterFn;
  back: BackFn;
}

/** Reference loops for any width (also the fallback for wide models). Zeros of `zin` (ReLU outputs) are skipped. */
function genericKernels(D: number): Kernels {
  return {
    dense(zin, n, WT, b, out, relu) {
      for (let i = 0; i < n; i++) {
        const ri = i * D;
        for (let j = 0; j < D; j++) out[ri + j] = b[j];
        for (let k = 0; k < D; k++) {
          const a = zin[ri + k];
          if (a === 0) continue;
          const w = k * D;
          for (let j = 0; j < D; j++) out[ri + j] += a * WT[w + j];
        }
        if (relu) for (let j = 0; j < D; j++) if (!(out[ri + j] > 0)) out[ri + j] = 0;
      }
    },
    outer(z, G, n, dW) {
      dW.fill(0);
      for (let i = 0; i < n; i++) {
        const ri = i * D;
        for (let q = 0; q < D; q++) {
          const a = z[ri + q];
          if (a === 0) continue;
          const w = q * D;
          for (let j = 0; j < D; j++) dW[w + j] += a * G[ri + j];
        }
      }
    },
    back(G, z, n, WT, Gp, relu, db) {
      if (db !== null) {
        db.fill(0);
        for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) db[j] += G[i * D + j];
      }
      if (Gp === null) return;
      for (let i = 0; i < n; i++) {
        const ri = i * D;
        for (let q = 0; q < D; q++) {
          if (relu && !(z[ri + q] > 0)) {
            Gp[ri + q] = 0;
            continue;
          }
          const w = q * D;
          let s = 0;
          for (let j = 0; j < D; j++) s += G[ri + j] * WT[w + j];
          Gp[ri + q] = s;
        }
      }
    },
  };
}

/**
 * The same loops with the width-D inner loop unrolled into D local accumulators (generated once per
 * width): V8 keeps them in registers, about 3× faster than the indexed inner loops at D = 16.
 * Same arithmetic, same summation order as `genericKernels`.
 */
function unrolledKernels(D: number): Kernels {
  const J = Array.from({ length: D }, (_, j) => j);
  const each = (f: (j: number) => string): string => J.map(f).join("\n");
  const dense = `
    for (let i = 0; i < n; i++) {
      const ri = i * ${D};
      ${each((j) => `let a${j} = b[${j}];`)}
      for (let k = 0; k < ${D}; k++) {
        const x = zin[ri + k];
        if (x === 0) continue;
        const w = k * ${D};
        ${each((j) => `a${j} += x * WT[w + ${j}];`)}
      }
      if (relu) { ${each((j) => `out[ri + ${j}] = a${j} > 0 ? a${j} : 0;`)} }
      else { ${each((j) => `out[ri + ${j}] = a${j};`)} }
    }`;
  const outer = `
    for (let q = 0; q < ${D}; q++) {
      ${each((j) => `let a${j} = 0;`)}
      for (let i = 0; i < n; i++) {
        const x = z[i * ${D} + q];
        if (x === 0) continue;
        const ri = i * ${D};
        ${each((j) => `a${j} += x * G[ri + ${j}];`)}
      }
      const w = q * ${D};
      ${each((j) => `dW[w + ${j}] = a${j};`)}
    }`;
  const back = `
    if (db !== null) {
      ${each((j) => `let s${j} = 0;`)}
      for (let i = 0; i < n; i++) {
        const ri = i * ${D};
        ${each((j) => `s${j} += G[ri + ${j}];`)}
      }
      ${each((j) => `db[${j}] = s${j};`)}
    }
    if (Gp === null) return;
    for (let i = 0; i < n; i++) {
      const ri = i * ${D};
      ${each((j) => `const g${j} = G[ri + ${j}];`)}
      for (let q = 0; q < ${D}; q++) {
        if (relu && !(z[ri + q] > 0)) { Gp[ri + q] = 0; continue; }
        const w = q * ${D};
        Gp[ri + q] = ${J.map((j) => `g${j} * WT[w + ${j}]`).join(" + ")};
      }
    }`;
  return {
    // sourceURL: named in profiles and stack traces.
    dense: new Function("zin", "n", "WT", "b", "out", "relu", `${dense}\n//# sourceURL=fused-fnn-dense-${D}.js`) as DenseFn,
    outer: new Function("z", "G", "n", "dW", `${outer}\n//# sourceURL=fused-fnn-outer-${D}.js`) as OuterFn,
    back: new Function("G", "z", "n", "WT", "Gp", "relu", "db", `${back}\n//# sourceURL=fused-fnn-back-${D}.js`) as BackFn,
  };
}

const kernelCache = new Map<number, Kernels>();

/** Kernels for width D: unrolled up to D = 64, plain loops beyond (or when code generation is unavailable). */
function kernelsFor(D: number): Kernels {
  let k = kernelCache.get(D);
  if (k === undefined) {
    try {
      k = D <= 64 ? unrolledKernels(D) : genericKernels(D);
    } catch {
      k = genericKernels(D);
    }
    kernelCache.set(D, k);
  }
  return k;
}

/** Float32 copy of a matrix transposed (`out[k·D + j] = W(j, k)`). */
export function transposed32(W: { rows: number; columns: number; get(i: number, j: number): number }): Float64Array {
  const D = W.rows;
  const out = new Float64Array(D * D);
  for (let j = 0; j < D; j++) for (let k = 0; k < D; k++) out[k * D + j] = Math.fround(W.get(j, k));
  return out;
}

export function vector32(b: readonly number[]): Float64Array {
  return Float64Array.from(b, (x) => Math.fround(x));
}

/** Labels of the task from target outputs: Y (regression), softmax(Y) (classification), softmax of the two half-sums (binary). */
function labelsInto(Y: Float64Array, n: number, D: number, task: Task, out: Float64Array): void {
  if (task === "regression") {
    out.set(Y.subarray(0, n * D));
    return;
  }
  if (task === "classification") {
    for (let i = 0; i < n; i++) {
      const r = i * D;
      let m = -Infinity;
      for (let j = 0; j < D; j++) if (Y[r + j] > m) m = Y[r + j];
      let s = 0;
      for (let j = 0; j < D; j++) s += out[r + j] = Math.exp(Y[r + j] - m);
      for (let j = 0; j < D; j++) out[r + j] /= s;
    }
    return;
  }
  const half = Math.ceil(D / 2);
  for (let i = 0; i < n; i++) {
    let l0 = 0;
    let l1 = 0;
    for (let j = 0; j < half; j++) l0 += Y[i * D + j];
    for (let j = half; j < D; j++) l1 += Y[i * D + j];
    const m = Math.max(l0, l1);
    const e0 = Math.exp(l0 - m);
    const e1 = Math.exp(l1 - m);
    out[i * 2] = e0 / (e0 + e1);
    out[i * 2 + 1] = e1 / (e0 + e1);
  }
}

/**
 * Sum over n rows of the per-example loss of outputs `P` against `labels`; when `G` is given,
 * also `G = scale · ∂loss_row/∂P` (masked by `P > 0` when `relu`: the top layer's ReLU).
 */
function taskLossGrad(P: Float64Array, labels: Float64Array, n: number, D: number, task: Task, G: Float64Array | null, scale: number, relu: boolean): number {
  let total = 0;
  if (task === "regression") {
    const c = (2 / D) * scale;
    for (let i = 0; i < n; i++) {
      const r = i * D;
      let s = 0;
      for (let j = 0; j < D; j++) {
        const d = P[r + j] - labels[r + j];
        s += d * d;
        if (G !== null) G[r + j] = relu && !(P[r + j] > 0) ? 0 : d * c;
      }
      total += s / D;
    }
    return total;
  }
  if (task === "classification") {
    for (let i = 0; i < n; i++) {
      const r = i * D;
      let m = -Infinity;
      for (let j = 0; j < D; j++) if (P[r + j] > m) m = P[r + j];
      let s = 0;
      for (let j = 0; j < D; j++) s += Math.exp(P[r + j] - m);
      const lse = m + Math.log(s);
      let loss = 0;
      for (let j = 0; j < D; j++) {
        const logp = P[r + j] - lse;
        loss -= labels[r + j] * logp;
        if (G !== null) G[r + j] = relu && !(P[r + j] > 0) ? 0 : (Math.exp(logp) - labels[r + j]) * scale;
      }
      total += loss;
    }
    return total;
  }
  const half = Math.ceil(D / 2);
  for (let i = 0; i < n; i++) {
    const r = i * D;
    let l0 = 0;
    let l1 = 0;
    for (let j = 0; j < half; j++) l0 += P[r + j];
    for (let j = half; j < D; j++) l1 += P[r + j];
    const m = Math.max(l0, l1);
    const lse = m + Math.log(Math.exp(l0 - m) + Math.exp(l1 - m));
    const lp0 = l0 - lse;
    const lp1 = l1 - lse;
    const y0 = labels[i * 2];
    const y1 = labels[i * 2 + 1];
    total -= y0 * lp0 + y1 * lp1;
    if (G !== null) {
      const g0 = (Math.exp(lp0) - y0) * scale;
      const g1 = (Math.exp(lp1) - y1) * scale;
      for (let j = 0; j < D; j++) G[r + j] = relu && !(P[r + j] > 0) ? 0 : j < half ? g0 : g1;
    }
  }
  return total;
}

// ---------------------------------------------------------------------------------------------

/** θ offsets of one layer's trained parameters (`FNNEngine`'s layout: each a block of K models). */
export interface LayerLayout {
  weight: "frozen" | "lora" | "full";
  bias: boolean;
  /** Padded rank R (lora). */
  R: number;
  /** Offsets of the K-blocks in θ (−1 when absent). */
  offAT: number;
  offB: number;
  offWT: number;
  offb: number;
}

/** One model, as plain arrays (float32 values, weights transposed: `WT[k·D + j] = W(j, k)`). */
export interface FusedModelSpec {
  seed: number;
  /** Actual (unpadded) adapter rank per layer. */
  ranks: number[];
  frozenWT: Float64Array[];
  /** Effective frozen biases (the adaptation's when it has some). */
  frozenB: Float64Array[];
  target: { WT: Float64Array[]; b: Float64Array[]; relu: boolean };
  /** Equal keys: equal targets / equal frozen layers below the first trained one. */
  targetKey: string;
  prefixKey: string;
}

/** Everything a `FusedFNNCore` needs (structured-cloneable, for worker threads). */
export interface FusedSpec {
  K: number;
  D: number;
  L: number;
  task: Task;
  relu: boolean;
  nTr: number;
  nVal: number;
  /** A finite training set (`n_train`), drawn once. */
  fixedTrain: boolean;
  trainPurpose: string;
  layers: LayerLayout[];
  /** Number of entries of θ (all K models). */
  size: number;
  models: FusedModelSpec[];
}

/** Interns keys: returns the index of `key` among the distinct keys seen so far. */
function groupOf(keys: string[], key: string): number {
  let g = keys.indexOf(key);
  if (g < 0) {
    g = keys.length;
    keys.push(key);
  }
  return g;
}

/** Inputs or frozen-prefix outputs shared by a group of models, for training and validation rows. */
interface SharedRows {
  train: Float64Array;
  val: Float64Array;
}

/**
 * Evaluates the models `subset` of a spec: data streams `train` (or `trainPurpose`) and
 * `validation` per seed exactly as `FNNStepper`; losses `[train_k, val_k]` at `out[2k], out[2k+1]`
 * and gradients at `out[2K + θ offset]` (entries of other models are not touched).
 */
export class FusedFNNCore {
  private readonly K: number;
  private readonly D: number;
  private readonly L: number;
  private readonly nTr: number;
  private readonly nVal: number;
  private readonly task: Task;
  private readonly relu: boolean;
  private readonly layers: LayerLayout[];
  private readonly kern: Kernels;
  /** First layer with anything trained: layers below it are constant (outputs shared/cached). */
  private readonly first: number;
  private readonly fixedTrain: boolean;
  // Per seed group: its stream and inputs.
  private readonly seedStreams: GaussianStream[];
  private readonly inputs: SharedRows[];
  // Per label group (seed group × target): labels, and where they come from.
  private readonly labels: SharedRows[];
  private readonly labelSource: Array<{ seed: number; WT: Float64Array[]; b: Float64Array[]; relu: boolean }>;
  // Per prefix group (seed group × frozen layers below `first`): z_first.
  private readonly prefixes: SharedRows[];
  private readonly prefixSource: Array<{ seed: number; WT: Float64Array[]; b: Float64Array[] }>;
  // Per model of the subset (indexed by global model index).
  private readonly labelGroup = new Map<number, number>();
  private readonly prefixGroup = new Map<number, number>();
  // Work buffers (one model at a time).
  private readonly WT: Float64Array[];
  private readonly bias: Float64Array[];
  private readonly zs: Float64Array[];
  private readonly G: Float64Array;
  private readonly Gprev: Float64Array;
  private readonly dW: Float64Array;
  private readonly db: Float64Array;
  private readonly valA: Float64Array;
  private readonly valB: Float64Array;
  private readonly tmpY: Float64Array;
  private readonly tmpY2: Float64Array;

  constructor(
    private readonly spec: FusedSpec,
    private readonly out: Float32Array,
    private readonly subset: readonly number[] = Array.from({ length: spec.K }, (_, k) => k),
  ) {
    const { K, D, L, nTr, nVal } = spec;
    if (out.length !== 2 * K + spec.size) throw new ConfigError(`fused FNN kernel: output of ${out.length} entries, expected ${2 * K + spec.size}`);
    this.K = K;
    this.D = D;
    this.L = L;
    this.nTr = nTr;
    this.nVal = nVal;
    this.task = spec.task;
    this.relu = spec.relu;
    this.layers = spec.layers;
    this.fixedTrain = spec.fixedTrain;
    this.kern = kernelsFor(D);
    const f = this.layers.findIndex((ly) => ly.weight !== "frozen" || ly.bias);
    this.first = f < 0 ? L : f;
    const C = this.task === "binary" ? 2 : D;

    const seedKeys: string[] = [];
    const seedGroup = new Map(subset.map((k) => [k, groupOf(seedKeys, String(spec.models[k].seed))]));
    this.seedStreams = seedKeys.map((sd) => new GaussianStream(Number(sd), spec.trainPurpose));
    this.inputs = seedKeys.map((sd) => {
      const val = new Float64Array(nVal * D);
      new GaussianStream(Number(sd), "validation").fillRows(val, 0, nVal, D);
      return { train: new Float64Array(nTr * D), val };
    });
    const labelKeys: string[] = [];
    this.labelSource = [];
    const prefixKeys: string[] = [];
    this.prefixSource = [];
    for (const k of subset) {
      const m = spec.models[k];
      const sg = seedGroup.get(k)!;
      const lg = groupOf(labelKeys, `${sg}|${m.targetKey}`);
      if (lg === this.labelSource.length) this.labelSource.push({ seed: sg, ...m.target });
      this.labelGroup.set(k, lg);
      const pg = groupOf(prefixKeys, `${sg}|${m.prefixKey}`);
      if (pg === this.prefixSource.length) this.prefixSource.push({ seed: sg, WT: m.frozenWT.slice(0, this.first), b: m.frozenB.slice(0, this.first) });
      this.prefixGroup.set(k, pg);
    }
    this.labels = this.labelSource.map(() => ({ train: new Float64Array(nTr * C), val: new Float64Array(nVal * C) }));
    // With no frozen prefix, z_first is the input itself (no copy).
    this.prefixes = this.prefixSource.map((p) => (this.first === 0 ? this.inputs[p.seed] : { train: new Float64Array(nTr * D), val: new Float64Array(nVal * D) }));

    const maxRows = Math.max(nTr, nVal);
    this.WT = Array.from({ length: L }, () => new Float64Array(D * D));
    this.bias = Array.from({ length: L }, () => new Float64Array(D));
    this.zs = Array.from({ length: L + 1 }, () => new Float64Array(nTr * D));
    this.G = new Float64Array(nTr * D);
    this.Gprev = new Float64Array(nTr * D);
    this.dW = new Float64Array(D * D);
    this.db = new Float64Array(D);
    this.valA = new Float64Array(nVal * D);
    this.valB = new Float64Array(nVal * D);
    this.tmpY = new Float64Array(maxRows * D);
    this.tmpY2 = new Float64Array(maxRows * D);

    // Constant parts: validation labels and frozen-prefix outputs; a finite training set (drawn
    // after the validation set, like `FNNStepper`) with its labels and prefix outputs.
    this.computeLabels("val");
    this.computePrefixes("val");
    if (this.fixedTrain) this.drawTrain();
  }

  /** Target forward of each label group on its inputs, then the task's labels. */
  private computeLabels(which: "train" | "val"): void {
    const n = which === "train" ? this.nTr : this.nVal;
    this.labelSource.forEach((src, g) => {
      let z = this.inputs[src.seed][which];
      for (let l = 0; l < src.WT.length; l++) {
        const out = z === this.tmpY ? this.tmpY2 : this.tmpY;
        this.kern.dense(z, n, src.WT[l], src.b[l], out, src.relu);
        z = out;
      }
      labelsInto(z, n, this.D, this.task, this.labels[g][which]);
    });
  }

  private computePrefixes(which: "train" | "val"): void {
    if (this.first === 0) return;
    const n = which === "train" ? this.nTr : this.nVal;
    this.prefixSource.forEach((src, g) => {
      let z = this.inputs[src.seed][which];
      for (let l = 0; l < this.first; l++) {
        const out = l === this.first - 1 ? this.prefixes[g][which] : z === this.tmpY ? this.tmpY2 : this.tmpY;
        this.kern.dense(z, n, src.WT[l], src.b[l], out, this.relu);
        z = out;
      }
    });
  }

  private drawTrain(): void {
    this.seedStreams.forEach((st, g) => st.fillRows(this.inputs[g].train, 0, this.nTr, this.D));
    this.computeLabels("train");
    this.computePrefixes("train");
  }

  /** Merged weights `WT_l` and biases of model k from θ. */
  private loadModel(theta: Float32Array, k: number): void {
    const { D, L } = this;
    const m = this.spec.models[k];
    for (let l = 0; l < L; l++) {
      const ly = this.layers[l];
      const WT = this.WT[l];
      const frozen = m.frozenWT[l];
      if (ly.weight === "full") {
        const base = ly.offWT + k * D * D;
        for (let i = 0; i < D * D; i++) WT[i] = theta[base + i];
      } else if (ly.weight === "lora") {
        // (W + A Bᵀ)ᵀ = Wᵀ + B Aᵀ:  WT[i, j] += Σ_q B[i, q] AT[q, j]
        const R = ly.R;
        const r = m.ranks[l];
        const bB = ly.offB + k * D * R;
        const bA = ly.offAT + k * R * D;
        for (let i = 0; i < D; i++) {
          for (let j = 0; j < D; j++) {
            let s = 0;
            for (let q = 0; q < r; q++) s += theta[bB + i * R + q] * theta[bA + q * D + j];
            WT[i * D + j] = Math.fround(frozen[i * D + j] + s);
          }
        }
      } else WT.set(frozen);
      if (ly.bias) {
        const base = ly.offb + k * D;
        for (let j = 0; j < D; j++) this.bias[l][j] = theta[base + j];
      } else this.bias[l].set(m.frozenB[l]);
    }
  }

  /** Training loss of model k (sum over rows), gradients written into `out`. */
  private trainModel(theta: Float32Array, k: number): number {
    const { D, L, nTr, relu, first, zs, out } = this;
    const grad0 = 2 * this.K;
    const ranks = this.spec.models[k].ranks;
    zs[first] = this.prefixes[this.prefixGroup.get(k)!].train;
    for (let l = first; l < L; l++) this.kern.dense(zs[l], nTr, this.WT[l], this.bias[l], zs[l + 1], relu);
    let G = this.G;
    let Gp = this.Gprev;
    const loss = taskLossGrad(zs[L], this.labels[this.labelGroup.get(k)!].train, nTr, D, this.task, G, 1 / nTr, relu);
    const dW = this.dW;
    const db = this.db;
    for (let l = L - 1; l >= first; l--) {
      const ly = this.layers[l];
      const z = zs[l];
      const propagate = l > first;
      if (ly.weight !== "frozen") this.kern.outer(z, G, nTr, dW);
      this.kern.back(G, z, nTr, this.WT[l], propagate ? Gp : null, relu, ly.bias ? db : null);
      if (ly.weight === "full") {
        const base = grad0 + ly.offWT + k * D * D;
        for (let i = 0; i < D * D; i++) out[base + i] = dW[i];
      } else if (ly.weight === "lora") {
        const R = ly.R;
        const r = ranks[l];
        const bB = ly.offB + k * D * R;
        const bA = ly.offAT + k * R * D;
        // ∂AT = Bᵀ dWT  ([R, D]);  ∂B = dWT ATᵀ  ([D, R]); padded columns q ≥ r stay zero.
        for (let q = 0; q < r; q++) {
          for (let j = 0; j < D; j++) {
            let s = 0;
            for (let i = 0; i < D; i++) s += theta[bB + i * R + q] * dW[i * D + j];
            out[grad0 + bA + q * D + j] = s;
          }
        }
        for (let i = 0; i < D; i++) {
          for (let q = 0; q < r; q++) {
            let s = 0;
            for (let j = 0; j < D; j++) s += dW[i * D + j] * theta[bA + q * D + j];
            out[grad0 + bB + i * R + q] = s;
          }
        }
      }
      if (ly.bias) {
        const base = grad0 + ly.offb + k * D;
        for (let j = 0; j < D; j++) out[base + j] = db[j];
      }
      if (propagate) {
        const t = G;
        G = Gp;
        Gp = t;
      }
    }
    return loss;
  }

  private valModel(k: number): number {
    const { D, L, nVal, relu, first } = this;
    let z = this.prefixes[this.prefixGroup.get(k)!].val;
    for (let l = first; l < L; l++) {
      const o = z === this.valA ? this.valB : this.valA;
      this.kern.dense(z, nVal, this.WT[l], this.bias[l], o, relu);
      z = o;
    }
    return taskLossGrad(z, this.labels[this.labelGroup.get(k)!].val, nVal, D, this.task, null, 1, relu);
  }

  /** One evaluation of the subset (see `LoopStepper.evaluate`); results in `out`. */
  evaluate(theta: Float32Array, withVal: boolean, trainBatch: boolean): void {
    if (trainBatch && !this.fixedTrain) this.drawTrain();
    const out = this.out;
    for (const k of this.subset) {
      this.loadModel(theta, k);
      out[2 * k] = this.trainModel(theta, k) / this.nTr;
      out[2 * k + 1] = withVal ? this.valModel(k) / this.nVal : 0;
    }
  }
}
