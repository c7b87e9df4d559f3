/** The shared checker helpers of `exercises/types.ts`: `fields` reads and guards several data fields, `twoParts` grades a two-part answer. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ExerciseDataError, fields, isInteger, isNumberArray, twoParts } from "../../../lib/src/exercises/types";

test("fields: returns every named field, and names the first one its guard rejects", () => {
  const spec = { L: [isInteger, "the frozen depth L"], s: [isNumberArray, "singular values"] } as const;
  assert.deepEqual(fields("xx ex1", { L: 3, s: [1, 2], other: "ignored" }, spec), { L: 3, s: [1, 2] });
  assert.throws(() => fields("xx ex1", { L: 3, s: [1, "2"] }, spec), (e: unknown) => e instanceof ExerciseDataError && /xx ex1: the notebook's data field "s" must be singular values/.test(e.message));
  assert.throws(() => fields("xx ex1", { s: [1] }, spec), (e: unknown) => e instanceof ExerciseDataError && /field "L"/.test(e.message));
});

test("twoParts: true only when both parts are right, else the hint of the part that is wrong, or false", () => {
  assert.equal(twoParts(true, true, "first only", "second only"), true);
  assert.equal(twoParts(true, false, "first only", "second only"), "first only");
  assert.equal(twoParts(false, true, "first only", "second only"), "second only");
  assert.equal(twoParts(false, false, "first only", "second only"), false);
});
