import { test } from "node:test";
import assert from "node:assert/strict";
import { stream } from "../../../lib/src/linalg/random";
import { initTransformerAdapters } from "../../../lib/src/models/init";
import { makeTransformerPair } from "../../../lib/src/models/targets";
import { initBackend, tf } from "../../../lib/src/tf/backend";
import { disposeTransformerTensors, transformerTensors } from "../../../lib/src/tf/forward";
import { resolveSettings } from "../../../lib/src/tf/settings";
import type { Task } from "../../../lib/src/tf/task";
import { FusedTransformer, type RawModel } from "../../../lib/src/fast/transformer-core";
import { FusedTransformerStepper } from "../../../lib/src/fast/transformer-stepper";
import {
  pretrainTransformer,
  TransformerParams,
  TransformerStepper,
  trainTransformerLoRA,
  type TransformerTrainMode,
} from "../../../lib/src/tf/transformer-train";
import { jsSoftmax, KernelArena } from "../../../lib/src/fast/arena";

interface Case {
  name: string;
  width: number;
  depth: number;
  heads: number;
  N: number;
  task: Task;
  mode: TransformerTrainMode;
  nTrain?: number;
}

const cases: Case[] = [
  { name: "LoRA, L=1, regression", width: 6, depth: 1, heads: 2, N: 4, task: "regression", mode: "lora" },
  { name: "LoRA, L=2, classification", width: 5, depth: 2, heads: 2, N: 3, task: "classification", mode: "lora" },
  { name: "LoRA, L=2, H=3, binary, fixed n_train", width: 4, depth: 2, heads: 3, N: 5, task: "binary", mode: "lora", nTrain: 6 },
  { name: "full (pretraining), L=2, regression", width: 4, depth: 2, heads: 2, N: 3, task: "regression", mode: "full" },
];

/** Losses and gradient of one evaluation by both engines (same θ, same batch). */
function bothEngines(c: Case, useWasm: boolean): { autodiff: Float32Array; fused: Float32Array } {
  const { frozen, target } = makeTransformerPair({ width: c.width, depth: c.depth, heads: c.heads, seed: 7 });
  const ad = c.mode === "lora" ? initTransformerAdapters(frozen, 2, 0.5, stream(7, "adapters")) : null;
  const params = new TransformerParams(frozen, c.mode, ad);
  const s = resolveSettings({ steps: 1, lr: 1e-2, seed: 3, batchSize: 7, nVal: 5, nTrain: c.nTrain ?? null, task: c.task });
  const targetT = transformerTensors(target);
  const a = new TransformerStepper(params, targetT, c.N, c.task, s);
  const f = new FusedTransformerStepper(params, target, c.N, c.task, s, "train", useWasm);
  try {
    // A θ away from the initialisation (B ≠ 0 everywhere), evaluated twice: two batches.
    const theta = Float32Array.from(params.theta, (v, i) => v + 0.05 * Math.sin(i + 1));
    a.evaluate(theta, true, true);
    f.evaluate(theta, true, true);
    return { autodiff: a.evaluate(theta, true, true), fused: f.evaluate(theta, true, true) };
  } finally {
    a.dispose();
    f.dispose();
    params.dispose();
    disposeTransformerTensors(targetT);
  }
}

for (const c of cases) {
  for (const useWasm of [true, false]) {
    test(`hand-written gradients equal tfjs autodiff: ${c.name}${useWasm ? "" : " (JS kernels)"}`, async () => {
      await initBackend();
      const { autodiff, fused } = bothEngines(c, useWasm);
      assert.equal(fused.length, autodiff.length);
      // Measured (wasm and JS kernels): losses 1.8e-7 relative, gradients 2.5e-6 × the largest gradient; limits ×10.
      assert.ok(Math.abs(fused[0] - autodiff[0]) <= 2e-6 * Math.abs(autodiff[0]), `train loss ${fused[0]} vs ${autodiff[0]}`);
      assert.ok(Math.abs(fused[1] - autodiff[1]) <= 2e-6 * Math.abs(autodiff[1]), `val loss ${fused[1]} vs ${autodiff[1]}`);
      let scale = 0;
      for (let i = 2; i < autodiff.length; i++) scale = Math.max(scale, Math.abs(autodiff[i]));
      assert.ok(scale > 0);
      for (let i = 2; i < autodiff.length; i++) {
        assert.ok(Math.abs(fused[i] - autodiff[i]) <= 2e-5 * scale + 2e-5 * Math.abs(autodiff[i]), `θ[${i - 2}]: ${fused[i]} vs ${autodiff[i]}`);
      }
    });
  }
}

test("fused gradients agree with central finite differences (raw weights, L=2)", () => {
  const D = 4;
  const N = 3;
  const H = 2;
  const L = 2;
  let seed = 11;
  const rnd = (k: number): Float64Array =>
    Float64Array.from({ length: k }, () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return (seed / 2147483648 - 0.5) * 1.2;
    });
  const block = () => ({
    WQT: [rnd(D * D), rnd(D * D)],
    WKT: [rnd(D * D), rnd(D * D)],
    WVT: [rnd(D * D), rnd(D * D)],
    WOT: [rnd(D * D), rnd(D * D)],
    W1T: rnd(D * D),
    b1: rnd(D),
    W2T: rnd(D * D),
    b2: rnd(D),
  });
  const w: RawModel = { blocks: [block(), block()], WoT: rnd(D * D) };
  const tgt: RawModel = { blocks: [block(), block()], WoT: rnd(D * D) };
  const n = 5;
  const X = Float32Array.from(rnd(n * N * D));
  const cases = [["regression", "raw"], ["classification", "raw"], ["classification", "softmax"], ["binary", "raw"]] as const;
  for (const [task, ce] of cases) {
    const eng = new FusedTransformer(D, N, H, L, task, true, ce);
    const T = eng.targets(eng.prepare(tgt, 1), X, n);
    const loss = (m: RawModel): number => eng.evalLoss(eng.prepare(m), X, T, n);
    const { loss: l0, grad } = eng.lossAndGrad(w, eng.prepare(w), X, n, null, T);
    assert.ok(Math.abs(l0 - loss(w)) <= 1e-6 * Math.abs(l0), `${task} ${ce}: loss ${l0} vs ${loss(w)}`);
    const probes: [string, (m: RawModel) => Float64Array][] = [
      ["WQT[0][0]", (m) => m.blocks[0].WQT[0]],
      ["WKT[0][1]", (m) => m.blocks[0].WKT[1]],
      ["WVT[1][0]", (m) => m.blocks[1].WVT[0]],
      ["WOT[0][1]", (m) => m.blocks[0].WOT[1]],
      ["W1T[0]", (m) => m.blocks[0].W1T],
      ["W2T[0]", (m) => m.blocks[0].W2T],
      ["W2T[1]", (m) => m.blocks[1].W2T],
      ["b1[1]", (m) => m.blocks[1].b1],
      ["b2[0]", (m) => m.blocks[0].b2],
      ["b2[1]", (m) => m.blocks[1].b2],
      ["WoT", (m) => m.WoT],
    ];
    const h = 1e-2;
    for (const [name, get] of probes) {
      const arr = get(w);
      const g = get(grad);
      for (const i of [0, arr.length - 1]) {
        const v = arr[i];
        arr[i] = v + h;
        const up = loss(w);
        arr[i] = v - h;
        const down = loss(w);
        arr[i] = v;
        const fd = (up - down) / (2 * h);
        assert.ok(Math.abs(fd - g[i]) <= 2e-3 + 2e-2 * Math.abs(fd), `${task} ${ce} ${name}[${i}]: fd ${fd} vs ${g[i]}`);
      }
    }
  }
});

test("loss histories: fused engine equals the autodiff engine (LoRA, pretraining)", async () => {
  await initBackend();
  const { frozen, target } = makeTransformerPair({ width: 8, depth: 1, heads: 2, seed: 1 });
  const o = { rank: 2, seqLength: 5, steps: 8, lr: 1e-2, seed: 1, nVal: 16, nTest: 16, batchSize: 16 };
  const a = trainTransformerLoRA(frozen, target, { ...o, engine: "reference" });
  const b = trainTransformerLoRA(frozen, target, { ...o, engine: "fast" });
  // Measured: loss histories 9e-7 relative, test loss 1.8e-7, pretraining bitwise equal; limits ×10 (×1e6 eps for the last).
  const close = (x: number[], y: number[]): void => {
    assert.equal(x.length, y.length);
    x.forEach((v, i) => assert.ok(Math.abs(v - y[i]) <= 1e-5 * Math.abs(v), `step ${i}: ${v} vs ${y[i]}`));
  };
  close(a.trainLoss, b.trainLoss);
  close(a.valLoss, b.valLoss);
  assert.deepEqual(a.valSteps, b.valSteps);
  assert.equal(a.bestStep, b.bestStep);
  assert.ok(Math.abs(a.testLoss - b.testLoss) <= 2e-6 * a.testLoss, `test ${a.testLoss} vs ${b.testLoss}`);
  for (const task of ["classification", "binary"] as const) {
    for (const ceTarget of ["raw", "softmax"] as const) {
      const oc = { ...o, task, ceTarget };
      const ca = trainTransformerLoRA(frozen, target, { ...oc, engine: "reference" });
      const cb = trainTransformerLoRA(frozen, target, { ...oc, engine: "fast" });
      close(ca.trainLoss, cb.trainLoss);
      close(ca.valLoss, cb.valLoss);
      assert.equal(ca.bestStep, cb.bestStep, `${task} ${ceTarget}`);
      assert.equal(ca.valAccuracyAtBest, cb.valAccuracyAtBest, `${task} ${ceTarget}`);
      assert.ok(Math.abs(ca.testLoss - cb.testLoss) <= 2e-6 * Math.abs(ca.testLoss), `${task} ${ceTarget}`);
    }
  }
  const p2 = makeTransformerPair({ width: 6, depth: 2, heads: 2, seed: 2 });
  const pa = pretrainTransformer(p2.frozen, p2.target, { epochs: 6, seed: 0, batchSize: 8, seqLength: 4, engine: "reference" });
  const pb = pretrainTransformer(p2.frozen, p2.target, { epochs: 6, seed: 0, batchSize: 8, seqLength: 4, engine: "fast" });
  assert.equal(pa.steps, pb.steps);
  assert.ok(Math.abs(pa.finalLoss - pb.finalLoss) <= 1e-6 * pa.finalLoss, `pretraining ${pa.finalLoss} vs ${pb.finalLoss}`);
});

test("fused engine is the default on cpu/wasm and allocates no tensors per step", async () => {
  await initBackend();
  const { frozen, target } = makeTransformerPair({ width: 4, depth: 1, heads: 2, seed: 1 });
  const counts = new Map<number, number>();
  const before = tf.memory().numTensors;
  trainTransformerLoRA(frozen, target, {
    rank: 1,
    seqLength: 3,
    steps: 12,
    lr: 1e-2,
    seed: 1,
    nVal: 8,
    nTest: 8,
    batchSize: 8,
    progressEvery: 4,
    onProgress: (s) => counts.set(s, tf.memory().numTensors),
  });
  assert.equal(counts.get(4), counts.get(12));
  assert.equal(tf.memory().numTensors, before);
});

test("kernels: WebAssembly product/dense/softmax equal plain references (strides, offsets, K and C not multiples of 4)", () => {
  const arena = new KernelArena(1 << 16);
  assert.ok(arena.simd, "WebAssembly SIMD is available on Node ≥ 16.4");
  const js = new KernelArena(1 << 16, false);
  assert.equal(js.simd, false);
  let seed = 5;
  const fill = (a: Float32Array, scale = 1): void => {
    for (let i = 0; i < a.length; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      a[i] = scale * (seed / 2147483648 - 0.5);
    }
  };
  for (const K of [1, 3, 4, 10, 16, 33]) {
    for (const C of [1, 5, 16, 21, 36]) {
      const R = 3;
      const sa = K + 1;
      const sb = C + 3;
      const os = C + 2;
      const A = arena.alloc(R * sa + 1);
      const B = arena.alloc(K * sb + 2);
      const bias = arena.alloc(C);
      const O0 = new Float32Array(R * os + 3);
      fill(A);
      fill(B);
      fill(bias);
      fill(O0);
      const product = (r: number, c: number): number => {
        let s = 0;
        for (let k = 0; k < K; k++) s += A[1 + r * sa + k] * B[2 + k * sb + c];
        return s;
      };
      const check = (what: string, got: Float32Array, want: (r: number, c: number, old: number) => number): void => {
        for (let i = 0; i < got.length; i++) {
          const r = Math.floor((i - 3) / os);
          const c = (i - 3) % os;
          const inside = i >= 3 && r < R && c < C;
          const expected = inside ? want(r, c, O0[i]) : O0[i];
          assert.ok(Math.abs(got[i] - expected) <= 1e-5, `${what} K=${K} C=${C} [${i}]: ${got[i]} vs ${expected}`);
        }
      };
      for (const ar of [arena, js]) {
        const name = ar.simd ? "wasm" : "js";
        for (const acc of [false, true]) {
          const O = ar.alloc(O0.length);
          O.set(O0);
          ar.axpy(K, acc)(A, 1, sa, B, 2, sb, O, 3, os, R, C);
          check(`${name} axpy acc=${acc}`, O, (r, c, old) => product(r, c) + (acc ? old : 0));
        }
        for (const relu of [false, true]) {
          const O = ar.alloc(O0.length);
          O.set(O0);
          ar.biasAxpy(K, relu)(A, 1, sa, B, 2, sb, O, 3, os, R, C, bias);
          check(`${name} dense relu=${relu}`, O, (r, c) => {
            const v = product(r, c) + bias[c];
            return relu ? Math.max(v, 0) : v;
          });
        }
      }
    }
  }
  for (const N of [1, 3, 4, 10, 13]) {
    const stride = (N + 3) & ~3;
    const rows = 4;
    const P = arena.alloc(rows * stride + 4);
    fill(P, 40);
    P[2] = -200; // far below the row maximum: exp underflows
    const ref = Float32Array.from(P);
    arena.softmax()(P, 1, rows, N, stride);
    jsSoftmax(ref, 1, rows, N, stride);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < N; j++) {
        const i = 1 + r * stride + j;
        assert.ok(Math.abs(P[i] - ref[i]) <= 2e-6 * ref[i] + 1e-30, `softmax N=${N} [${r}, ${j}]: ${P[i]} vs ${ref[i]}`);
      }
    }
  }
});

test("fused engine allocates its arena for any shape (D, N, H, L)", () => {
  for (const [D, N, H, L] of [
    [1, 1, 1, 1],
    [3, 7, 3, 3],
    [16, 10, 2, 1],
    [64, 50, 4, 3],
    [33, 5, 1, 2],
  ]) {
    const eng = new FusedTransformer(D, N, H, L, "regression");
    assert.equal(eng.D, D);
  }
});
