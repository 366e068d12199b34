r"""Conservative policy iteration (Kakade & Langford 2002; AJKS §12.1, Lemma 12.1, Thm 12.2; statement G1).

.. math::

    \pi'_t(s) \in \arg\max_a A^{\pi_t}(s, a), \qquad
    \pi_{t+1} = (1-\alpha_t)\,\pi_t + \alpha_t\,\pi'_t,

    \mathbb{A}_t = \mathbb{E}_{s\sim d_\mu^{\pi_t}}\, A^{\pi_t}(s, \pi'_t(s)) \ge 0 .

With rewards in :math:`[0, 1]`, Thm 12.2 gives
:math:`V^{\pi_{t+1}}(\mu) - V^{\pi_t}(\mu) \ge \frac{\alpha}{1-\gamma}\big(\mathbb{A}_t - \frac{2\alpha\gamma}{(1-\gamma)^2}\big)`.
The adaptive step maximises this lower bound over :math:`\alpha`:

.. math::

    \alpha_t = \min\Big(1, \frac{(1-\gamma)^2\,\mathbb{A}_t}{4\gamma R}\Big),
    \qquad \text{guaranteed improvement } \frac{(1-\gamma)\mathbb{A}_t^2}{8\gamma R}
    \ \text{(when } \alpha_t < 1\text{)},

where :math:`R = \max r - \min r` rescales the :math:`[0,1]` reward assumption
(the bound is invariant under shifting :math:`r` and scales with its range).
The greedy step and the mixture are rational operations: on an exact MDP with
a rational :math:`\alpha` the whole run is exact.  :math:`\alpha = 1` is policy
iteration.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..evaluation import evaluate
from ..exceptions import InvalidParameterError, format_value
from ..fields import is_exact_scalar, to_fraction
from ..policies.tabular import as_policy, greedy_policy, uniform_policy
from ._common import check_T, distribution, float_mdp, kl_moved, v_star
from .result import OptimizationResult

__all__ = ["cpi", "cpi_step_size"]


def _check_step_size_args(advantage_gap, gamma, reward_range):
    """Validate :func:`cpi_step_size`'s arguments (exact inputs stay exact, anything else becomes float)."""
    exact = all(is_exact_scalar(x) for x in (advantage_gap, gamma, reward_range))
    out = []
    for name, x in (("advantage_gap", advantage_gap), ("gamma", gamma), ("reward_range", reward_range)):
        if isinstance(x, (bool, np.bool_)) or not (is_exact_scalar(x) or isinstance(x, (float, np.floating))):
            raise InvalidParameterError(f"{name} must be a real number; got {format_value(x)}")
        if exact:
            out.append(to_fraction(x))
            continue
        try:
            v = float(x)
        except OverflowError:
            raise InvalidParameterError(f"{name} = {format_value(x)} is beyond float range") from None
        if not math.isfinite(v):
            raise InvalidParameterError(f"{name} must be finite; got {format_value(x)}")
        out.append(v)
    a, g, R = out
    if not 0 <= g < 1:
        raise InvalidParameterError(f"gamma must lie in [0, 1); got {format_value(gamma)}")
    if not R > 0:
        raise InvalidParameterError(f"reward_range must be positive; got {format_value(reward_range)}")
    return a, g, R


def cpi_step_size(advantage_gap, gamma, reward_range=1):
    r"""The step size maximising the CPI improvement bound (AJKS Thm 12.2; statement G1).

    .. math::

        \alpha^\star = \min\Big(1, \frac{(1-\gamma)^2\,\mathbb{A}}{4\gamma R}\Big)

    (:math:`\alpha^\star = 1` when :math:`\gamma = 0`).  Exact for exact inputs.
    """
    advantage_gap, gamma, reward_range = _check_step_size_args(advantage_gap, gamma, reward_range)
    if gamma == 0:
        return Fraction(1) if isinstance(advantage_gap, Fraction) else 1.0
    a = (1 - gamma) ** 2 * advantage_gap / (4 * gamma * reward_range)
    one = Fraction(1) if isinstance(a, Fraction) else 1.0
    return a if a < one else one


def cpi(mdp, *, T: int, alpha="adaptive", mu=None, rho=None, pi0=None, exact=None,
        progress=None) -> OptimizationResult:
    r"""Conservative policy iteration with exact advantages (AJKS Lemma 12.1, Thm 12.2; statement G1).

    .. math::

        \pi_{t+1} = (1-\alpha_t)\pi_t + \alpha_t\,\mathrm{greedy}(A^{\pi_t})

    Parameters
    ----------
    mdp : MDP
    T : int, keyword-only
        Maximum number of steps; the run stops early when
        :math:`\max_a A^{\pi_t}(s,a) = 0` on every state (then :math:`\pi_t` is optimal).
    alpha : number or "adaptive", keyword-only
        A fixed mixture weight in :math:`(0, 1]`, or the bound-maximising
        :func:`cpi_step_size` (default).
    mu : array_like, shape (S,), keyword-only
        Distribution of :math:`\mathbb{A}_t` (default ``mdp.rho``).
    rho : array_like, shape (S,), keyword-only
        Evaluation distribution (default ``mdp.rho``).
    pi0 : array_like, shape (S, A), keyword-only
        Initial policy (default uniform).
    exact : bool, optional, keyword-only
        Run in exact rationals (default: when the MDP is exact and ``alpha``
        and ``pi0`` are exact).
    progress : see :func:`mdptheory.algorithms.make_progress`

    Returns
    -------
    OptimizationResult
        ``thetas`` are ``None``; ``step_sizes`` the :math:`\alpha_t`;
        ``grad_norms[t]`` the advantage gap :math:`\mathbb{A}_t`;
        ``extras["advantage_gap"]`` the same, ``extras["greedy"]`` the greedy
        actions and ``extras["value_mu"]`` :math:`V^{(t)}(\mu)` per iterate.
        ``kl_moved`` is float64 (a KL of rationals is irrational).

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> from mdptheory.families import bandit
    >>> res = cpi(bandit([1, 0]), T=5, alpha=1)
    >>> res.gap
    Fraction(0, 1)
    """
    T = check_T(T)
    adaptive = isinstance(alpha, str)
    if adaptive and alpha != "adaptive":
        raise InvalidParameterError(f"alpha must be a number in (0, 1] or 'adaptive'; got {format_value(alpha)}")
    if exact is None:
        exact = mdp.is_exact and (adaptive or isinstance(alpha, (int, Fraction))) and (
            pi0 is None or as_policy(mdp, pi0).dtype == object)
    if exact and not mdp.is_exact:
        raise InvalidParameterError("exact=True needs an exact MDP")
    if not adaptive:
        try:
            alpha = Fraction(alpha) if exact else float(alpha)
        except (TypeError, ValueError, OverflowError):
            raise InvalidParameterError(f"alpha must be a number in (0, 1]; got {format_value(alpha)}") from None
        if not 0 < alpha <= 1:
            raise InvalidParameterError(f"alpha must lie in (0, 1]; got alpha={format_value(alpha)}")
    m = mdp if exact else float_mdp(mdp)
    mu = distribution(mdp, mu, "mu", exact=exact)
    rho = distribution(mdp, rho, "rho", exact=exact)
    pi = uniform_policy(m) if pi0 is None else as_policy(m, pi0)
    pi = as_policy(m, pi, exact=exact)
    gamma = m.gamma
    R = (m.r.max() - m.r.min()) if exact else float(np.max(m.r) - np.min(m.r))
    if R == 0:
        R = Fraction(1) if exact else 1.0
    options = {"alpha": alpha, "T": T, "exact": exact, "reward_range": R}
    res = OptimizationResult("cpi", options=options, rho=rho, v_star=v_star(mdp, rho, exact=exact), exact=exact,
                             progress=progress)
    res.extras["value_mu"] = []
    zero = Fraction(0) if exact else 0.0
    states = np.arange(m.n_states)
    ev = evaluate(m, pi)
    message = f"completed T = {T} iterations"
    for t in range(T + 1):
        res._record_iterate(pi, (rho * ev.V).sum(), theta=None)
        res.extras["value_mu"].append((mu * ev.V).sum())
        if t == T:
            break
        Adv = ev.advantage
        greedy = greedy_policy(m, Adv)
        actions = np.argmax(greedy, axis=1)  # the 1 of each deterministic row
        best = Adv[states, actions]
        if np.asarray(best <= zero, dtype=bool).all():
            message = f"optimal at iteration {t}: max_a A(s, a) = 0 on every state"
            break
        d_mu = ev.visitation(mu)
        adv_gap = (d_mu * best).sum()
        a_t = cpi_step_size(adv_gap, gamma, R) if adaptive else alpha
        if a_t <= zero:
            message = f"advantage gap 0 on the support of d_mu at iteration {t}"
            break
        # a mixture of two policies is a policy (exact rows sum to 1 exactly): no re-validation;
        # evaluate() checks it again anyway
        pi_next = (1 - a_t) * pi + a_t * greedy
        pi_next.flags.writeable = False
        kl, kl_max = kl_moved(pi_next, pi, ev.visitation(rho))
        res._record_step(grad_norm=adv_gap, step_size=a_t, kl=kl, kl_max=kl_max, advantage_gap=adv_gap,
                        greedy=actions)
        pi = pi_next
        ev = evaluate(m, pi)
    return res._finish(True, message)
