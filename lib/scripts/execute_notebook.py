"""Execute one notebook top to bottom through the Jupyter kernel protocol (nbclient).

usage: execute_notebook.py NOTEBOOK OUTPUT KERNEL_NAME TIMEOUT_PER_CELL

On a cell error (a thrown exception or a TypeScript type error reported by tslab) it prints
`CELL-ERROR <json>` with the cell index, the first lines of its source and the message, and
exits 1. On success it writes the executed notebook to OUTPUT and exits 0.
"""
import json
import os
import sys
import tempfile

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError


def main():
    path, output, kernel_name, timeout = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=kernel_name,
        timeout=timeout,
        allow_errors=False,
        record_timing=False,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}},
    )
    current = {"index": None}
    original = client.async_execute_cell

    async def tracking(cell, cell_index, *args, **kwargs):
        current["index"] = cell_index
        return await original(cell, cell_index, *args, **kwargs)

    client.async_execute_cell = tracking
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as err:
        index = current["index"]
        source = nb.cells[index].source if index is not None else ""
        message = str(err)
        outputs = nb.cells[index].get("outputs", []) if index is not None else []
        stderr = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stderr")
        for out in outputs:
            if out.get("output_type") == "error":
                message = "%s: %s" % (out.get("ename"), out.get("evalue"))
                trace = "\n".join(out.get("traceback", [])[:12])
                if trace:
                    message += "\n" + trace
        if stderr.strip():
            message = "TypeScript/stderr output:\n" + stderr.strip() + "\n" + message
        print("CELL-ERROR " + json.dumps({
            "cell": index,
            "source": "\n".join(source.splitlines()[:8]),
            "error": type(err).__name__,
            "message": message[:4000],
        }), flush=True)
        sys.exit(1)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)  # timestamps would make every re-execution a diff
    directory = os.path.dirname(os.path.abspath(output))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, suffix=".ipynb")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        nbformat.write(nb, f)
    os.replace(tmp, output)


if __name__ == "__main__":
    main()
