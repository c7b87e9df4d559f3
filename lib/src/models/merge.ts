/** Merging LoRA adapters into a model (PEFT-style `merge`): `W ↦ W + A Bᵀ`, biases replaced when given. */
import type { Matrix } from "ml-matrix";
import { ShapeError } from "../errors";
import { add, assertShape } from "../linalg/matrix";
import type { Adapter, FNN, FNNAdaptation, Transformer, TransformerAdaptation } from "./types";

/** `ΔW = A Bᵀ` of one adapter. */
export function delta(adapter: Adapter): Matrix {
  if (adapter.A.rows !== adapter.B.rows || adapter.A.columns !== adapter.B.columns) {
    throw new ShapeError(`adapter A is ${adapter.A.rows}×${adapter.A.columns} but B is ${adapter.B.rows}×${adapter.B.columns}: they must match`);
  }
  return adapter.A.mmul(adapter.B.transpose());
}

/** `W + A Bᵀ`. */
export function applyAdapter(W: Matrix, adapter: Adapter | null, what = "weight"): Matrix {
  if (adapter === null) return W.clone();
  const d = delta(adapter);
  assertShape(d, W.rows, W.columns, `adapter of ${what}`);
  return add(W, d);
}

function checkBias(b: readonly number[], D: number, what: string): number[] {
  if (b.length !== D) throw new ShapeError(`${what} has length ${b.length}, expected width ${D}`);
  return [...b];
}

/** Adapted FNN: `Ŵ_l = W_l + A_l B_lᵀ`, biases from the adaptation when given. */
export function mergeFNN(model: FNN, adaptation: FNNAdaptation): FNN {
  const L = model.layers.length;
  if (adaptation.adapters.length !== L) {
    throw new ShapeError(`adaptation has ${adaptation.adapters.length} adapters for ${L} layers: give one per layer`);
  }
  if (adaptation.biases !== null && adaptation.biases.length !== L) {
    throw new ShapeError(`adaptation has ${adaptation.biases.length} biases for ${L} layers: give one per layer`);
  }
  const biases = adaptation.biases;
  const layers = model.layers.map((layer, l) => ({
    W: applyAdapter(layer.W, adaptation.adapters[l], `layer ${l + 1}`),
    b: biases ? checkBias(biases[l], model.width, `bias of layer ${l + 1}`) : [...layer.b],
  }));
  return { ...model, bias: model.bias || biases !== null, layers };
}

/** Adapted Transformer: LoRA on W_Q, W_K, W_V, W_O, last W_2 and W_o; FFN biases replaced. */
export function mergeTransformer(model: Transformer, adaptation: TransformerAdaptation): Transformer {
  if (adaptation.blocks.length !== model.blocks.length) {
    throw new ShapeError(`adaptation has ${adaptation.blocks.length} blocks for a ${model.blocks.length}-block model`);
  }
  const D = model.width;
  const blocks = model.blocks.map((block, l) => {
    const a = adaptation.blocks[l];
    if (a.heads.length !== block.heads.length) {
      throw new ShapeError(`block ${l + 1}: adaptation has ${a.heads.length} heads, model has ${block.heads.length}`);
    }
    return {
      heads: block.heads.map((h, i) => ({
        WQ: applyAdapter(h.WQ, a.heads[i].WQ, `block ${l + 1} head ${i + 1} W_Q`),
        WK: applyAdapter(h.WK, a.heads[i].WK, `block ${l + 1} head ${i + 1} W_K`),
        WV: applyAdapter(h.WV, a.heads[i].WV, `block ${l + 1} head ${i + 1} W_V`),
        WO: applyAdapter(h.WO, a.heads[i].WO, `block ${l + 1} head ${i + 1} W_O`),
      })),
      W1: block.W1.clone(),
      b1: checkBias(a.b1, D, `block ${l + 1} b1`),
      W2: applyAdapter(block.W2, a.W2, `block ${l + 1} W_2`),
      b2: checkBias(a.b2, D, `block ${l + 1} b2`),
    };
  });
  return { ...model, blocks, Wo: applyAdapter(model.Wo, adaptation.Wo, "W_o") };
}

/** `merge(model, adaptation)`: the adapted record, for either model kind. */
export function merge(model: FNN, adaptation: FNNAdaptation): FNN;
export function merge(model: Transformer, adaptation: TransformerAdaptation): Transformer;
export function merge(model: FNN | Transformer, adaptation: FNNAdaptation | TransformerAdaptation): FNN | Transformer {
  if (model.kind === "fnn") {
    if (!("adapters" in adaptation)) throw new ShapeError("an FNN needs an FNNAdaptation (adapters + biases)");
    return mergeFNN(model, adaptation);
  }
  if (!("blocks" in adaptation)) throw new ShapeError("a Transformer needs a TransformerAdaptation (blocks + Wo)");
  return mergeTransformer(model, adaptation);
}
