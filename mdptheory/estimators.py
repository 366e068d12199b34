r"""Sampled estimators: trajectories, REINFORCE (with reward to go and baselines), TD(0), confidence intervals.

Trajectories of horizon :math:`T` are sampled from the model with a seeded
:class:`numpy.random.Generator`, all :math:`N` of them at once (one
vectorized draw per time step):
:math:`s_0\sim\mu`, :math:`a_t\sim\pi(\cdot|s_t)`,
:math:`s_{t+1}\sim P(\cdot|s_t,a_t)`.  The truncated REINFORCE estimators
(AJKS Thm 9.4, Lemmas 9.7 and 9.9; statement B1–B3)

.. math::

    \hat g_{\text{total}} = \Big(\sum_{t<T}\gamma^t r_t\Big)\sum_{t<T}\nabla\log\pi(a_t|s_t),\qquad
    \hat g_{\text{rtg}} = \sum_{t<T}\nabla\log\pi(a_t|s_t)\sum_{u=t}^{T-1}\gamma^u r_u,

    \hat g_{b} = \sum_{t<T}\nabla\log\pi(a_t|s_t)\Big(\sum_{u=t}^{T-1}\gamma^u r_u - \gamma^t b(s_t)\Big)

are unbiased for :math:`\nabla V_T(\mu)`, the gradient of the truncated
value (computed exactly by :func:`mdptheory.trajectories.truncated_value_gradient`).
Monte-Carlo means come with normal confidence intervals
:math:`\bar x \pm z\,\hat\sigma/\sqrt N` (:class:`MonteCarloEstimate`), with a
Bonferroni correction over the components when asked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from .evaluation import evaluate
from .exceptions import InvalidParameterError
from .fields import float_array
from .policies.tabular import as_policy

__all__ = [
    "Trajectories",
    "MonteCarloEstimate",
    "sample_trajectories",
    "mc_estimate",
    "normal_quantile",
    "reinforce_samples",
    "reinforce",
    "baseline_variance_reduction",
    "td0_q",
    "REINFORCE_SAMPLE_ESTIMATORS",
]

#: Estimators of :func:`reinforce_samples`.
REINFORCE_SAMPLE_ESTIMATORS = ("total", "reward_to_go", "baseline")


def _count(x, name, minimum=1):
    if isinstance(x, bool) or not isinstance(x, (int, np.integer)) or int(x) < minimum:
        raise InvalidParameterError(f"{name} must be an integer >= {minimum}; got {x!r}")
    return int(x)


def _float_mdp(mdp):
    return mdp.to_float() if mdp.is_exact else mdp


@dataclass(frozen=True)
class Trajectories:
    """``N`` sampled trajectories of horizon ``T``.

    Attributes
    ----------
    states, actions : ndarray of int, shape (N, T)
        :math:`s_t` and :math:`a_t`.
    rewards : ndarray, shape (N, T)
        :math:`r(s_t, a_t)` (undiscounted).
    gamma : float
    seed : object
        The seed they were drawn with.
    """

    states: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    gamma: float
    seed: object = None

    @property
    def n(self) -> int:
        """Number of trajectories."""
        return int(self.states.shape[0])

    @property
    def horizon(self) -> int:
        """Horizon :math:`T`."""
        return int(self.states.shape[1])

    def returns(self, *, discount: bool = True) -> np.ndarray:
        r""":math:`R_T = \sum_{t<T}\gamma^t r_t` per trajectory, shape (N,)."""
        return self.discounted_rewards(discount=discount).sum(axis=1)

    def discounted_rewards(self, *, discount: bool = True) -> np.ndarray:
        r""":math:`\gamma^t r_t`, shape (N, T) (``discount=False``: :math:`r_t`)."""
        if not discount:
            return self.rewards.copy()
        return self.rewards * self.gamma ** np.arange(self.horizon)[None, :]

    def rewards_to_go(self, *, discount: bool = True) -> np.ndarray:
        r""":math:`\sum_{u=t}^{T-1}\gamma^u r_u`, shape (N, T)."""
        d = self.discounted_rewards(discount=discount)
        return np.cumsum(d[:, ::-1], axis=1)[:, ::-1]


def _draw(rng, cdf):
    u = rng.random(cdf.shape[0])
    return np.minimum((cdf < u[:, None]).sum(axis=1), cdf.shape[1] - 1)


def sample_trajectories(mdp, pi, *, n: int, T: int, mu=None, seed=None) -> Trajectories:
    r"""Sample ``n`` trajectories of horizon ``T`` under ``pi`` (vectorized over trajectories).

    .. math::

        s_0\sim\mu,\qquad a_t\sim\pi(\cdot|s_t),\qquad s_{t+1}\sim P(\cdot|s_t, a_t),\qquad t < T.

    Parameters
    ----------
    mdp : MDP
    pi : array_like, shape (S, A)
    n, T : int, keyword-only
    mu : array_like, shape (S,), keyword-only
        Start distribution (default ``mdp.rho``).
    seed : int or numpy Generator, keyword-only

    Returns
    -------
    Trajectories

    Examples
    --------
    >>> from mdptheory.families import chain
    >>> from mdptheory.policies import uniform_policy
    >>> m = chain(3)
    >>> tr = sample_trajectories(m, uniform_policy(m), n=5, T=4, seed=0)
    >>> tr.states.shape, tr.rewards.shape
    ((5, 4), (5, 4))
    """
    n = _count(n, "n")
    T = _count(T, "T", minimum=0)
    fm = _float_mdp(mdp)
    S, A = fm.n_states, fm.n_actions
    pi = np.asarray(float_array(as_policy(fm, pi, exact=False)), dtype=float)
    mu = fm.rho if mu is None else mu
    mu = np.asarray(float_array(np.asarray(mu, dtype=object) if not isinstance(mu, np.ndarray) else mu,
                                name="mu"), dtype=float)
    if mu.shape != (S,) or np.any(mu < 0) or abs(mu.sum() - 1) > 1e-9:
        raise InvalidParameterError(f"mu must be a distribution of shape ({S},)")
    rng = np.random.default_rng(seed)
    P_cdf = np.cumsum(fm.P_dense(), axis=2)
    pi_cdf = np.cumsum(pi, axis=1)
    r = np.asarray(fm.r, dtype=float)
    states = np.empty((n, T), dtype=np.int64)
    actions = np.empty((n, T), dtype=np.int64)
    s = _draw(rng, np.broadcast_to(np.cumsum(mu), (n, S)))
    for t in range(T):
        a = _draw(rng, pi_cdf[s])
        states[:, t], actions[:, t] = s, a
        if t < T - 1:
            s = _draw(rng, P_cdf[s, a])
    return Trajectories(states, actions, r[states, actions] if T else np.zeros((n, 0)), float(fm.gamma),
                        seed if isinstance(seed, (int, type(None))) else "generator")


def normal_quantile(confidence: float, *, n_components: int = 1, bonferroni: bool = True) -> float:
    r"""Two-sided normal quantile :math:`z = \Phi^{-1}(1 - \alpha'/2)`, :math:`\alpha' = (1-\text{confidence})/k`.

    With ``bonferroni`` (and :math:`k` = ``n_components``) the :math:`k`
    intervals hold simultaneously with probability at least ``confidence``
    (asymptotically, by the central limit theorem and the union bound).
    """
    c = float(confidence)
    if not 0 < c < 1:
        raise InvalidParameterError(f"confidence must lie in (0, 1); got {confidence!r}")
    k = _count(n_components, "n_components") if bonferroni else 1
    alpha = (1.0 - c) / k
    return NormalDist().inv_cdf(1.0 - alpha / 2.0)


@dataclass(frozen=True)
class MonteCarloEstimate:
    r"""A Monte-Carlo mean with its normal confidence interval.

    .. math::

        \bar x = \frac1N\sum_i x_i,\qquad \hat\sigma^2 = \frac1{N-1}\sum_i(x_i - \bar x)^2,\qquad
        \bar x \pm z\,\hat\sigma/\sqrt N.

    Attributes
    ----------
    mean, stderr, variance, low, high : ndarray, shape (k,)
        Per component; ``variance`` is the per-sample variance :math:`\hat\sigma^2`.
    n : int
    z : float
    confidence : float
        Simultaneous (Bonferroni) coverage of all components if ``bonferroni``.
    bonferroni : bool
    """

    mean: np.ndarray
    stderr: np.ndarray
    variance: np.ndarray
    low: np.ndarray
    high: np.ndarray
    n: int
    z: float
    confidence: float
    bonferroni: bool

    def contains(self, x, *, atol: float = 0.0) -> np.ndarray:
        """Componentwise ``low - atol <= x <= high + atol``."""
        x = np.asarray(float_array(np.asarray(x, dtype=object)), dtype=float)
        return (self.low - atol <= x) & (x <= self.high + atol)

    def z_scores(self, x) -> np.ndarray:
        r""":math:`(\bar x - x)/\mathrm{stderr}` (``inf`` where the error is 0 but the means differ)."""
        x = np.asarray(float_array(np.asarray(x, dtype=object)), dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = (self.mean - x) / self.stderr
        return np.where(self.stderr > 0, z, np.where(self.mean == x, 0.0, np.inf))


def mc_estimate(samples, *, confidence: float = 0.99, bonferroni: bool = True) -> MonteCarloEstimate:
    r"""Mean, standard error and confidence interval of i.i.d. samples (rows).

    Parameters
    ----------
    samples : array_like, shape (N,) or (N, k)
    confidence : float, keyword-only
    bonferroni : bool, keyword-only
        Widen the intervals so that all ``k`` hold simultaneously.

    Returns
    -------
    MonteCarloEstimate
    """
    x = np.asarray(samples, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] < 2:
        raise InvalidParameterError(f"samples must have shape (N,) or (N, k) with N >= 2; got {np.shape(samples)}")
    N, k = x.shape
    mean = x.mean(axis=0)
    var = x.var(axis=0, ddof=1)
    se = np.sqrt(var / N)
    z = normal_quantile(confidence, n_components=k, bonferroni=bonferroni)
    return MonteCarloEstimate(mean, se, var, mean - z * se, mean + z * se, N, z, float(confidence), bool(bonferroni))


def _baseline_table(mdp, pi, baseline, S, A, T):
    """b as a (T, S, A) table: b_t(s, a) (state-dependent baselines are constant along actions)."""
    if baseline is None:
        return None
    if isinstance(baseline, str):
        if baseline not in ("value", "value_infinite"):
            raise InvalidParameterError(
                f"baseline must be None, 'value', 'value_infinite', a number or an array; got {baseline!r}")
        if baseline == "value_infinite":
            V = np.asarray(float_array(evaluate(mdp, pi, mode="float").V), dtype=float)
            return np.broadcast_to(V[None, :, None], (T, S, A))
        # finite-horizon value to go: b_t(s) = V_{T-t}(s), V_0 = 0, V_k = r^pi + gamma P^pi V_{k-1}
        P_pi = np.einsum("sat,sa->st", mdp.P_dense(), pi)
        r_pi = (np.asarray(mdp.r, dtype=float) * pi).sum(axis=1)
        Vs = [np.zeros(S)]
        for _ in range(T):
            Vs.append(r_pi + float(mdp.gamma) * (P_pi @ Vs[-1]))
        return np.stack([np.repeat(Vs[T - t][:, None], A, axis=1) for t in range(T)]) if T else np.zeros((0, S, A))
    b = np.asarray(float_array(np.asarray(baseline, dtype=object)), dtype=float)
    if b.ndim == 0:
        return np.full((T, S, A), float(b))
    if b.shape == (S,):
        return np.broadcast_to(b[None, :, None], (T, S, A))
    if b.shape == (S, A):  # action-dependent: biased in general (kept for demonstrations and broken checks)
        return np.broadcast_to(b[None], (T, S, A))
    raise InvalidParameterError(f"baseline must have shape (), ({S},) or ({S}, {A}); got {b.shape}")


def reinforce_samples(mdp, param, theta, *, n: int, T: int, mu=None, estimator: str = "reward_to_go",
                      baseline=None, discount: bool = True, seed=None, trajectories=None):
    r"""Per-trajectory truncated REINFORCE estimates (AJKS Thm 9.4, Lemmas 9.7, 9.9; statement B1–B3).

    .. math::

        \hat g_{\text{total}} = R_T\sum_{t<T}\nabla\log\pi(a_t|s_t),\quad
        \hat g_{\text{reward\_to\_go}} = \sum_{t<T}\nabla\log\pi(a_t|s_t)G_t,\quad
        \hat g_{\text{baseline}} = \sum_{t<T}\nabla\log\pi(a_t|s_t)\big(G_t - \gamma^t b(s_t)\big),

    with :math:`G_t = \sum_{u=t}^{T-1}\gamma^u r_u`.  Each is unbiased for
    :math:`\nabla V_T(\mu)` (:func:`mdptheory.trajectories.truncated_value_gradient`)
    when the score has mean zero under :math:`\pi` and :math:`b` depends on
    the state only.

    Parameters
    ----------
    mdp : MDP
    param : Parameterization
    theta : array_like
    n, T : int, keyword-only
    mu : array_like, keyword-only
    estimator : {"total", "reward_to_go", "baseline"}, keyword-only
    baseline : None, "value", "value_infinite", float, array (S,) or (S, A), keyword-only
        ``"value"`` is the exact finite-horizon value to go
        :math:`b_t(s) = V_{T-t}(s)` (the natural baseline of the truncated
        problem; a time-dependent baseline is unbiased for the same reason as a
        state-dependent one), ``"value_infinite"`` is :math:`V^\pi` — any
        state(-and-time)-dependent :math:`b` keeps the estimator unbiased; an
        (S, A) table depends on the action and biases it (accepted only to
        demonstrate that).
    discount : bool, keyword-only
        ``False`` drops :math:`\gamma^t` from the rewards (a biased estimator,
        for demonstrations and broken checks).
    seed : int or Generator, keyword-only
    trajectories : Trajectories, keyword-only
        Reuse these instead of sampling (common random numbers).

    Returns
    -------
    samples : ndarray, shape (N, n_params)
    trajectories : Trajectories
    """
    if estimator not in REINFORCE_SAMPLE_ESTIMATORS:
        raise InvalidParameterError(f"estimator must be one of {REINFORCE_SAMPLE_ESTIMATORS}; got {estimator!r}")
    fm = _float_mdp(mdp)
    th = param.float_theta(theta)
    pi = np.asarray(param.probs(th), dtype=float)
    score = np.asarray(param.score(th), dtype=float)  # (S, A, n)
    if trajectories is None:
        trajectories = sample_trajectories(fm, pi, n=n, T=T, mu=mu, seed=seed)
    tr = trajectories
    sc = score[tr.states, tr.actions]                 # (N, T, n)
    if estimator == "total":
        est = tr.returns(discount=discount)[:, None] * sc.sum(axis=1)
    else:
        G = tr.rewards_to_go(discount=discount)
        if estimator == "baseline":
            if baseline is None:
                raise InvalidParameterError("estimator='baseline' needs a baseline")
            b = _baseline_table(fm, pi, baseline, fm.n_states, fm.n_actions, tr.horizon)
            disc = tr.gamma ** np.arange(tr.horizon)[None, :] if discount else 1.0
            G = G - disc * b[np.arange(tr.horizon)[None, :], tr.states, tr.actions]
        est = np.einsum("ntk,nt->nk", sc, G)
    return est, tr


def reinforce(mdp, param, theta, *, n: int, T: int, mu=None, estimator: str = "reward_to_go", baseline=None,
              confidence: float = 0.99, bonferroni: bool = True, seed=None) -> MonteCarloEstimate:
    r"""Monte-Carlo REINFORCE estimate of :math:`\nabla V_T(\mu)` with a confidence interval.

    .. math::

        \hat\nabla V_T = \frac1N\sum_{i=1}^N\hat g(\tau_i) \pm z\,\frac{\hat\sigma}{\sqrt N}

    (see :func:`reinforce_samples` for :math:`\hat g`).

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory.families import chain
    >>> from mdptheory.policies import TabularSoftmax
    >>> from mdptheory.trajectories import truncated_value_gradient
    >>> m, p = chain(2, gamma=0.5), TabularSoftmax(2, 2)
    >>> th = np.zeros(4)
    >>> est = reinforce(m, p, th, n=20000, T=3, confidence=0.999, seed=0)
    >>> bool(est.contains(truncated_value_gradient(m, p, th, 3)).all())
    True
    """
    est, _ = reinforce_samples(mdp, param, theta, n=n, T=T, mu=mu, estimator=estimator, baseline=baseline,
                               seed=seed)
    return mc_estimate(est, confidence=confidence, bonferroni=bonferroni)


def baseline_variance_reduction(mdp, param, theta, *, n: int, T: int, mu=None, baseline="value", seed=None) -> dict:
    r"""Per-component variance of reward-to-go REINFORCE with and without a baseline (same trajectories).

    .. math::

        \mathrm{ratio}_i = \frac{\mathrm{Var}[\hat g_{b,i}]}{\mathrm{Var}[\hat g_{\text{rtg},i}]},
        \qquad \text{total ratio} = \frac{\sum_i\mathrm{Var}[\hat g_{b,i}]}{\sum_i\mathrm{Var}[\hat g_{\text{rtg},i}]}

    (a ratio below one is a reduction; a state-dependent baseline never adds
    bias, Lemma 9.9, but need not reduce every component's variance).

    Returns
    -------
    dict
        ``var_plain``, ``var_baseline`` (ndarray, shape (n_params,)),
        ``ratio`` (per component, NaN where the plain variance is 0),
        ``total_ratio`` (float), ``n``.
    """
    plain, tr = reinforce_samples(mdp, param, theta, n=n, T=T, mu=mu, estimator="reward_to_go", seed=seed)
    based, _ = reinforce_samples(mdp, param, theta, n=n, T=T, mu=mu, estimator="baseline", baseline=baseline,
                                 trajectories=tr)
    v0, v1 = plain.var(axis=0, ddof=1), based.var(axis=0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(v0 > 0, v1 / np.where(v0 > 0, v0, 1.0), np.nan)
    tot = float(v1.sum() / v0.sum()) if v0.sum() > 0 else float("nan")
    return {"var_plain": v0, "var_baseline": v1, "ratio": ratio, "total_ratio": tot, "n": int(tr.n)}


def td0_q(mdp, pi, *, n_steps: int, mu=None, lr_power: float = 0.6, normalized: bool = False, Q0=None,
          seed=None):
    r"""Tabular TD(0) for :math:`Q^\pi` on one sampled trajectory (expected SARSA target).

    .. math::

        Q(s_t,a_t) \leftarrow Q(s_t,a_t) + \alpha_t\Big(c\,r(s_t,a_t) + \gamma\sum_{a'}\pi(a'|s_{t+1})Q(s_{t+1},a')
            - Q(s_t,a_t)\Big),\qquad \alpha_t = n_t(s_t,a_t)^{-\text{lr\_power}},

    with :math:`c = 1`, or :math:`c = 1-\gamma` when ``normalized`` (the
    normalised target of Liu et al. 2019, whose fixed point is :math:`(1-\gamma)Q^\pi`),
    :math:`n_t(s,a)` the visit count, on a single trajectory from
    :math:`s_0\sim\mu`.  With :math:`\tfrac12 < \text{lr\_power}\le 1` and every
    pair visited infinitely often it converges to :math:`Q^\pi` almost surely.

    Returns
    -------
    Q : ndarray, shape (S, A)
    visits : ndarray of int, shape (S, A)
    """
    n_steps = _count(n_steps, "n_steps")
    lr_power = float(lr_power)
    if not 0.5 < lr_power <= 1.0:
        raise InvalidParameterError(f"lr_power must lie in (1/2, 1]; got {lr_power!r}")
    fm = _float_mdp(mdp)
    S, A = fm.n_states, fm.n_actions
    pi = np.asarray(float_array(as_policy(fm, pi, exact=False)), dtype=float)
    tr = sample_trajectories(fm, pi, n=1, T=n_steps + 1, mu=mu, seed=seed)
    s_, a_, r_ = tr.states[0], tr.actions[0], tr.rewards[0]
    g = float(fm.gamma)
    c = (1.0 - g) if normalized else 1.0
    Q = np.zeros((S, A)) if Q0 is None else np.array(float_array(Q0), dtype=float)
    visits = np.zeros((S, A), dtype=np.int64)
    for t in range(n_steps):
        s, a, s2 = s_[t], a_[t], s_[t + 1]
        visits[s, a] += 1
        alpha = visits[s, a] ** (-lr_power)
        Q[s, a] += alpha * (c * r_[t] + g * float(pi[s2] @ Q[s2]) - Q[s, a])
    return Q, visits
