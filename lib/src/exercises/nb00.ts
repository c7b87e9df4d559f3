/** Notebook 00 · Welcome: counting LoRA parameters. */
import { type Exercise, isFunction, isInteger, isNumber, near, wrongType } from "./types";

/** A Transformer block's attention with H heads, each adapting W_Q, W_K, W_V, W_O (D×D) at rank R. */
const EX1 = { D: 16, H: 2, R: 4, matricesPerHead: 4 };
const EX2 = { D: 12 };

export const notebook00: Exercise[] = [
  {
    id: "ex1",
    kind: "numeric",
    points: 1,
    title: `trainable numbers of rank-${EX1.R} adapters on W_Q, W_K, W_V, W_O of ${EX1.H} heads at D = ${EX1.D}`,
    hint: "an adapter ΔW = ABᵀ on a D×D matrix stores A and B, each D×R; count how many matrices are adapted.",
    check(answer) {
      if (!isInteger(answer)) return wrongType("a whole number");
      return answer === EX1.matricesPerHead * EX1.H * 2 * EX1.R * EX1.D;
    },
  },
  {
    id: "ex2",
    kind: "derivation",
    points: 1,
    title: `smallest rank at which LoRA on one ${EX2.D}×${EX2.D} matrix trains at least as many numbers as full fine-tuning`,
    hint: "write both counts as functions of R and D, and solve the inequality for the smallest integer R.",
    check(answer) {
      if (!isInteger(answer)) return wrongType("a whole number (a rank)");
      let R = 1;
      while (2 * R * EX2.D < EX2.D * EX2.D) R++;
      return answer === R;
    },
  },
  {
    id: "ex3",
    kind: "implementation",
    points: 2,
    title: "loraRatio(D, R): LoRA's trainable numbers as a fraction of the D×D matrix's",
    hint: "divide the adapter's count by the matrix's count; test your function on the rows of the table above.",
    check(answer) {
      if (!isFunction(answer)) return wrongType("a function (D, R) => number");
      const cases: Array<[number, number]> = [[16, 4], [4096, 8], [12, 6], [7, 3], [1000, 1]];
      for (const [D, R] of cases) {
        const got = answer(D, R);
        if (!isNumber(got)) return `loraRatio(${D}, ${R}) returned ${String(got)}, not a number.`;
        if (!near(got, (2 * R * D) / (D * D), 1e-12)) return `loraRatio(${D}, ${R}) is off; count A and B, then divide by D·D.`;
      }
      return true;
    },
  },
];
