r"""Exact policy evaluation: V, Q, the advantage and the visitation from one factorization.

For a policy :math:`\pi` on an MDP :math:`(P, r, \gamma)`,

.. math::

    P^\pi[s, s'] = \sum_a \pi(a|s) P(s'|s, a), \qquad
    r^\pi[s] = \sum_a \pi(a|s) r(s, a),

    V^\pi = (I - \gamma P^\pi)^{-1} r^\pi, \qquad
    Q^\pi = r + \gamma P V^\pi, \qquad A^\pi = Q^\pi - V^\pi,

    d_\mu^\pi = (1-\gamma)\, \mu^\top (I - \gamma P^\pi)^{-1}, \qquad
    \nu_\mu^\pi(s, a) = d_\mu^\pi(s)\, \pi(a|s)

(AJKS Ch. 1, statement A1–A2).  :func:`evaluate` factors :math:`I - \gamma P^\pi`
once; :math:`V` is the forward solve and every visitation the transposed solve
with the same factors.  The number field follows the inputs (see
:mod:`mdptheory.fields`):

* float MDP or float policy: float64.  Dense problems use LAPACK's LU
  (``getrf``/``getrs`` called directly: about 2 us of overhead per
  evaluation instead of about 25 us through ``scipy.linalg.lu_factor``).
  Sparse problems use a sparse LU when its estimated cost is below that of an
  iterative solve (banded or hub-plus-band graphs: chains, forests, gridworlds
  at large :math:`\gamma`), and otherwise BiCGSTAB (GMRES as fallback): a
  direct LU fills in catastrophically on random transition graphs.  The
  choice is made in one place (:mod:`mdptheory.evaluation.sparse`), shared
  with :mod:`mdptheory.optimal`.
* every float solve carries an a-posteriori certificate: with
  :math:`\rho = \|P^\pi\|_\infty` (1 up to rounding),

  .. math::

      \|V - V^\pi\|_\infty \le \frac{\|r^\pi - (I - \gamma P^\pi)V\|_\infty}{1-\gamma\rho},
      \qquad
      \|d - d_\mu^\pi\|_1 \le \frac{(1-\gamma)\,\|\mu - (I - \gamma P^\pi)^\top y\|_1}{1-\gamma\rho}
      + \varepsilon\|d\|_1,

  where the residual is evaluated in float64 and enlarged by a bound on its
  own rounding error and on the rounding in forming :math:`P^\pi, r^\pi`
  (:math:`(k + A + 5)\,\varepsilon` times the absolute values of the terms,
  :math:`k` the largest number of non-zeros in a row, or column, of
  :math:`P^\pi`).  The first bound is ``ev.error_bound``, the second
  ``ev.visitation_bound(mu)``.  When the bound on V exceeds
  :data:`WARN_RELATIVE_ERROR` times :math:`\|V\|_\infty` (or the bound on
  d exceeds :data:`WARN_RELATIVE_ERROR`), a
  :class:`~mdptheory.exceptions.NumericalWarning` says so and suggests
  ``mode="exact"`` or ``mode="ball"``.
* exact MDP and exact policy: exact rationals; no float anywhere.  The
  system is cleared of denominators row by row into an integer matrix and
  solved by FLINT; Q, A and P_pi (as Fractions) are built on first access.
* ``mode="ball"``: FLINT ``arb`` ball arithmetic at ``prec`` bits; every
  entry is a ball certified to contain the exact value of the (float or
  exact) problem as given.

Modules: :mod:`~mdptheory.evaluation.result` (:class:`PolicyEvaluation`),
:mod:`~mdptheory.evaluation.markov_chain` (:func:`policy_matrices`), :mod:`~mdptheory.evaluation.dense`,
:mod:`~mdptheory.evaluation.sparse`, :mod:`~mdptheory.evaluation.certificates`,
:mod:`~mdptheory.evaluation.floating`, :mod:`~mdptheory.evaluation.exact`,
:mod:`~mdptheory.evaluation.ball`; :func:`evaluate` dispatches on the mode.
"""

from __future__ import annotations

import math

import numpy as np

from ..exceptions import InvalidParameterError, format_value
from ..fields import EXACT, FLOAT, MODES, check_prec
from ..mdp import check_mdp
from ..policies.tabular import as_policy, policy_is_exact
from .ball import DEFAULT_BALL_PREC, _evaluate_ball
from .exact import _evaluate_exact, _exact_policy
from .floating import _evaluate_float
from .certificates import WARN_RELATIVE_ERROR
from .markov_chain import policy_matrices
from .result import PolicyEvaluation

__all__ = [
    "PolicyEvaluation",
    "evaluate",
    "policy_matrices",
    "DEFAULT_BALL_PREC",
    "WARN_RELATIVE_ERROR",
]


#: Largest Krylov iteration cap accepted by :func:`evaluate`.
MAX_KRYLOV_ITER = 10**7


def _check_options(mdp, tol, maxiter, prec):
    """Validate :func:`evaluate`'s arguments up front (before any solve)."""
    check_mdp(mdp)
    if tol is not None:
        if isinstance(tol, (bool, np.bool_)) or isinstance(tol, str):
            raise InvalidParameterError(f"tol must be a positive number; got {format_value(tol)}")
        try:
            t = float(tol)
        except (TypeError, ValueError, OverflowError):
            raise InvalidParameterError(f"tol must be a positive finite number; got {format_value(tol)}") from None
        if not (math.isfinite(t) and t > 0):
            raise InvalidParameterError(f"tol must be a positive finite number; got {format_value(tol)}")
        tol = t
    if maxiter is not None:
        if isinstance(maxiter, (bool, np.bool_)) or not isinstance(maxiter, (int, np.integer)) or not (
                1 <= maxiter <= MAX_KRYLOV_ITER):
            raise InvalidParameterError(f"maxiter must be an integer between 1 and {MAX_KRYLOV_ITER:g}; "
                                        f"got {format_value(maxiter)}")
        maxiter = int(maxiter)
    return tol, maxiter, check_prec(prec)


def evaluate(mdp, pi, *, mode: str | None = None, method: str = "auto", tol: float | None = None,
             maxiter: int | None = None, prec: int = DEFAULT_BALL_PREC) -> PolicyEvaluation:
    r"""Evaluate policy ``pi`` on ``mdp``: V, Q, A, P_pi, r_pi and, on demand, d_mu.

    .. math::

        V^\pi = (I - \gamma P^\pi)^{-1} r^\pi, \quad Q^\pi = r + \gamma P V^\pi,
        \quad A^\pi = Q^\pi - V^\pi

    (AJKS Ch. 1; statement A1).  One factorization of :math:`I - \gamma P^\pi`
    serves V and every visitation ``ev.visitation(mu)``.

    Parameters
    ----------
    mdp : MDP
    pi : array_like, shape (S, A)
        Rows on the simplex (validated; see :func:`mdptheory.policies.tabular.as_policy`).
    mode : {"float", "exact", "ball"}, optional
        Default: "exact" if the MDP and the policy are both exact, else "float".
        "exact" requires both to be exact.  "ball" gives certified enclosures.
    method : {"auto", "dense", "direct", "krylov"}, keyword-only
        Float solver.  "auto": LAPACK for dense MDPs; for sparse ones a sparse
        LU when its estimated cost is below that of the iterative solve
        (chains, forests, small problems, gridworlds at large gamma; see
        ``_prefers_direct``), else BiCGSTAB/GMRES.
    tol : float, keyword-only
        Krylov target for the certified bound on ``||V - V^pi||_inf`` (default
        ``1e-10 * max(1, max|r| / (1 - gamma))``).  A given ``tol`` also
        silences the NumericalWarning when the bound meets it.
    maxiter : int, keyword-only
        Krylov iteration cap.
    prec : int, keyword-only
        Working precision in bits for ``mode="ball"``.

    Returns
    -------
    PolicyEvaluation

    Raises
    ------
    InvalidPolicyError
        If ``pi`` does not match the MDP or is not a policy.
    InvalidParameterError
        For an unknown mode or method, or an exact mode with float inputs.

    Warns
    -----
    NumericalWarning
        Float mode, when the certified bound ``error_bound`` exceeds
        :data:`WARN_RELATIVE_ERROR` times ``max|V|`` (and ``tol``, if given).
    ConvergenceWarning
        When a Krylov solve ends with a certified bound above ``tol``.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> from mdptheory import MDP
    >>> m = MDP([[[F(1, 2), F(1, 2)]], [[0, 1]]], [[1], [0]], F(1, 2))
    >>> ev = evaluate(m, [[1], [1]])
    >>> ev.V.tolist(), ev.visitation().tolist()
    ([Fraction(4, 3), Fraction(0, 1)], [Fraction(1, 3), Fraction(2, 3)])
    """
    tol, maxiter, prec = _check_options(mdp, tol, maxiter, prec)
    if mode is not None and mode not in MODES:
        raise InvalidParameterError(f"mode must be one of {MODES}; got {format_value(mode)}")
    # an array of Fractions on an exact MDP: validated once, with the integer form the exact solve needs
    fast = _exact_policy(mdp, pi) if mode in (None, EXACT) and mdp.is_exact else None
    pi_exact = fast is not None or policy_is_exact(pi)
    if mode is None:
        mode = EXACT if (mdp.is_exact and pi_exact) else FLOAT
    if mode == EXACT and not (mdp.is_exact and pi_exact):
        which = "the MDP" if not mdp.is_exact else "the policy"
        raise InvalidParameterError(f"mode='exact' needs exact inputs, but {which} holds floats "
                                    "(convert with MDP.to_exact() / exact rationals)")
    if method not in ("auto", "dense", "direct", "krylov"):
        raise InvalidParameterError(f"method must be 'auto', 'dense', 'direct' or 'krylov'; got {format_value(method)}")

    if mode == FLOAT:
        return _evaluate_float(mdp, pi, method, tol, maxiter)
    if mode == EXACT:
        if fast is not None:
            return _evaluate_exact(mdp, fast[0], fast[1])
        return _evaluate_exact(mdp, as_policy(mdp, pi, exact=True))
    return _evaluate_ball(mdp, as_policy(mdp, pi), prec)
