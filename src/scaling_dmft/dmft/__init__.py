"""Deterministic DMFT solver for Langevin / gradient-flow learning curves of linear random features.

Theory: docs/theory/dmft.md (each equation with the function that evaluates it) and
docs/theory/langevin-bayes.md; model and names: docs/theory/model.md. No random numbers; float64 / complex128 throughout.

    solve(modes, n_features=N, n_samples=P, weight_decay=gamma, times=t) -> DMFTComponents
    static(modes, ...)        -> DMFTComponents at times = [inf] (closed forms)
    kappa_static(modes, ...)  -> kappa_0 (the renormalised ridge at z = 0)
    prepare(modes)            -> the compressed mode sums, accepted by the three above in place of modes
                                 (build once per spectrum, reuse for many (N, P, gamma))

`DMFTComponents` holds, per time, the signal E_s(t) (sigma = 0, a0 = 0, T = 0, weight decay gamma),
the label-noise coefficient E_n(t) (per sigma^2), the init coefficient C(2t) (per sigma0^2) and the
thermal coefficient Theta(t) (per temperature); `errors(noise=, init_var=, temperature=)` combines
them into (E_mean, E_g) with scaling_dmft.components.combine. N = inf or P = inf (math.inf) mean
1/N = 0 or 1/P = 0 everywhere; t = inf gives the static closed forms.

Method: fixed Talbot contour with K = 20 nodes (1-D for noise/init/thermal, 2-D for the signal), shared
by all times of a window 2^(n-1) < t <= 2^n (contour.py; the two outermost nodes, whose weights are
below 1e-15 of the largest, are skipped), so that kappa, the mode sums and the transforms are computed
once per window (24 windows for 100 times over 1e-1..1e6) instead of once per time; kappa(z) by
continuation along the Talbot rays through the windows (cubic Hermite predictor, Newton corrector,
branch protection, then one vectorised Newton polish of all window points, kappa.py); R_1, R_2 in
the stable forms near the ridgeless limit; the four bilinear mode sums of the signal as one real
matrix product per window (curves.py); mode sums compressed panel-wise in log(lambda) with
moment-matching Gauss-Legendre weights (compress.py, ~1e-11 relative; compress=False disables it);
t = inf closed forms in static.py.

Validity range:
* Leading order in 1/N, 1/P (deterministic equivalents / Gaussian cavity fields). Against exact
  simulation at sizes ~>100 the deviations are O(1/size), 0.2-2 % (docs/theory/verification.md).
* Hard edge: N = P with gamma = 0 at very late times (t >~ N^2 in spectrum units) the finite-size
  deviations grow with t (the simulation mean is also heavy-tailed there); the theory still is the
  N, P -> inf limit.
* Talbot absolute accuracy ~1e-11 of the curve scale for the 2-D signal sum (it amplifies roundoff
  ~e^{0.8 K rho}) and ~3e-12 for the 1-D sums, over rho = t/tau in (1/2, 1] (contour.py);
  exponentially small pieces (e.g. C(2t) for gamma t >> 1 without the shift) are noise at that level.
* Spectra: any positive eigenvalues and non-negative target powers with positive mode weights
  (exact modes or the compressed tail quadrature of Spectrum.modes()). t = inf at gamma = 0 needs
  min(N, P) < M for a finite ridgeless kappa* (else kappa* = 0).
Failures (no convergence of kappa, non-finite results, unreliable inversion) raise
scaling_dmft.errors.NumericalError; finite exact values are never returned as NaN/inf.
The only infinite outputs are exact infinities: Theta(inf) at gamma = 0 with a null-space atom
(P <= N) and the t = inf signal/noise at the N = P, gamma = 0 peak.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from ..components import combine
from ..errors import InputError, NumericalError, real_number
from . import contour, online
from .curves import dynamic_curves
from .kappa import ModeSums
from .kappa import kappa_static as _kappa_static
from .static import static_values

if TYPE_CHECKING:
    from ..points import Point
    from ..spectra import Modes

__all__ = ["DMFTComponents", "kappa_static", "prepare", "solve", "solve_point", "static"]


@dataclass
class DMFTComponents:
    times: np.ndarray  # (T,), t = inf allowed -> static closed forms
    signal: np.ndarray  # (T,) E_s(t): sigma = 0, a0 = 0, T = 0 error with weight decay gamma
    noise: np.ndarray  # (T,) E_n(t) per unit sigma^2
    init: np.ndarray  # (T,) C(2t) per unit sigma0^2
    thermal: np.ndarray  # (T,) Theta(t) per unit temperature (+inf at t = inf, gamma = 0 with a null-space atom)
    diagnostics: dict = field(default_factory=dict)
    # (T,) '' where the values hold; else why not (discrete time: diverged / no_theory: ...), values inf / NaN
    flags: np.ndarray | None = None
    # mini-batch SGD at finite P: (3, T) training error (1/P)|X a - y|^2 per unit source: signal, sigma^2, sigma0^2
    train: np.ndarray | None = None
    # discrete optimizers: the leading-order probability that a draw diverges (dmft/stability.py)
    divergent: float | None = None
    # mini-batch SGD at finite P: (3, T) gradient descent's signal, noise, init at the same steps (the
    # reference of the SGD excess, multipass.sgd_dominated)
    reference: np.ndarray | None = None

    def train_error(self, *, noise: float, init_var: float) -> np.ndarray | None:
        """The training error at label-noise std sigma and init variance sigma0^2 (None without SGD)."""
        if self.train is None:
            return None
        return combine(
            self.train[0],
            self.train[1],
            self.train[2],
            np.zeros_like(self.train[0]),
            noise=noise,
            init_var=init_var,
            temperature=0.0,
        )[0]

    def errors(self, *, noise: float, init_var: float, temperature: float) -> tuple[np.ndarray, np.ndarray]:
        """(E_mean, E_g) via scaling_dmft.components.combine."""
        return combine(
            self.signal, self.noise, self.init, self.thermal, noise=noise, init_var=init_var, temperature=temperature
        )


def _inverse_size(value: object, key: str) -> float:
    value = real_number(value, key, "a positive number or inf")
    if math.isnan(value) or value <= 0:
        raise InputError(key, value, "a positive number or inf")
    return 0.0 if math.isinf(value) else 1.0 / value


def _gamma(value: object) -> float:
    gamma = real_number(value, "weight_decay", "a finite number >= 0")
    if not (math.isfinite(gamma) and gamma >= 0):
        raise InputError("weight_decay", value, "a finite number >= 0")
    return gamma


def _times(times: npt.ArrayLike) -> np.ndarray:
    try:
        t = np.atleast_1d(np.asarray(times, dtype=np.float64))
    except (TypeError, ValueError):
        raise InputError("times", times, "positive numbers (inf allowed)") from None
    if t.ndim != 1 or t.size == 0 or np.any(np.isnan(t)) or np.any(t <= 0):
        raise InputError("times", times, "a non-empty 1-D list of positive numbers (inf allowed)")
    return t


def prepare(modes: Modes, *, compress: bool = True) -> ModeSums:
    """The solver's mode sums for `modes` (validated and compressed once, compress.py). Pass the result to
    `solve` / `static` / `kappa_static` in place of the modes to reuse it for many (N, P, gamma) of one
    spectrum (it saves 0.3-0.9 ms of the ~7 ms of a 100-time curve)."""
    return ModeSums(modes, compress=compress)


def _sums(modes: Modes | ModeSums, compress: bool = True) -> ModeSums:
    return modes if isinstance(modes, ModeSums) else ModeSums(modes, compress=compress)


def solve(
    modes: Modes | ModeSums,
    *,
    n_features: float,
    n_samples: float,
    weight_decay: float,
    times: npt.ArrayLike,
    n_nodes: int = contour.DEFAULT_NODES,
    compress: bool = True,
    learning_rate: float = 0.0,
    momentum: float = 0.0,
    batch_size: float = math.inf,
    batch_sampling: str = "replacement",
) -> DMFTComponents:
    """DMFT curves at `times` (t = inf -> static closed forms). See the module docstring.

    `modes`: a spectrum.Modes, or the result of `prepare(modes)` (then `compress` is the one used there).
    Extensions of the agreed interface (keyword-only, with defaults): `n_nodes` (Talbot K) and
    `compress` (panel compression of the mode sums, compress.py; False = plain sums over modes).
    `learning_rate` eta > 0, `momentum` mu: full-batch heavy-ball steps at t = eta k (discrete.py; times
    must be whole steps); `flags` says where the training diverges (values inf) or, close to the
    stability edge or to momentum 1, where no route reaches (values NaN).
    `batch_size` B (finite) with a finite P: multi-pass mini-batch SGD (multipass.py; finite steps
    k >= 1 only), batches drawn with replacement; `batch_sampling` 'epochs' has no theory (flags
    no_theory). `train` then holds the training error's components; `divergent` (discrete steps) the
    leading-order probability that a draw diverges (stability.py).
    """
    inv_n = _inverse_size(n_features, "n_features")
    inv_p = _inverse_size(n_samples, "n_samples")
    gamma = _gamma(weight_decay)
    t = _times(times)
    sums = _sums(modes, compress)
    if learning_rate and not math.isinf(batch_size):
        if momentum:
            raise InputError("momentum", momentum, "0 with batch_size (mini-batch SGD has no momentum theory)")
        return _solve_multipass(sums, inv_n, inv_p, gamma, t, learning_rate, batch_size, batch_sampling, int(n_nodes))
    if learning_rate:
        out = _solve_discrete(sums, inv_n, inv_p, gamma, t, learning_rate, momentum, int(n_nodes))
        _mark_unstable(out, sums, inv_n, inv_p, 2.0 * (1.0 + momentum) / learning_rate - gamma)
        return out
    out = np.zeros((4, t.size))
    finite = np.isfinite(t)
    diag: dict = {"n_nodes": int(n_nodes), "n_modes": sums.n_input, "n_sum_nodes": int(sums.lam.size)}
    if finite.any():
        sig, noi, ini, the, d = dynamic_curves(sums, inv_n, inv_p, gamma, t[finite], int(n_nodes))
        out[:, finite] = sig, noi, ini, the
        diag.update(d)
    if (~finite).any():
        st = static_values(sums, inv_n, inv_p, gamma)
        out[:, ~finite] = np.array([st["signal"], st["noise"], st["init"], st["thermal"]])[:, None]
        diag["kappa_0"] = st["kappa"]
    # non-finite values are only allowed where the exact value is infinite (static peak / null-space diffusion)
    if not np.all(np.isfinite(out[:, finite])):
        names = ("signal", "noise", "init", "thermal")
        which = [names[i] for i in range(4) if not np.all(np.isfinite(out[i, finite]))]
        raise NumericalError(
            f"DMFT: non-finite {', '.join(which)} at finite times (N^-1 = {inv_n:.3g}, P^-1 = {inv_p:.3g}, gamma = {gamma:.3g})"
        )
    if np.any(np.isnan(out)):
        raise NumericalError("DMFT: NaN in the t = inf closed forms")
    diag["converged"] = True
    return DMFTComponents(t, out[0].copy(), out[1].copy(), out[2].copy(), out[3].copy(), diag)


def solve_point(
    point: Point,
    sums: ModeSums | None = None,
    *,
    times: npt.ArrayLike | None = None,
    nodes: online.OnlineNodes | None = None,
) -> DMFTComponents:
    """The theory of a parameter point (points.Point) at its times (or at `times`): `solve` with the
    point's N, P, gamma and optimizer (multi-pass SGD at finite P included); online SGD (a finite batch
    size at P = inf) by the exact second-moment recursion on the modes or, at N < M, on the
    deterministic-equivalent nodes of the feature covariance (dmft.online). `sums`: `prepare(...)` of
    the point's spectrum; `nodes`: online SGD's `online.online_nodes(...)`; either reused across calls."""
    model, opt = point.model, point.optimizer
    t = point.time_array if times is None else _times(times)
    if opt.kind == "sgd" and math.isinf(model.n_samples):
        parts, flags = online.online_theory(
            None if nodes is not None else model.spectrum.build(),
            nodes=nodes,
            n_features=model.n_features,
            batch_size=int(opt.batch_size),
            learning_rate=opt.learning_rate,
            weight_decay=point.regime.weight_decay,
            times=t,
            schedule=opt.schedule,
        )
        return DMFTComponents(t, *(row.copy() for row in parts), {}, np.asarray(flags).astype(str))
    return solve(
        sums if sums is not None else prepare(model.spectrum.build().modes()),
        n_features=model.n_features,
        n_samples=model.n_samples,
        weight_decay=point.regime.weight_decay,
        times=t,
        learning_rate=opt.learning_rate,
        momentum=opt.momentum,
        batch_size=opt.batch_size,
        batch_sampling=opt.batch_sampling or "replacement",
    )


def static(modes: Modes | ModeSums, *, n_features: float, n_samples: float, weight_decay: float) -> DMFTComponents:
    """t = inf closed forms only (times = [inf])."""
    return solve(modes, n_features=n_features, n_samples=n_samples, weight_decay=weight_decay, times=[math.inf])


def kappa_static(modes: Modes | ModeSums, *, n_features: float, n_samples: float, weight_decay: float) -> float:
    """kappa_0: the real root of gamma = kappa (1 - df/P)(1 - df/N) on (kappa*, inf); kappa* at gamma = 0."""
    return _kappa_static(
        _sums(modes),
        _inverse_size(n_features, "n_features"),
        _inverse_size(n_samples, "n_samples"),
        _gamma(weight_decay),
    )


# a divergent fraction above this is flagged (the DMFT value is that of the stable draws)
UNSTABLE_FLAG = 1e-3


def _mark_unstable(comps: DMFTComponents, sums: ModeSums, inv_n: float, inv_p: float, x_edge: float) -> None:
    """Set comps.divergent, the probability that a draw's top training-Hessian eigenvalue passes x_edge
    (stability.py), and flag the rows (unstable_draws) where it exceeds UNSTABLE_FLAG."""
    from .stability import unstable_probability

    prob = unstable_probability(sums, inv_n, inv_p, x_edge)
    comps.divergent = prob
    if prob > UNSTABLE_FLAG and comps.flags is not None:
        ok = comps.flags == ""
        comps.flags = np.where(
            ok,
            f"unstable_draws: P(a top training-Hessian eigenvalue past the stability edge {x_edge:.4g}) = {prob:.2g}",
            comps.flags,
        ).astype(str)


def _solve_multipass(
    sums: ModeSums,
    inv_n: float,
    inv_p: float,
    gamma: float,
    t: np.ndarray,
    eta: float,
    batch: float,
    sampling: str,
    n_nodes: int,
) -> DMFTComponents:
    """Multi-pass mini-batch SGD (multipass.py): finite whole steps k >= 1, batches with replacement."""
    from .multipass import multipass_curves, sgd_edge_x

    if inv_p == 0.0:
        raise InputError("n_samples", "inf", "a finite P for multi-pass SGD (online SGD is scaling_dmft.sgd)")
    if isinstance(batch, bool) or not (isinstance(batch, (int, float, np.integer, np.floating)) and batch >= 1):
        raise InputError("batch_size", batch, "an integer B >= 1")
    if not (isinstance(eta, (int, float, np.integer, np.floating)) and math.isfinite(eta) and eta > 0):
        raise InputError("learning_rate", eta, "eta > 0 (SGD takes steps)")
    steps = t / eta
    if (
        not np.all(np.isfinite(t))
        or np.any(np.abs(steps - np.rint(steps)) > 1e-9 * np.maximum(steps, 1.0))
        or np.any(np.rint(steps) < 1)
    ):
        raise InputError("times", "...", "finite times t = eta k at whole steps k >= 1 for multi-pass SGD")
    if sampling == "epochs":
        nan = np.full(t.size, np.nan)
        flags = np.full(
            t.size, "no_theory: the SGD theory draws batches with replacement (batch_sampling: epochs has none)"
        )
        comps = DMFTComponents(
            t, nan.copy(), nan.copy(), nan.copy(), nan.copy(), {}, flags, np.full((3, t.size), np.nan)
        )
        _mark_unstable(comps, sums, inv_n, inv_p, sgd_edge_x(eta, gamma, batch))
        return comps
    if sampling != "replacement":
        raise InputError("batch_sampling", sampling, "replacement | epochs")
    out, flags, diag = multipass_curves(sums, inv_n, inv_p, gamma, eta, batch, t, n_nodes)
    ok = flags == ""
    if not np.all(np.isfinite(np.array([v[ok] for v in out.values()]))):
        raise NumericalError(
            f"DMFT (multi-pass SGD): non-finite values at finite times (eta = {eta:.3g}, B = {batch:g})"
        )
    train = np.array([out["train_s"], out["train_n"], out["train_i"]])
    reference = np.array([diag.pop(k, np.full(t.size, np.nan)) for k in ("gd_signal", "gd_noise", "gd_init")])
    comps = DMFTComponents(t, out["test_s"], out["test_n"], out["test_i"], np.zeros(t.size), diag, flags, train)
    comps.reference = reference
    _mark_unstable(comps, sums, inv_n, inv_p, sgd_edge_x(eta, gamma, batch))
    return comps


def _solve_discrete(
    sums: ModeSums, inv_n: float, inv_p: float, gamma: float, t: np.ndarray, eta: float, mu: float, n_nodes: int
) -> DMFTComponents:
    """Heavy-ball steps (discrete.py): the Talbot route from the step talbot_from on, the circle route
    before it, the closed forms at k = inf; a flag where it diverges or the circle would be too large."""
    from ..points import Optimizer
    from .curves import SHIFT_FROM
    from .discrete import (
        CIRCLE_MAX_STEPS,
        CIRCLE_MAX_STEPS_ONE_POINT,
        MIN_STEPS,
        circle_curves,
        decay_free_rate,
        spectral_edge,
        stationary_thermal,
        talbot_curves,
        talbot_from,
    )

    opt = Optimizer(eta, mu)
    steps = opt.steps(t)
    out = np.full((4, t.size), np.nan)
    flags = np.full(t.size, "", dtype=object)
    edge = spectral_edge(sums, inv_n, inv_p)
    top = eta * (edge + gamma)
    unstable = top >= 2.0 * (1.0 + mu)  # the edge itself included: a mode with |root| = 1 never converges
    # (talbot_from needs the fast roots inside the unit circle: at the edge their modulus is 1)
    first_talbot = MIN_STEPS if unstable else talbot_from(top, mu, n_nodes)
    diag: dict = {
        "n_nodes": n_nodes,
        "spectral_edge": edge,
        "eta_x_max": top,
        "learning_rate": eta,
        "momentum": mu,
        "talbot_from_step": first_talbot,
    }
    finite = np.isfinite(steps)
    late = finite & (steps >= first_talbot)
    early = finite & ~late
    if unstable:
        out[:] = np.inf
        flags[:] = f"diverged: eta (e_max + gamma) = {top:.4g} >= 2 (1 + momentum)"
    else:
        # the circle route takes the steps before first_talbot (all four terms), and with momentum the
        # first first_talbot - 1 terms of every Talbot step's thermal sum (one-point terms only, cheaper)
        reach = early & (steps > CIRCLE_MAX_STEPS)
        if mu > 0.0 and first_talbot - 1 > CIRCLE_MAX_STEPS_ONE_POINT:
            reach |= late
        flags[reach] = (
            f"no_theory: the Talbot route starts at step {first_talbot}, beyond the circle route's reach "
            f"(eta (e_max + gamma) = {top:.4g}, momentum = {mu:.4g}; docs/theory/discrete.md)"
        )
        early &= ~reach
        late &= ~reach
        k_pairs = int(steps[early].max()) if early.any() else -1
        needs_prefix = mu > 0.0 and late.any()  # momentum's Talbot steps start their thermal sum on the circle
        k_circle = max(k_pairs, first_talbot - 1) if needs_prefix else k_pairs
        prefix = 0.0
        if k_circle >= 0:
            sig, noi, ini, the, d = circle_curves(sums, inv_n, inv_p, gamma, eta, mu, k_circle, k_pairs)
            at = steps[early].astype(np.int64)
            out[:, early] = sig[at], noi[at], ini[at], the[at]
            prefix = float(the[first_talbot - 1]) if needs_prefix else 0.0
            diag.update(d)
        if late.any():
            sig, noi, ini, the, d = talbot_curves(
                sums,
                inv_n,
                inv_p,
                gamma,
                eta,
                t[late],
                n_nodes,
                mu=mu,
                thermal_prefix=prefix,
                first_talbot=first_talbot,
            )
            out[:, late] = sig, noi, ini, the
            diag.update(d)
            # gradient descent's init decays like (1 - eta gamma)^{2k}: factored out where it is small (as
            # SHIFT_FROM does for gradient flow), C(2k; eta, gamma) = (1 - eta gamma)^{2k} C(2k; eta / (1 - eta gamma), 0)
            # when the rewritten problem is itself within the stability edge, eta0 e_max < 2
            # (discrete.decay_free_rate); else the init part stays the direct Talbot value
            eta0 = decay_free_rate(eta, gamma)
            rewrite = gamma > 0.0 and mu == 0.0 and eta0 * edge < 2.0
            decay_rate = -2.0 * math.log1p(-eta * gamma) if rewrite else 0.0
            shift = late & (decay_rate * np.where(finite, steps, 0.0) > SHIFT_FROM)
            if shift.any():
                shift &= np.where(finite, steps, 0.0) >= talbot_from(eta0 * edge, 0.0, n_nodes)
            if shift.any():
                ini0 = talbot_curves(sums, inv_n, inv_p, 0.0, eta0, steps[shift] * eta0, n_nodes)[2]
                out[2, shift] = np.exp(-decay_rate * steps[shift]) * ini0
        if np.isinf(steps).any():
            st = static_values(sums, inv_n, inv_p, gamma)
            thermal = stationary_thermal(sums, inv_n, inv_p, gamma, eta, mu, st["thermal"])
            out[:, np.isinf(steps)] = np.array([st["signal"], st["noise"], st["init"], thermal])[:, None]
    ok = flags == ""
    if not np.all(np.isfinite(out[:, ok & np.isfinite(t)])):
        raise NumericalError(
            f"DMFT (discrete time): non-finite values at finite times (eta = {eta:.3g}, mu = {mu:.3g})"
        )
    diag["converged"] = True
    return DMFTComponents(t, out[0].copy(), out[1].copy(), out[2].copy(), out[3].copy(), diag, flags.astype(str))
