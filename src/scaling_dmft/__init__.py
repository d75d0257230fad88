"""scaling-dmft: dynamical mean-field theory and exact simulation of learning curves
of random-feature / kernel regression with power-law spectra (arXiv 2602.23039)."""

__version__ = "0.2.0"
