"""tools/execute_notebook.py: streams are joined, timestamps dropped, and a failing run changes nothing."""

import importlib.util
from pathlib import Path

import nbformat
import pytest

TOOL = Path(__file__).resolve().parents[1] / "tools" / "execute_notebook.py"
spec = importlib.util.spec_from_file_location("execute_notebook", TOOL)
execute_notebook = importlib.util.module_from_spec(spec)
spec.loader.exec_module(execute_notebook)


def stream(name, text):
    return nbformat.v4.new_output("stream", name=name, text=text)


def test_consecutive_chunks_of_one_stream_are_joined():
    cell = nbformat.v4.new_code_cell(outputs=[
        stream("stdout", "Epoch 1/2\n"), stream("stdout", "2/2 - loss: 0.5\n"), stream("stderr", "warn\n"),
        nbformat.v4.new_output("execute_result", data={"text/plain": "1"}, execution_count=1),
        stream("stdout", "a\n"), stream("stdout", "b\n")])
    execute_notebook.coalesce_streams(cell)
    assert [(o.output_type, o.get("name"), o.get("text")) for o in cell.outputs] == [
        ("stream", "stdout", "Epoch 1/2\n2/2 - loss: 0.5\n"), ("stream", "stderr", "warn\n"),
        ("execute_result", None, None), ("stream", "stdout", "a\nb\n")]


@pytest.mark.parametrize("fails", [False, True])
def test_notebook_is_replaced_only_after_a_clean_run(tmp_path, fails):
    pytest.importorskip("ipykernel")
    path = tmp_path / "chapter.ipynb"
    source = "import sys\nprint('one'); sys.stdout.flush(); print('two')" + ("\nraise ValueError('x')" if fails else "")
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)]), path)
    path.chmod(0o644)
    before = path.read_bytes()
    if fails:
        with pytest.raises(Exception, match="ValueError"):
            execute_notebook.execute(path, timeout=60)
        assert path.read_bytes() == before
    else:
        execute_notebook.execute(path, timeout=60)
        cell = nbformat.read(path, as_version=4).cells[0]
        assert [o.text for o in cell.outputs] == ["one\ntwo\n"] and "execution" not in cell.metadata
        assert oct(path.stat().st_mode & 0o777) == oct(0o644)  # not mkstemp's 0600
    assert [p.name for p in tmp_path.iterdir()] == ["chapter.ipynb"]


def test_a_redrawn_progress_bar_keeps_only_its_last_state():
    cell = nbformat.v4.new_code_cell(outputs=[
        stream("stdout", "Epoch 1/2\n\r 1/3 ━━"), stream("stdout", "\r 2/3 ━━━━\r 3/3 ━━━━━━ - loss: 0.5\n"),
        stream("stdout", "Epoch 2/2\n\r 3/3 ━━━━━━ - loss: 0.4\r\n")])
    execute_notebook.coalesce_streams(cell)
    assert [o.text for o in cell.outputs] == [
        "Epoch 1/2\n 3/3 ━━━━━━ - loss: 0.5\nEpoch 2/2\n 3/3 ━━━━━━ - loss: 0.4\n"]
