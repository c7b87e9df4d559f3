"""Execute one notebook top to bottom through the Jupyter kernel protocol (nbclient).

usage: execute_notebook.py NOTEBOOK OUTPUT KERNEL_NAME TIMEOUT_PER_CELL

A kernel that never answers (no kernel_info reply within the start-up limit, or it dies before
replying) is shut down and started again ONCE; the retry is announced with `KERNEL-RETRY <json>`
on stdout. A second silent kernel prints `KERNEL-ERROR <json>` and exits 1. Cells are never
retried: nothing has run when a kernel is restarted.

On a cell error (a thrown exception or a TypeScript type error reported by tslab) it prints
`CELL-ERROR <json>` with the cell index, the first lines of its source and the message, and
exits 1. On success it writes the executed notebook to OUTPUT and exits 0.
"""
import asyncio
import json
import os
import sys
import tempfile

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError


def write_notebook(nb, output):
    """Writes an executed notebook through a temporary file and a rename, without the per-cell execution
    timestamps (they would make every re-execution a diff). Also used by grade_notebook.py."""
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    directory = os.path.dirname(os.path.abspath(output))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, suffix=".ipynb")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        nbformat.write(nb, f)
    os.replace(tmp, output)


def report(tag, payload):
    print(tag + " " + json.dumps(payload), flush=True)


async def start_kernel(client, attempts=2):
    """Start the kernel and wait for its kernel_info reply; a kernel that never answers is retried once."""
    for attempt in range(1, attempts + 1):
        client.km = client.create_kernel_manager()
        await client.async_start_new_kernel()
        try:
            # Waits up to client.startup_timeout for kernel_info; on failure it shuts the kernel down.
            await client.async_start_new_kernel_client()
            return
        except RuntimeError as err:  # "Kernel didn't respond in N seconds" / "Kernel died before replying"
            if client.km is not None and client.km.has_kernel:
                await client._async_cleanup_kernel()
            client.km, client.kc = None, None
            if attempt == attempts:
                report("KERNEL-ERROR", {"attempts": attempts, "message": str(err)})
                sys.exit(1)
            report("KERNEL-RETRY", {"attempt": attempt, "message": str(err)})
            print("kernel %s never answered (%s); starting it again (once)" % (client.kernel_name, err), file=sys.stderr, flush=True)


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
    async def execute():
        await start_kernel(client)
        await client.async_execute()  # reuses the kernel and client started above

    try:
        asyncio.run(execute())
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
        report("CELL-ERROR", {
            "cell": index,
            "source": "\n".join(source.splitlines()[:8]),
            "error": type(err).__name__,
            "message": message[:4000],
        })
        sys.exit(1)
    write_notebook(nb, output)


if __name__ == "__main__":
    main()
