/**
 * The general product of the fused engines, in AssemblyScript (compiled to WebAssembly SIMD by
 * `lib/scripts/build-kernels.mjs`; the readable TypeScript oracle is `KernelArena.gemm` with
 * `simd: false`, in `lib/src/fast/arena.ts`):
 *
 *   O[oo + r·os + c]  (=|+=)  [ReLU]( [bias[c] +] Σ_{k<K} A[ao + r·sa + k·ska] · B[bo + k·sb + c] )
 *
 * for r < R, c < C. Every offset and stride counts float32 entries of the one linear memory (the
 * arena); B is stored k-major (`[K, C]`), and `ska` ≠ 1 reads A transposed (e.g. `zᵀG` from a
 * row-major z). The sum runs k = 0, 1, …, K−1 in float32 for every output entry, starting from
 * the bias (or 0), then adds the old O (accumulate), then clamps at 0 (ReLU): the same order in
 * every code path below, so the SIMD lanes and the scalar tail give the same bits.
 *
 * Layout of the work ("axpy" form: a splat of one A entry times a row of B, added to a row of
 * f32x4 accumulators, so the vectors run along the output columns):
 *   - pairs of rows r, r+1 over blocks of 16 columns (8 accumulators; every B vector is loaded
 *     once for both rows, half the loads per multiply-add of a one-row block);
 *   - then each row of the pair alone over its remaining columns: blocks of 16, blocks of 4,
 *     then one column at a time;
 *   - a last odd row alone in the same way.
 */

/** `flags` bit: add the product to O instead of overwriting it. */
const ACCUMULATE: i32 = 1;
/** `flags` bit: clamp the result at 0 (a ReLU layer). */
const RELU: i32 = 2;
/** `flags` bit: start every column c from `bias[c]` instead of 0 (a dense layer). */
const BIAS: i32 = 4;

/** Byte address of float32 entry `index` of the memory. */
// @ts-ignore: decorator
@inline function at(index: i32): usize {
  return <usize>index << 2;
}

/** The epilogue of one f32x4 of outputs at byte address `out`: accumulate, ReLU, store. */
// @ts-ignore: decorator
@inline function finish(out: usize, sum: v128, flags: i32): void {
  if (flags & ACCUMULATE) sum = f32x4.add(sum, v128.load(out));
  if (flags & RELU) sum = f32x4.max(sum, f32x4.splat(0));
  v128.store(out, sum);
}

/** The epilogue of 16 outputs (four f32x4) from byte address `out`. */
// @ts-ignore: decorator
@inline function finish16(out: usize, sum0: v128, sum1: v128, sum2: v128, sum3: v128, flags: i32): void {
  finish(out, sum0, flags);
  finish(out + 16, sum1, flags);
  finish(out + 32, sum2, flags);
  finish(out + 48, sum3, flags);
}

/** The starting value of an f32x4 of outputs at column c: the bias row's four entries, or 0. */
// @ts-ignore: decorator
@inline function start(bias: i32, c: i32, lane: i32, flags: i32): v128 {
  return flags & BIAS ? v128.load(at(bias + c + 4 * lane)) : f32x4.splat(0);
}

/** Rows r and r+1, columns c … c+15: 8 accumulators. */
// @ts-ignore: decorator
@inline function pairBlock16(ao: i32, sa: i32, ska: i32, bo: i32, sb: i32, oo: i32, os: i32, K: i32, flags: i32, bias: i32, r: i32, c: i32): void {
  // sumRow{0,1}_{lane}: row r (0) or r+1 (1), columns c + 4·lane … c + 4·lane + 3
  let sum00 = start(bias, c, 0, flags), sum01 = start(bias, c, 1, flags), sum02 = start(bias, c, 2, flags), sum03 = start(bias, c, 3, flags);
  let sum10 = sum00, sum11 = sum01, sum12 = sum02, sum13 = sum03;
  let a0 = at(ao + r * sa); // A[r, k]
  let a1 = a0 + at(sa); // A[r + 1, k]
  let b = at(bo + c); // B[k, c]
  const aStep = at(ska);
  const bStep = at(sb);
  for (let k = 0; k < K; k++) {
    const x0 = f32x4.splat(load<f32>(a0));
    const x1 = f32x4.splat(load<f32>(a1));
    let row = v128.load(b, 0);
    sum00 = f32x4.add(sum00, f32x4.mul(x0, row));
    sum10 = f32x4.add(sum10, f32x4.mul(x1, row));
    row = v128.load(b, 16);
    sum01 = f32x4.add(sum01, f32x4.mul(x0, row));
    sum11 = f32x4.add(sum11, f32x4.mul(x1, row));
    row = v128.load(b, 32);
    sum02 = f32x4.add(sum02, f32x4.mul(x0, row));
    sum12 = f32x4.add(sum12, f32x4.mul(x1, row));
    row = v128.load(b, 48);
    sum03 = f32x4.add(sum03, f32x4.mul(x0, row));
    sum13 = f32x4.add(sum13, f32x4.mul(x1, row));
    a0 += aStep;
    a1 += aStep;
    b += bStep;
  }
  finish16(at(oo + r * os + c), sum00, sum01, sum02, sum03, flags);
  finish16(at(oo + (r + 1) * os + c), sum10, sum11, sum12, sum13, flags);
}

/** Row r, columns c … c+15: 4 accumulators. */
// @ts-ignore: decorator
@inline function rowBlock16(ao: i32, sa: i32, ska: i32, bo: i32, sb: i32, oo: i32, os: i32, K: i32, flags: i32, bias: i32, r: i32, c: i32): void {
  let sum0 = start(bias, c, 0, flags), sum1 = start(bias, c, 1, flags), sum2 = start(bias, c, 2, flags), sum3 = start(bias, c, 3, flags);
  let a = at(ao + r * sa);
  let b = at(bo + c);
  const aStep = at(ska);
  const bStep = at(sb);
  for (let k = 0; k < K; k++) {
    const x = f32x4.splat(load<f32>(a));
    sum0 = f32x4.add(sum0, f32x4.mul(x, v128.load(b, 0)));
    sum1 = f32x4.add(sum1, f32x4.mul(x, v128.load(b, 16)));
    sum2 = f32x4.add(sum2, f32x4.mul(x, v128.load(b, 32)));
    sum3 = f32x4.add(sum3, f32x4.mul(x, v128.load(b, 48)));
    a += aStep;
    b += bStep;
  }
  finish16(at(oo + r * os + c), sum0, sum1, sum2, sum3, flags);
}

/** Row r, columns c … c+3: one accumulator. */
// @ts-ignore: decorator
@inline function rowBlock4(ao: i32, sa: i32, ska: i32, bo: i32, sb: i32, oo: i32, os: i32, K: i32, flags: i32, bias: i32, r: i32, c: i32): void {
  let sum = start(bias, c, 0, flags);
  let a = at(ao + r * sa);
  let b = at(bo + c);
  const aStep = at(ska);
  const bStep = at(sb);
  for (let k = 0; k < K; k++) {
    sum = f32x4.add(sum, f32x4.mul(f32x4.splat(load<f32>(a)), v128.load(b)));
    a += aStep;
    b += bStep;
  }
  finish(at(oo + r * os + c), sum, flags);
}

/** Row r, column c alone (scalar float32, the same order as a lane). */
// @ts-ignore: decorator
@inline function rowColumn(ao: i32, sa: i32, ska: i32, bo: i32, sb: i32, oo: i32, os: i32, K: i32, flags: i32, bias: i32, r: i32, c: i32): void {
  let sum: f32 = flags & BIAS ? load<f32>(at(bias + c)) : 0;
  let a = at(ao + r * sa);
  let b = at(bo + c);
  const aStep = at(ska);
  const bStep = at(sb);
  for (let k = 0; k < K; k++) {
    sum = sum + load<f32>(a) * load<f32>(b);
    a += aStep;
    b += bStep;
  }
  const out = at(oo + r * os + c);
  if (flags & ACCUMULATE) sum = sum + load<f32>(out);
  if (flags & RELU) sum = max<f32>(sum, 0);
  store<f32>(out, sum);
}

/** Row r from column c0 to C: blocks of 16, then of 4, then single columns. */
// @ts-ignore: decorator
@inline function rowFrom(ao: i32, sa: i32, ska: i32, bo: i32, sb: i32, oo: i32, os: i32, C: i32, K: i32, flags: i32, bias: i32, r: i32, c0: i32): void {
  let c = c0;
  for (; C - c >= 16; c += 16) rowBlock16(ao, sa, ska, bo, sb, oo, os, K, flags, bias, r, c);
  for (; C - c >= 4; c += 4) rowBlock4(ao, sa, ska, bo, sb, oo, os, K, flags, bias, r, c);
  for (; c < C; c++) rowColumn(ao, sa, ska, bo, sb, oo, os, K, flags, bias, r, c);
}

/**
 * The product (see the top of this file). `flags`: ACCUMULATE | RELU | BIAS; `bias`: the offset
 * of the bias row (read only with BIAS); `ska`: A's stride along k (1 for a row-major A).
 */
export function gemm(ao: i32, sa: i32, bo: i32, sb: i32, oo: i32, os: i32, R: i32, C: i32, K: i32, flags: i32, bias: i32, ska: i32): void {
  let r = 0;
  for (; r + 1 < R; r += 2) {
    let c = 0;
    for (; C - c >= 16; c += 16) pairBlock16(ao, sa, ska, bo, sb, oo, os, K, flags, bias, r, c);
    rowFrom(ao, sa, ska, bo, sb, oo, os, C, K, flags, bias, r, c);
    rowFrom(ao, sa, ska, bo, sb, oo, os, C, K, flags, bias, r + 1, c);
  }
  for (; r < R; r++) rowFrom(ao, sa, ska, bo, sb, oo, os, C, K, flags, bias, r, 0);
}
