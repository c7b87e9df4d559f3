/**
 * Frozen/target pairs built the way the reference does (PAPER.md §3): a random target of depth
 * L̄ and a random frozen model of depth L, from independent streams `target` and `frozen`.
 *
 * `initMode = "uniform_singular_values"` (reference `--init_mode`): after drawing both models,
 * each target layer is replaced by `W̄_i = Π_{l∈P_i} W_l + c_i·I` with `c_i` the MEAN singular
 * value of the original discrepancy `W̄_i − Π_{l∈P_i} W_l` (uniform partition, as the reference).
 * The discrepancy then has D equal singular values c_i: the worst case for low-rank adaptation
 * (no tail to exploit — Theorem 5's error σ_{RM+1} stays at c_i until the threshold).
 * Biases of the target are kept as drawn.
 */
import { Matrix } from "ml-matrix";
import { DepthError } from "../errors";
import { stream } from "../linalg/random";
import { add, identity, product, scale, sub } from "../linalg/matrix";
import { singularValues } from "../linalg/svd";
import { initFNN, initTransformer } from "./init";
import type { Activation, FNN, Transformer } from "./types";

export type InitMode = "default" | "uniform_singular_values";

/** Uniform blocks (0-based layer indices): M = ⌊L/L̄⌋ layers each, the last takes the remainder. */
function uniformBlocks(L: number, Lbar: number): number[][] {
  const M = Math.floor(L / Lbar);
  const blocks: number[][] = [];
  for (let i = 0; i < Lbar; i++) {
    const end = i < Lbar - 1 ? (i + 1) * M : L;
    blocks.push(Array.from({ length: end - i * M }, (_, k) => i * M + k));
  }
  return blocks;
}

/** Random target (depth L̄, stream "target") and frozen (depth L, stream "frozen") FNNs. */
export function makeFNNPair(opts: {
  width: number;
  targetDepth: number;
  frozenDepth: number;
  activation: Activation;
  bias: boolean;
  seed: number;
  initMode?: InitMode;
}): { target: FNN; frozen: FNN } {
  const { width, targetDepth, frozenDepth, activation, bias, seed } = opts;
  if (frozenDepth < targetDepth) {
    throw new DepthError(`frozen depth ${frozenDepth} is below target depth ${targetDepth}: LoRA needs L ≥ L̄`);
  }
  const target = initFNN({ width, depth: targetDepth, activation, bias, rng: stream(seed, "target") });
  const frozen = initFNN({ width, depth: frozenDepth, activation, bias, rng: stream(seed, "frozen") });
  if ((opts.initMode ?? "default") === "uniform_singular_values") {
    uniformBlocks(frozenDepth, targetDepth).forEach((block, i) => {
      const P = product(block.map((l) => frozen.layers[l].W));
      const s = singularValues(sub(target.layers[i].W, P));
      const c = s.reduce((a, b) => a + b, 0) / s.length;
      target.layers[i].W = add(P, scale(identity(width), c));
    });
  }
  return { target, frozen };
}

/** Random target and frozen Transformers of the same depth (streams "target" and "frozen"). */
export function makeTransformerPair(opts: { width: number; depth: number; heads: number; seed: number }): {
  target: Transformer;
  frozen: Transformer;
} {
  const { width, depth, heads, seed } = opts;
  return {
    target: initTransformer({ width, depth, heads, rng: stream(seed, "target") }),
    frozen: initTransformer({ width, depth, heads, rng: stream(seed, "frozen") }),
  };
}

/** A copy of an FNN (weights cloned): records are data, constructions never mutate their inputs. */
export function cloneFNN(model: FNN): FNN {
  return { ...model, layers: model.layers.map((l) => ({ W: l.W.clone(), b: [...l.b] })) };
}

/** An FNN from explicit weights (biases zero unless given). */
export function fnnFromWeights(Ws: readonly Matrix[], opts: { activation?: Activation; biases?: number[][] } = {}): FNN {
  const D = Ws[0].rows;
  return {
    kind: "fnn",
    width: D,
    activation: opts.activation ?? "linear",
    bias: opts.biases !== undefined,
    layers: Ws.map((W, l) => ({ W: W.clone(), b: opts.biases ? [...opts.biases[l]] : new Array<number>(D).fill(0) })),
  };
}
