import { test } from "node:test";
import assert from "node:assert/strict";
import { KernelArena } from "../../../lib/src/tf/wasm-arena";

let seed = 11;
function fill(a: Float32Array, scale = 1): Float32Array {
  for (let i = 0; i < a.length; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    a[i] = scale * (seed / 2147483648 - 0.5);
  }
  return a;
}

const arenas = (): KernelArena[] => {
  const wasm = new KernelArena(1 << 16);
  assert.ok(wasm.simd, "WebAssembly SIMD is available on Node ≥ 16.4");
  return [wasm, new KernelArena(1 << 16, false)];
};

test("gemm: A read with any k-stride (transposed operands), bias, ReLU, accumulate; wasm == JS == reference", () => {
  for (const [R, C, K] of [[16, 16, 256], [3, 5, 7], [1, 16, 33], [17, 4, 2]]) {
    for (const transposedA of [false, true]) {
      // A stored [R, K] (sa = K + 1, ska = 1) or [K, R] (sa = 1, ska = R + 2): same logical A.
      const sa = transposedA ? 1 : K + 1;
      const ska = transposedA ? R + 2 : 1;
      const aLen = transposedA ? K * ska + 1 : R * sa + 1;
      const sb = C + 1;
      const os = C + 3;
      const A0 = fill(new Float32Array(aLen));
      const B0 = fill(new Float32Array(K * sb + 2));
      const bias0 = fill(new Float32Array(C));
      const O0 = fill(new Float32Array(R * os + 2));
      for (const flags of [{}, { accumulate: true }, { bias: true, relu: true }, { relu: true, accumulate: true }]) {
        for (const ar of arenas()) {
          const A = ar.alloc(aLen);
          A.set(A0);
          const B = ar.alloc(B0.length);
          B.set(B0);
          const bias = ar.alloc(C);
          bias.set(bias0);
          const O = ar.alloc(O0.length);
          O.set(O0);
          const opts = { accumulate: "accumulate" in flags, relu: "relu" in flags, bias: "bias" in flags ? bias : undefined };
          ar.gemm(opts, A, 1, sa, ska, B, 2, sb, O, 2, os, R, C, K);
          for (let i = 0; i < O.length; i++) {
            const r = Math.floor((i - 2) / os);
            const c = (i - 2) % os;
            let want = O0[i];
            if (i >= 2 && r < R && c < C) {
              let s = opts.bias === undefined ? 0 : bias0[c];
              for (let k = 0; k < K; k++) s += A0[1 + r * sa + k * ska] * B0[2 + k * sb + c];
              if (opts.accumulate) s += O0[i];
              want = opts.relu ? Math.max(s, 0) : s;
            }
            assert.ok(Math.abs(O[i] - want) <= 2e-5 * Math.max(1, Math.sqrt(K)), `${ar.simd ? "wasm" : "js"} R=${R} C=${C} K=${K} T=${transposedA} ${JSON.stringify(flags)} [${i}]: ${O[i]} vs ${want}`);
          }
        }
      }
    }
  }
});

test("squaredError and reluMask: wasm == JS == reference (lengths not multiples of 4, ReLU mask, NaN-free zeros)", () => {
  for (const n of [1, 3, 4, 7, 4096, 4099]) {
    const P0 = fill(new Float32Array(n), 2);
    P0[0] = 0; // exactly zero: masked (not > 0)
    const Y0 = fill(new Float32Array(n));
    const Z0 = fill(new Float32Array(n));
    for (const relu of [false, true]) {
      let want = 0;
      for (let i = 0; i < n; i++) want += (P0[i] - Y0[i]) ** 2;
      for (const ar of arenas()) {
        const [P, Y, G, Z] = [ar.alloc(n), ar.alloc(n), ar.alloc(n), ar.alloc(n)];
        P.set(P0);
        Y.set(Y0);
        Z.set(Z0);
        const got = ar.squaredError(P, Y, G, n, 0.25, relu);
        const what = `${ar.simd ? "wasm" : "js"} n=${n} relu=${relu}`;
        assert.ok(Math.abs(got - want) <= 1e-6 * want, `${what}: ${got} vs ${want}`);
        for (let i = 0; i < n; i++) {
          const g = relu && !(P0[i] > 0) ? 0 : Math.fround(Math.fround(P0[i] - Y0[i]) * 0.25);
          assert.equal(G[i], g, `${what} G[${i}]`);
        }
        G.set(P0);
        ar.reluMask(G, Z, n);
        for (let i = 0; i < n; i++) assert.equal(G[i], Z0[i] > 0 ? P0[i] : 0, `${what} mask[${i}]`);
      }
    }
  }
});

test("adam kernel: wasm == JS fallback (float32) == PyTorch's update in float64, over 3 steps with weight decay", () => {
  const n = 4099;
  const theta0 = fill(new Float32Array(n), 2);
  const lr0 = new Float32Array(n).map((_, i) => [1e-2, 1e-3, 1e-4][i % 3]);
  const wd0 = new Float32Array(n).map((_, i) => [0, 1e-4, 1e-2][i % 3]);
  const grads = [0, 1, 2].map(() => fill(new Float32Array(n)));
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  // Reference in float64.
  const th = Float64Array.from(theta0);
  const m = new Float64Array(n);
  const v = new Float64Array(n);
  grads.forEach((G, s) => {
    const t = s + 1;
    for (let i = 0; i < n; i++) {
      const g = G[i] + wd0[i] * th[i];
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      th[i] -= (lr0[i] / (1 - b1 ** t)) * (m[i] / (Math.sqrt(v[i]) / Math.sqrt(1 - b2 ** t) + eps));
    }
  });
  const results = arenas().map((ar) => {
    const [T, M, V, G, LR, WD] = [ar.alloc(n), ar.alloc(n), ar.alloc(n), ar.alloc(n), ar.alloc(n), ar.alloc(n)];
    T.set(theta0);
    LR.set(lr0);
    WD.set(wd0);
    grads.forEach((g, s) => {
      G.set(g);
      const t = s + 1;
      ar.adam(T, M, V, G, LR, WD, n, { beta1: b1, c1: 1 - b1, beta2: b2, c2: 1 - b2, eps, bc1: 1 - b1 ** t, sqrtBc2: Math.sqrt(1 - b2 ** t) });
    });
    return Array.from(T);
  });
  for (let i = 0; i < n; i++) {
    const step = Math.abs(th[i] - theta0[i]);
    // Each float32 entry within a few ulps of θ plus 1e-4 of its (float64) change.
    for (const r of results) assert.ok(Math.abs(r[i] - th[i]) <= 4e-7 * Math.abs(th[i]) + 1e-4 * step, `[${i}] ${r[i]} vs ${th[i]}`);
    assert.ok(Math.abs(results[0][i] - results[1][i]) <= 2.4e-7 * Math.abs(th[i]), `wasm vs js [${i}]`);
  }
});
