/**
 * One Adam step (PyTorch's `torch.optim.Adam`, L2 weight decay added to the gradient) over n
 * float32 entries, in AssemblyScript (WebAssembly SIMD, four entries at a time and a scalar tail
 * with the same operations). Offsets count float32 entries; the learning rate and the weight
 * decay are per entry (arrays), the rest are this step's constants:
 *
 *   g = G + wd·θ;   m ← β1·m + (1−β1)·g;   v ← β2·v + (1−β2)·g²;
 *   θ ← θ − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε)
 *
 * The readable oracle is `KernelArena.adam` with `simd: false` (`lib/src/fast/arena.ts`, every
 * operation rounded to float32: the same bits).
 */
export function adam(
  thetaO: i32, mO: i32, vO: i32, gradO: i32, lrO: i32, wdO: i32, n: i32,
  beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32, eps: f32, bc1: f32, sqrtBc2: f32,
): void {
  const theta = <usize>thetaO << 2;
  const m = <usize>mO << 2;
  const v = <usize>vO << 2;
  const grad = <usize>gradO << 2;
  const lr = <usize>lrO << 2;
  const wd = <usize>wdO << 2;
  const b1 = f32x4.splat(beta1), c1 = f32x4.splat(oneMinusBeta1);
  const b2 = f32x4.splat(beta2), c2 = f32x4.splat(oneMinusBeta2);
  const epsV = f32x4.splat(eps), bc1V = f32x4.splat(bc1), sqrtBc2V = f32x4.splat(sqrtBc2);
  const n4 = n & ~3;
  let i = 0;
  let o: usize = 0; // byte offset of entry i
  for (; i < n4; i += 4, o += 16) {
    const th = v128.load(theta + o);
    const g = f32x4.add(v128.load(grad + o), f32x4.mul(v128.load(wd + o), th));
    const mi = f32x4.add(f32x4.mul(b1, v128.load(m + o)), f32x4.mul(c1, g));
    v128.store(m + o, mi);
    const vi = f32x4.add(f32x4.mul(b2, v128.load(v + o)), f32x4.mul(c2, f32x4.mul(g, g)));
    v128.store(v + o, vi);
    const step = f32x4.mul(f32x4.div(v128.load(lr + o), bc1V), f32x4.div(mi, f32x4.add(f32x4.div(f32x4.sqrt(vi), sqrtBc2V), epsV)));
    v128.store(theta + o, f32x4.sub(th, step));
  }
  for (; i < n; i++, o += 4) {
    const th = load<f32>(theta + o);
    const g = load<f32>(grad + o) + load<f32>(wd + o) * th;
    const mi = beta1 * load<f32>(m + o) + oneMinusBeta1 * g;
    store<f32>(m + o, mi);
    const vi = beta2 * load<f32>(v + o) + oneMinusBeta2 * (g * g);
    store<f32>(v + o, vi);
    const step = (load<f32>(lr + o) / bc1) * (mi / (sqrt<f32>(vi) / sqrtBc2 + eps));
    store<f32>(theta + o, th - step);
  }
}
