/**
 * Fused Transformer engine for the CPU/wasm backends: forward, loss and hand-written backward of
 * Theorem 7's Transformer in TypeScript over a WebAssembly float32 arena, one example at a time so
 * that every intermediate stays in L1 cache. On wasm, tfjs's batched matmul ([n·H, N, N] scores), softmax
 * and middle-axis reductions cost far more than the arithmetic at D = 16, N = 10; this engine
 * replaces ~100 tensor ops per step by three WebAssembly SIMD kernels (`arena.ts`).
 *
 * Algebra (row layout, token-major, `Wᵀ` stored as `[D_in, D_out]`, per head h):
 * - scores `S_h = Z G_h Zᵀ` with `G_h = W_Qᵀ_h (W_Kᵀ_h)ᵀ` — one `[N, D]·[D, H·D]` product
 *   `U = Z [G_1 | … | G_H]`, then `S_h = U_h Zᵀ`; softmax over keys (each row);
 * - values and W_1 folded: `pre_1 = Σ_h (P_h Z) C_h + b_1` with `C_h = (W_O W_V)ᵀ_h W_1ᵀ`;
 * - last block and output folded: `Y = ReLU(pre_1) F + c` with `F = W_2ᵀ W_oᵀ`, `c = b_2 W_oᵀ`.
 * Gradients are taken with respect to these combined matrices (accumulated over the batch) and
 * pushed back to `W_Q, W_K, W_V, W_O, W_1, W_2, W_o, b_1, b_2` by D×D products once per step.
 * Identical semantics to the tfjs graph (`transformerForwardTensors` + `taskLoss`). Activations and
 * products are float32 (kernels in `arena.ts`: WebAssembly SIMD when available); the
 * D×D algebra on the weights and the loss sums are float64.
 */
import { ConfigError } from "../errors";
import type { CeTarget, Task } from "../tf/task";
import { crossEntropyRow, labelsInto, rowCorrect } from "./task-loss";
import { KernelArena, type BiasKernel, type ProductKernel, type SoftmaxKernel } from "./arena";

/** `dst[c·rows + r] = src[so + r·ss + c]` (an `[rows, cols]` block, row stride `ss`, transposed). */
function transpose<T extends Float32Array | Float64Array>(src: T, so: number, ss: number, rows: number, cols: number, dst: T): void {
  for (let r = 0; r < rows; r++) {
    const s = so + r * ss;
    for (let c = 0; c < cols; c++) dst[c * rows + r] = src[s + c];
  }
}

/** One block's weights, transposed (`[D_in, D_out]`, row-major), heads listed separately. */
export interface RawBlock {
  WQT: Float64Array[];
  WKT: Float64Array[];
  WVT: Float64Array[];
  WOT: Float64Array[];
  W1T: Float64Array;
  b1: Float64Array;
  W2T: Float64Array;
  b2: Float64Array;
}

export interface RawModel {
  blocks: RawBlock[];
  WoT: Float64Array;
}

/** `C = op(A)·op(B)` for D×D row-major matrices. */
function mm(A: Float64Array, tA: boolean, B: Float64Array, tB: boolean, D: number, out = new Float64Array(D * D)): Float64Array {
  for (let i = 0; i < D; i++) {
    for (let j = 0; j < D; j++) {
      let s = 0;
      for (let k = 0; k < D; k++) s += (tA ? A[k * D + i] : A[i * D + k]) * (tB ? B[j * D + k] : B[k * D + j]);
      out[i * D + j] = s;
    }
  }
  return out;
}

/** Combined matrices of one block (see the file comment). */
interface Prepared {
  /** `[H·D, D]`: row `h·D + c` is column c of `G_h`. */
  GcatT: Float32Array;
  /** `[D, H·D]`: `[G_1 | … | G_H]`. */
  Gcat: Float32Array;
  /** `[H·D, D]`: `[C_1; …; C_H]`. */
  Ccat: Float32Array;
  CcatT: Float32Array;
  /** Per head `M_h = W_Vᵀ W_Oᵀ` (float64, for the chain rule). */
  M: Float64Array[];
  b1: Float32Array;
  /** Output map: `F = W_2ᵀ W_oᵀ` (last block) or `W_2ᵀ`; `outT` its transpose; `outBias` `c` or `b_2`. */
  out: Float32Array;
  outT: Float32Array;
  outBias: Float32Array;
}

/** Gradient accumulators of one block (combined matrices). */
interface BlockGrads {
  dGcat: Float32Array;
  dCcat: Float32Array;
  db1: Float32Array;
  dOut: Float32Array;
  dOutBias: Float32Array;
}

/** Per-block, per-example activations. */
interface Acts {
  Z: Float32Array;
  ZT: Float32Array;
  U: Float32Array;
  P: Float32Array;
  Yh: Float32Array;
  Hd: Float32Array;
}

export class FusedTransformer {
  readonly HD: number;
  /** Whether the kernels run in WebAssembly SIMD (else JavaScript). */
  readonly simd: boolean;
  private readonly arena: KernelArena;
  private readonly prodD: ProductKernel;
  private readonly prodN: ProductKernel;
  private readonly prodNAcc: ProductKernel;
  private readonly prodHD: ProductKernel;
  private readonly denseRelu: BiasKernel;
  private readonly dense: BiasKernel;
  private readonly softmax: SoftmaxKernel;
  /** Row stride of the attention matrices (N rounded up to 4: the softmax kernel works in f32x4). */
  private readonly Np: number;
  private readonly acts: Acts[];
  private readonly out: Float32Array;
  /** Two slots of combined matrices: 0 the trained model (rewritten every step), 1 the target. */
  private readonly slots: Prepared[][];
  private readonly acc: BlockGrads[];
  // Backward scratch.
  private readonly g: {
    dOut: Float32Array;
    HdT: Float32Array;
    dHd: Float32Array;
    YhT: Float32Array;
    dYh: Float32Array;
    dP: Float32Array;
    dU: Float32Array;
    dZ: Float32Array;
    tNN: Float32Array;
  };
  private readonly targetBuf: Float64Array;
  private readonly labels: Float64Array;

  /** `useWasm: false` forces the JavaScript kernels (tests). */
  constructor(
    readonly D: number,
    readonly N: number,
    readonly H: number,
    readonly L: number,
    readonly task: Task,
    useWasm = true,
    /** The classification objective (`task.ts`); ignored for regression. */
    readonly ceTarget: CeTarget = "raw",
  ) {
    if (task === "binary" && D < 2) throw new ConfigError(`binary task needs width ≥ 2, got ${D}`);
    const HD = (this.HD = H * D);
    const Np = (this.Np = (N + 3) & ~3);
    const perBlock = 4 * N * D + 2 * N * HD + H * N * Np + 2 * (4 * HD * D + 2 * D * D + 2 * D) + 2 * HD * D + D * D + 2 * D;
    const scratch = 4 * N * D + 4 * D * N + 2 * HD * N + 3 * N * HD + 2 * N * N + N * D;
    const arena = (this.arena = new KernelArena(L * perBlock + scratch + 4 * 64, useWasm));
    this.simd = arena.simd;
    this.prodD = arena.axpy(D, false);
    this.prodN = arena.axpy(N, false);
    this.prodNAcc = arena.axpy(N, true);
    this.prodHD = arena.axpy(HD, false);
    this.denseRelu = arena.biasAxpy(HD, true);
    this.dense = arena.biasAxpy(D, false);
    this.softmax = arena.softmax();
    const f = (k: number): Float32Array => arena.alloc(k);
    this.acts = Array.from({ length: L }, () => ({ Z: f(N * D), ZT: f(D * N), U: f(N * HD), P: f(H * N * Np), Yh: f(N * HD), Hd: f(N * D) }));
    this.out = f(N * D);
    this.slots = [0, 1].map(() =>
      Array.from({ length: L }, () => ({
        GcatT: f(HD * D),
        Gcat: f(D * HD),
        Ccat: f(HD * D),
        CcatT: f(D * HD),
        M: [],
        b1: f(D),
        out: f(D * D),
        outT: f(D * D),
        outBias: f(D),
      })),
    );
    this.acc = Array.from({ length: L }, () => ({ dGcat: f(D * HD), dCcat: f(HD * D), db1: f(D), dOut: f(D * D), dOutBias: f(D) }));
    this.g = {
      dOut: f(N * D),
      HdT: f(D * N),
      dHd: f(N * D),
      YhT: f(HD * N),
      dYh: f(N * HD),
      dP: f(N * N),
      dU: f(N * HD),
      dZ: f(N * D),
      tNN: f(N * N),
    };
    this.targetBuf = new Float64Array(N * D);
    this.labels = new Float64Array(N * D);
  }

  /**
   * Combined matrices of a model, written into slot 0 (the trained model, every step) or slot 1
   * (the target, once). The returned object is overwritten by the next `prepare` of that slot.
   */
  prepare(w: RawModel, slot: 0 | 1 = 0): Prepared[] {
    const { D, H, L, HD } = this;
    const ps = this.slots[slot];
    w.blocks.forEach((bl, l) => {
      const pl = ps[l];
      const M: Float64Array[] = [];
      for (let h = 0; h < H; h++) {
        const G = mm(bl.WQT[h], false, bl.WKT[h], true, D);
        for (let k = 0; k < D; k++) for (let c = 0; c < D; c++) pl.Gcat[k * HD + h * D + c] = pl.GcatT[(h * D + c) * D + k] = G[k * D + c];
        const Mh = mm(bl.WVT[h], false, bl.WOT[h], false, D);
        M.push(Mh);
        pl.Ccat.set(mm(Mh, false, bl.W1T, false, D), h * D * D);
      }
      pl.M = M;
      transpose(pl.Ccat, 0, D, HD, D, pl.CcatT);
      pl.b1.set(bl.b1);
      if (l === L - 1) {
        pl.out.set(mm(bl.W2T, false, w.WoT, false, D));
        for (let j = 0; j < D; j++) {
          let s = 0;
          for (let k = 0; k < D; k++) s += bl.b2[k] * w.WoT[k * D + j];
          pl.outBias[j] = s;
        }
      } else {
        pl.out.set(bl.W2T);
        pl.outBias.set(bl.b2);
      }
      transpose(pl.out, 0, D, D, D, pl.outT);
    });
    return ps;
  }

  /** Forward of one example (`Z` of block 0 already filled); the output lands in `this.out`. */
  private forward(p: Prepared[]): Float32Array {
    const { D, N, H, HD, Np } = this;
    for (let l = 0; l < this.L; l++) {
      const a = this.acts[l];
      const pl = p[l];
      const Z = a.Z;
      transpose(Z, 0, D, N, D, a.ZT);
      this.prodD(Z, 0, D, pl.Gcat, 0, HD, a.U, 0, HD, N, HD);
      const P = a.P;
      for (let h = 0; h < H; h++) {
        const po = h * N * Np;
        this.prodD(a.U, h * D, HD, a.ZT, 0, N, P, po, Np, N, N);
        this.softmax(P, po, N, N, Np);
        this.prodN(P, po, Np, Z, 0, D, a.Yh, h * D, HD, N, D);
      }
      this.denseRelu(a.Yh, 0, HD, pl.Ccat, 0, D, a.Hd, 0, D, N, D, pl.b1);
      const next = l + 1 < this.L ? this.acts[l + 1].Z : this.out;
      this.dense(a.Hd, 0, D, pl.out, 0, D, next, 0, D, N, D, pl.outBias);
    }
    return this.out;
  }

  private load(X: Float32Array, e: number): void {
    const n = this.N * this.D;
    this.acts[0].Z.set(X.subarray(e * n, (e + 1) * n));
  }

  /** Width of the per-token target the loss needs. */
  targetWidth(): number {
    return this.task === "binary" ? 2 : this.D;
  }

  /** Target of one example for the task (the output; raw logits or soft labels) into `dst[o…]`. */
  private targetOf(Y: Float32Array, dst: Float64Array, o: number): void {
    labelsInto(Y, 0, this.N, this.D, this.task, this.ceTarget, dst, o);
  }

  /** Targets for a whole batch (validation set, fixed training set): `[n, N, targetWidth]`. */
  targets(target: Prepared[], X: Float32Array, n: number): Float64Array {
    const w = this.N * this.targetWidth();
    const out = new Float64Array(n * w);
    for (let e = 0; e < n; e++) {
      this.load(X, e);
      this.targetOf(this.forward(target), out, e * w);
    }
    return out;
  }

  /**
   * Summed loss of one example's output against its target (at `T[to…]`); with `grad` the
   * gradient of `scale ·` that loss lands in `this.g.dOut`.
   */
  private loss(Yp: Float32Array, T: Float64Array, to: number, scale: number, grad: boolean): number {
    const { N, D } = this;
    const dOut = this.g.dOut;
    let total = 0;
    if (this.task === "regression") {
      for (let i = 0; i < N * D; i++) {
        const diff = Yp[i] - T[to + i];
        total += diff * diff;
        if (grad) dOut[i] = 2 * scale * diff;
      }
      return total;
    }
    const raw = this.ceTarget === "raw";
    const C = this.targetWidth();
    for (let i = 0; i < N; i++) total = crossEntropyRow(Yp, i * D, T, to + i * C, D, this.task, raw, grad ? dOut : null, i * D, scale, false, total);
    return total;
  }

  private lossCount(n: number): number {
    return this.task === "regression" ? n * this.N * this.D : n * this.N;
  }

  /** Mean loss on a batch with fixed targets (`targets`). */
  evalLoss(p: Prepared[], X: Float32Array, T: Float64Array, n: number): number {
    return this.evalLossAccuracy(p, X, T, n).loss;
  }

  /**
   * Mean loss and (classification) accuracy over the n·N tokens: the prediction's argmax (first on
   * ties) against the target's (the argmax of its raw logits or soft labels); NaN for regression.
   */
  evalLossAccuracy(p: Prepared[], X: Float32Array, T: Float64Array, n: number): { loss: number; accuracy: number } {
    const { N, D } = this;
    const C = this.targetWidth();
    const w = N * C;
    let total = 0;
    let correct = 0;
    for (let e = 0; e < n; e++) {
      this.load(X, e);
      const Yp = this.forward(p);
      total += this.loss(Yp, T, e * w, 0, false);
      if (this.task === "regression") continue;
      for (let i = 0; i < N; i++) if (rowCorrect(Yp, i * D, T, e * w + i * C, D, this.task)) correct++;
    }
    return { loss: total / this.lossCount(n), accuracy: this.task === "regression" ? NaN : correct / (n * N) };
  }

  /** Outputs of a batch, `[n, N, D]` (for tests). */
  outputs(p: Prepared[], X: Float32Array, n: number): Float32Array {
    const out = new Float32Array(n * this.N * this.D);
    for (let e = 0; e < n; e++) {
      this.load(X, e);
      out.set(this.forward(p), e * this.N * this.D);
    }
    return out;
  }

  /**
   * Mean training loss of a batch and its gradient with respect to every raw weight of `w`
   * (`p = prepare(w)`). Targets come from `target` (prepared) on the same inputs, or from
   * `fixedT` (a fixed training set).
   */
  lossAndGrad(w: RawModel, p: Prepared[], X: Float32Array, n: number, target: Prepared[] | null, fixedT: Float64Array | null): { loss: number; grad: RawModel } {
    const { D, N, H, HD, L, Np } = this;
    const acc = this.acc;
    for (const a of acc) for (const v of [a.dGcat, a.dCcat, a.db1, a.dOut, a.dOutBias]) v.fill(0);
    const scale = 1 / this.lossCount(n);
    const tw = N * this.targetWidth();
    const g = this.g;
    let total = 0;
    for (let e = 0; e < n; e++) {
      let T: Float64Array;
      let to: number;
      if (fixedT !== null) {
        T = fixedT;
        to = e * tw;
      } else {
        this.load(X, e);
        this.targetOf(this.forward(target!), this.targetBuf, 0);
        T = this.targetBuf;
        to = 0;
      }
      this.load(X, e);
      total += this.loss(this.forward(p), T, to, scale, true);
      // Backward, block by block; g.dOut holds the gradient of the current block's output.
      for (let l = L - 1; l >= 0; l--) {
        const a = this.acts[l];
        const pl = p[l];
        const bg = acc[l];
        const dOut = g.dOut;
        transpose(a.Hd, 0, D, N, D, g.HdT);
        this.prodNAcc(g.HdT, 0, N, dOut, 0, D, bg.dOut, 0, D, D, D);
        for (let i = 0; i < N; i++) for (let d = 0; d < D; d++) bg.dOutBias[d] += dOut[i * D + d];
        // dHd = dOut · outᵀ, masked by the ReLU → dpre (in place).
        const dpre = g.dHd;
        this.prodD(dOut, 0, D, pl.outT, 0, D, dpre, 0, D, N, D);
        const Hd = a.Hd;
        for (let i = 0; i < N * D; i++) if (!(Hd[i] > 0)) dpre[i] = 0;
        for (let i = 0; i < N; i++) for (let d = 0; d < D; d++) bg.db1[d] += dpre[i * D + d];
        transpose(a.Yh, 0, HD, N, HD, g.YhT);
        this.prodNAcc(g.YhT, 0, N, dpre, 0, D, bg.dCcat, 0, D, HD, D);
        this.prodD(dpre, 0, D, pl.CcatT, 0, HD, g.dYh, 0, HD, N, HD);
        const dZ = g.dZ;
        const needDZ = l > 0;
        if (needDZ) dZ.fill(0);
        const P = a.P;
        const dP = g.dP;
        for (let h = 0; h < H; h++) {
          const po = h * N * Np;
          this.prodD(g.dYh, h * D, HD, a.ZT, 0, N, dP, 0, N, N, N);
          // Softmax backward, per query row: dS = P ⊙ (dP − Σ_j P dP).
          for (let i = 0; i < N; i++) {
            const r = i * N;
            const pr = po + i * Np;
            let s = 0;
            for (let j = 0; j < N; j++) s += P[pr + j] * dP[r + j];
            for (let j = 0; j < N; j++) dP[r + j] = P[pr + j] * (dP[r + j] - s);
          }
          this.prodN(dP, 0, N, a.Z, 0, D, g.dU, h * D, HD, N, D);
          if (needDZ) {
            // Keys: dZ += dSᵀ U_h; values: dZ += P_hᵀ dYh_h.
            transpose(dP, 0, N, N, N, g.tNN);
            this.prodNAcc(g.tNN, 0, N, a.U, h * D, HD, dZ, 0, D, N, D);
            transpose(P, po, Np, N, N, g.tNN);
            this.prodNAcc(g.tNN, 0, N, g.dYh, h * D, HD, dZ, 0, D, N, D);
          }
        }
        this.prodNAcc(a.ZT, 0, N, g.dU, 0, HD, bg.dGcat, 0, HD, D, HD);
        if (needDZ) {
          // Queries: dZ += dU Gcatᵀ (into dOut, the previous block's output gradient).
          this.prodHD(g.dU, 0, HD, pl.GcatT, 0, D, g.dOut, 0, D, N, D);
          for (let i = 0; i < N * D; i++) g.dOut[i] += dZ[i];
        }
      }
    }
    return { loss: total * scale, grad: this.chain(w, p, acc) };
  }

  /** Gradients of the combined matrices → gradients of the raw weights. */
  private chain(w: RawModel, p: Prepared[], acc: BlockGrads[]): RawModel {
    const { D, H, L, HD } = this;
    const dWoT = new Float64Array(D * D);
    const blocks = w.blocks.map((bl, l): RawBlock => {
      const f = acc[l];
      const a = { dGcat: Float64Array.from(f.dGcat), dCcat: Float64Array.from(f.dCcat), db1: Float64Array.from(f.db1), dOut: Float64Array.from(f.dOut), dOutBias: Float64Array.from(f.dOutBias) };
      const dWQT: Float64Array[] = [];
      const dWKT: Float64Array[] = [];
      const dWVT: Float64Array[] = [];
      const dWOT: Float64Array[] = [];
      const dW1T = new Float64Array(D * D);
      for (let h = 0; h < H; h++) {
        const dG = new Float64Array(D * D);
        for (let k = 0; k < D; k++) for (let c = 0; c < D; c++) dG[k * D + c] = a.dGcat[k * HD + h * D + c];
        dWQT.push(mm(dG, false, bl.WKT[h], false, D));
        dWKT.push(mm(dG, true, bl.WQT[h], false, D));
        const dC = a.dCcat.subarray(h * D * D, (h + 1) * D * D);
        const dM = mm(dC, false, bl.W1T, true, D);
        const dW1h = mm(p[l].M[h], true, dC, false, D);
        for (let i = 0; i < D * D; i++) dW1T[i] += dW1h[i];
        dWVT.push(mm(dM, false, bl.WOT[h], true, D));
        dWOT.push(mm(bl.WVT[h], true, dM, false, D));
      }
      let dW2T: Float64Array;
      let db2: Float64Array;
      if (l === L - 1) {
        dW2T = mm(a.dOut, false, w.WoT, true, D);
        const dWo = mm(bl.W2T, true, a.dOut, false, D);
        db2 = new Float64Array(D);
        for (let k = 0; k < D; k++) {
          let s = 0;
          for (let j = 0; j < D; j++) {
            dWo[k * D + j] += bl.b2[k] * a.dOutBias[j];
            s += w.WoT[k * D + j] * a.dOutBias[j];
          }
          db2[k] = s;
        }
        dWoT.set(dWo);
      } else {
        dW2T = a.dOut;
        db2 = a.dOutBias;
      }
      return { WQT: dWQT, WKT: dWKT, WVT: dWVT, WOT: dWOT, W1T: dW1T, b1: a.db1, W2T: dW2T, b2: db2 };
    });
    return { blocks, WoT: dWoT };
  }
}

export type { Prepared as FusedPrepared };
