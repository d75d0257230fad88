"""Every script of docs/examples runs as documented, in its smoke mode (`--quick`: fewer cases and
seeds; api.py is run in full by tests/test_api_example.py), so that none of them rots when the
package changes under it. The smoke runs check that a script runs and prints its tables, not its
numbers (those are the documented runs', and the validation tests'): each must exit 0 and print a
table row per case."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"
# script -> (arguments of its smoke run, a text its output must hold)
SMOKE = {
    "discrete_time.py": (["--quick"], "|"),
    "online_sgd.py": (["--quick"], "|"),
    "multipass_sgd.py": (["--quick"], "| 0.5 | 8 |"),
    "multipass_validation.py": (["--quick"], "of 4 pass"),
    "real_data.py": (["--quick"], "| 64 |"),
    "trained_network.py": (["--quick"], "|"),
}
FULL_ELSEWHERE = {"api.py"}  # tests/test_api_example.py runs it in full


def test_every_example_has_a_smoke_run():
    """A new example must join SMOKE (or be run in full elsewhere): the set of scripts is complete."""
    scripts = {p.name for p in EXAMPLES.glob("*.py")}
    assert scripts == set(SMOKE) | FULL_ELSEWHERE, scripts ^ (set(SMOKE) | FULL_ELSEWHERE)


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(SMOKE))
def test_example_runs_in_its_smoke_mode(script, tmp_path):
    args, expected = SMOKE[script]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert expected in out.stdout, out.stdout[-3000:]
