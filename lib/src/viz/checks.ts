/**
 * Claims and quick checks in notebooks.
 * `verify` backs a sentence of the prose with an assertion: it prints `✔ statement` or throws.
 * `selfCheck` compares a value with an expectation given in the cell: it prints "correct" or what is
 * off (never the expectation), and never throws. The course's graded exercises do not use it — their
 * expectation would then sit in the notebook — but `checkExercise` / `assertExercise`
 * (lib/src/exercises), whose checkers compute it in the library.
 */

/** Thrown by `verify` when a claim of the course does not hold. */
export class ClaimFailed extends Error {
  constructor(statement: string, detail: string) {
    super(`claim failed: ${statement}${detail === "" ? "" : ` (${detail})`}`);
    this.name = "ClaimFailed";
  }
}

/** Assert a claim made in the prose; prints `✔ statement — detail`. */
export function verify(statement: string, holds: boolean, detail = ""): void {
  if (!holds) throw new ClaimFailed(statement, detail);
  console.log(`✔ ${statement}${detail === "" ? "" : ` — ${detail}`}`);
}

/** Relative difference `|a − b| / max(|b|, tiny)` (for numbers). */
export function relativeDifference(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), Number.MIN_VALUE);
}

/** The outcome of a self-check (also printed). */
export interface CheckResult {
  correct: boolean;
  message: string;
}

/**
 * Grade an exercise. `answer` is the learner's value (`undefined`/`null` = not answered yet);
 * `expected` is the right value (numbers compared to `tolerance` relative) or a predicate.
 */
export function grade<T>(
  exercise: string,
  answer: T | null | undefined,
  expected: T | ((answer: T) => boolean),
  hint: string,
  tolerance = 1e-9,
): CheckResult {
  let result: CheckResult;
  if (answer === undefined || answer === null) {
    result = { correct: false, message: `${exercise}: not answered yet. Hint: ${hint}` };
  } else {
    const ok =
      typeof expected === "function"
        ? (expected as (a: T) => boolean)(answer)
        : typeof expected === "number" && typeof answer === "number"
          ? Math.abs(answer - expected) <= tolerance * Math.max(1, Math.abs(expected))
          : JSON.stringify(answer) === JSON.stringify(expected);
    result = ok
      ? { correct: true, message: `${exercise}: correct ✔` }
      : { correct: false, message: `${exercise}: not quite (you answered ${JSON.stringify(answer)}). Hint: ${hint}` };
  }
  return result;
}

/** Grade an exercise (see `grade`) and print "correct" or what is off. Never throws. */
export function selfCheck<T>(
  exercise: string,
  answer: T | null | undefined,
  expected: T | ((answer: T) => boolean),
  hint: string,
  tolerance = 1e-9,
): void {
  console.log(grade(exercise, answer, expected, hint, tolerance).message);
}
