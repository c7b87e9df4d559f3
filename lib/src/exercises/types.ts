/**
 * Exercises of the course, graded in the library so the notebooks never hold the expected value.
 * Each exercise's `check` computes the expectation from the problem's data (its own seeded draw,
 * or data the notebook passes) and answers `true`, `false`, or a string: wrong, with a specific hint.
 */
import { Matrix } from "ml-matrix";
import type { FNN, Transformer } from "../models/types";

/** What the learner does: compute a number, derive one, write a function, build an object, read results. */
export type ExerciseKind = "numeric" | "derivation" | "implementation" | "construction" | "reading";

/** Data a notebook hands to a checker (values defined in the notebook's own cells). */
export type ExerciseData = Readonly<Record<string, unknown>>;

/** `true` = correct; `false` = wrong (the exercise's hint is shown); a string = wrong, with that hint. */
export type Verdict = boolean | string;

export interface Exercise {
  /** `ex1`, `ex2`, … — the nbgrader grade_id of the answer cell; the test cell is `<id>_test`. */
  id: string;
  kind: ExerciseKind;
  /** Points of the test cell (the notebook's nbgrader metadata must agree; a unit test checks it). */
  points: number;
  /** One line: what is asked. */
  title: string;
  /** Shown when the answer is wrong or missing; guides without giving the answer. */
  hint: string;
  check(answer: unknown, data: ExerciseData): Verdict;
}

/** Thrown when a notebook passes data a checker cannot use (an authoring error, not a wrong answer). */
export class ExerciseDataError extends Error {
  constructor(exercise: string, field: string, expected: string) {
    super(`${exercise}: the notebook's data field "${field}" must be ${expected}`);
    this.name = "ExerciseDataError";
  }
}

export function isNumber(x: unknown): x is number {
  return typeof x === "number" && Number.isFinite(x);
}

export function isInteger(x: unknown): x is number {
  return typeof x === "number" && Number.isInteger(x);
}

export function isIntegerArray(x: unknown): x is number[] {
  return Array.isArray(x) && x.every(isInteger);
}

export function isMatrix(x: unknown): x is Matrix {
  return Matrix.isMatrix(x);
}

export function isNumberArray(x: unknown): x is number[] {
  return Array.isArray(x) && x.every(isNumber);
}

export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

export function isFunction(x: unknown): x is (...args: unknown[]) => unknown {
  return typeof x === "function";
}

/** `|a − b| ≤ rtol · max(1, |b|)`. */
export function near(a: number, b: number, rtol = 1e-6): boolean {
  return Math.abs(a - b) <= rtol * Math.max(1, Math.abs(b));
}

/** `|a − b| ≤ rtol · |b|` (for small expected values, where an absolute floor of 1 would accept anything). */
export function nearRelative(a: number, b: number, rtol = 1e-6): boolean {
  return Math.abs(a - b) <= rtol * Math.abs(b);
}

/** Field `name` of the notebook's data, checked with `guard`. */
export function field<T>(exercise: string, data: ExerciseData, name: string, guard: (x: unknown) => x is T, expected: string): T {
  const v = data[name];
  if (!guard(v)) throw new ExerciseDataError(exercise, name, expected);
  return v;
}

/** A field's guard and what the field must be (for `ExerciseDataError`). */
export type FieldSpec<T> = readonly [guard: (x: unknown) => x is T, expected: string];

/** Several fields of the notebook's data, each checked with its guard as `field` does. */
export function fields<S extends Record<string, FieldSpec<unknown>>>(exercise: string, data: ExerciseData, spec: S): { [K in keyof S]: S[K] extends FieldSpec<infer T> ? T : never } {
  const out: Record<string, unknown> = {};
  for (const [name, [guard, expected]] of Object.entries(spec)) out[name] = field(exercise, data, name, guard, expected);
  return out as { [K in keyof S]: S[K] extends FieldSpec<infer T> ? T : never };
}

/**
 * The verdict on an answer of two parts: `true` when both are right, else the hint for the part
 * that is wrong (`onlyFirst` when only the first is right, `onlySecond` when only the second is),
 * or `false` (the exercise's hint) when neither is.
 */
export function twoParts(firstOk: boolean, secondOk: boolean, onlyFirst: string, onlySecond: string): Verdict {
  if (firstOk && secondOk) return true;
  return firstOk ? onlyFirst : secondOk ? onlySecond : false;
}

export function isFNN(x: unknown): x is FNN {
  return isRecord(x) && x.kind === "fnn" && Array.isArray(x.layers);
}

export function isTransformer(x: unknown): x is Transformer {
  return isRecord(x) && x.kind === "transformer" && Array.isArray(x.blocks);
}

export function isMatrixArray(x: unknown): x is Matrix[] {
  return Array.isArray(x) && x.every(isMatrix);
}

/** Wrong answer of the wrong type: says what was expected. */
export function wrongType(expected: string): string {
  return `the answer should be ${expected}.`;
}
