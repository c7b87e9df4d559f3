/**
 * The fast Transformer stepper (`engine: "fast"`): the loop's `LoopStepper` on the hand-written
 * forward and backward pass of `transformer-core.ts`, with the same data streams, losses and
 * gradients as the reference (tfjs autodiff) `TransformerStepper` of `tf/transformer-train.ts`; no
 * tensors. The θ layout and the chain rule through the adapters are `TransformerParams`'s.
 */
import type { Matrix } from "ml-matrix";
import { fillGaussianSequences } from "../linalg/draw";
import { transposedData } from "../linalg/matrix";
import { stream } from "../linalg/random";
import type { Transformer } from "../models/types";
import type { LoopStepper } from "../tf/loop";
import type { ResolvedSettings } from "../tf/settings";
import type { Task } from "../tf/task";
import type { TransformerParams } from "../tf/transformer-train";
import { FusedTransformer, type FusedPrepared, type RawModel } from "./transformer-core";

/** Raw transposed float64 weights of a model record (the fused engine's target). */
export function rawModel(model: Transformer): RawModel {
  const T = (M: Matrix): Float64Array => transposedData(M, "float64");
  return {
    blocks: model.blocks.map((bl) => ({
      WQT: bl.heads.map((h) => T(h.WQ)),
      WKT: bl.heads.map((h) => T(h.WK)),
      WVT: bl.heads.map((h) => T(h.WV)),
      WOT: bl.heads.map((h) => T(h.WO)),
      W1T: T(bl.W1),
      b1: Float64Array.from(bl.b1),
      W2T: T(bl.W2),
      b2: Float64Array.from(bl.b2),
    })),
    WoT: T(model.Wo),
  };
}

/**
 * Loop stepper on the fast engine (`transformer-core.ts`): same data streams, same
 * losses and gradients as `TransformerStepper`, no tensors. Exported for tests.
 */
export class FusedTransformerStepper implements LoopStepper {
  readonly K = 1;
  readonly owner: Int32Array;
  private readonly engine: FusedTransformer;
  private readonly trainRng: ReturnType<typeof stream>;
  private readonly buf: Float32Array;
  private readonly vbuf: Float32Array;
  private readonly nTr: number;
  private readonly nVal: number;
  private readonly targetP: FusedPrepared[];
  private readonly Tval: Float64Array;
  private readonly Ttrain: Float64Array | null;

  /** `useWasm: false` forces the JavaScript kernels (tests). */
  constructor(
    readonly params: TransformerParams,
    target: Transformer,
    readonly N: number,
    task: Task,
    s: ResolvedSettings,
    trainPurpose = "train",
    useWasm = true,
  ) {
    const D = params.D;
    this.owner = new Int32Array(params.theta.length);
    this.engine = new FusedTransformer(D, N, params.H, params.L, task, useWasm, s.ceTarget);
    this.targetP = this.engine.prepare(rawModel(target), 1);
    this.nTr = s.nTrain ?? s.batchSize;
    this.nVal = s.nVal;
    this.trainRng = stream(s.seed, trainPurpose);
    this.buf = new Float32Array(this.nTr * N * D);
    this.vbuf = new Float32Array(s.nVal * N * D);
    fillGaussianSequences(stream(s.seed, "validation"), this.vbuf, 0, s.nVal, N, D);
    this.Tval = this.engine.targets(this.targetP, this.vbuf, s.nVal);
    if (s.nTrain !== null) {
      fillGaussianSequences(this.trainRng, this.buf, 0, this.nTr, N, D);
      this.Ttrain = this.engine.targets(this.targetP, this.buf, this.nTr);
    } else this.Ttrain = null;
  }

  evaluate(theta: Float32Array, withVal: boolean, trainBatch: boolean): Float32Array {
    const out = new Float32Array(2 + theta.length);
    const w = this.params.raw(theta);
    const p = this.engine.prepare(w);
    if (trainBatch) {
      if (this.Ttrain === null) fillGaussianSequences(this.trainRng, this.buf, 0, this.nTr, this.N, this.params.D);
      const { loss, grad } = this.engine.lossAndGrad(w, p, this.buf, this.nTr, this.Ttrain === null ? this.targetP : null, this.Ttrain);
      out[0] = loss;
      this.params.scatterGrad(theta, grad, out, 2);
    } else out[0] = NaN; // the last, validation-only pass: the loop reads no training loss
    if (withVal) {
      const v = this.engine.evalLossAccuracy(p, this.vbuf, this.Tval, this.nVal);
      out[1] = v.loss;
      this.lastAccuracy[0] = v.accuracy;
    } else out[1] = NaN;
    return out;
  }

  private readonly lastAccuracy = new Float64Array(1).fill(NaN);

  /** Validation accuracy at the last validated evaluation (NaN for regression). */
  valAccuracy(): Float64Array {
    return this.lastAccuracy;
  }

  dispose(): void {}
}

