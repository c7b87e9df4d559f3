/**
 * The squared error with its gradient, and back-propagation through a ReLU, in AssemblyScript
 * (WebAssembly SIMD, four entries at a time and a scalar tail). Offsets count float32 entries.
 * The readable oracles are `KernelArena.squaredError` and `KernelArena.reluMask` with
 * `simd: false` (`lib/src/fast/arena.ts`).
 */

/**
 * Returns Σ_{i<n} (P[i] − Y[i])² and writes G[i] = c·(P[i] − Y[i]), set to 0 where `relu` ≠ 0 and
 * not P[i] > 0 (the gradient through a ReLU output layer). The sum is float32: four lane partial
 * sums over the first n − n mod 4 entries, a scalar sum over the tail, then
 * tail + lane 0 + lane 1 + lane 2 + lane 3.
 */
export function squaredError(po: i32, yo: i32, go: i32, n: i32, c: f32, relu: i32): f32 {
  let p = <usize>po << 2;
  let y = <usize>yo << 2;
  let g = <usize>go << 2;
  const n4 = n & ~3;
  const scale = f32x4.splat(c);
  let lanes = f32x4.splat(0);
  let i = 0;
  for (; i < n4; i += 4) {
    const pv = v128.load(p);
    const d = f32x4.sub(pv, v128.load(y));
    lanes = f32x4.add(lanes, f32x4.mul(d, d));
    let grad = f32x4.mul(d, scale);
    if (relu) grad = v128.and(grad, f32x4.gt(pv, f32x4.splat(0)));
    v128.store(g, grad);
    p += 16;
    y += 16;
    g += 16;
  }
  let tail: f32 = 0;
  for (; i < n; i++) {
    const pf = load<f32>(p);
    const d = pf - load<f32>(y);
    tail = tail + d * d;
    let grad = d * c;
    if (relu) grad = select<f32>(grad, 0, pf > 0);
    store<f32>(g, grad);
    p += 4;
    y += 4;
    g += 4;
  }
  return tail + f32x4.extract_lane(lanes, 0) + f32x4.extract_lane(lanes, 1) + f32x4.extract_lane(lanes, 2) + f32x4.extract_lane(lanes, 3);
}

/** P[i] = Z[i] > 0 ? P[i] : 0 for i < n (the gradient through a ReLU layer with pre-activation Z). */
export function reluMask(po: i32, zo: i32, n: i32): void {
  let p = <usize>po << 2;
  let z = <usize>zo << 2;
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    v128.store(p, v128.and(v128.load(p), f32x4.gt(v128.load(z), f32x4.splat(0))));
    p += 16;
    z += 16;
  }
  for (; i < n; i++) {
    store<f32>(p, select<f32>(load<f32>(p), 0, load<f32>(z) > 0));
    p += 4;
    z += 4;
  }
}
