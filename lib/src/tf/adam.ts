/**
 * Adam with PyTorch semantics (`torch.optim.Adam`, amsgrad off) on one flat float32 parameter
 * vector: `weight_decay` adds `wd·θ` to the gradient (L2, not AdamW), then
 * `m ← β1 m + (1−β1) g`, `v ← β2 v + (1−β2) g²`, `θ ← θ − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε)`.
 *
 * The parameters live on the host: the trainers read the gradient back together with the losses
 * (one `dataSync` of one tensor per step, which validation needs anyway) and upload θ once per
 * step. On the CPU/wasm backends this replaces ~15 small tensor ops per step by one loop over a
 * few hundred numbers; snapshots at the best validation step are plain array copies.
 * Learning rate and weight decay may differ per entry (batched models with different settings).
 */
import { ConfigError } from "../errors";

export interface AdamOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export class FlatAdam {
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private t = 0;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;

  /** `lr` and `weightDecay` per entry of θ (same length as θ). */
  constructor(
    readonly theta: Float32Array,
    private readonly lr: Float32Array,
    private readonly weightDecay: Float32Array,
    opts: AdamOptions = {},
  ) {
    if (lr.length !== theta.length || weightDecay.length !== theta.length) {
      throw new ConfigError(`Adam: ${theta.length} parameters but ${lr.length} learning rates and ${weightDecay.length} weight decays`);
    }
    this.m = new Float32Array(theta.length);
    this.v = new Float32Array(theta.length);
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
  }

  /** Number of updates taken. */
  get steps(): number {
    return this.t;
  }

  /** One update of θ (in place) from the gradient `grad[offset .. offset + θ.length)`. */
  step(grad: ArrayLike<number>, offset = 0): void {
    this.t += 1;
    const { theta, m, v, lr, weightDecay: wd, beta1, beta2, eps } = this;
    const bc1 = 1 - Math.pow(beta1, this.t);
    const sqrtBc2 = Math.sqrt(1 - Math.pow(beta2, this.t));
    for (let i = 0; i < theta.length; i++) {
      const g = grad[offset + i] + wd[i] * theta[i];
      const mi = (m[i] = beta1 * m[i] + (1 - beta1) * g);
      const vi = (v[i] = beta2 * v[i] + (1 - beta2) * g * g);
      theta[i] -= (lr[i] / bc1) * (mi / (Math.sqrt(vi) / sqrtBc2 + eps));
    }
  }
}

/** Validates a learning rate / weight decay pair (typed error instead of a NaN run). */
export function checkOptimiserSettings(lr: number, weightDecay: number): void {
  if (!(lr > 0) || !Number.isFinite(lr)) throw new ConfigError(`learning rate ${lr} must be a positive finite number`);
  if (!(weightDecay >= 0) || !Number.isFinite(weightDecay)) {
    throw new ConfigError(`weight decay ${weightDecay} must be a non-negative finite number`);
  }
}
