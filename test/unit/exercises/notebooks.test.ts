// The notebooks' Your-turn sections against the exercise registry and nbgrader's conventions, and the
// student copy that `npm run assignment -- release` writes (no Jupyter needed).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { exerciseCatalogue } from "../../../lib/src/exercises";
import { listNotebooks, notebooksDir } from "../../../lib/scripts/notebooks.mjs";
import {
  studentVersion, validateSource, replaceRegions, testCells, gradebookCsv, collectSubmissions, matchSource, AssignmentError, MARKERS, STUB,
} from "../../../lib/scripts/assignment-lib.mjs";

interface Cell { cell_type: string; source: string[] | string; metadata: { nbgrader?: Record<string, unknown> }; outputs?: unknown[] }
interface Notebook { cells: Cell[] }

const text = (c: Cell) => (Array.isArray(c.source) ? c.source.join("") : c.source);
const load = (name: string): Notebook => JSON.parse(readFileSync(join(notebooksDir, name), "utf8"));
const catalogue = exerciseCatalogue();

for (const name of listNotebooks()) {
  const key = name.slice(0, 2);
  test(`${name}: graded exercises match the registry (ids, points) and nbgrader's conventions`, () => {
    const nb = load(name);
    const tests = validateSource(nb, name) as Array<{ grade_id: string; points: number }>;
    const registry = catalogue.filter((e) => e.notebook === key);
    assert.deepEqual(tests.map((t) => t.grade_id), registry.map((e) => `${e.id}_test`), "one test cell per registered exercise, in order");
    assert.deepEqual(tests.map((t) => t.points), registry.map((e) => e.points), "test-cell points equal the registry's");
    if (key !== "00") {
      assert.ok(registry.length >= 3, `${name}: at least 3 exercises (has ${registry.length})`);
      assert.ok(registry.some((e) => e.kind === "implementation"), `${name}: at least one implementation exercise`);
    }
    for (const e of registry) {
      const answer = nb.cells.find((c) => c.metadata.nbgrader?.grade_id === e.id)!;
      const check = nb.cells.find((c) => c.metadata.nbgrader?.grade_id === `${e.id}_test`)!;
      assert.ok(answer, `answer cell ${e.id}`);
      assert.equal(answer.metadata.nbgrader?.solution, true);
      assert.equal(check.metadata.nbgrader?.locked, true);
      assert.match(text(answer).split("\n")[0], /^let \w+: .+ = (undefined|\{[^}]*\});$/, `${name} ${e.id}: the stub declares the answer and leaves it undefined`);
      const stubLine = text(answer).split("\n")[0];
      assert.ok(!/[0-9]/.test(stubLine.slice(stubLine.lastIndexOf(" = "))), `${name} ${e.id}: no number in the stub's initial value`);
      const question = nb.cells.slice(0, nb.cells.indexOf(answer)).reverse().find((c) => c.cell_type === "markdown")!;
      const stated = /\*\*Exercise \d+\*\* \((\d+) points?/.exec(text(question));
      assert.equal(Number(stated?.[1]), e.points, `${name} ${e.id}: the question states the points of its test cell`);
      const call = new RegExp(`checkExercise\\("${key}", "${e.id}", `);
      assert.match(text(check), call, `${name} ${e.id}: the check cell calls checkExercise("${key}", "${e.id}", …)`);
      const hidden = replaceRegions(text(check), MARKERS.hidden, "HIDDEN", name);
      assert.ok(!hidden.includes("assertExercise"), `${name} ${e.id}: assertExercise only inside the hidden tests`);
      assert.ok(text(check).includes(`assertExercise("${key}", "${e.id}", `), `${name} ${e.id}: the hidden test asserts this exercise`);
    }
  });

  test(`${name}: the student copy has stubs, no solutions, no hidden tests, no outputs in answer/test cells`, () => {
    const nb = load(name);
    const student = studentVersion(nb, name) as Notebook;
    assert.equal(student.cells.length, nb.cells.length);
    for (const c of student.cells) {
      const t = text(c);
      for (const m of [...MARKERS.solution, ...MARKERS.hidden]) assert.ok(!t.includes(m), `marker ${m} left`);
      const g = c.metadata.nbgrader;
      if (g?.solution) {
        assert.ok(t.includes(STUB));
        assert.equal(t.split("\n").length, 2, `${name} ${String(g.grade_id)}: the stub is the declaration and ${STUB}`);
      }
      if (g?.grade) assert.ok(!t.includes("assertExercise"));
      if (g) assert.deepEqual(c.outputs, []);
    }
    assert.equal(testCells(student).length, testCells(nb).length);
  });
}

test("replaceRegions: markers are balanced or the release fails with the cell named", () => {
  assert.equal(replaceRegions("a\n  // BEGIN SOLUTION\n  x = 1;\n  // END SOLUTION\nb", MARKERS.solution, STUB, "t"), `a\n  ${STUB}\nb`);
  assert.throws(() => replaceRegions("// BEGIN SOLUTION\nx", MARKERS.solution, STUB, "nb cell ex1"), (e: Error) => e instanceof AssignmentError && /nb cell ex1.*never closed/.test(e.message));
  assert.throws(() => replaceRegions("x\n// END SOLUTION", MARKERS.solution, STUB, "t"), AssignmentError);
  assert.throws(() => validateSource({ cells: [{ cell_type: "code", source: ["x"], metadata: { nbgrader: { grade_id: "a", grade: true, points: 0 } } }] }, "t"), /no positive points/);
  assert.throws(() => validateSource({ cells: [
    { cell_type: "code", source: ["// BEGIN SOLUTION\n// END SOLUTION"], metadata: { nbgrader: { grade_id: "a", solution: true } } },
    { cell_type: "code", source: ["// BEGIN SOLUTION\n// END SOLUTION"], metadata: { nbgrader: { grade_id: "a", solution: true } } },
  ] }, "t"), /used twice/);
});

test("gradebook CSV quotes fields; submissions are named by their folder; notebooks match by name or NN- prefix", () => {
  const csv = gradebookCsv([{ student: 'o"neil, a', notebook: "01-x.ipynb", grade_id: "ex1_test", points: 0, max_points: 2, status: "error" }]);
  assert.equal(csv, 'student,notebook,grade_id,points,max_points,status\n"o""neil, a",01-x.ipynb,ex1_test,0,2,error\n');
  const subs = collectSubmissions([notebooksDir]) as Array<{ student: string; notebook: string }>;
  assert.ok(subs.length >= 11 && subs.every((s) => s.student === "notebooks"));
  const names = listNotebooks();
  assert.equal(matchSource(names, "03-deep-linear.ipynb"), "03-deep-linear.ipynb");
  assert.equal(matchSource(names, "03-my-copy.ipynb"), "03-deep-linear.ipynb");
  assert.equal(matchSource(names, "untitled.ipynb"), null);
  assert.throws(() => collectSubmissions(["/nonexistent/folder"]), AssignmentError);
});
