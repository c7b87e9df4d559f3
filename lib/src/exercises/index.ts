/**
 * The course's exercises, keyed by notebook ("00".."10") and exercise ("ex1", …). A notebook's test
 * cell calls `checkExercise` (prints "correct" or "not quite" with a hint, never the expected value,
 * never throws) and, in the instructor's copy, `assertExercise` between `// BEGIN HIDDEN TESTS` and
 * `// END HIDDEN TESTS` (throws `ExerciseIncorrect`, which the grader scores as "incorrect").
 */
import type { CheckResult } from "../viz/checks";
import { notebook00 } from "./nb00";
import { notebook01 } from "./nb01";
import { notebook02 } from "./nb02";
import { notebook03 } from "./nb03";
import { notebook04 } from "./nb04";
import { notebook05 } from "./nb05";
import { notebook06 } from "./nb06";
import { notebook07 } from "./nb07";
import { notebook08 } from "./nb08";
import { notebook09 } from "./nb09";
import { notebook10 } from "./nb10";
import type { Exercise, ExerciseData, ExerciseKind } from "./types";

export type { Exercise, ExerciseData, ExerciseKind, Verdict } from "./types";
export { ExerciseDataError } from "./types";
export { partitionExercisePair } from "./nb05";
export { queryChangeExercisePair } from "./nb07";

const REGISTRY: Readonly<Record<string, readonly Exercise[]>> = Object.freeze({
  "00": notebook00,
  "01": notebook01,
  "02": notebook02,
  "03": notebook03,
  "04": notebook04,
  "05": notebook05,
  "06": notebook06,
  "07": notebook07,
  "08": notebook08,
  "09": notebook09,
  "10": notebook10,
});
for (const list of Object.values(REGISTRY)) {
  for (const e of list) Object.freeze(e);
  Object.freeze(list);
}

/** Thrown by `assertExercise` for a wrong or missing answer (the grader's "incorrect"). */
export class ExerciseIncorrect extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExerciseIncorrect";
  }
}

/** Thrown for an unknown notebook or exercise id (an authoring error). */
export class UnknownExercise extends Error {
  constructor(notebook: string, id: string) {
    super(`no exercise "${id}" in notebook "${notebook}" (known: ${Object.keys(REGISTRY).map((n) => `${n}: ${REGISTRY[n].map((e) => e.id).join(", ")}`).join("; ")})`);
    this.name = "UnknownExercise";
  }
}

/** The exercise `id` of `notebook` ("00".."10", or a file name starting with the two digits). */
export function exercise(notebook: string, id: string): Exercise {
  const key = notebook.slice(0, 2);
  const found = REGISTRY[key]?.find((e) => e.id === id);
  if (found === undefined) throw new UnknownExercise(notebook, id);
  return found;
}

/** Every exercise, in course order: what the instructor guide and the release report list. */
export function exerciseCatalogue(): Array<{ notebook: string; id: string; kind: ExerciseKind; points: number; title: string }> {
  return Object.entries(REGISTRY).flatMap(([notebook, list]) => list.map((e) => ({ notebook: notebook, id: e.id, kind: e.kind, points: e.points, title: e.title })));
}

function isUnanswered(answer: unknown): boolean {
  if (answer === undefined || answer === null) return true;
  // a multi-part answer object with every part still undefined
  if (typeof answer === "object" && Object.getPrototypeOf(answer) === Object.prototype) {
    const values = Object.values(answer as Record<string, unknown>);
    return values.length > 0 && values.every((v) => v === undefined || v === null);
  }
  return false;
}

/**
 * Grade one exercise: `correct`, or a message naming what is off (never the expected value). A
 * learner's function that throws, or an answer of the wrong type, is "not quite", not a crash.
 * Errors in the notebook's `data` (an authoring error) are rethrown.
 */
export function gradeExercise(notebook: string, id: string, answer: unknown, data: ExerciseData = {}): CheckResult {
  const ex = exercise(notebook, id);
  const label = `Exercise ${id.replace(/^ex/, "")} (notebook ${notebook.slice(0, 2)})`;
  if (isUnanswered(answer)) return { correct: false, message: `${label}: not answered yet. Hint: ${ex.hint}` };
  let verdict: boolean | string;
  try {
    verdict = ex.check(answer, data);
  } catch (e) {
    if (e instanceof Error && (e.name === "ExerciseDataError" || e.name === "UnknownExercise")) throw e;
    const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return { correct: false, message: `${label}: not quite — your answer threw ${msg.slice(0, 300)}. Hint: ${ex.hint}` };
  }
  if (verdict === true) return { correct: true, message: `${label}: correct ✔` };
  return { correct: false, message: `${label}: not quite. Hint: ${typeof verdict === "string" ? verdict : ex.hint}` };
}

/** Self-check: prints "correct" or "not quite" with a hint; never throws for a wrong answer. */
export function checkExercise(notebook: string, id: string, answer: unknown, data: ExerciseData = {}): void {
  console.log(gradeExercise(notebook, id, answer, data).message);
}

/** Hidden test: throws `ExerciseIncorrect` unless the answer is correct (the grader scores the cell). */
export function assertExercise(notebook: string, id: string, answer: unknown, data: ExerciseData = {}): void {
  const r = gradeExercise(notebook, id, answer, data);
  if (!r.correct) throw new ExerciseIncorrect(r.message);
}
