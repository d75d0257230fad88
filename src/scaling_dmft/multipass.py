"""Multi-pass mini-batch SGD on a finite training set of P samples: the exact simulator
(docs/theory/sgd.md; the theory is scaling_dmft.dmft.sgd).

The model and the names are those of docs/theory/model.md: readout a (N = inf: the weights v
themselves), design X (P x D) with rows phi_mu = F psi_mu / sqrt(N) (N = inf: psi_mu), labels
y = Psi w* + sigma eps. One step with a batch S_k of B sample indices,

    a <- a - eta ( (1/B) sum_{mu in S_k} phi_mu (phi_mu . a - y_mu) + gamma a ),

weight decay applied in full at every step. Batch sampling (`SAMPLING`, the config key
`batch_sampling`):

* `replacement`: the B indices are drawn i.i.d. uniformly from 1..P at every step;
* `epochs`: every epoch a fresh random order of the P samples, cut into P // B batches of B
  (when B does not divide P, the last P mod B samples of the order are left out of that epoch).
  With B = P this is full-batch gradient descent.

Exact representation (no approximation): every step moves a inside a_0 decay + range(X^T), so
a_k = (1 - eta gamma)^k a_0 + X^T c_k with c_k in R^P, and the batch residuals need only the P x P
Gram X X^T: r_S = (1 - eta gamma)^k (X a_0)_S + (X X^T)_{S,:} c - y_S, then c <- (1 - eta gamma) c and
c_S <- c_S - (eta / B) r_S (repeated indices add). A step costs B P per trajectory. The test error
a^T G a - 2 a^T h + |c~|^2 (G, h, |c~|^2 as in scaling_dmft.simulate) and the training error
(1/P) |X a - y|^2 are quadratic forms in (c, a_0) with the P x P matrices X X^T and X G X^T.

Components (each linear in its source, as in docs/theory/model.md section 4): three trajectories per
seed driven by the same batches, from the same data: the signal (labels Psi w*, a_0 = 0), unit label
noise (labels eps, a_0 = 0) and a unit-variance initialisation (labels 0, a_0 ~ N(0, I_D)). Their
squared errors estimate signal, noise per sigma^2 and init per sigma0^2 without bias (the cross terms
have mean zero over eps and a_0); the training error likewise. No Langevin noise (temperature 0).

Random draws per seed (rng = simulate.seed_generator(seed)): first the data exactly as
scaling_dmft.simulate draws them (so that the same seed is the same data set, and SGD and gradient
descent on the same seeds are paired), then a_0 (D normals), eps (P normals), then the batches in
blocks of BLOCK_STEPS steps (replacement: BLOCK_STEPS x B indices; epochs: BLOCK_EPOCHS orders).

A seed diverges when its error leaves every bound: its error is then +inf from that step on
(`MultipassRuns.diverged`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .errors import InputError
from .points import MULTIPASS_SAMPLINGS as SAMPLING  # replacement | epochs
from .points import Point
from .runlog import blas_threads
from .simulate import _check_sizes, _factor, _reduced, _teacher, check_conditioning, seed_generator
from .spectra import Spectrum

# batches drawn per block (replacement: steps; epochs: epochs), a fixed size so that a seed's stream
# does not depend on the requested times
BLOCK_STEPS = 1024
BLOCK_EPOCHS = 16
# a seed diverges once the sum of its error components exceeds this multiple of its value at step 0
DIVERGED = 1e8
# memory of one chunk of seeds simulated together (two P x P matrices per seed), bytes
CHUNK_BYTES = 2e8


@dataclass
class MultipassRuns:
    """Per-seed multi-pass SGD curves. test / train: (3, S, T) = signal, label noise per sigma^2, init
    per sigma0^2 of the test error E_g and of the training error (1/P) |X a - y|^2; diverged (S, T):
    the seed had diverged by that step (its values are +inf there)."""

    times: np.ndarray
    steps: np.ndarray
    test: np.ndarray
    train: np.ndarray
    diverged: np.ndarray

    def errors(self, *, noise: float, init_var: float) -> tuple[np.ndarray, np.ndarray]:
        """Per-seed (test error E_g, training error), each (S, T), at label-noise std sigma and init variance."""
        weights = np.array([1.0, noise * noise, init_var])
        with np.errstate(invalid="ignore"):
            test = np.tensordot(weights, np.where(weights[:, None, None] == 0, 0.0, self.test), axes=1)
            train = np.tensordot(weights, np.where(weights[:, None, None] == 0, 0.0, self.train), axes=1)
        return test, train


def check_sgd(
    batch_size: object, learning_rate: object, weight_decay: object, n_samples: object, sampling: object
) -> tuple[int, float, float, int, str]:
    """(B, eta, gamma, P, sampling) checked: 1 <= B <= P, eta > 0, gamma >= 0, sampling in SAMPLING."""
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise InputError("n_samples", n_samples, "a positive integer P (multi-pass SGD trains on P samples)")
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, (int, np.integer))
        or not 1 <= batch_size <= n_samples
    ):
        raise InputError("batch_size", batch_size, f"an integer 1 <= B <= P = {n_samples}")
    for key, value in (("learning_rate", learning_rate), ("weight_decay", weight_decay)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise InputError(key, value, "a finite number >= 0")
        if not (math.isfinite(value) and value >= 0):
            raise InputError(key, value, "a finite number >= 0")
    if not learning_rate > 0:
        raise InputError("learning_rate", learning_rate, "eta > 0 (SGD takes steps)")
    if sampling not in SAMPLING:
        raise InputError("batch_sampling", sampling, " | ".join(SAMPLING))
    return int(batch_size), float(learning_rate), float(weight_decay), int(n_samples), str(sampling)


def whole_steps(times: npt.ArrayLike, learning_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """(t, k): finite times t = eta k at whole steps k >= 0."""
    t = np.atleast_1d(np.asarray(times, dtype=np.float64))
    steps = t / learning_rate
    if (
        t.ndim != 1
        or t.size == 0
        or np.any(~np.isfinite(t))
        or np.any(t < 0)
        or np.any(np.abs(steps - np.round(steps)) > 1e-9 * np.maximum(steps, 1))
    ):
        raise InputError("times", times, "finite times t = eta k at whole steps k >= 0")
    return t, np.round(steps).astype(np.int64)


@dataclass
class _Draw:
    """One seed's data in sample space: Gram X X^T, X G X^T, X h, |c~|^2 (+ rho^2), labels, init terms."""

    kp: np.ndarray  # (P, P) X X^T
    qm: np.ndarray  # (P, P) X G X^T
    xh: np.ndarray  # (P,) X h
    c2: float  # |c~|^2: the error of the zero predictor
    ys: np.ndarray  # (P,) Psi w*
    eps: np.ndarray  # (P,) unit label noise
    xa0: np.ndarray  # (P,) X a_0
    xga0: np.ndarray  # (P,) X G a_0
    a0ga0: float  # a_0^T G a_0


def _draw(spectrum: Spectrum, n: float, p: int, rng: np.random.Generator) -> _Draw:
    """The data of simulate._seed_spectral (same draws in the same order), then a_0 and eps."""
    lam = np.asarray(spectrum.eigenvalues, dtype=np.float64)
    root = np.sqrt(lam)
    m = lam.size
    c_tilde = _teacher(spectrum, rng)
    if math.isinf(n):
        psi = rng.standard_normal((p, m)) * root
        x, xl, t, rho = psi, psi * root, c_tilde, 0.0  # G = Lambda = L^T L, L = Lambda^{1/2}, h = L^T c~
        ys = psi @ (c_tilde / root)
        metric_root = root[:, None]  # L a_0 = root * a_0
        d = m
    else:
        f = rng.standard_normal((n, m))
        if not _reduced(n, m):
            psi = rng.standard_normal((p, m)) * root
            x = psi @ f.T / math.sqrt(n)
            lmat = (f * root).T / math.sqrt(n)  # L (M x N): G = F Lambda F^T / N = L^T L, h = L^T c~
            xl, t, rho = x @ lmat.T, c_tilde, 0.0
            ys = psi @ (c_tilde / root)
            metric_root = lmat
        else:
            f *= root
            x0 = rng.standard_normal((p, n))
            xi = rng.standard_normal(p)
            r, q, rho = _factor(f, c_tilde)
            ys = x0 @ q + rho * xi
            x = x0 @ r / math.sqrt(n)
            lmat = r / math.sqrt(n)  # G = R^T R / N, h = L^T q
            xl, t = x @ lmat.T, q
            metric_root = lmat
        d = n
    a0 = rng.standard_normal(d)
    eps = rng.standard_normal(p)
    la0 = root * a0 if math.isinf(n) else metric_root @ a0
    return _Draw(
        kp=x @ x.T,
        qm=xl @ xl.T,
        xh=xl @ t,
        c2=float(t @ t + rho * rho),
        ys=ys,
        eps=eps,
        xa0=x @ a0,
        xga0=xl @ la0,
        a0ga0=float(la0 @ la0),
    )


class _Batches:
    """One seed's batch stream: `next()` gives the B indices of the next step."""

    def __init__(self, rng: np.random.Generator, p: int, b: int, sampling: str):
        self.rng, self.p, self.b, self.sampling = rng, p, b, sampling
        self.block = np.empty((0, b), dtype=np.int64)
        self.at = 0

    def _refill(self) -> None:
        if self.sampling == "replacement":
            self.block = self.rng.integers(0, self.p, size=(BLOCK_STEPS, self.b))
        else:
            per = self.p // self.b
            orders = self.rng.permuted(np.tile(np.arange(self.p), (BLOCK_EPOCHS, 1)), axis=1)
            self.block = orders[:, : per * self.b].reshape(BLOCK_EPOCHS * per, self.b)
        self.at = 0

    def take(self, count: int) -> np.ndarray:
        """The next `count` batches, (count, B)."""
        out = []
        while count > 0:
            if self.at >= self.block.shape[0]:
                self._refill()
            n = min(count, self.block.shape[0] - self.at)
            out.append(self.block[self.at : self.at + n])
            self.at += n
            count -= n
        return np.concatenate(out) if out else np.empty((0, self.b), dtype=np.int64)


def _errors(draws: list[_Draw], c: np.ndarray, decay: float) -> tuple[np.ndarray, np.ndarray]:
    """(test (3, S), train (3, S)) of the chunk's seeds at state c (S, P, 3) and init decay (1 - eta gamma)^k."""
    kp = np.stack([d.kp for d in draws])
    qm = np.stack([d.qm for d in draws])
    p = kp.shape[1]
    qc = np.einsum("spq,sqj->spj", qm, c)
    quad = np.einsum("spj,spj->js", c, qc)
    xh = np.stack([d.xh for d in draws])
    xga0 = np.stack([d.xga0 for d in draws])
    test = quad.copy()
    test[0] += -2.0 * np.einsum("sp,sp->s", c[:, :, 0], xh) + np.array([d.c2 for d in draws])
    test[2] += 2.0 * decay * np.einsum("sp,sp->s", c[:, :, 2], xga0) + decay * decay * np.array(
        [d.a0ga0 for d in draws]
    )
    # X a - y per trajectory: signal (y = Psi w*), noise (y = eps), init (X a_0 decay, y = 0)
    resid = np.einsum("spq,sqj->spj", kp, c)
    resid[:, :, 0] -= np.stack([d.ys for d in draws])
    resid[:, :, 1] -= np.stack([d.eps for d in draws])
    resid[:, :, 2] += decay * np.stack([d.xa0 for d in draws])
    train = np.einsum("spj,spj->js", resid, resid) / p
    return np.maximum(test, 0.0), train


def multipass_runs(
    spectrum: Spectrum,
    *,
    n_features: float,
    n_samples: int,
    batch_size: int,
    learning_rate: float,
    weight_decay: float,
    times: npt.ArrayLike,
    seeds: Sequence[np.random.SeedSequence],
    sampling: str = "replacement",
) -> MultipassRuns:
    """Per-seed test and training error components of multi-pass mini-batch SGD (module docstring)."""
    b, eta, gamma, p, sampling = check_sgd(batch_size, learning_rate, weight_decay, n_samples, sampling)
    n = _check_sizes(n_features, n_samples)
    t, steps = whole_steps(times, eta)
    seeds = list(seeds)
    if not seeds:
        raise InputError("seeds", seeds, "at least one SeedSequence")
    check_conditioning(spectrum.eigenvalues, n, p)
    order = np.argsort(steps, kind="stable")
    test = np.full((3, len(seeds), t.size), np.inf)
    train = np.full((3, len(seeds), t.size), np.inf)
    diverged = np.zeros((len(seeds), t.size), dtype=bool)
    chunk = max(1, int(CHUNK_BYTES // (16.0 * p * p)))
    shrink = 1.0 - eta * gamma
    for lo in range(0, len(seeds), chunk):
        idx = np.arange(lo, min(lo + chunk, len(seeds)))
        rngs = [seed_generator(seeds[i]) for i in idx]
        draws = [_draw(spectrum, n, p, rng) for rng in rngs]
        streams = [_Batches(rng, p, b, sampling) for rng in rngs]
        s_n = idx.size
        kp = np.stack([d.kp for d in draws])
        labels = np.stack([np.stack([d.ys, d.eps, np.zeros(p)], axis=1) for d in draws])  # (S, P, 3)
        xa0 = np.zeros((s_n, p, 3))
        xa0[:, :, 2] = np.stack([d.xa0 for d in draws])
        c = np.zeros((s_n, p, 3))
        alive = np.ones(s_n, dtype=bool)
        start_test, start_train = _errors(draws, c, 1.0)
        scale = start_test.sum(axis=0) + start_train.sum(axis=0)
        k, decay = 0, 1.0
        rows = np.arange(s_n)[:, None]
        for i in order:
            with np.errstate(over="ignore", invalid="ignore"):
                while k < steps[i]:
                    n_steps = int(min(steps[i] - k, BLOCK_STEPS))
                    block = np.stack([st.take(n_steps) for st in streams])  # (S, n_steps, B)
                    for j in range(n_steps):
                        sel = block[:, j, :]  # (S, B)
                        r_b = np.matmul(kp[rows, sel], c)  # (S, B, 3): (X X^T)_{S,:} c
                        r_b += decay * xa0[rows, sel] - labels[rows, sel]
                        c *= shrink
                        np.subtract.at(c, (rows, sel), (eta / b) * r_b)  # repeated indices add
                        decay *= shrink
                    k += n_steps
                    blown = ~np.isfinite(c).all(axis=(1, 2)) | (np.abs(c).max(axis=(1, 2)) > 1e150)
                    alive &= ~blown
                    c[~alive] = 0.0
                te, tr = _errors(draws, c, decay)
                alive &= te.sum(axis=0) + tr.sum(axis=0) <= DIVERGED * scale
            c[~alive] = 0.0
            test[:, idx, i] = np.where(alive, te, np.inf)
            train[:, idx, i] = np.where(alive, tr, np.inf)
            diverged[idx, i] = ~alive
    return MultipassRuns(t, steps, test, train, diverged)


def multipass_simulate(
    spectrum: Spectrum,
    *,
    n_samples: int,
    batch_size: int,
    learning_rate: float,
    weight_decay: float,
    noise: float,
    times: npt.ArrayLike,
    seeds: Sequence[np.random.SeedSequence],
    n_features: float = math.inf,
    sampling: str = "epochs",
) -> np.ndarray:
    """Per-seed test error E_g (seeds, T) of multi-pass SGD from a_0 = 0 with label-noise std sigma
    (`multipass_runs`; epochs by default, as before)."""
    runs = multipass_runs(
        spectrum,
        n_features=n_features,
        n_samples=n_samples,
        batch_size=batch_size,
        learning_rate=learning_rate,
        weight_decay=weight_decay,
        times=times,
        seeds=seeds,
        sampling=sampling,
    )
    return runs.errors(noise=noise, init_var=0.0)[0]


def multipass_points(
    points: Sequence[Point], seeds: Sequence[np.random.SeedSequence], threads: int | None = 1
) -> MultipassRuns:
    """`multipass_runs` of the points of one model, one optimizer and one weight decay (points.Point;
    multi-pass SGD at finite P) on the draws of `seeds`, at the union of their times."""
    first = points[0]
    model, opt, gamma = first.model, first.optimizer, first.regime.weight_decay
    if any(p.model != model or p.optimizer != opt or p.regime.weight_decay != gamma for p in points):
        raise ValueError("multipass_points: the points must share their model, optimizer and weight decay")
    with blas_threads(threads):
        return multipass_runs(
            model.spectrum.build(),
            n_features=model.n_features if math.isinf(model.n_features) else int(model.n_features),
            n_samples=int(model.n_samples),
            batch_size=int(opt.batch_size),
            learning_rate=opt.learning_rate,
            weight_decay=gamma,
            times=np.unique(np.concatenate([p.time_array for p in points])),
            seeds=seeds,
            sampling=opt.batch_sampling,
        )


def concat_runs(parts: Sequence[MultipassRuns]) -> MultipassRuns:
    """Runs of consecutive seed ranges of one simulation, joined along the seeds."""
    first = parts[0]
    return MultipassRuns(
        first.times,
        first.steps,
        np.concatenate([p.test for p in parts], axis=1),
        np.concatenate([p.train for p in parts], axis=1),
        np.concatenate([p.diverged for p in parts], axis=0),
    )
