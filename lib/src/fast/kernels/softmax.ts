/**
 * Row softmax in place, in AssemblyScript (WebAssembly SIMD): `rows` rows of N entries, row i at
 * float32 offset `po + i·stride`, with `stride` ≥ N rounded up to 4 (the entries past N are
 * scratch: the vector loops run over whole f32x4 blocks).
 *
 * Per row: the maximum m (scalar, in order), then e_j = exp(x_j − m) four at a time, their sum s
 * (scalar, in order), then e_j · (1/s) four at a time. The readable oracle is `jsSoftmax` in
 * `lib/src/fast/arena.ts` (Math.exp in float64: equal to float32 rounding, not bit for bit).
 */

/**
 * exp of four float32 at once, by the Cephes `expf` scheme: x = n·ln 2 + t with n an integer and
 * |t| ≤ ln 2 / 2, exp(t) by a degree-7 polynomial, 2ⁿ from the exponent bits. Inputs below −87.3
 * are raised to −87.3 (so 2ⁿ stays a normal float): exp(−87.3) ≈ 1e-38 instead of a smaller
 * number, which no softmax weight can tell apart.
 */
// @ts-ignore: decorator
@inline function exp4(v: v128): v128 {
  const x0 = f32x4.max(v, f32x4.splat(-87.3));
  // n = nearest(x / ln 2)
  const n = f32x4.nearest(f32x4.mul(x0, f32x4.splat(1.44269504088896341)));
  // t = x − n·ln 2, with ln 2 split in two (0.693359375 exactly, and the rest) for accuracy
  const t = f32x4.sub(f32x4.sub(x0, f32x4.mul(n, f32x4.splat(0.693359375))), f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  // exp(t) ≈ 1 + t + t²·(½ + t·(1/6 + t·(1/24 + t·(1/120 + t·(1/720 + t/5040)))))  (Cephes' fitted coefficients)
  let p = f32x4.add(f32x4.mul(f32x4.splat(1.987569150e-4), t), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(t, t)), t), f32x4.splat(1));
  // 2ⁿ: the float32 with exponent field n + 127 and a zero mantissa
  const twoToN = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, twoToN);
}

/** Softmax of each row (see the top of this file). */
export function softmax(po: i32, rows: i32, N: i32, stride: i32): void {
  const end = <usize>N << 2; // bytes of a row's N entries
  for (let i = 0; i < rows; i++) {
    const row = <usize>(po + i * stride) << 2;
    const rowEnd = row + end;
    // the row's maximum
    let m = load<f32>(row);
    for (let p = row + 4; p < rowEnd; p += 4) m = max<f32>(m, load<f32>(p));
    // e_j = exp(x_j − m), whole f32x4 blocks
    const mv = f32x4.splat(m);
    for (let p = row; p < rowEnd; p += 16) v128.store(p, exp4(f32x4.sub(v128.load(p), mv)));
    // s = Σ_j e_j in order, then scale by 1/s
    let s: f32 = 0;
    for (let p = row; p < rowEnd; p += 4) s = s + load<f32>(p);
    const inv = f32x4.splat(<f32>1 / s);
    for (let p = row; p < rowEnd; p += 16) v128.store(p, f32x4.mul(v128.load(p), inv));
  }
}
