/** Parameter counts (PAPER.md §2: LoRA tunes `2RD` per adapted matrix; final-layers tuning `kD²`). */
import type { Adapter, FNN, FNNAdaptation, Transformer, TransformerAdaptation } from "./types";

/** Weights and biases of an FNN. */
export function fnnParameterCount(model: FNN): number {
  return model.layers.reduce((s, l) => s + l.W.rows * l.W.columns + (model.bias ? l.b.length : 0), 0);
}

/** Every parameter of a Transformer. */
export function transformerParameterCount(model: Transformer): number {
  const D = model.width;
  const perBlock = model.blocks.reduce((s, b) => s + b.heads.length * 4 * D * D + 2 * D * D + 2 * D, 0);
  return perBlock + D * D;
}

/** `A` and `B` entries of one adapter (2·D·r). */
export function adapterParameterCount(a: Adapter): number {
  return a.A.rows * a.A.columns + a.B.rows * a.B.columns;
}

/** Tunable parameters of an FNN adaptation: adapters, plus the biases when re-tuned. */
export function fnnAdaptationParameterCount(adaptation: FNNAdaptation): number {
  const adapters = adaptation.adapters.reduce((s, a) => s + adapterParameterCount(a), 0);
  const biases = adaptation.biases ? adaptation.biases.reduce((s, b) => s + b.length, 0) : 0;
  return adapters + biases;
}

/** Tunable parameters of a Transformer adaptation (adapters and FFN biases). */
export function transformerAdaptationParameterCount(adaptation: TransformerAdaptation): number {
  let s = adapterParameterCount(adaptation.Wo);
  for (const b of adaptation.blocks) {
    for (const h of b.heads) s += adapterParameterCount(h.WQ) + adapterParameterCount(h.WK) + adapterParameterCount(h.WV) + adapterParameterCount(h.WO);
    if (b.W2) s += adapterParameterCount(b.W2);
    s += b.b1.length + b.b2.length;
  }
  return s;
}

/** Final-layers tuning of the last k layers of an FNN: `k(D² + D)` (weights and biases). */
export function finalLayersParameterCount(width: number, k: number, bias = true): number {
  return k * (width * width + (bias ? width : 0));
}
