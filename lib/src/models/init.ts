/**
 * Initialisers matching the reference code (PAPER.md §3): FNN and FFN layers use PyTorch's
 * `nn.Linear` default, weights and biases U(−1/√D, 1/√D); attention matrices N(0, 1); the
 * Transformer output layer `W_o` is `nn.Linear` without bias; LoRA A = 0, B ~ N(0, std²).
 * Draw order is fixed (layer by layer, W row-major then b) so a stream fixes every entry.
 */
import { Matrix } from "ml-matrix";
import { DepthError, RankError, ShapeError } from "../errors";
import { randomNormal, randomUniform, uniformVector } from "../linalg/draw";
import type { RandomStream } from "../linalg/random";
import type { Activation, Adapter, FNN, FNNAdaptation, HeadAdapters, Transformer, TransformerAdaptation } from "./types";

function checkWidthDepth(width: number, depth: number): void {
  if (!Number.isInteger(width) || width < 1) throw new ShapeError(`width ${width} must be a positive integer`);
  if (!Number.isInteger(depth) || depth < 1) throw new DepthError(`depth ${depth} must be a positive integer`);
}

/** FNN with `nn.Linear`-style U(−1/√D, 1/√D) weights and (when `bias`) biases. */
export function initFNN(opts: { width: number; depth: number; activation: Activation; bias: boolean; rng: RandomStream }): FNN {
  const { width: D, depth, activation, bias, rng } = opts;
  checkWidthDepth(D, depth);
  const k = 1 / Math.sqrt(D);
  const layers = [];
  for (let l = 0; l < depth; l++) {
    const W = randomUniform(rng, D, D, -k, k);
    const b = bias ? uniformVector(rng, D, -k, k) : new Array<number>(D).fill(0);
    layers.push({ W, b });
  }
  return { kind: "fnn", width: D, activation, bias, layers };
}

/** Transformer: attention N(0,1) per head; W1, b1, W2, b2 and bias-free W_o U(−1/√D, 1/√D). */
export function initTransformer(opts: { width: number; depth: number; heads: number; rng: RandomStream }): Transformer {
  const { width: D, depth, heads, rng } = opts;
  checkWidthDepth(D, depth);
  if (!Number.isInteger(heads) || heads < 1) throw new ShapeError(`number of heads ${heads} must be a positive integer`);
  const k = 1 / Math.sqrt(D);
  const blocks = [];
  for (let l = 0; l < depth; l++) {
    const hs = [];
    for (let h = 0; h < heads; h++) {
      hs.push({ WQ: randomNormal(rng, D, D), WK: randomNormal(rng, D, D), WV: randomNormal(rng, D, D), WO: randomNormal(rng, D, D) });
    }
    const W1 = randomUniform(rng, D, D, -k, k);
    const b1 = uniformVector(rng, D, -k, k);
    const W2 = randomUniform(rng, D, D, -k, k);
    const b2 = uniformVector(rng, D, -k, k);
    blocks.push({ heads: hs, W1, b1, W2, b2 });
  }
  const Wo = randomUniform(rng, D, D, -k, k);
  return { kind: "transformer", width: D, blocks, Wo };
}

/** Checks a LoRA rank against the width: `1 ≤ r ≤ D`. */
export function checkRank(rank: number, width: number, what = "rank"): void {
  if (!Number.isInteger(rank)) throw new RankError(`${what} ${rank} must be an integer`);
  if (rank < 1) throw new RankError(`${what} ${rank} is below 1: LoRA needs rank ≥ 1`);
  if (rank > width) throw new RankError(`${what} ${rank} exceeds width ${width}`);
}

/** Per-layer ranks from a uniform rank or a list (length must equal the number of layers). */
export function layerRanks(rank: number | readonly number[], layers: number, width: number): number[] {
  if (typeof rank === "number") {
    checkRank(rank, width);
    return new Array<number>(layers).fill(rank);
  }
  const ranks = [...rank];
  if (ranks.length !== layers) {
    throw new RankError(`got ${ranks.length} per-layer ranks for ${layers} layers: give one rank per layer`);
  }
  ranks.forEach((r, l) => checkRank(r, width, `rank of layer ${l + 1}`));
  return ranks;
}

/** One adapter `A = 0`, `B ~ N(0, std²)` (D×r each); `ΔW = A Bᵀ = 0` at initialisation. */
export function initAdapter(width: number, rank: number, std: number, rng: RandomStream): Adapter {
  checkRank(rank, width);
  return { A: Matrix.zeros(width, rank), B: randomNormal(rng, width, rank, std) };
}

/** LoRA adapters for every FNN layer (uniform rank or per-layer ranks); biases kept (`null`). */
export function initAdapters(model: FNN, rank: number | readonly number[], std: number, rng: RandomStream): FNNAdaptation {
  const ranks = layerRanks(rank, model.layers.length, model.width);
  return { adapters: ranks.map((r) => initAdapter(model.width, r, std, rng)), biases: null };
}

/** LoRA adapters on exactly the matrices Theorem 7 adapts; biases start at the frozen ones. */
export function initTransformerAdapters(model: Transformer, rank: number, std: number, rng: RandomStream): TransformerAdaptation {
  const D = model.width;
  const L = model.blocks.length;
  const blocks = model.blocks.map((block, l) => ({
    heads: block.heads.map(
      (): HeadAdapters => ({
        WQ: initAdapter(D, rank, std, rng),
        WK: initAdapter(D, rank, std, rng),
        WV: initAdapter(D, rank, std, rng),
        WO: initAdapter(D, rank, std, rng),
      }),
    ),
    W2: l === L - 1 ? initAdapter(D, rank, std, rng) : null,
    b1: [...block.b1],
    b2: [...block.b2],
  }));
  return { blocks, Wo: initAdapter(D, rank, std, rng) };
}
