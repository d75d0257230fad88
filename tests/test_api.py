"""The Python front door (scaling_dmft.api, gathered at the package top): one call with the config's
names and defaults, the same validation and the same numbers as the command line, typed points that
round-trip through the tables, and the layers beneath it."""

from __future__ import annotations

import ast
import doctest
import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import scaling_dmft as sd
from cli_runner import run_cli
from scaling_dmft import tables
from scaling_dmft.config import load_config
from scaling_dmft.errors import InputError
from scaling_dmft.grid import dmft_chunks, sim_chunks
from scaling_dmft.points import Point
from scaling_dmft.schema import config_schema
from scaling_dmft.validation import within_tolerance

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "scaling_dmft"


def test_the_issue_call_works_with_no_other_argument_and_matches_the_cli(tmp_path):
    """sd.learning_curve(alpha=1.5, beta=2, n_samples=100, n_features=200, times=[1, 10, 100]) against
    `scaling-dmft dmft` given the same values (its other flags at their defaults): to 1e-12."""
    curve = sd.learning_curve(alpha=1.5, beta=2, n_samples=100, n_features=200, times=[1, 10, 100])
    assert list(curve.columns) == tables.CURVE_SCHEMA.names
    assert curve["t"].tolist() == [1.0, 10.0, 100.0] and (curve["method"] == "dmft").all()
    out = run_cli(
        ["dmft", "--alpha", "1.5", "--beta", "2", "--n-samples", "100", "--n-features", "200", "--times", "1:100:3"],
        tmp_path,
    )
    assert out.returncode == 0, out.stderr
    cli = pd.read_csv(io.StringIO(out.stdout.split("\n", 1)[1]), sep=r"\s+")
    np.testing.assert_allclose(cli["t"], curve["t"], rtol=0)
    # the summary prints 4 digits: compare the full table too
    run_cli(
        ["dmft", "--alpha", "1.5", "--beta", "2", "--n-samples", "100", "--n-features", "200"]
        + ["--times", "1:100:3", "--out", "cli.parquet"],
        tmp_path,
    )
    full = tables.read_table(tmp_path / "cli.parquet", "curve")
    for column in ("eg", "eg_mean", "eg_signal", "n_modes", "n_features", "n_samples"):
        np.testing.assert_allclose(full[column].to_numpy(float), curve[column].to_numpy(float), rtol=1e-12, atol=0)


def test_defaults_are_the_config_schemas():
    curve = sd.learning_curve(alpha=2, beta=3, times=[1.0])
    props = config_schema()["properties"]
    sweep = props["sweeps"]["additionalProperties"]["properties"]
    row = curve.iloc[0]
    assert row["n_modes"] == props["n_modes"]["default"]
    assert row["teacher"] == props["teacher"]["default"]
    assert row["n_features"] == sweep["n_features"]["default"][0]
    assert row["n_samples"] == sweep["n_samples"]["default"][0]
    assert row["noise"] == sweep["noise"]["default"][0] and row["optimizer"] == "gf"
    default_times = sd.learning_curve(alpha=2, beta=3)
    times = props["times"]["default"]
    assert len(default_times) == times["count"] + int(times["include_inf"])
    assert default_times["t"].iloc[0] == times["start"] and math.isinf(default_times["t"].iloc[-1])


def test_components_are_errors_as_in_the_tables():
    """eg_noise is sigma^2 E_n(t) and eg_init sigma0^2 C(2t) (errors), not the unit coefficients."""
    base = dict(alpha=2, beta=3, n_samples=64, n_features=128, times=[10.0, 1000.0], weight_decay=1e-3)
    unit = sd.learning_curve(**base, noise=1.0, init_std=1.0)
    scaled = sd.learning_curve(**base, noise=0.5, init_std=0.3)
    np.testing.assert_allclose(scaled["eg_noise"], 0.25 * unit["eg_noise"], rtol=1e-12)
    np.testing.assert_allclose(scaled["eg_init"], 0.09 * unit["eg_init"], rtol=1e-12)
    total = scaled[["eg_signal", "eg_noise", "eg_init", "eg_thermal"]].sum(axis=1)
    np.testing.assert_allclose(total, scaled["eg"], rtol=1e-12)


@pytest.mark.parametrize(
    "kwargs, keyword",
    [
        (dict(n_samples=-1), "n_samples"),
        (dict(n_features=0), "n_features"),
        (dict(noise=-0.5), "noise"),
        (dict(weight_decay=True), "weight_decay"),
        (dict(momentum=0.5), "momentum"),
        (dict(times=[0.0, 1.0]), "times"),
        (dict(times="1:10:3"), "times"),
        (dict(regime="bayes"), "weight_decay"),
        (dict(n_modes=0), "n_modes"),
        (dict(batch_size=4), "batch_size"),
    ],
)
def test_bad_keywords_are_refused_in_one_line_naming_the_keyword(kwargs, keyword):
    with pytest.raises(InputError) as err:
        sd.learning_curve(alpha=2, beta=3, **kwargs)
    assert str(err.value).startswith(keyword) and "\n" not in str(err.value), str(err.value)


def test_exponents_or_a_spectrum_are_required():
    with pytest.raises(InputError, match=r"^alpha"):
        sd.learning_curve(beta=2)
    with pytest.raises(InputError, match=r"^spectrum"):
        sd.learning_curve(alpha=2, beta=2, spectrum=sd.spectrum(alpha=2, beta=2))


def test_an_in_memory_spectrum_gives_what_its_file_gives(tmp_path):
    k = np.arange(1, 301, dtype=float)
    lam, c = k**-1.6 * np.exp(-k / 250), k**-2.1
    pd.DataFrame({"eigenvalue": lam, "target_power": c}).to_csv(tmp_path / "mine.csv", index=False)
    kw = dict(n_samples=50, n_features=80, times=[1.0, 100.0, math.inf], weight_decay=1e-3)
    from_memory = sd.learning_curve(spectrum=sd.spectrum(eigenvalues=lam, target_power=c), **kw)
    from_file = sd.learning_curve(spectrum=tmp_path / "mine.csv", **kw)
    np.testing.assert_allclose(from_memory["eg"], from_file["eg"], rtol=1e-12)
    assert from_file["spectrum"].iloc[0] == "mine.csv" and from_memory["n_modes"].iloc[0] == 300


def test_simulate_curve_agrees_with_the_theory_and_repeats_itself():
    """The front door's theory against its own exact simulation (the pass rule of docs/validation.md);
    the same call twice gives the same rows (seeds derived from the point)."""
    kw = dict(alpha=1.5, beta=2, n_samples=128, n_features=256, n_modes=1000, weight_decay=1e-3, noise=0.3)
    times = [1.0, 30.0, 1000.0, math.inf]
    theory = sd.learning_curve(**kw, times=times)
    sim = sd.simulate_curve(**kw, times=times, seeds=40)
    assert (sim["n_seeds"] == 40).all() and (sim["eg_sem"] > 0).all()
    ok = within_tolerance(theory["eg"].to_numpy(), sim["eg"].to_numpy(), sim["eg_sem"].to_numpy(), 0.02, 3.0)
    assert ok.all(), pd.DataFrame({"t": times, "theory": theory["eg"], "sim": sim["eg"], "sem": sim["eg_sem"]})
    again = sd.simulate_curve(**kw, times=times, seeds=40)
    pd.testing.assert_frame_equal(sim, again, check_exact=True)


def test_simulate_curve_runs_on_one_blas_thread(monkeypatch):
    """The library pins one BLAS thread per call unless asked (the CLI's default): measured 15x
    slower on 2 cores with the default thread pool (issue 23; bench/bench_api.py)."""
    from threadpoolctl import threadpool_info, threadpool_limits

    from scaling_dmft import simulate

    seen = []
    original = simulate._seed_spectral  # one call per seed, where the BLAS work is

    def spy(*args, **kwargs):
        seen.append(max((lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"), default=1))
        return original(*args, **kwargs)

    monkeypatch.setattr(simulate, "_seed_spectral", spy)
    with threadpool_limits(limits=2, user_api="blas"):  # a caller's process with two BLAS threads
        sd.simulate_curve(alpha=2, beta=3, n_samples=16, n_features=16, n_modes=50, times=[1.0], seeds=2)
        sd.simulate_curve(alpha=2, beta=3, n_samples=16, n_features=16, n_modes=50, times=[1.0], seeds=1, threads=2)
    assert seen == [1, 1, 2]  # pinned to one, unless the caller asks


def test_compute_optimal_matches_the_frontier_command(tmp_path):
    front = sd.compute_optimal(alpha=2, beta=2.5, n_samples=math.inf, n_modes=4000, compute=[1e4, 1e5, 1e6])
    assert list(front.columns) == tables.FRONTIER_SCHEMA.names
    out = run_cli(
        ["frontier", "--alpha", "2", "--beta", "2.5", "--n-samples", "inf", "--n-modes", "4000"]
        + ["--compute", "1e4:1e6:3", "--out", "f.parquet"],
        tmp_path,
    )
    assert out.returncode == 0, out.stderr
    cli = tables.read_table(tmp_path / "f.parquet", "frontier")
    for column in ("compute", "n_features", "t", "eg"):
        np.testing.assert_allclose(cli[column], front[column], rtol=1e-9)
    # the command prints the fitted laws beside the derived exponents
    assert "E* ~ C^" in out.stdout and "derived -0.500" in out.stdout


def test_points_of_every_shipped_config_round_trip_through_their_plain_form():
    for name in ("config.yaml", "test.yaml", "paper.yaml", "validate.yaml"):
        cfg = load_config(ROOT / "config" / name)
        points = [p for chunk in dmft_chunks(cfg).values() for p in chunk]
        groups = [g for chunk in sim_chunks(cfg).values() for g in chunk]
        assert points
        for point in points:
            assert Point.from_dict(point.to_dict()) == point
            assert list(point.columns()) == tables.POINT_COLUMNS
        for group in groups:
            assert type(group).from_dict(group.to_dict()) == group


def test_every_public_name_has_a_docstring_with_a_runnable_example():
    names = [n for n in sd.__all__ if n != "__version__"]
    assert set(names) >= {"learning_curve", "simulate_curve", "compute_optimal", "spectrum", "read_table", "Point"}
    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for name in names:
        obj = getattr(sd, name)
        assert obj.__doc__ and ">>>" in obj.__doc__, f"{name}: no example in its docstring"
        for test in finder.find(obj, name, globs={}):
            if test.examples and test.name == name:
                result = runner.run(test, out=lambda text: None)
                assert result.failed == 0, f"{name}: its example fails"


def test_the_version_is_defined_once_and_citation_agrees():
    import tomllib

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert sd.__version__ == pyproject["project"]["version"]
    citation = (ROOT / "CITATION.cff").read_text()
    assert f"\nversion: {sd.__version__}\n" in citation
    literal = [p for p in SRC.rglob("*.py") if f'"{sd.__version__}"' in p.read_text()]
    assert not literal, f"a version literal outside pyproject.toml: {literal}"


def _imports(path: Path) -> set[str]:
    """The scaling_dmft modules a file imports (relative imports resolved), at any depth."""
    package = ".".join(path.relative_to(SRC.parent).with_suffix("").parts)
    if path.name == "__init__.py":
        package += ".__init__"
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: -node.level]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            out |= {module} | {f"{module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names}
    return {m for m in out if m.startswith("scaling_dmft")}


@pytest.mark.parametrize(
    "layer, forbidden",
    [
        ("dmft", ("simulate", "sgd", "figures", "config", "grid", "evaluate", "rules", "cli", "api", "data")),
        ("points.py", ("dmft", "simulate", "figures", "config", "grid", "evaluate", "rules", "cli", "api")),
        ("simulate.py", ("figures", "config", "grid", "evaluate", "rules", "cli", "api")),
        ("spectra.py", ("dmft", "simulate", "points", "figures", "config", "grid", "evaluate", "cli", "api")),
    ],
)
def test_layers_never_reach_up(layer, forbidden):
    files = list((SRC / layer).rglob("*.py")) if (SRC / layer).is_dir() else [SRC / layer]
    for path in files:
        bad = {
            m
            for m in _imports(path)
            for f in forbidden
            if m == f"scaling_dmft.{f}" or m.startswith(f"scaling_dmft.{f}.")
        }
        assert not bad, f"{path.relative_to(SRC)} imports {sorted(bad)}"


def test_the_api_reference_builds_without_warnings_and_covers_every_public_name(tmp_path):
    """`make docs`: pdoc over the package with Python warnings as errors; every name in __all__ has
    its entry in the reference's front page."""
    import re
    import subprocess
    import sys

    modules = re.search(r"^DOC_MODULES := (.+)$", (ROOT / "Makefile").read_text(), re.M).group(1).split()
    done = subprocess.run(
        [sys.executable, "-W", "error", "-m", "pdoc", "--docformat", "google", "--output-directory", str(tmp_path)]
        + modules,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr[-3000:]
    page = (tmp_path / "scaling_dmft.html").read_text()
    for name in sd.__all__:
        assert f'id="{name}"' in page, f"{name} is missing from the API reference"
    for module in modules[1:]:
        assert (tmp_path / (module.replace(".", "/") + ".html")).is_file(), module
