import { test } from "node:test";
import assert from "node:assert/strict";
import { stream } from "../../../lib/src/linalg/random";
import { fillGaussianRows, fillGaussianSequences } from "../../../lib/src/linalg/draw";

/** Bit patterns of float64 values (so −0, NaN and every last bit count). */
const bits = (xs: ArrayLike<number>): string[] => Array.from(xs, (x) => Buffer.from(new Float64Array([x]).buffer).toString("hex"));

test("fillNormal == repeated normal() bit for bit: float64 and float32 arrays, offsets, strides, the spare carried across calls", () => {
  const bulk = stream(11, "train");
  const one = stream(11, "train");
  // Odd and even counts, a draw by normal() in between (which takes or leaves the spare), a zero count.
  const plan: [count: number, start: number, stride: number, single: boolean][] = [
    [5, 0, 1, false], [4, 2, 3, false], [0, 0, 1, false], [7, 1, 2, true], [1, 0, 1, true], [16, 3, 1, false], [257, 0, 16, true],
  ];
  for (const [count, start, stride, single] of plan) {
    const length = start + Math.max(0, count - 1) * stride + 1;
    const out = single ? new Float32Array(length).fill(-7) : new Float64Array(length).fill(-7);
    bulk.fillNormal(out, start, count, stride);
    const want = new Float64Array(length).fill(-7);
    for (let t = 0; t < count; t++) want[start + t * stride] = single ? Math.fround(one.normal()) : one.normal();
    assert.deepEqual(bits(out), bits(want), `count ${count}, start ${start}, stride ${stride}, ${single ? "float32" : "float64"}`);
    assert.equal(bulk.normal(), one.normal(), `the stream continues identically after a fill of ${count}`);
  }
  assert.equal(bulk.uniform(), one.uniform(), "uniform draws continue identically (the state was written back)");
  const whole = new Float64Array(9);
  stream(4, "test").fillNormal(whole);
  const ref = stream(4, "test");
  assert.deepEqual(bits(whole), bits(Array.from({ length: 9 }, () => ref.normal())), "default arguments fill the whole array");
});

test("fillGaussianRows / fillGaussianSequences: the gaussianInputs order (feature-major) of normal() draws", () => {
  const [n, N, D] = [7, 3, 5];
  const rows = new Float32Array(2 + n * D);
  fillGaussianRows(stream(2, "validation"), rows, 2, n, D);
  const seqs = new Float32Array(n * N * D);
  fillGaussianSequences(stream(2, "validation"), seqs, 0, n, N, D);
  const a = stream(2, "validation");
  const b = stream(2, "validation");
  const wantRows = new Float32Array(2 + n * D);
  const wantSeqs = new Float32Array(n * N * D);
  for (let i = 0; i < D; i++) for (let j = 0; j < n; j++) wantRows[2 + j * D + i] = a.normal();
  for (let e = 0; e < n; e++) for (let i = 0; i < D; i++) for (let t = 0; t < N; t++) wantSeqs[e * N * D + t * D + i] = b.normal();
  assert.deepEqual(bits(rows), bits(wantRows));
  assert.deepEqual(bits(seqs), bits(wantSeqs));
});
