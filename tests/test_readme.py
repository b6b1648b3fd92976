"""The README's Python examples run as written (claims are checks)."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_readme_has_examples():
    assert BLOCKS, "the README should show how to use the library"


@pytest.mark.parametrize("index", list(range(len(BLOCKS))))
def test_readme_example_runs(index):
    namespace = {}
    exec(compile(BLOCKS[index], f"README.md python block {index}", "exec"), namespace)


def test_ci_runs_exactly_the_readme_test_command():
    """What a newcomer runs is what CI runs: .ci/run has the README's test command as one line, and
    installs nothing with pip besides (a pin there would hide what users get)."""
    text = README.read_text(encoding="utf-8")
    commands = re.findall(r"^(pip install .+?)\s+# install and run every test$", text, flags=re.M)
    assert len(commands) == 1, commands
    ci_lines = [line.strip() for line in (README.parent / ".ci" / "run").read_text().splitlines()]
    assert commands[0] in ci_lines
    installs = [line for line in ci_lines if "pip install" in line and not line.startswith("#")]
    assert installs == [commands[0]], installs


def test_the_course_command_opens_the_first_chapter():
    text = README.read_text(encoding="utf-8")
    course = re.findall(r"^pip install -e \"\.\[course\]\" && jupyter lab (\S+)\s+# install and open the course$",
                        text, flags=re.M)
    assert course and (README.parent / course[0]).is_file(), course
