"""Execute chapter notebooks top to bottom and save them in the committed form.

    python tools/execute_notebook.py notebooks/04_batches_vs_epochs.ipynb [more notebooks...]

One clean run per notebook, in a fresh kernel whose working directory is `notebooks/`. Then the
output is tidied so that diffs show only what changed: consecutive stdout (or stderr) chunks of a
cell are joined into one output (how the kernel happened to flush them is noise), a line redrawn
with carriage returns (a progress bar) keeps only its last state, and per-cell execution
timestamps are not recorded. The file is replaced atomically, and only after the whole
notebook ran without an error, so a failed run never leaves a half-executed notebook behind.

Chapters that load MNIST read it where `teachkeras.datasets` looks; offline, point it at a copy
as CI does: `TEACHKERAS_DATASETS=../shared/datasets python tools/execute_notebook.py ...`.
"""

import argparse
import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from teachkeras._io import write_atomically
from teachkeras.testing import reproducible_arithmetic



def collapse_redraws(text):
    """What a terminal shows of ``text``: a progress bar redrawn with carriage returns keeps only its
    last state on each line (otherwise a notebook stores every redraw)."""
    lines = text.split("\n")
    return "\n".join(line.rstrip("\r").rsplit("\r", 1)[-1] for line in lines)


def coalesce_streams(cell):
    """Join consecutive stream outputs of the same name (stdout, stderr) into one, keeping only the
    last state of lines redrawn with carriage returns."""
    merged = []
    for output in cell.get("outputs", []):
        previous = merged[-1] if merged else None
        if (output.output_type == "stream" and previous is not None and previous.output_type == "stream"
                and previous.name == output.name):
            previous.text += output.text
        else:
            merged.append(output)
    for output in merged:
        if output.output_type == "stream":
            output.text = collapse_redraws(output.text)
    cell.outputs = merged


def execute(path, timeout):
    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            coalesce_streams(cell)
            cell.metadata.pop("execution", None)
    text = nbformat.writes(notebook)
    write_atomically(path, text if text.endswith("\n") else text + "\n")  # as nbformat.write ends it


def pin_arithmetic():
    """Give kernels started from here the test run's arithmetic (see conftest.py)."""
    os.environ.update(reproducible_arithmetic())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", help="notebook files to execute in place")
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell (default 600)")
    args = parser.parse_args(argv)
    pin_arithmetic()
    for path in args.notebooks:
        print(f"executing {path}", file=sys.stderr, flush=True)
        execute(path, args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
