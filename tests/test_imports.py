"""`import teachkeras` needs only the runtime dependencies, and loads none of the tools.

Runs in a fresh interpreter where the notebook-only, teacher-only and optional packages cannot be
imported at all (a blocker module raises ImportError for each), so a stray top-level import of one
of them fails here rather than on a user's machine."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLOCKED = ["matplotlib", "ipywidgets", "IPython", "nbformat", "nbclient", "nbval", "pytest", "jupyterlab",
           "threadpoolctl", "torch", "keras", "scipy"]
TOOLS = ["teachkeras.grading", "teachkeras.course", "teachkeras.testing"]

SCRIPT = f"""
import sys
import teachkeras as keras
model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2, activation="softmax")])
model.compile(optimizer="sgd", loss="categorical_crossentropy")
import numpy as np
model.fit(np.zeros((4, 3), "float32"), np.eye(2, dtype="float32")[[0, 1, 0, 1]], epochs=1, verbose=0)
loaded = sorted(name for name in sys.modules if name in {TOOLS!r} or name.split(".")[0] in {BLOCKED!r})
print("LOADED", loaded)
"""


def test_import_needs_only_the_runtime_dependencies(tmp_path):
    for name in BLOCKED:
        (tmp_path / f"{name}.py").write_text(f"raise ImportError('{name} is blocked by the test')\n")
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=tmp_path, capture_output=True, text=True,
                            env={"PYTHONPATH": f"{tmp_path}:{ROOT}", "PATH": "/usr/bin:/bin"}, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "LOADED []" in result.stdout, result.stdout
