"""Paper figures F1-F7: one module per figure, each exposing
`draw(curves, fits, early, spec) -> matplotlib.figure.Figure` (see docs/figures.md).

`spec` is the figure's entry of the config's `figures:` section plus `sweeps`
({sweep name -> that sweep's normalised config}); row selection is `common.select`.
"""

FIGURES = ("learning_curves", "threshold", "data_scaling", "early_stopping", "exponents", "model_size", "langevin_bayes")
