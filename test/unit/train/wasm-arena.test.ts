import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BackendError } from "../../../lib/src/errors";
import { KernelArena, KernelLoadError, KERNELS_WASM, loadKernelModule, wasmSimdAvailable } from "../../../lib/src/fast/arena";

let seed = 11;
function fill(a: Float32Array, scale = 1): Float32Array {
  for (let i = 0; i < a.length; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    a[i] = scale * (seed / 2147483648 - 0.5);
  }
  return a;
}

/** The compiled module's arena and the TypeScript oracle's, in that order. */
const arenas = (): KernelArena[] => {
  const wasm = new KernelArena(1 << 16);
  assert.ok(wasm.simd, "WebAssembly SIMD is available on Node ≥ 16.4");
  return [wasm, new KernelArena(1 << 16, false)];
};

/** Asserts two float32 arrays are equal bit for bit (−0 ≠ +0 here), naming the first difference. */
function sameBits(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length, what);
  const [x, y] = [new Uint32Array(Float32Array.from(a).buffer), new Uint32Array(Float32Array.from(b).buffer)];
  const i = x.findIndex((v, j) => v !== y[j]);
  assert.equal(i, -1, `${what}: [${i}] ${a[i]} vs ${b[i]}`);
}

test("gemm: A read with any k-stride (transposed operands), bias, ReLU, accumulate; wasm == TypeScript bit for bit, both ≈ float64 reference", () => {
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
        const outs: Float32Array[] = [];
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
          outs.push(Float32Array.from(O));
        }
        // Same float32 operations in the same order (k ascending, then + O, then the ReLU): the same bits.
        sameBits(outs[0], outs[1], `wasm vs TypeScript R=${R} C=${C} K=${K} T=${transposedA} ${JSON.stringify(flags)}`);
      }
    }
  }
});

test("squaredError and reluMask: wasm == TypeScript (gradients bit for bit; sums ≈ float64) == reference (lengths not multiples of 4, ReLU mask)", () => {
  for (const n of [1, 3, 4, 7, 4096, 4099]) {
    const P0 = fill(new Float32Array(n), 2);
    P0[0] = 0; // exactly zero: masked (not > 0)
    const Y0 = fill(new Float32Array(n));
    const Z0 = fill(new Float32Array(n));
    for (const relu of [false, true]) {
      let want = 0;
      for (let i = 0; i < n; i++) want += (P0[i] - Y0[i]) ** 2;
      const grads: Float32Array[] = [];
      const masked: Float32Array[] = [];
      for (const ar of arenas()) {
        const [P, Y, G, Z] = [ar.alloc(n), ar.alloc(n), ar.alloc(n), ar.alloc(n)];
        P.set(P0);
        Y.set(Y0);
        Z.set(Z0);
        const got = ar.squaredError(P, Y, G, n, 2 / 3, relu);
        const what = `${ar.simd ? "wasm" : "js"} n=${n} relu=${relu}`;
        assert.ok(Math.abs(got - want) <= 1e-6 * want, `${what}: ${got} vs ${want}`);
        for (let i = 0; i < n; i++) {
          const g = relu && !(P0[i] > 0) ? 0 : Math.fround(Math.fround(P0[i] - Y0[i]) * Math.fround(2 / 3)); // the scale enters as float32
          assert.equal(G[i], g, `${what} G[${i}]`);
        }
        grads.push(Float32Array.from(G));
        G.set(P0);
        ar.reluMask(G, Z, n);
        for (let i = 0; i < n; i++) assert.equal(G[i], Z0[i] > 0 ? P0[i] : 0, `${what} mask[${i}]`);
        masked.push(Float32Array.from(G));
      }
      sameBits(grads[0], grads[1], `gradient wasm vs TypeScript n=${n} relu=${relu}`);
      sameBits(masked[0], masked[1], `ReLU mask wasm vs TypeScript n=${n}`);
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
    return Float32Array.from(T);
  });
  for (let i = 0; i < n; i++) {
    const step = Math.abs(th[i] - theta0[i]);
    // Each float32 entry within a few ulps of θ plus 1e-4 of its (float64) change.
    for (const r of results) assert.ok(Math.abs(r[i] - th[i]) <= 4e-7 * Math.abs(th[i]) + 1e-4 * step, `[${i}] ${r[i]} vs ${th[i]}`);
  }
  // Every operation rounded to float32 in both, in the same order (√ and ÷ are correctly rounded): the same bits.
  sameBits(results[0], results[1], "Adam wasm vs TypeScript");
});

test("softmax: wasm (f32x4 polynomial exp) ≈ TypeScript (Math.exp) to float32 rounding; rows sum to 1; padding rows untouched", () => {
  for (const [rows, N] of [[1, 1], [3, 5], [7, 10], [2, 16], [5, 33]]) {
    const stride = (N + 3) & ~3;
    const P0 = fill(new Float32Array(2 + (rows + 1) * stride), 30); // logits in [−15, 15]: exp over ~13 decades
    const outs = arenas().map((ar) => {
      const P = ar.alloc(P0.length);
      P.set(P0);
      ar.softmax()(P, 2, rows, N, stride);
      return Float32Array.from(P);
    });
    for (let r = 0; r < rows; r++) {
      const row = P0.subarray(2 + r * stride, 2 + r * stride + N);
      const m = Math.max(...row);
      let sum = 0;
      for (let j = 0; j < N; j++) {
        const [w, t] = [outs[0][2 + r * stride + j], outs[1][2 + r * stride + j]];
        sum += w;
        // The kernel rounds x − m to float32 (a relative error of 2⁻²⁴·|x − m| in exp), then adds the
        // polynomial's and the normalisation's few ulps: measured ≤ 3.2e-7·(1 + |x − m|) here; bound 8·2⁻²⁴·(1 + |x − m|).
        assert.ok(Math.abs(w - t) <= 8 * 2 ** -24 * (1 + Math.abs(row[j] - m)) * t, `rows=${rows} N=${N} [${r}, ${j}]: ${w} vs ${t}`);
      }
      assert.ok(Math.abs(sum - 1) <= 1e-6 * N, `row ${r} sums to ${sum}`);
    }
    const after = 2 + rows * stride;
    for (const out of outs) {
      sameBits(out.subarray(after), P0.subarray(after), `past the last row (rows=${rows} N=${N})`);
      sameBits(out.subarray(0, 2), P0.subarray(0, 2), `before the first row (rows=${rows} N=${N})`);
    }
  }
});

test("loading: the built module is the one used; a missing, corrupt or incomplete module throws KernelLoadError (no silent fallback)", () => {
  assert.ok(wasmSimdAvailable(), "WebAssembly SIMD is available on Node ≥ 16.4");
  assert.ok(new KernelArena(16).simd, `arenas run the compiled kernels from ${KERNELS_WASM}`);
  assert.doesNotThrow(() => loadKernelModule());
  const dir = mkdtempSync(join(tmpdir(), "kernels-"));
  try {
    const cases: [name: string, bytes: Uint8Array | null, message: RegExp][] = [
      ["missing.wasm", null, /not readable .*npm run build/],
      ["corrupt.wasm", new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 2, 3]), /not a valid WebAssembly SIMD module/],
      ["empty.wasm", new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]), /lacks the kernels gemm, softmax, squaredError, reluMask, adam/],
    ];
    for (const [name, bytes, message] of cases) {
      const path = join(dir, name);
      if (bytes !== null) writeFileSync(path, bytes);
      assert.throws(() => loadKernelModule(path), (err: unknown) => err instanceof KernelLoadError && err instanceof BackendError && message.test(err.message), name);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
