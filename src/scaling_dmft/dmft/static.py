"""t = inf closed forms (docs/theory/dmft.md, "t = inf: closed forms"; docs/theory/langevin-bayes.md, "The Bayesian posterior").

With kappa = kappa_0 (gamma = kappa R_1 R_2; kappa* for gamma = 0), df1 = sum lambda h, df2 = sum lambda^2 h^2,
tf1 = sum c h, B1 = sum c h^2 (= -tf1'), h = 1/(lambda + kappa):

    Upsilon = [df2 + (df1 - df2)^2/(N - df2)]/P,     rho = (1 - df1/N)/(1 - df2/N)
    S_inf   = [rho kappa^2 B1 + (1 - rho) kappa tf1]/(1 - Upsilon)
    Nz_inf  = Upsilon/(1 - Upsilon)
    I_inf   = 0 (gamma > 0);  kappa* P (1 - P/N) (gamma = 0, P < N);  0 (gamma = 0, N <= P)
    Theta_inf = C~(0) = df1/R_1 = (kappa_0/gamma) df1 (1 - df1/N)   (gamma > 0)
              = df1/(1 - df1/P) (gamma = 0, N < P or no null space),  +inf (gamma = 0, P <= N, null-space atom)

df1 - df2 = kappa sum lambda h^2 and 1 - rho = (df1 - df2)/(N - df2) are formed without cancellation.
At N = P, gamma = 0 the signal and noise terms are infinite (double-descent peak) and returned as +inf.
"""

from __future__ import annotations

import math

from ..errors import NumericalError
from .kappa import ModeSums, kappa_star, kappa_static


def static_values(sums: ModeSums, inv_n: float, inv_p: float, gamma: float) -> dict:
    """kappa_0 and the four components at t = inf."""
    kap = kappa_static(sums, inv_n, inv_p, gamma)
    h = 1.0 / (sums.lam + kap)
    h2 = h * h
    df1 = float(sums.wl @ h)
    df2 = float(sums.wl2 @ h2)
    gam1 = float(sums.wl @ h2)  # sum lambda h^2; df1 - df2 = kappa gam1
    tf1 = float(sums.wc @ h)
    b1 = float(sums.wc @ h2)
    diff = kap * gam1
    denom_n = 1.0 - inv_n * df2
    # at kappa = 0, df2 = M exactly, so 1 - df2/N is either 0 (N = M, up to the roundoff of compressed sums) or >= 1/N
    threshold = 1e-9
    if (not denom_n > threshold) or ((not (1.0 - inv_p * df2) > threshold) and kap == 0.0):
        # gamma = 0 with min(N, P) >= M (kappa* = 0) and N or P equal to the number of modes: the t = inf
        # limit sits on an interpolation threshold of the truncated spectrum; not covered by the closed forms
        raise NumericalError(
            f"static: gamma = 0 with N or P equal to the number of modes M = {sums.count:g} "
            "(interpolation threshold of the truncated spectrum); use gamma > 0 or finite times"
        )
    one_minus_rho = inv_n * diff / denom_n
    rho = 1.0 - one_minus_rho
    ups = inv_p * (df2 + inv_n * diff * diff / denom_n)
    peak = gamma == 0.0 and inv_n == inv_p and inv_p > 0.0 and kap > 0.0
    if peak or not ups < 1.0:
        if not peak:
            raise NumericalError(
                f"static: 1 - Upsilon = {1 - ups:.3g} <= 0 (kappa_0 = {kap:.3g}); no stable t = inf limit"
            )
        signal = noise = math.inf
    else:
        signal = (rho * kap * kap * b1 + one_minus_rho * kap * tf1) / (1.0 - ups)
        noise = ups / (1.0 - ups)
    kstar = kappa_star(sums, inv_n, inv_p) if gamma == 0.0 else 0.0
    if gamma > 0.0:
        init = 0.0
        thermal = kap / gamma * df1 * (1.0 - inv_n * df1)
    else:
        null_space = kstar > 0.0 and inv_p > inv_n  # P < min(N, M): atom of mass kappa* P (1 - P/N)
        init = kstar * (1.0 - inv_n / inv_p) / inv_p if null_space else 0.0
        if kstar > 0.0 and inv_p >= inv_n:
            thermal = math.inf
        else:
            thermal = df1 / (1.0 - inv_p * df1)
    out = {"kappa": kap, "signal": signal, "noise": noise, "init": init, "thermal": thermal, "df1": df1, "df2": df2}
    for key in ("signal", "noise", "init", "thermal"):
        # +inf is an exact value here (the N = P peak, null-space diffusion); NaN and anything below 0,
        # -inf included, is a failure
        if math.isnan(out[key]) or out[key] < 0:
            raise NumericalError(f"static: component {key} = {out[key]} is not a finite non-negative number")
    return out
