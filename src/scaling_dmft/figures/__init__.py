"""Paper figures F1-F7: one module per figure, each exposing
`draw(curves, fits, early, spec) -> matplotlib.figure.Figure` (see docs/figures.md).

`spec` is the figure's entry of the config's `figures:` section plus `sweeps`
({sweep name -> that sweep's normalised config}); row selection is `common.select`.
"""

from ..schema import figure_names

# The figure names are the keys of the config schema's `figures:` section, where each figure's
# spec is defined; a figure's module has the same name (tests/test_figures.py draws each one).
FIGURES = figure_names()
