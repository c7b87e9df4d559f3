"""Grade one submitted notebook against the instructor's source (nbgrader conventions), or execute a
solutions notebook and check that every test cell passes.

usage: grade_notebook.py SOURCE SUBMISSION RESULT_JSON KERNEL_NAME TIMEOUT_PER_CELL KERNEL_CWD [EXECUTED_OUT]

* SOURCE: the instructor's notebook (answer cells `metadata.nbgrader.solution`, test cells
  `metadata.nbgrader.grade` with `points`, hidden tests between `// BEGIN HIDDEN TESTS` and
  `// END HIDDEN TESTS`).
* SUBMISSION: the student's notebook. Its test cells are replaced by the instructor's (matched by
  grade_id; deleted ones are put back after the cell that preceded them in SOURCE); each test cell
  also re-imports the checkers, so a student's cell cannot shadow them.
* Cells run top to bottom on a fresh kernel (cwd KERNEL_CWD), one timeout per cell; a timed-out cell
  is interrupted and the run goes on. Errors are recorded per cell.
* RESULT_JSON gets {"tests": [{grade_id, points, max_points, status, message}], "notes": [...],
  "seconds": ...}; status is correct | incorrect | error | timeout | missing.

Never raises on a broken submission: unreadable JSON or a dead kernel give "error" rows with a reason.
Exit status 0 when RESULT_JSON was written, 3 on bad arguments.
"""
import asyncio
import atexit
import json
import math
import os
import re
import signal
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from execute_notebook import write_notebook  # the same folder: Python puts the script's directory on sys.path

RECHECK_IMPORT = 'import { checkExercise, assertExercise } from "lora-expressive-power";\n'
SUSPICIOUS = [
    (re.compile(r"\brequire\s*\("), "calls require()"),
    (re.compile(r"lora-expressive-power/"), "imports a library file directly"),
    (re.compile(r"\b(defineProperty|setPrototypeOf|__proto__)\b"), "redefines properties or prototypes"),
    (re.compile(r"\bprocess\s*\.\s*(exit|kill|abort)\b"), "stops the process"),
    (re.compile(r"\b(assertExercise|checkExercise|gradeExercise|ExerciseIncorrect)\s*=(?!=)"), "assigns to a checker's name"),
    (re.compile(r"\b(const|let|var|function)\s+(assertExercise|checkExercise|gradeExercise)\b"), "redeclares a checker"),
]


def nbg(cell):
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def write_json(path, obj):
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1, ensure_ascii=False)
    os.replace(tmp, path)


def source_text(cell):
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else str(s)


def cell_text_outputs(cell):
    parts = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream":
            parts.append(o.get("text", "") if isinstance(o.get("text"), str) else "".join(o.get("text", [])))
        elif o.get("output_type") == "error":
            parts.append("%s: %s" % (o.get("ename"), o.get("evalue")))
    return "".join(parts)


def failure_message(text):
    m = re.search(r"ExerciseIncorrect: (.*)", text)
    if m:
        return "incorrect", m.group(1).strip()
    lines = [l for l in text.splitlines() if l.strip() and not l.lstrip().startswith("at ")]
    return "error", " | ".join(lines[:6])[:800] if lines else "the cell failed without a message"


def without_hidden(text):
    """The test cell as the student release shows it (hidden tests removed)."""
    out, inside = [], False
    for line in text.split("\n"):
        t = line.strip()
        if t == "// BEGIN HIDDEN TESTS":
            inside = True
        elif t == "// END HIDDEN TESTS":
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def merge(source, submission, notes):
    """The notebook to run: the submission with the instructor's test cells in place."""
    tests = [c for c in source.cells if c.cell_type == "code" and nbg(c).get("grade")]
    test_ids = [nbg(c)["grade_id"] for c in tests]
    by_id = {nbg(c)["grade_id"]: c for c in tests}
    cells, placed = [], set()
    for c in submission.cells:
        gid = nbg(c).get("grade_id")
        if gid in by_id:
            if gid in placed:
                notes.append("a duplicate of test cell %s was dropped" % gid)
                continue
            if source_text(c).strip() not in (source_text(by_id[gid]).strip(), without_hidden(source_text(by_id[gid])).strip()):
                notes.append("test cell %s differed from the instructor's and was replaced" % gid)
            cells.append(nbformat.from_dict(json.loads(json.dumps(by_id[gid]))))
            placed.add(gid)
        else:
            cells.append(c)
    # put back deleted test cells after the cell that preceded them in the source
    for gid in test_ids:
        if gid in placed:
            continue
        notes.append("test cell %s was missing and was put back" % gid)
        src_index = next(i for i, c in enumerate(source.cells) if nbg(c).get("grade_id") == gid)
        at = len(cells)
        for j in range(src_index - 1, -1, -1):
            prev = nbg(source.cells[j]).get("grade_id")
            hit = [k for k, c in enumerate(cells) if prev is not None and nbg(c).get("grade_id") == prev]
            if hit:
                at = hit[0] + 1
                break
        cells.insert(at, nbformat.from_dict(json.loads(json.dumps(by_id[gid]))))
        placed.add(gid)
    submission.cells = cells
    answer_ids = {nbg(c).get("grade_id") for c in submission.cells if nbg(c).get("solution")}
    return tests, answer_ids


async def run(nb, kernel_name, timeout, cwd, tests, answer_ids, notes, original_sources):
    status = {}  # grade_id -> (status, message)
    answer_timeouts = set()
    test_ids = {nbg(c)["grade_id"] for c in tests}
    client = NotebookClient(nb, kernel_name=kernel_name, timeout=timeout, allow_errors=True,
                            interrupt_on_timeout=True, record_timing=False, startup_timeout=120,
                            resources={"metadata": {"path": cwd}})
    replies = {}

    def on_executed(cell, cell_index, execute_reply):
        replies[cell_index] = execute_reply

    client.on_cell_executed = on_executed

    def kill_kernel():  # on SIGTERM or an abrupt exit: no kernel left behind
        try:
            proc = getattr(getattr(client.km, "provisioner", None), "process", None) or getattr(client.km, "kernel", None)
            if proc is not None and proc.poll() is None:
                proc.kill()
        except Exception:
            pass

    atexit.register(kill_kernel)
    started = None
    for attempt in range(2):
        try:
            started = client.async_setup_kernel()
            await started.__aenter__()
            break
        except Exception as err:  # a kernel that does not start: retry once, then give up
            notes.append("kernel start failed (%s: %s)" % (type(err).__name__, str(err)[:200]))
            started = None
            await asyncio.sleep(2)
    if started is None:
        return {gid: ("error", "the kernel did not start") for gid in test_ids}
    try:
        dead = None
        for index, cell in enumerate(nb.cells):
            gid = nbg(cell).get("grade_id")
            if cell.cell_type != "code" or not source_text(cell).strip():
                continue
            if dead is not None:
                if gid in test_ids:
                    status[gid] = ("error", dead)
                continue
            if gid in test_ids:
                original_sources[index] = source_text(cell)
                cell.source = RECHECK_IMPORT + source_text(cell)
                answer = gid[: -len("_test")] if gid.endswith("_test") else None
                if answer is not None and answer not in answer_ids:
                    status[gid] = ("missing", "the answer cell %s is not in the submission" % answer)
                    continue
            for attempt in range(2):
                t0 = time.monotonic()
                replies.pop(index, None)
                try:
                    await client.async_execute_cell(cell, index)
                except DeadKernelError:
                    dead = "the kernel died at cell %d" % index
                    break
                except Exception as err:  # nbclient internals: record, keep going
                    replies[index] = {"content": {"status": "error"}}
                    cell.outputs = [{"output_type": "stream", "name": "stderr", "text": "%s: %s" % (type(err).__name__, err)}]
                elapsed = time.monotonic() - t0
                reply = replies.get(index)
                st = (reply or {}).get("content", {}).get("status") if reply else None
                if reply is None or elapsed >= timeout:
                    st = "timeout"
                if st == "abort" and attempt == 0:  # tslab aborts requests for 200 ms after an error
                    await asyncio.sleep(0.5)
                    continue
                break
            if dead is not None:
                if gid in test_ids:
                    status[gid] = ("error", dead)
                continue
            if st in ("error", "abort", "timeout"):
                await asyncio.sleep(0.5)
            if st == "timeout":
                if nbg(cell).get("solution"):
                    answer_timeouts.add(gid)
                # the interrupt must have stopped the cell: probe the kernel before going on
                probe = nbformat.v4.new_code_cell("0")
                nb.cells.append(probe)
                try:
                    replies.pop(len(nb.cells) - 1, None)
                    client.timeout = 60
                    await client.async_execute_cell(probe, len(nb.cells) - 1)
                    ok = replies.get(len(nb.cells) - 1) is not None
                except Exception:
                    ok = False
                finally:
                    client.timeout = timeout
                    nb.cells.pop()
                if not ok:
                    dead = "the kernel stayed busy after the timeout in cell %d" % index
                await asyncio.sleep(0.5)
            if gid in test_ids:
                if st == "ok":
                    status[gid] = ("correct", "")
                elif st == "timeout":
                    status[gid] = ("timeout", "the test cell ran longer than %g s (an endless loop in your code?)" % timeout)
                else:
                    status[gid] = failure_message(cell_text_outputs(cell))
                answer = gid[: -len("_test")] if gid.endswith("_test") else None
                if answer in answer_timeouts and status[gid][0] != "correct":
                    status[gid] = ("timeout", "your answer cell %s ran longer than %g s and was interrupted" % (answer, timeout))
    finally:
        try:
            await started.__aexit__(None, None, None)
        except Exception:
            pass
    for gid in test_ids:
        status.setdefault(gid, ("error", "the test cell did not run"))
    return status


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if len(sys.argv) not in (7, 8):
        print(__doc__, file=sys.stderr)
        sys.exit(3)
    source_path, submission_path, result_path, kernel_name, timeout, cwd = sys.argv[1:7]
    executed_out = sys.argv[7] if len(sys.argv) == 8 else None
    timeout = max(1, int(math.ceil(float(timeout))))
    started = time.monotonic()
    source = nbformat.read(source_path, as_version=4)
    tests = [c for c in source.cells if c.cell_type == "code" and nbg(c).get("grade")]
    points = {nbg(c)["grade_id"]: float(nbg(c).get("points", 0)) for c in tests}
    notes = []

    def finish(status):
        rows = []
        for c in tests:
            gid = nbg(c)["grade_id"]
            st, msg = status.get(gid, ("error", "not graded"))
            rows.append({"grade_id": gid, "points": points[gid] if st == "correct" else 0.0, "max_points": points[gid], "status": st, "message": msg})
        write_json(result_path, {"tests": rows, "notes": notes, "seconds": round(time.monotonic() - started, 2)})

    try:
        with open(submission_path, encoding="utf-8") as f:
            submission = nbformat.read(f, as_version=4)
        if not isinstance(submission.get("cells"), list):
            raise ValueError("no cells")
    except Exception as err:
        finish({gid: ("error", "the submission could not be read as a notebook (%s: %s)" % (type(err).__name__, str(err)[:200])) for gid in points})
        return
    instructor_sources = {source_text(c).strip() for c in source.cells}
    for c in submission.cells:
        if c.get("cell_type") == "code" and source_text(c).strip() not in instructor_sources:
            text = source_text(c)
            for pattern, what in SUSPICIOUS:
                line = next((l for l in text.splitlines() if pattern.search(l)), None)
                if line is not None and nbg(c).get("grade_id") not in points:
                    notes.append("review by hand: a cell %s (`%s`)" % (what, line.strip()[:100]))
    tests_, answer_ids = merge(source, submission, notes)
    original_sources = {}
    status = asyncio.run(run(submission, kernel_name, timeout, cwd, tests_, answer_ids, notes, original_sources))
    finish(status)
    if executed_out:
        for index, text in original_sources.items():
            submission.cells[index].source = text
        write_notebook(submission, executed_out)


if __name__ == "__main__":
    main()
