/** Float64 forward passes (PAPER.md §2). Inputs are columns: X is D×n, a Transformer input is D×N. */
import { Matrix } from "ml-matrix";
import { ShapeError } from "../errors";
import { addColumn, relu } from "../linalg/matrix";
import type { FNN, Transformer, TransformerBlock } from "./types";

function checkInput(X: Matrix, D: number, what: string): void {
  if (X.rows !== D) throw new ShapeError(`${what} has ${X.rows} rows, expected width ${D} (examples are columns)`);
}

/** All FNN activations `[z_0 = X, z_1, …, z_L]`, `z_l = σ(W_l z_{l−1} + b_l)` (ReLU after every layer). */
export function forwardFNNLayers(model: FNN, X: Matrix): Matrix[] {
  checkInput(X, model.width, "FNN input");
  const zs = [X];
  let z = X;
  for (const { W, b } of model.layers) {
    const pre = addColumn(W.mmul(z), b);
    z = model.activation === "relu" ? relu(pre) : pre;
    zs.push(z);
  }
  return zs;
}

/** FNN output `f(X)` (D×n). */
export function forwardFNN(model: FNN, X: Matrix): Matrix {
  const zs = forwardFNNLayers(model, X);
  return zs[zs.length - 1];
}

/** Column-wise softmax (each column sums to 1), max-subtracted for stability. */
export function softmaxColumns(S: Matrix): Matrix {
  const out = new Matrix(S.rows, S.columns);
  for (let j = 0; j < S.columns; j++) {
    let mx = -Infinity;
    for (let i = 0; i < S.rows; i++) mx = Math.max(mx, S.get(i, j));
    let sum = 0;
    for (let i = 0; i < S.rows; i++) {
      const e = Math.exp(S.get(i, j) - mx);
      out.set(i, j, e);
      sum += e;
    }
    for (let i = 0; i < S.rows; i++) out.set(i, j, out.get(i, j) / sum);
  }
  return out;
}

/** `Attn(Z) = Σ_h W_O W_V Z softmax((W_K Z)ᵀ (W_Q Z))`. */
export function attention(block: TransformerBlock, Z: Matrix): Matrix {
  let out = Matrix.zeros(Z.rows, Z.columns);
  for (const h of block.heads) {
    const scores = h.WK.mmul(Z).transpose().mmul(h.WQ.mmul(Z));
    out = Matrix.add(out, h.WO.mmul(h.WV.mmul(Z)).mmul(softmaxColumns(scores)));
  }
  return out;
}

/** One block: `H = ReLU(W_1 Attn(Z) + b_1 1ᵀ)`, `Z' = W_2 H + b_2 1ᵀ`; returns both. */
export function transformerBlock(block: TransformerBlock, Z: Matrix): { H: Matrix; Z: Matrix } {
  const H = relu(addColumn(block.W1.mmul(attention(block, Z)), block.b1));
  return { H, Z: addColumn(block.W2.mmul(H), block.b2) };
}

/** Transformer output `Y = W_o Z_L` for each input (array of D×N matrices). */
export function forwardTransformer(model: Transformer, Xs: readonly Matrix[]): Matrix[] {
  return Xs.map((X) => {
    checkInput(X, model.width, "Transformer input");
    let Z = X;
    for (const block of model.blocks) Z = transformerBlock(block, Z).Z;
    return model.Wo.mmul(Z);
  });
}
