"""docs/examples/api.py runs as documented (so the API example cannot rot), and what it prints
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
