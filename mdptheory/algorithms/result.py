r"""The trace of a policy-optimization run: :class:`OptimizationResult`.

Every algorithm of :mod:`mdptheory.algorithms` returns one of these.  It holds
the full trace of the run, one entry per iterate :math:`t = 0, 1, \dots, T`
(the initial policy included), so that a convergence bound can be checked at
every iterate and the run plotted:

.. math::

    \text{gap}_t = V^\star(\rho) - V^{\pi_t}(\rho) \ge 0,

with :math:`V^\star` the exact optimum (:func:`mdptheory.optimal.solve`),
:math:`\rho` the *evaluation* distribution (which may differ from the
distribution :math:`\mu` an algorithm optimizes), and

.. math::

    \mathrm{KL}_t = \mathbb{E}_{s \sim d_\rho^{\pi_t}}
        \mathrm{KL}\big(\pi_{t+1}(\cdot|s) \,\|\, \pi_t(\cdot|s)\big)
    \quad\text{and}\quad
    \mathrm{KL}^{\max}_t = \max_s \mathrm{KL}\big(\pi_{t+1}(\cdot|s) \,\|\, \pi_t(\cdot|s)\big)

the KL divergence moved by step :math:`t` (both are recorded; ``kl_moved`` is
the :math:`d_\rho^{\pi_t}`-weighted one, ``kl_moved_max`` the per-state max).

Results are mutable while the algorithm runs (it appends with
:meth:`OptimizationResult.record`) and plain data afterwards
(:meth:`OptimizationResult.as_dict`).
"""

from __future__ import annotations

import sys
from fractions import Fraction
from typing import Any, Callable

import numpy as np

from ..exceptions import InvalidParameterError

__all__ = ["OptimizationResult", "ProgressReporter", "make_progress"]


def _plain(x):
    """Convert numpy / Fraction / flint values to plain Python data (lists, floats, strs)."""
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    if isinstance(x, Fraction):
        if x.denominator == 1:
            return int(x)
        # FLINT's decimal conversion has no digit limit (str(int) stops at 4300 digits, which
        # exact CPI runs exceed after a few adaptive steps)
        from flint import fmpz

        return f"{fmpz(x.numerator).str()}/{fmpz(x.denominator).str()}"
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        if x.dtype == object:
            return [_plain(v) for v in x.tolist()]
        return x.tolist()
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    try:
        return float(x)
    except (TypeError, ValueError):
        return repr(x)


def _as_float(x):
    if x is None:
        return None
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


class OptimizationResult:
    r"""Full trace of one run of a policy-optimization algorithm.

    Lists are indexed by the iterate :math:`t = 0, \dots, n_\mathrm{iter}`:
    ``policies``, ``thetas``, ``values`` and ``gaps`` have ``n_iter + 1``
    entries (the initial iterate included); per-step quantities
    (``grad_norms``, ``step_sizes``, ``kl_moved``, ``kl_moved_max``) have one
    entry per iterate at which a step is taken; the entry of ``grad_norms`` at
    index ``t`` is the gradient (or direction) norm *at* :math:`\pi_t`.

    Attributes
    ----------
    algorithm : str
        Name of the algorithm (``"softmax_policy_gradient"``, ``"cpi"``, ...).
    options : dict
        The options of the run (step size, horizon, distributions, ...).
    thetas : list of ndarray or None
        Parameters :math:`\theta_t`, or ``None`` entries for tabular (direct)
        algorithms such as CPI.
    policies : list of ndarray, shape (S, A)
        Policies :math:`\pi_t` (Fractions for exact runs).
    values : list
        :math:`V^{\pi_t}(\rho)` for the evaluation distribution :math:`\rho`.
    gaps : list
        :math:`V^\star(\rho) - V^{\pi_t}(\rho)` against the exact optimum.
    grad_norms : list
        Euclidean norm of the gradient (or of the update direction) at
        :math:`\pi_t`; the algorithm's docstring says which.
    step_sizes : list
        Step size used at step :math:`t` (:math:`\eta_t`, :math:`\alpha_t`, ...).
    kl_moved : list
        :math:`\mathbb{E}_{s\sim d_\rho^{\pi_t}}\mathrm{KL}(\pi_{t+1}(\cdot|s)\|\pi_t(\cdot|s))`.
    kl_moved_max : list
        :math:`\max_s \mathrm{KL}(\pi_{t+1}(\cdot|s)\|\pi_t(\cdot|s))`.
    extras : dict of str -> list
        Algorithm-specific per-step traces (e.g. ``"err"`` and ``"w_norm"``
        for log-linear NPG, ``"advantage_gap"`` for CPI, ``"objective"`` for
        the log-barrier objective).
    v_star : float or Fraction or None
        :math:`V^\star(\rho)`.
    rho : ndarray
        The evaluation distribution.
    n_iter : int
        Number of steps taken.
    success : bool
        True if the run finished its iterations (or met its stopping rule)
        without a numerical failure.
    message : str
        Why the run stopped.
    exact : bool
        True if every recorded quantity is an exact rational.
    """

    def __init__(self, algorithm: str, *, options: dict | None = None, rho=None, v_star=None,
                 exact: bool = False, progress=None):
        self.algorithm = str(algorithm)
        self.options = dict(options or {})
        self.thetas: list = []
        self.policies: list = []
        self.values: list = []
        self.gaps: list = []
        self.grad_norms: list = []
        self.step_sizes: list = []
        self.kl_moved: list = []
        self.kl_moved_max: list = []
        self.extras: dict[str, list] = {}
        self.v_star = v_star
        self.rho = rho
        self.n_iter = 0
        self.success = False
        self.message = "not run"
        self.exact = bool(exact)
        self._progress = make_progress(progress)

    # ------------------------------------------------------------ recording
    def _record_iterate(self, policy, value, *, theta=None) -> None:
        """Append iterate :math:`\\pi_t` with its value :math:`V^{\\pi_t}(\\rho)` (and the gap)."""
        self.policies.append(policy)
        self.thetas.append(None if theta is None else np.array(theta, copy=True))
        self.values.append(value)
        self.gaps.append(None if self.v_star is None else self.v_star - value)

    def _record_step(self, *, grad_norm=None, step_size=None, kl=None, kl_max=None, **extras) -> None:
        """Append the per-step quantities of the step from :math:`\\pi_t` to :math:`\\pi_{t+1}`."""
        self.grad_norms.append(grad_norm)
        self.step_sizes.append(step_size)
        self.kl_moved.append(kl)
        self.kl_moved_max.append(kl_max)
        for key, val in extras.items():
            self.extras.setdefault(key, []).append(val)
        self.n_iter += 1
        if self._progress is not None:
            self._progress(self.n_iter, self)

    def _finish(self, success: bool, message: str) -> "OptimizationResult":
        """Set the final status and return ``self``."""
        self.success = bool(success)
        self.message = str(message)
        if self._progress is not None and hasattr(self._progress, "close"):
            self._progress.close(self)
        return self

    # ------------------------------------------------------------ access
    @property
    def policy(self):
        """The last policy :math:`\\pi_T`."""
        return self.policies[-1] if self.policies else None

    @property
    def theta(self):
        """The last parameter :math:`\\theta_T` (None for tabular algorithms)."""
        return self.thetas[-1] if self.thetas else None

    @property
    def value(self):
        """The last value :math:`V^{\\pi_T}(\\rho)`."""
        return self.values[-1] if self.values else None

    @property
    def gap(self):
        """The last gap :math:`V^\\star(\\rho) - V^{\\pi_T}(\\rho)`."""
        return self.gaps[-1] if self.gaps else None

    def as_dict(self, *, policies: bool = True) -> dict:
        """The trace as plain Python data (lists, floats, ints, strings).

        Exact rationals become strings ``"p/q"`` (integers stay ints); arrays
        become nested lists.  Suitable for ``json.dumps`` and for plotting.

        Parameters
        ----------
        policies : bool, keyword-only
            Include the policies and parameters (they dominate the size).
        """
        out = {
            "algorithm": self.algorithm,
            "options": _plain(self.options),
            "n_iter": int(self.n_iter),
            "success": bool(self.success),
            "message": self.message,
            "exact": self.exact,
            "v_star": _plain(self.v_star),
            "rho": _plain(self.rho),
            "values": _plain(self.values),
            "gaps": _plain(self.gaps),
            "grad_norms": _plain(self.grad_norms),
            "step_sizes": _plain(self.step_sizes),
            "kl_moved": _plain(self.kl_moved),
            "kl_moved_max": _plain(self.kl_moved_max),
            "extras": _plain(self.extras),
        }
        if policies:
            out["policies"] = _plain(self.policies)
            out["thetas"] = _plain(self.thetas)
        return out

    def float_gaps(self) -> np.ndarray:
        """``gaps`` as a float array (NaN where unknown)."""
        return np.array([np.nan if g is None else float(g) for g in self.gaps], dtype=float)

    def float_values(self) -> np.ndarray:
        """``values`` as a float array."""
        return np.array([float(v) for v in self.values], dtype=float)

    def __repr__(self) -> str:
        gap = _as_float(self.gap)
        gap_s = "?" if gap is None else f"{gap:.3e}"
        return (f"OptimizationResult(algorithm={self.algorithm!r}, n_iter={self.n_iter}, "
                f"gap={gap_s}, success={self.success}, message={self.message!r})")

    # mapping-style access, like scipy's OptimizeResult
    def __getitem__(self, key: str) -> Any:
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None

    def keys(self):
        """Names of the public fields."""
        return ["algorithm", "options", "thetas", "policies", "values", "gaps", "grad_norms", "step_sizes",
                "kl_moved", "kl_moved_max", "extras", "v_star", "rho", "n_iter", "success", "message", "exact"]


class ProgressReporter:
    """Print one line every ``every`` iterations to ``stream`` (stderr by default).

    Parameters
    ----------
    every : int, keyword-only
        Report period in iterations.
    stream : file-like, keyword-only
    """

    def __init__(self, *, every: int = 100, stream=None):
        if int(every) < 1:
            raise InvalidParameterError(f"progress period must be a positive integer; got every={every!r}")
        self.every = int(every)
        self.stream = stream

    def _line(self, t, res):
        gap = _as_float(res.gaps[-1]) if res.gaps else None
        val = _as_float(res.values[-1]) if res.values else None
        g = "?" if gap is None else f"{gap:.6e}"
        v = "?" if val is None else f"{val:.6g}"
        return f"[{res.algorithm}] t={t} V(rho)={v} gap={g}"

    def __call__(self, t: int, res: OptimizationResult) -> None:
        if t % self.every == 0:
            print(self._line(t, res), file=self.stream or sys.stderr)

    def close(self, res: OptimizationResult) -> None:
        """Print the final line."""
        print(self._line(res.n_iter, res) + f" done: {res.message}", file=self.stream or sys.stderr)


def make_progress(progress) -> Callable | None:
    """Normalise a ``progress`` option.

    ``None``/``False``: no reporting.  ``True``: a :class:`ProgressReporter`
    printing every 100 iterations to stderr.  An ``int`` ``k``: every ``k``
    iterations.  A callable: called as ``progress(t, result_so_far)`` after
    every step.
    """
    if progress is None or progress is False:
        return None
    if progress is True:
        return ProgressReporter()
    if isinstance(progress, (int, np.integer)) and not isinstance(progress, bool):
        return ProgressReporter(every=int(progress))
    if callable(progress):
        return progress
    raise InvalidParameterError(f"progress must be None, a bool, a positive int or a callable; got {progress!r}")
