/**
 * The fused FNN kernel's arithmetic (see `fnn-stepper.ts` for why it exists and when it is used):
 * float32 products in a WebAssembly SIMD arena (`arena.ts`), the rest plain loops over typed
 * arrays; no tfjs, so that worker threads can load it cheaply.
 *
 * `FusedFNNCore` evaluates a subset of the K models of a plain-data `FusedSpec` (built from an
 * `FNNEngine` by `fnn-stepper.ts`) and writes their losses and gradients into a shared output in
 * the θ layout of `tf/fnn-layout.ts` (the reference engine's).
 */
import { ConfigError } from "../errors";
import { stream, type RandomStream } from "../linalg/random";
import { fillGaussianRows } from "../linalg/draw";
import type { LayerLayout } from "../tf/fnn-layout";
import type { CeTarget, Task } from "../tf/task";
import { KernelArena } from "./arena";
import { crossEntropyRow, labelsInto, labelWidth, rowCorrect } from "./task-loss";

export function vector32(b: readonly number[]): Float32Array {
  return Float32Array.from(b);
}

/**
 * Sum over n rows of the per-example loss of outputs `P` against `labels`; when `G` is given,
 * also `G = scale · ∂loss_row/∂P` (masked by `P > 0` when `relu`: the top layer's ReLU).
 */
function taskLossGrad(P: Float32Array, labels: Float32Array, n: number, D: number, task: Task, ceTarget: CeTarget, G: Float32Array | null, scale: number, relu: boolean): number {
  const raw = ceTarget === "raw";
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
    // The row's loss from 0, then added: the order of the sums the FNN engine has always used.
    for (let i = 0; i < n; i++) total += crossEntropyRow(P, i * D, labels, i * D, D, task, raw, G, i * D, scale, relu, 0);
    return total;
  }
  for (let i = 0; i < n; i++) total = crossEntropyRow(P, i * D, labels, i * 2, D, task, raw, G, i * D, scale, relu, total);
  return total;
}

/** Number of the n rows whose predicted class is the labels' (see `rowCorrect`). */
function correctRows(P: Float32Array, labels: Float32Array, n: number, D: number, task: "classification" | "binary"): number {
  const C = labelWidth(task, D);
  let correct = 0;
  for (let i = 0; i < n; i++) if (rowCorrect(P, i * D, labels, i * C, D, task)) correct++;
  return correct;
}

// ---------------------------------------------------------------------------------------------

/** One model, as plain arrays (float32 values, weights transposed: `WT[k·D + j] = W(j, k)`). */
export interface FusedModelSpec {
  seed: number;
  /** Actual (unpadded) adapter rank per layer. */
  ranks: number[];
  frozenWT: Float32Array[];
  /** Effective frozen biases (the adaptation's when it has some). */
  frozenB: Float32Array[];
  target: { WT: Float32Array[]; b: Float32Array[]; relu: boolean };
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
  ceTarget: CeTarget;
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

/** How long a waiting thread spins before it sleeps (a step of a batched run is ~1 ms). */
const SPIN_MS = 2;

/**
 * Waits until `ctrl[slot]` leaves `value` (or the timeout passes); returns the new value. Spins
 * for up to `SPIN_MS` first, then sleeps in `Atomics.wait`.
 */
export function waitWhile(ctrl: Int32Array, slot: number, value: number, timeoutMs: number): number {
  const spinEnd = performance.now() + Math.min(SPIN_MS, timeoutMs);
  while (performance.now() < spinEnd) {
    for (let i = 0; i < 64; i++) {
      const v = Atomics.load(ctrl, slot);
      if (v !== value) return v;
    }
  }
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = Atomics.load(ctrl, slot);
    if (v !== value) return v;
    const left = end - Date.now();
    if (left <= 0) return v;
    Atomics.wait(ctrl, slot, value, left);
  }
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
  train: Float32Array;
  val: Float32Array;
}


/** Weights of one dense layer inside the arena: `WT` ([D, D], k-major) and the bias row. */
interface ArenaLayer {
  WT: Float32Array;
  b: Float32Array;
}

/** A layer's adapter blocks of the current model, copied from θ into the arena. */
interface AdapterScratch {
  /** `B` as in θ: [D, R] row-major. */
  B: Float32Array;
  /** `Aᵀ` as in θ: [R, D] row-major. */
  AT: Float32Array;
  /** `A` ([D, R] row-major), the transpose of `AT`. */
  A: Float32Array;
}

/**
 * Evaluates the models `subset` of a spec: data streams `train` (or `trainPurpose`) and
 * `validation` per seed exactly as `FNNStepper`; losses `[train_k, val_k]` at `out[2k], out[2k+1]`,
 * gradients at `out[2K + θ offset]` and the number of correctly classified validation rows
 * (classification; NaN for regression) at `out[2K + size + k]` (entries of other models are not touched).
 *
 * Every product runs through `KernelArena.gemm` (f32x4 multiply-adds): the dense layers
 * `σ(b + z·Wᵀ)`, the weight gradients `zᵀG` (A read transposed, no copy), the back-propagated
 * `G·W`, the bias gradients `1ᵀG`, the LoRA merge `Wᵀ + B·Aᵀ` and the adapter gradients
 * `∂Aᵀ = Bᵀ·∂Wᵀ`, `∂B = ∂Wᵀ·A`. Arithmetic is float32 like the tfjs kernels; the squared error is
 * summed in float32 lanes (`KernelArena.squaredError`), the classification losses in float64.
 */
export class FusedFNNCore {
  private readonly K: number;
  private readonly D: number;
  private readonly L: number;
  private readonly nTr: number;
  private readonly nVal: number;
  private readonly task: Task;
  private readonly ceTarget: CeTarget;
  private readonly relu: boolean;
  private readonly layers: LayerLayout[];
  private readonly arena: KernelArena;
  /** First layer with anything trained: layers below it are constant (outputs shared/cached). */
  private readonly first: number;
  private readonly fixedTrain: boolean;
  // Per seed group: its stream and inputs.
  private readonly seedStreams: RandomStream[];
  private readonly inputs: SharedRows[];
  // Per label group (seed group × target): labels, and where they come from.
  private readonly labels: SharedRows[];
  private readonly labelSource: Array<{ seed: number; layers: ArenaLayer[]; relu: boolean }>;
  // Per prefix group (seed group × frozen layers below `first`): z_first.
  private readonly prefixes: SharedRows[];
  private readonly prefixSource: Array<{ seed: number; layers: ArenaLayer[] }>;
  // Per model of the subset (indexed by global model index).
  private readonly labelGroup = new Map<number, number>();
  private readonly prefixGroup = new Map<number, number>();
  // Work buffers (one model at a time), all in the arena: the merged layers `Wᵀ_l`, `b_l`.
  private readonly merged: ArenaLayer[];
  /** The merged weights untransposed (`W[j·D + k] = W(j, k)`), for back-propagation. */
  private readonly W: Float32Array[];
  private readonly adapters: AdapterScratch[];
  private readonly dAT: Float32Array;
  private readonly dB: Float32Array;
  private readonly zs: Float32Array[];
  private readonly G: Float32Array;
  private readonly Gprev: Float32Array;
  private readonly dWT: Float32Array;
  private readonly db: Float32Array;
  private readonly ones: Float32Array;
  private readonly valA: Float32Array;
  private readonly valB: Float32Array;
  private readonly tmpY: Float32Array;
  private readonly tmpY2: Float32Array;

  constructor(
    private readonly spec: FusedSpec,
    private readonly out: Float32Array,
    private readonly subset: readonly number[] = Array.from({ length: spec.K }, (_, k) => k),
    useWasm = true,
  ) {
    const { K, D, L, nTr, nVal } = spec;
    if (out.length !== 3 * K + spec.size) throw new ConfigError(`fused FNN kernel: output of ${out.length} entries, expected ${3 * K + spec.size}`);
    this.K = K;
    this.D = D;
    this.L = L;
    this.nTr = nTr;
    this.nVal = nVal;
    this.task = spec.task;
    this.ceTarget = spec.ceTarget;
    this.relu = spec.relu;
    this.layers = spec.layers;
    this.fixedTrain = spec.fixedTrain;
    const f = this.layers.findIndex((ly) => ly.weight !== "frozen" || ly.bias);
    this.first = f < 0 ? L : f;
    const C = this.task === "binary" ? 2 : D;

    // Groups of models that share inputs, labels and frozen-prefix outputs.
    const seedKeys: string[] = [];
    const seedGroup = new Map(subset.map((k) => [k, groupOf(seedKeys, String(spec.models[k].seed))]));
    const labelKeys: string[] = [];
    const labelModels: number[] = [];
    const prefixKeys: string[] = [];
    const prefixModels: number[] = [];
    for (const k of subset) {
      const m = spec.models[k];
      const sg = seedGroup.get(k)!;
      const lg = groupOf(labelKeys, `${sg}|${m.targetKey}`);
      if (lg === labelModels.length) labelModels.push(k);
      this.labelGroup.set(k, lg);
      const pg = groupOf(prefixKeys, `${sg}|${m.prefixKey}`);
      if (pg === prefixModels.length) prefixModels.push(k);
      this.prefixGroup.set(k, pg);
    }

    // One arena for everything the products touch (16-byte alignment: ≤ 3 floats of padding each).
    const maxRows = Math.max(nTr, nVal);
    const Rmax = Math.max(1, ...this.layers.map((ly) => ly.R));
    const pair = (width: number): number[] => [nTr * width, nVal * width];
    const dense = (n: number): number[] => Array.from({ length: n }, () => [D * D, D]).flat();
    // Every allocation below, in order (the arena pads each to 16 bytes).
    const sizes = [
      ...seedKeys.flatMap(() => pair(D)),
      ...labelModels.flatMap((k) => [...pair(C), ...dense(spec.models[k].target.WT.length)]),
      ...(this.first === 0 ? [] : prefixModels.flatMap(() => [...pair(D), ...dense(this.first)])),
      ...Array.from({ length: L }, () => [D * D, D * D, D, D * Rmax, Rmax * D, D * Rmax]).flat(),
      Rmax * D,
      D * Rmax,
      ...Array.from({ length: L + 3 }, () => nTr * D),
      D * D,
      D,
      nTr,
      nVal * D,
      nVal * D,
      maxRows * D,
      maxRows * D,
    ];
    const arena = (this.arena = new KernelArena(sizes.reduce((a, n) => a + n + 3, 0), useWasm));
    const alloc = (n: number): Float32Array => arena.alloc(n);
    const rowsPair = (width: number): SharedRows => ({ train: alloc(nTr * width), val: alloc(nVal * width) });
    const arenaLayers = (WT: Float32Array[], b: Float32Array[]): ArenaLayer[] =>
      WT.map((w, l) => {
        const ly = { WT: alloc(D * D), b: alloc(D) };
        ly.WT.set(w);
        ly.b.set(b[l]);
        return ly;
      });

    this.seedStreams = seedKeys.map((sd) => stream(Number(sd), spec.trainPurpose));
    this.inputs = seedKeys.map((sd) => {
      const r = rowsPair(D);
      fillGaussianRows(stream(Number(sd), "validation"), r.val, 0, nVal, D);
      return r;
    });
    this.labels = [];
    this.labelSource = labelModels.map((k) => {
      const m = spec.models[k];
      this.labels.push(rowsPair(C));
      return { seed: seedGroup.get(k)!, layers: arenaLayers(m.target.WT, m.target.b), relu: m.target.relu };
    });
    // With no frozen prefix, z_first is the input itself (no copy).
    this.prefixes = [];
    this.prefixSource = prefixModels.map((k) => {
      const m = spec.models[k];
      const seed = seedGroup.get(k)!;
      this.prefixes.push(this.first === 0 ? this.inputs[seed] : rowsPair(D));
      return { seed, layers: this.first === 0 ? [] : arenaLayers(m.frozenWT.slice(0, this.first), m.frozenB.slice(0, this.first)) };
    });

    this.merged = [];
    this.W = [];
    this.adapters = [];
    for (let l = 0; l < L; l++) {
      this.merged.push({ WT: alloc(D * D), b: alloc(D) });
      this.W.push(alloc(D * D));
      this.adapters.push({ B: alloc(D * Rmax), AT: alloc(Rmax * D), A: alloc(D * Rmax) });
    }
    this.dAT = alloc(Rmax * D);
    this.dB = alloc(D * Rmax);
    this.zs = Array.from({ length: L + 1 }, () => alloc(nTr * D));
    this.G = alloc(nTr * D);
    this.Gprev = alloc(nTr * D);
    this.dWT = alloc(D * D);
    this.db = alloc(D);
    this.ones = alloc(nTr).fill(1);
    this.valA = alloc(nVal * D);
    this.valB = alloc(nVal * D);
    this.tmpY = alloc(maxRows * D);
    this.tmpY2 = alloc(maxRows * D);

    // Constant parts: validation labels and frozen-prefix outputs; a finite training set (drawn
    // after the validation set, like `FNNStepper`) with its labels and prefix outputs.
    this.computeLabels("val");
    this.computePrefixes("val");
    if (this.fixedTrain) this.drawTrain();
  }

  /** Whether the products run in WebAssembly SIMD (else plain JavaScript loops). */
  get simd(): boolean {
    return this.arena.simd;
  }

  /** `out = σ(b + z·Wᵀ)` over n rows (σ: ReLU when `relu`). */
  private dense(z: Float32Array, n: number, ly: ArenaLayer, out: Float32Array, relu: boolean): void {
    const D = this.D;
    this.arena.gemm({ bias: ly.b, relu }, z, 0, D, 1, ly.WT, 0, D, out, 0, D, n, D, D);
  }

  /** Forward through `layers` from `z`, ping-ponging between the scratch rows; returns the output array. */
  private forward(z: Float32Array, n: number, layers: ArenaLayer[], relu: boolean, last: Float32Array | null = null): Float32Array {
    layers.forEach((ly, l) => {
      const o = l === layers.length - 1 && last !== null ? last : z === this.tmpY ? this.tmpY2 : this.tmpY;
      this.dense(z, n, ly, o, relu);
      z = o;
    });
    return z;
  }

  /** Target forward of each label group on its inputs, then the task's labels. */
  private computeLabels(which: "train" | "val"): void {
    const n = which === "train" ? this.nTr : this.nVal;
    this.labelSource.forEach((src, g) => {
      labelsInto(this.forward(this.inputs[src.seed][which], n, src.layers, src.relu), 0, n, this.D, this.task, this.ceTarget, this.labels[g][which], 0);
    });
  }

  private computePrefixes(which: "train" | "val"): void {
    if (this.first === 0) return;
    const n = which === "train" ? this.nTr : this.nVal;
    this.prefixSource.forEach((src, g) => void this.forward(this.inputs[src.seed][which], n, src.layers, this.relu, this.prefixes[g][which]));
  }

  private drawTrain(): void {
    this.seedStreams.forEach((st, g) => fillGaussianRows(st, this.inputs[g].train, 0, this.nTr, this.D));
    this.computeLabels("train");
    this.computePrefixes("train");
  }

  /** Merged weights `WT_l`, `W_l`, biases and adapter copies of model k from θ. */
  private loadModel(theta: Float32Array, k: number): void {
    const { D, L } = this;
    const m = this.spec.models[k];
    for (let l = this.first; l < L; l++) {
      const ly = this.layers[l];
      const { WT, b } = this.merged[l];
      if (ly.weight === "full") {
        const base = ly.offWT + k * D * D;
        for (let i = 0; i < D * D; i++) WT[i] = theta[base + i];
      } else {
        WT.set(m.frozenWT[l]);
        const r = m.ranks[l];
        if (ly.weight === "lora" && r > 0) {
          // (W + A Bᵀ)ᵀ = Wᵀ + B Aᵀ; only the first r columns of the padded blocks are used.
          const R = ly.R;
          const { B, AT, A } = this.adapters[l];
          const bB = ly.offB + k * D * R;
          const bA = ly.offAT + k * R * D;
          for (let i = 0; i < D * R; i++) B[i] = theta[bB + i];
          for (let i = 0; i < R * D; i++) AT[i] = theta[bA + i];
          for (let q = 0; q < R; q++) for (let j = 0; j < D; j++) A[j * R + q] = AT[q * D + j];
          this.arena.gemm({ accumulate: true }, B, 0, R, 1, AT, 0, D, WT, 0, D, D, D, r);
        }
      }
      const W = this.W[l];
      for (let j = 0; j < D; j++) for (let i = 0; i < D; i++) W[j * D + i] = WT[i * D + j];
      if (ly.bias) {
        const base = ly.offb + k * D;
        for (let j = 0; j < D; j++) b[j] = theta[base + j];
      } else b.set(m.frozenB[l]);
    }
  }

  /** Training loss of model k (sum over rows), gradients written into `out`. */
  private trainModel(k: number): number {
    const { D, L, nTr, relu, first, zs, out, arena } = this;
    const grad0 = 2 * this.K;
    const ranks = this.spec.models[k].ranks;
    // Layer l's input: the (shared) frozen-prefix output at l = first, else zs[l].
    const prefix = this.prefixes[this.prefixGroup.get(k)!].train;
    for (let l = first; l < L; l++) this.dense(l === first ? prefix : zs[l], nTr, this.merged[l], zs[l + 1], relu);
    const z = first === L ? prefix : zs[L];
    let G = this.G;
    let Gp = this.Gprev;
    const labels = this.labels[this.labelGroup.get(k)!].train;
    const loss =
      this.task === "regression" ? arena.squaredError(z, labels, G, nTr * D, 2 / D / nTr, relu) / D : taskLossGrad(z, labels, nTr, D, this.task, this.ceTarget, G, 1 / nTr, relu);
    const { dWT, db, dAT, dB } = this;
    for (let l = L - 1; l >= first; l--) {
      const ly = this.layers[l];
      const zin = l === first ? prefix : zs[l];
      // ∂Wᵀ = zᵀ G ([D, D]: z read transposed through its k-stride).
      if (ly.weight !== "frozen") arena.gemm({}, zin, 0, 1, D, G, 0, D, dWT, 0, D, D, D, nTr);
      if (ly.bias) arena.gemm({}, this.ones, 0, 0, 1, G, 0, D, db, 0, D, 1, D, nTr);
      if (ly.weight === "full") {
        const base = grad0 + ly.offWT + k * D * D;
        for (let i = 0; i < D * D; i++) out[base + i] = dWT[i];
      } else if (ly.weight === "lora") {
        const R = ly.R;
        const r = ranks[l];
        const { B, A } = this.adapters[l];
        const bB = grad0 + ly.offB + k * D * R;
        const bA = grad0 + ly.offAT + k * R * D;
        if (r > 0) {
          // ∂Aᵀ = Bᵀ ∂Wᵀ ([r, D]);  ∂B = ∂Wᵀ A ([D, r]); padded columns q ≥ r stay zero.
          arena.gemm({}, B, 0, 1, R, dWT, 0, D, dAT, 0, D, r, D, D);
          arena.gemm({}, dWT, 0, D, 1, A, 0, R, dB, 0, R, D, r, D);
          for (let i = 0; i < r * D; i++) out[bA + i] = dAT[i];
          for (let i = 0; i < D; i++) for (let q = 0; q < r; q++) out[bB + i * R + q] = dB[i * R + q];
        }
      }
      if (ly.bias) {
        const base = grad0 + ly.offb + k * D;
        for (let j = 0; j < D; j++) out[base + j] = db[j];
      }
      if (l > first) {
        // G ← (G · W) ⊙ [z > 0]
        arena.gemm({}, G, 0, D, 1, this.W[l], 0, D, Gp, 0, D, nTr, D, D);
        if (relu) arena.reluMask(Gp, zin, nTr * D);
        const t = G;
        G = Gp;
        Gp = t;
      }
    }
    return loss;
  }

  /** Validation loss of model k (sum over rows); its count of correct rows goes to `out[2K + size + k]`. */
  private valModel(k: number): number {
    const { L, nVal, relu, first } = this;
    let z = this.prefixes[this.prefixGroup.get(k)!].val;
    for (let l = first; l < L; l++) {
      const o = z === this.valA ? this.valB : this.valA;
      this.dense(z, nVal, this.merged[l], o, relu);
      z = o;
    }
    const labels = this.labels[this.labelGroup.get(k)!].val;
    // The regression gradient goes to scratch (the other validation buffer), unused.
    if (this.task === "regression") return this.arena.squaredError(z, labels, z === this.valA ? this.valB : this.valA, nVal * this.D, 0, relu) / this.D;
    this.out[2 * this.K + this.spec.size + k] = correctRows(z, labels, nVal, this.D, this.task);
    return taskLossGrad(z, labels, nVal, this.D, this.task, this.ceTarget, null, 1, relu);
  }

  /** One evaluation of the subset (see `LoopStepper.evaluate`); results in `out`. */
  evaluate(theta: Float32Array, withVal: boolean, trainBatch: boolean): void {
    if (trainBatch && !this.fixedTrain) this.drawTrain();
    const out = this.out;
    for (const k of this.subset) {
      this.loadModel(theta, k);
      out[2 * k] = trainBatch ? this.trainModel(k) / this.nTr : 0;
      out[2 * this.K + this.spec.size + k] = NaN;
      out[2 * k + 1] = withVal ? this.valModel(k) / this.nVal : 0;
    }
  }
}
