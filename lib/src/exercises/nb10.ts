/** Notebook 10 · Reproduce the paper: reading the committed results (data/results). */
import { loadBestResults } from "../experiments/sweep/load";
import type { ResultRow } from "../experiments/sweep/aggregate";
import { type Exercise, isFunction, isInteger, isNumber, nearRelative, wrongType } from "./types";

const EXACT = 1e-20;

function rowsOf(preset: string): ResultRow[] {
  const r = loadBestResults(preset);
  if (r === null) throw new Error(`notebook 10: no committed results for preset "${preset}" (data/results); run \`npm run sweep -- --preset ${preset}\``);
  return r.rows;
}

function oneRow(rows: ResultRow[], where: Partial<ResultRow>): ResultRow {
  const found = rows.filter((r) => Object.entries(where).every(([k, v]) => r[k as keyof ResultRow] === v));
  if (found.length !== 1) throw new Error(`notebook 10: expected one row for ${JSON.stringify(where)}, found ${found.length}`);
  return found[0];
}

/** Smallest x from which every point (that x and all larger) has a loss below 1e-20; null when none. */
function exactFromReference(points: ReadonlyArray<{ x: number; loss: number }>): number | null {
  const sorted = [...points].sort((a, b) => a.x - b.x);
  let from: number | null = null;
  for (let i = sorted.length - 1; i >= 0 && sorted[i].loss < EXACT; i--) from = sorted[i].x;
  return from;
}

const FIG4 = { preset: "flt", budget: "course" };

export const notebook10: Exercise[] = [
  {
    id: "ex1",
    kind: "reading",
    points: 2,
    title: "log_fnn_approx (L̄ = 1, L = 2): the construction's test MSE at R = 7 on the random frozen model divided by the same on the pretrained one",
    hint: 'the `fnn` rows: pick point "L̄=1, L=2", method "ours", x = 7, once with frozen "random" and once with "pretrained", and divide the test_loss values.',
    check(answer) {
      if (!isNumber(answer)) return wrongType("a number (a ratio)");
      const rows = rowsOf("fnn");
      const at = (frozen: string) => oneRow(rows, { point: "L̄=1, L=2", method: "ours", frozen: frozen, x: 7 }).test_loss;
      const ratio = at("random") / at("pretrained");
      return nearRelative(answer, ratio, 1e-3) || (nearRelative(answer, 1 / ratio, 1e-3) ? "you divided the other way round." : false);
    },
  },
  {
    id: "ex2",
    kind: "reading",
    points: 1,
    title: "the command that regenerates flt_approx (LoRA vs final layers) at the course budget and re-renders the SVGs (a string)",
    hint: "the header of each figure shows its regeneration command at the paper budget; flt_approx compares final-layers tuning with LoRA.",
    check(answer) {
      if (typeof answer !== "string") return wrongType("a string");
      const norm = answer.replace(/\s+/g, " ").trim();
      const accepted = [
        `npm run sweep -- --preset ${FIG4.preset} --budget ${FIG4.budget} && npm run figures`,
        `npm run sweep -- --budget ${FIG4.budget} --preset ${FIG4.preset} && npm run figures`,
      ];
      return accepted.includes(norm);
    },
  },
  {
    id: "ex3",
    kind: "reading",
    points: 2,
    title: "flt_approx: at how many equal-parameter points (random and pretrained together) does final-layers tuning beat LoRA?",
    hint: "for each `flt` row find the `sgd` row with the same frozen kind and the same `params`, and count where flt's test_loss is lower.",
    check(answer) {
      if (!isInteger(answer)) return wrongType("a whole number");
      const rows = rowsOf("flt");
      const n = rows.filter((f) => f.method === "flt").filter((f) => {
        const l = rows.find((g) => g.method === "sgd" && g.frozen === f.frozen && g.params === f.params);
        return l !== undefined && f.test_loss < l.test_loss;
      }).length;
      return answer === n;
    },
  },
  {
    id: "ex4",
    kind: "implementation",
    points: 3,
    title: "exactFrom(points): the smallest x from which the construction is exact (loss < 1e-20 there and at every larger x), or null",
    hint: "sort by x and walk down from the largest x while the loss stays below 1e-20; a single exact point below a non-exact one does not count.",
    check(answer) {
      if (!isFunction(answer)) return wrongType("a function (points: Array<{ x: number; loss: number }>) => number | null");
      const committed = rowsOf("linear").filter((r) => r.method === "ours" && r.frozen === "random").map((r) => ({ x: r.x, loss: r.test_loss }));
      const cases: Array<Array<{ x: number; loss: number }>> = [
        committed,
        [{ x: 3, loss: 1e-25 }, { x: 1, loss: 0.3 }, { x: 2, loss: 0.1 }, { x: 4, loss: 1e-24 }],
        [{ x: 1, loss: 1e-22 }, { x: 2, loss: 0.2 }, { x: 3, loss: 1e-23 }],
        [{ x: 1, loss: 0.5 }, { x: 2, loss: 0.4 }],
        [{ x: 5, loss: 1e-30 }, { x: 6, loss: 1e-30 }],
      ];
      for (const pts of cases) {
        const got = answer(pts.map((p) => ({ ...p })));
        const want = exactFromReference(pts);
        if (got !== want) return `on points ${pts.length > 6 ? "(the committed linear construction)" : JSON.stringify(pts)} your function returned ${JSON.stringify(got)}.`;
      }
      return true;
    },
  },
];

/** For tests: the reference answer of exercise 4 (exported so the unit test can exercise edge cases). */
export { exactFromReference };
