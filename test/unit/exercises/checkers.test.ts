// Every exercise's checker accepts a right answer, rejects plausible wrong ones with a hint that does
// not contain the expected value, says "not answered yet" for undefined, and never throws on a
// learner's bad answer (wrong type, a function that throws).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Matrix } from "ml-matrix";
import {
  gradeExercise, assertExercise, exerciseCatalogue, ExerciseIncorrect, ExerciseDataError, UnknownExercise, exercise,
} from "../../../lib/src/exercises";
import { exactFromReference } from "../../../lib/src/exercises/nb10";
import { add, identity, invert, matVec, maxRowNorm, mmul, product, sub, addColumn, vectorNorm, scale } from "../../../lib/src/linalg/matrix";
import { lowRankApprox, singularValues, svd } from "../../../lib/src/linalg/svd";
import { constructFNN } from "../../../lib/src/construct/fnn";
import { lemma1Construct } from "../../../lib/src/construct/lemma1";
import { makeFNNPair, makeTransformerPair } from "../../../lib/src/models/targets";
import { loadBestResults } from "../../../lib/src/experiments/sweep/load";
import type { Transformer } from "../../../lib/src/models/types";

type Case = { nb: string; id: string; right: unknown; wrong: unknown[]; data?: Record<string, unknown> };

const diagE = Matrix.diag([1, 0.5, 0.1, 0.01]);
const lin2 = makeFNNPair({ width: 8, targetDepth: 1, frozenDepth: 2, activation: "linear", bias: false, seed: 5 });
const lin2Ws = lin2.frozen.layers.map((l) => l.W), lin2Wbar = lin2.target.layers[0].W;
const tight = lemma1Construct(lin2Ws, lin2Wbar, 3);
const lin4 = makeFNNPair({ width: 16, targetDepth: 1, frozenDepth: 4, activation: "linear", bias: false, seed: 4 });
const lin4Ws = lin4.frozen.layers.map((l) => l.W), lin4Wbar = lin4.target.layers[0].W;
const p0 = makeFNNPair({ width: 16, targetDepth: 1, frozenDepth: 2, activation: "relu", bias: true, seed: 0 });
const rho = 25;
const ballW1 = constructFNN(p0.frozen, p0.target, { rank: 6, bias: { mode: "bound", rho: rho } }).adapted.layers[0].W;
const calib = makeFNNPair({ width: 16, targetDepth: 1, frozenDepth: 2, activation: "relu", bias: true, seed: 1 });

function fltCount(): number {
  const rows = loadBestResults("flt")!.rows;
  return rows.filter((f) => f.method === "flt" && rows.some((g) => g.method === "sgd" && g.frozen === f.frozen && g.params === f.params && f.test_loss < g.test_loss)).length;
}

function fnnRatio(): number {
  const rows = loadBestResults("fnn")!.rows;
  const at = (fr: string) => rows.find((r) => r.point === "L̄=1, L=2" && r.method === "ours" && r.frozen === fr && r.x === 7)!.test_loss;
  return at("random") / at("pretrained");
}

const cases: Case[] = [
  { nb: "00", id: "ex1", right: 1024, wrong: [512, 256, 1024.5] },
  { nb: "00", id: "ex2", right: 6, wrong: [5, 7, 12] },
  { nb: "00", id: "ex3", right: (D: number, R: number) => (2 * R) / D, wrong: [(D: number, R: number) => R / D, (D: number, R: number) => 2 * R * D] },
  { nb: "01", id: "ex1", right: { spectral: 2, frobenius: Math.sqrt(5) }, wrong: [{ spectral: 3, frobenius: Math.sqrt(5) }, { spectral: 2, frobenius: 3 }] },
  { nb: "01", id: "ex2", right: (M: Matrix) => singularValues(M)[1], wrong: [(M: Matrix) => singularValues(M)[0], (M: Matrix) => singularValues(M)[2] ?? 0] },
  { nb: "01", id: "ex3", right: 9, wrong: [10, 8] },
  { nb: "02", id: "ex1", right: { spectral: 2, mse: 5 / 4 }, wrong: [{ spectral: 2, mse: 5 }, { spectral: 3, mse: 5 / 4 }] },
  { nb: "02", id: "ex2", right: (W: Matrix, Wbar: Matrix, R: number) => lowRankApprox(sub(Wbar, W), R), wrong: [(W: Matrix, Wbar: Matrix, R: number) => lowRankApprox(Wbar, R), (W: Matrix, Wbar: Matrix, R: number) => lowRankApprox(sub(Wbar, W), R + 1)] },
  { nb: "02", id: "ex3", right: 2, wrong: [1, 3], data: { E: diagE } },
  { nb: "02", id: "ex4", right: { rank: 8, exact: true }, wrong: [{ rank: 8, exact: false }, { rank: 4, exact: true }], data: { E: diagE } },
  { nb: "03", id: "ex1", right: 4, wrong: [3, 12] },
  { nb: "03", id: "ex2", right: singularValues(Matrix.diag([8, 7, 6, 5, 4, 3, 2, 1]))[6], wrong: [3, 1], data: { E: Matrix.diag([8, 7, 6, 5, 4, 3, 2, 1]), L: 2 } },
  {
    nb: "03", id: "ex3",
    right: (W1: Matrix, W2: Matrix, Wbar: Matrix, r: number) => {
      const E = sub(Wbar, mmul(W2, W1));
      const V1 = svd(E).V.subMatrix(0, E.rows - 1, 0, r - 1);
      return mmul(mmul(invert(W2), E), mmul(V1, V1.transpose()));
    },
    wrong: [(W1: Matrix, W2: Matrix, Wbar: Matrix, r: number) => { const E = sub(Wbar, mmul(W2, W1)); const U1 = svd(E).U.subMatrix(0, E.rows - 1, 0, r - 1); return mmul(mmul(invert(W2), E), mmul(U1, U1.transpose())); }],
  },
  { nb: "03", id: "ex4", right: { maxRank: 6, exactRank: 6 }, wrong: [{ maxRank: 2, exactRank: 6 }, { maxRank: 6, exactRank: 5 }] },
  { nb: "04", id: "ex1", right: 4, wrong: [3, 5] },
  {
    nb: "04", id: "ex2",
    right: (Ws: Matrix[], bs: number[][], bbar: number[]) => { const out = [...bbar]; bs.forEach((b, l) => { const m = matVec(product(Ws.slice(l + 1)), b); m.forEach((v, i) => (out[i] -= v)); }); return out; },
    wrong: [(Ws: Matrix[], bs: number[][], bbar: number[]) => [...bbar], (Ws: Matrix[], bs: number[][], bbar: number[]) => { const out = [...bbar]; bs.forEach((b, l) => { const m = matVec(product(Ws.slice(l)), b); m.forEach((v, i) => (out[i] -= v)); }); return out; }],
  },
  { nb: "04", id: "ex3", right: rho * maxRowNorm(ballW1), wrong: [rho * maxRowNorm(p0.frozen.layers[0].W), maxRowNorm(ballW1)], data: { frozen: p0.frozen, target: p0.target, rho: rho } },
  { nb: "05", id: "ex1", right: 4, wrong: [2, 6] },
  { nb: "05", id: "ex2", right: [[0, 1, 2], [3]], wrong: [[[0, 1], [2, 3]], [[0], [1, 2, 3]], [[0, 1, 2, 3]]] },
  { nb: "05", id: "ex3", right: { allocation: [2, 14, 8, 8], smallestTotal: 32 }, wrong: [{ allocation: [2, 13, 8, 8], smallestTotal: 32 }, { allocation: [2, 14, 8, 8], smallestTotal: 16 }] },
  {
    nb: "05", id: "ex4",
    right: (W1: Matrix, b1: number[], x: Matrix) => {
      const pre = addColumn(mmul(W1, x), b1).getColumn(0);
      const e = Matrix.zeros(W1.rows, 1);
      e.set(pre.findIndex((v) => v < 0), 0, 1);
      const d = mmul(invert(W1), e);
      return sub(x, scale(d, 2 / vectorNorm(d.getColumn(0))));
    },
    wrong: [(W1: Matrix, b1: number[], x: Matrix) => add(x, Matrix.ones(x.rows, 1)), (W1: Matrix, b1: number[], x: Matrix) => x],
  },
  { nb: "06", id: "ex1", right: 0.25, wrong: [1, 0.5], data: { s: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.25, 0.1] } },
  { nb: "06", id: "ex2", right: 3, wrong: [4, 9, 10] },
  { nb: "06", id: "ex3", right: svd(tight.discrepancy).V.getColumnVector(6), wrong: [svd(tight.discrepancy).V.getColumnVector(0), scale(svd(tight.discrepancy).V.getColumnVector(6), 2)], data: { adapted: tight.adapted, Wbar: lin2Wbar, frozen: lin2Ws, R: 3 } },
  {
    nb: "06", id: "ex4",
    right: (spectra: number[][], budget: number, start: number[]) => {
      const g = [...start];
      while (g.reduce((a, v) => a + v, 0) < budget) {
        let best = 0;
        for (let i = 1; i < g.length; i++) if ((spectra[i][g[i]] ?? 0) > (spectra[best][g[best]] ?? 0)) best = i;
        g[best]++;
      }
      return g;
    },
    wrong: [
      (spectra: number[][], budget: number) => spectra.map((_, i) => Math.floor(budget / spectra.length) + (i < budget % spectra.length ? 1 : 0)),
      (spectra: number[][], budget: number, start: number[]) => { const g = [...start]; while (g.reduce((a, v) => a + v, 0) < budget) { let best = 0; for (let i = 1; i < g.length; i++) if ((spectra[i][g[i] - 1] ?? 0) > (spectra[best][g[best] - 1] ?? 0)) best = i; g[best]++; } return g; },
    ],
  },
  { nb: "07", id: "ex1", right: 6, wrong: [12, 3] },
  { nb: "07", id: "ex2", right: 6, wrong: [3, 9] },
  { nb: "07", id: "ex3", right: 26 * 2 * 5 * 12 + 2 * 2 * 12, wrong: [26 * 2 * 5 * 12, 24 * 2 * 5 * 12 + 48] },
  {
    nb: "07", id: "ex4",
    right: (f: Transformer, t: Transformer, l: number) => (l === 0 ? identity(f.width) : mmul(t.blocks[l - 1].W2, invert(f.blocks[l - 1].W2))),
    wrong: [(f: Transformer, t: Transformer, l: number) => (l === 0 ? identity(f.width) : mmul(invert(f.blocks[l - 1].W2), t.blocks[l - 1].W2)), (f: Transformer) => identity(f.width)],
  },
  { nb: "07", id: "ex5", right: 1, wrong: [2, 8] },
  { nb: "08", id: "ex1", right: 504, wrong: [432, 72] },
  { nb: "08", id: "ex2", right: 6, wrong: [3, 12] },
  {
    nb: "08", id: "ex3",
    right: (W1: Matrix, b1: number[]) => mmul(invert(W1), sub(scale(Matrix.ones(W1.rows, 1), -1), Matrix.columnVector(b1))),
    wrong: [(W1: Matrix) => Matrix.zeros(W1.rows, 1), (W1: Matrix, b1: number[]) => mmul(invert(W1), sub(Matrix.ones(W1.rows, 1), Matrix.columnVector(b1)))],
  },
  { nb: "08", id: "ex4", right: false, wrong: [true] },
  { nb: "09", id: "ex1", right: 8, wrong: [6, 3, 7] },
  {
    nb: "09", id: "ex2",
    right: (E: Matrix, ranks: number[]) => { const s = singularValues(E), k = ranks.reduce((a, b) => a + b, 0); return k < s.length ? s[k] : 0; },
    wrong: [(E: Matrix, ranks: number[]) => singularValues(E)[Math.max(...ranks) * ranks.length] ?? 0, (E: Matrix, ranks: number[]) => singularValues(E)[ranks.reduce((a, b) => a + b, 0) + 1] ?? 0],
  },
  { nb: "09", id: "ex3", right: [1, 2, 3, 4], wrong: [[2, 2, 3, 4], [1, 1, 1, 1], [1, 2, 3, 5]], data: { frozen: lin4Ws, target: lin4Wbar } },
  { nb: "10", id: "ex1", right: fnnRatio(), wrong: [1 / fnnRatio(), 2 * fnnRatio()] },
  { nb: "10", id: "ex2", right: "npm run sweep -- --preset flt --budget course  &&  npm run figures", wrong: ["npm run sweep -- --preset flt --budget paper && npm run figures", "npm run figures"] },
  { nb: "10", id: "ex3", right: fltCount(), wrong: [fltCount() + 1, fltCount() + 2] },
  {
    nb: "10", id: "ex4",
    right: (pts: Array<{ x: number; loss: number }>) => exactFromReference(pts),
    wrong: [(pts: Array<{ x: number; loss: number }>) => { const e = pts.filter((p) => p.loss < 1e-20).map((p) => p.x); return e.length ? Math.min(...e) : null; }],
  },
];

test("every exercise of the catalogue has a right/wrong case here", () => {
  const covered = new Set(cases.map((c) => `${c.nb}/${c.id}`));
  const missing = exerciseCatalogue().filter((e) => !covered.has(`${e.notebook}/${e.id}`) && !(e.notebook === "09" && e.id === "ex4"));
  assert.deepEqual(missing.map((e) => `${e.notebook}/${e.id}`), []);
});

for (const c of cases) {
  test(`notebook ${c.nb} ${c.id}: right answer passes, wrong answers fail without revealing the answer`, () => {
    const data = c.data ?? {};
    const ok = gradeExercise(c.nb, c.id, c.right, data);
    assert.equal(ok.correct, true, ok.message);
    assert.doesNotThrow(() => assertExercise(c.nb, c.id, c.right, data));
    for (const w of c.wrong) {
      const r = gradeExercise(c.nb, c.id, w, data);
      assert.equal(r.correct, false, `${c.nb} ${c.id} accepted a wrong answer ${String(w)}`);
      assert.match(r.message, /not quite/);
      if (typeof c.right === "number" && !Number.isInteger(c.right)) assert.ok(!r.message.includes(String(c.right)), `the hint reveals ${c.right}: ${r.message}`);
      if (typeof c.right === "number" && Number.isInteger(c.right) && Math.abs(c.right) >= 10) assert.ok(!new RegExp(`\\b${c.right}\\b`).test(r.message), `the hint reveals ${c.right}: ${r.message}`);
      assert.throws(() => assertExercise(c.nb, c.id, w, data), ExerciseIncorrect);
    }
    const none = gradeExercise(c.nb, c.id, undefined, data);
    assert.equal(none.correct, false);
    assert.match(none.message, /not answered yet/);
    const wrongType = gradeExercise(c.nb, c.id, "a string, not an answer", data);
    assert.equal(wrongType.correct, false, `${c.nb} ${c.id} accepted a string`);
  });
}

test("09 ex4 (data from the notebook): the first scale factor at which a calibrated construction stops being exact", async () => {
  const { gaussianInputs } = await import("../../../lib/src/models/sample");
  const { stream } = await import("../../../lib/src/linalg/random");
  const { forwardFNN } = await import("../../../lib/src/models/forward");
  const { mse } = await import("../../../lib/src/models/metrics");
  const { scaled } = await import("../../../lib/src/models/sample");
  const X = gaussianInputs(stream(0, "test"), 16, 200);
  const calibrated = constructFNN(calib.frozen, calib.target, { rank: 8, bias: { mode: "calibrate", inputs: gaussianInputs(stream(0, "calibration"), 16, 256) } }).adapted;
  const first = [1, 2, 3, 5, 8].find((f) => mse(forwardFNN(calib.target, scaled(X, f)), forwardFNN(calibrated, scaled(X, f))) > 1e-12);
  assert.ok(first !== undefined && first > 1, `a calibrated construction should be exact at s = 1 and break by s = 8 (first break: ${first})`);
  const data = { target: calib.target, calibrated: calibrated, X: X };
  assert.equal(gradeExercise("09", "ex4", first, data).correct, true);
  assert.equal(gradeExercise("09", "ex4", 1, data).correct, false);
});

test("a learner's function that throws is 'not quite', not a crash; bad notebook data and unknown ids are authoring errors", () => {
  const r = gradeExercise("01", "ex2", () => { throw new RangeError("boom"); });
  assert.equal(r.correct, false);
  assert.match(r.message, /threw RangeError: boom/);
  assert.throws(() => gradeExercise("02", "ex3", 3, {}), ExerciseDataError);
  assert.throws(() => exercise("01", "ex9"), UnknownExercise);
  assert.equal(gradeExercise("01", "ex1", { spectral: undefined, frobenius: undefined }).message.includes("not answered yet"), true);
});

test("the registry cannot be changed from a notebook cell", () => {
  const e = exercise("00", "ex1");
  assert.throws(() => { (e as { check: unknown }).check = () => true; }, TypeError);
});
