"""docs/examples/api.py and the README's Python blocks run as documented (so they cannot rot), and what api.py prints
is true: its simulation agrees with its theory within 4 seed standard errors at every time
(32 seeds; the validation grid's O(1/size) finite-size bias at N = 512, P = 256 is ~0.3 %,
below one s.e. here)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from scaling_dmft import tables

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "examples" / "api.py"


def test_api_example_runs_and_its_numbers_hold(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    out = subprocess.run(
        [sys.executable, str(EXAMPLE), str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    z = float(re.search(r"within ([0-9.]+) s\.e\.", out.stdout).group(1))
    assert z < 4.0, out.stdout
    curves = tables.read_table(tmp_path / "example_curves.parquet", "curve")
    assert set(curves["method"]) == {"dmft", "sim"} and (curves["flag"] == "").all()
    assert (tmp_path / "example_curve.png").stat().st_size > 5000


def test_every_python_block_of_the_readme_runs(tmp_path):
    """The README's Python code blocks, run in order in one fresh interpreter (so what a reader copies
    works as printed)."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert blocks, "the README shows the Python API"
    script = tmp_path / "readme_blocks.py"
    script.write_text("\n\n".join(blocks))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    out = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr[-3000:]
