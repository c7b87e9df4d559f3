/**
 * The θ layout shared by the FNN reference engine and the fast path (`tf/fnn-layout.ts`): blocks in
 * plan order, contiguous, K models per block, ranks padded per layer; the engine's θ and the fast
 * stepper's offsets are this layout (a wrong offset there fails `fused.test.ts`).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fnnThetaLayout, type FNNLayerPlan } from "../../../lib/src/tf/fnn-layout";

test("θ layout: per layer Aᵀ, B (padded rank) or Wᵀ, then b; K models per block; absent blocks are −1", () => {
  const K = 3;
  const D = 5;
  const plan: FNNLayerPlan[] = [
    { weight: "lora", bias: true },
    { weight: "frozen", bias: false },
    { weight: "full", bias: true },
    { weight: "lora", bias: false },
  ];
  const { segments, layers, size } = fnnThetaLayout(plan, [2, 0, 0, 4], K, D);
  const expected = [
    { layer: 0, kind: "AT", offset: 0, shape: [2, 5], size: 30 },
    { layer: 0, kind: "B", offset: 30, shape: [5, 2], size: 30 },
    { layer: 0, kind: "b", offset: 60, shape: [5], size: 15 },
    { layer: 2, kind: "WT", offset: 75, shape: [5, 5], size: 75 },
    { layer: 2, kind: "b", offset: 150, shape: [5], size: 15 },
    { layer: 3, kind: "AT", offset: 165, shape: [4, 5], size: 60 },
    { layer: 3, kind: "B", offset: 225, shape: [5, 4], size: 60 },
  ];
  assert.deepEqual(segments, expected);
  assert.equal(size, 285);
  assert.deepEqual(layers, [
    { weight: "lora", bias: true, R: 2, offAT: 0, offB: 30, offWT: -1, offb: 60 },
    { weight: "frozen", bias: false, R: 0, offAT: -1, offB: -1, offWT: -1, offb: -1 },
    { weight: "full", bias: true, R: 0, offAT: -1, offB: -1, offWT: 75, offb: 150 },
    { weight: "lora", bias: false, R: 4, offAT: 165, offB: 225, offWT: -1, offb: -1 },
  ]);
});
