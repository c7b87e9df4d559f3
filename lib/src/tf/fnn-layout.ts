/**
 * The flat parameter vector θ of K FNNs trained together (K = 1 for a single run), shared by the
 * reference engine (`fnn-engine.ts`, which slices θ into tensors) and the fast path
 * (`fast/fnn-core.ts`, which reads and writes it with plain loops).
 *
 * Per layer l, in order: a LoRA layer stores `Aᵀ` (`[K, R_l, D]`) then `B` (`[K, D, R_l]`), with
 * R_l the layer's rank padded to the largest of the K models; a fully trained layer stores `Wᵀ`
 * (`[K, D, D]`); a trained bias then stores `b` (`[K, D]`). Each block holds the K models one after
 * another. No tfjs here: worker threads load it.
 */

export type LayerWeightMode = "frozen" | "lora" | "full";

/** What is trained in one layer (shared by the K models). */
export interface FNNLayerPlan {
  weight: LayerWeightMode;
  /** Whether the bias is trained. */
  bias: boolean;
}

/** One block of θ: a layer's `Aᵀ`, `B`, `Wᵀ` or `b` for the K models. */
export interface ThetaSegment {
  layer: number;
  kind: "AT" | "B" | "WT" | "b";
  offset: number;
  /** Shape without the leading K. */
  shape: number[];
  /** Entries of the block (all K models). */
  size: number;
}

/** θ offsets of one layer's trained parameters (each a block of K models; −1 when absent). */
export interface LayerLayout {
  weight: LayerWeightMode;
  bias: boolean;
  /** Padded rank R (lora; 0 otherwise). */
  R: number;
  offAT: number;
  offB: number;
  offWT: number;
  offb: number;
}

/** θ as a list of blocks (`segments`), the same offsets per layer (`layers`), and its length. */
export interface FNNThetaLayout {
  segments: ThetaSegment[];
  layers: LayerLayout[];
  size: number;
}

/** The θ layout of K models of width D with the layer plan `plan` and padded ranks `ranks`. */
export function fnnThetaLayout(plan: readonly FNNLayerPlan[], ranks: readonly number[], K: number, D: number): FNNThetaLayout {
  const segments: ThetaSegment[] = [];
  let size = 0;
  const add = (layer: number, kind: ThetaSegment["kind"], shape: number[]): number => {
    const offset = size;
    const n = K * shape.reduce((a, b) => a * b, 1);
    segments.push({ layer, kind, offset, shape, size: n });
    size += n;
    return offset;
  };
  const layers = plan.map((p, l): LayerLayout => {
    const R = p.weight === "lora" ? ranks[l] : 0;
    const ly: LayerLayout = { weight: p.weight, bias: p.bias, R, offAT: -1, offB: -1, offWT: -1, offb: -1 };
    if (p.weight === "lora") {
      ly.offAT = add(l, "AT", [R, D]);
      ly.offB = add(l, "B", [D, R]);
    } else if (p.weight === "full") ly.offWT = add(l, "WT", [D, D]);
    if (p.bias) ly.offb = add(l, "b", [D]);
    return ly;
  });
  return { segments, layers, size };
}
