"""Paper figures F1-F9: one module per figure, each exposing
`draw(curves, fits, early, spec) -> matplotlib.figure.Figure` (see docs/figures.md).

`spec` is the figure's entry of the config's `figures:` section plus `sweeps`
({sweep name -> that sweep's normalised config}) and `regimes_defined` ({regime name -> its
config}); row selection is `common.select`. Figures draw the rows they are given and compute
nothing: every number drawn is a table's (theory values come from the DMFT stage).
"""

from ..schema import figure_names

# The figure names are the keys of the config schema's `figures:` section, where each figure's
# spec is defined; a figure's module has the same name (tests/test_figures.py draws each one).
FIGURES = figure_names()

# The number and title of each paper figure: the report's category of the figure (in this order)
TITLES = {
    "learning_curves": "F1 learning curves",
    "threshold": "F2 threshold decomposition",
    "data_scaling": "F3 data scaling",
    "early_stopping": "F4 early stopping",
    "exponents": "F5 exponents",
    "model_size": "F6 model size",
    "langevin_bayes": "F7 Langevin and Bayes",
    "optimizers": "F8 optimizers",
    "multipass_sgd": "F9 multi-pass SGD",
}
# the report's categories of the other figures and pages
ATLAS_CATEGORY = "Scaling-law atlas"
DATA_CATEGORY = "Real data sets"
TABLES_CATEGORY = "Tables"
RUN_CATEGORY = "Workflow run (provenance and runtimes)"
VALIDATION_CATEGORY = "Validation"
