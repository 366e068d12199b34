r"""Monte-Carlo checks of THEORY B1–B3: sampled REINFORCE against the exact truncated gradient.

Each checker samples :math:`N` trajectories of horizon :math:`T` with a fixed
seed (:func:`mdptheory.estimators.reinforce_samples`), forms the
Monte-Carlo mean of the estimator and a normal confidence interval
:math:`\bar g_i \pm z\,\hat\sigma_i/\sqrt N` per component, with :math:`z`
Bonferroni-corrected over the :math:`n` components so that all intervals
hold simultaneously with probability :math:`1-\alpha`, :math:`\alpha = 10^{-4}`
(asymptotically, by the central limit theorem), and compares with the exact
:math:`\nabla V_T(\mu)` of :func:`mdptheory.trajectories.truncated_value_gradient`
(differentiating the finite sum: no sampling, no score).

**Statistical verdicts.**  VERIFIED when the exact value lies in every
interval; FALSIFIED when it lies outside one.  A correct estimator is
FALSIFIED with probability at most about :math:`\alpha = 10^{-4}` per case
(the false-alarm probability); the seed is fixed, so each report is
deterministic and reproducible from its witness.  A biased estimator is
FALSIFIED once its bias exceeds about :math:`z\hat\sigma/\sqrt N`.  An
interval of width zero (a component that is exactly zero on every sample)
is widened by a rounding allowance.
"""

from __future__ import annotations

import numpy as np

from ..estimators import mc_estimate, reinforce_samples
from ..exceptions import InvalidParameterError
from ..policies import Direct, TabularSoftmax
from ..trajectories import truncated_value_gradient
from ._common import check_variant, new_report
from .registry import Statement, register
from .report import FALSIFIED, VERIFIED
from .suite import GAMMAS, case_rng, random_case_mdp, random_distribution

__all__ = ["reinforce_monte_carlo", "baseline_monte_carlo", "reward_to_go_monte_carlo", "MC_CONFIDENCE"]

#: Simultaneous coverage of the Bonferroni-corrected intervals (false-alarm probability 1e-4 per case).
MC_CONFIDENCE = 1 - 1e-4


def _setup(mdp, param, theta, mode):
    if mode not in (None, "float"):
        raise InvalidParameterError(f"Monte-Carlo checks run in float mode; got mode={mode!r}")
    if param not in ("softmax", "direct"):
        raise InvalidParameterError(f"param must be 'softmax' or 'direct'; got {param!r}")
    m = mdp.to_float() if mdp.is_exact else mdp
    S, A = m.n_states, m.n_actions
    prm = TabularSoftmax(S, A) if param == "softmax" else Direct(S, A)
    th = prm.float_theta(theta)
    return m, prm, th


def _ci_verdict(rep, part, samples, exact_grad, m):
    est = mc_estimate(samples, confidence=MC_CONFIDENCE, bonferroni=True)
    slack = 64 * float(np.finfo(float).eps) * (1.0 + float(np.max(np.abs(samples))) if samples.size else 1.0) * \
        (1.0 / (1.0 - float(m.gamma)))
    inside = est.contains(exact_grad, atol=slack)
    z = est.z_scores(exact_grad)
    worst = float(np.max(np.abs(z))) if z.size else 0.0
    rep.claim(part, VERIFIED if inside.all() else FALSIFIED,
              f"exact value {'inside' if inside.all() else 'outside'} the Bonferroni-corrected "
              f"{100 * MC_CONFIDENCE:.2f}% intervals (z = {est.z:.3f}); false-alarm probability ~1e-4",
              worst_abs_z=worst, n=est.n)
    rep.residual = float(np.max(np.abs(est.mean - exact_grad))) if est.mean.size else 0.0
    rep.tolerance = float(np.max(est.z * est.stderr)) if est.mean.size else 0.0
    rep.tolerance_rule = (f"z*stderr per component, z = {est.z:.4f} (two-sided, alpha = 1e-4 split over "
                          f"{est.mean.size} components), plus a rounding allowance {slack:.2g}")
    return est, worst


def reinforce_monte_carlo(mdp, theta, *, param="softmax", mu=None, T=3, n=20000, mode=None, variant=None, seed=None):
    r"""Monte-Carlo REINFORCE against the exact truncated gradient (THEORY B1; AJKS Thm 9.4).

    .. math::

        \mathbb E\Big[\Big(\sum_{t<T}\gamma^t r_t\Big)\sum_{t<T}\nabla\log\pi(a_t|s_t)\Big] = \nabla V_T(\mu),

    checked statistically (module docstring): the exact right side must lie in
    the Bonferroni-corrected 99.99% intervals of the sample mean of ``n``
    trajectories drawn with the case's seed.

    Broken variant: ``"missing_discount"`` (the return without :math:`\gamma^t`).
    """
    stmt = _B1mc
    check_variant(variant, stmt.variants)
    m, prm, th = _setup(mdp, param, theta, mode)
    mu = m.rho if mu is None else np.asarray(mu, dtype=float)
    rep = new_report(stmt, "float", {"mdp": m, "param": param, "theta": th, "mu": mu, "T": T, "n": n,
                                     "seed": seed}, variant)
    rng_seed = [0] + list(np.atleast_1d(seed if seed is not None else 0))
    samples, _ = reinforce_samples(m, prm, th, n=n, T=T, mu=mu, estimator="total",
                                   discount=variant != "missing_discount", seed=rng_seed)
    g = np.asarray(truncated_value_gradient(m, prm, th, T, mu=mu, mode="float"), dtype=float)
    est, worst = _ci_verdict(rep, f"exact grad V_T in the CI of Monte-Carlo REINFORCE (N = {n}, T = {T})", samples,
                             g, m)
    rep.details = {"mean": est.mean, "stderr": est.stderr, "grad_V_T": g, "worst_abs_z": worst}
    return rep


def baseline_monte_carlo(mdp, theta, *, param="softmax", mu=None, T=3, n=20000, mode=None, variant=None, seed=None):
    r"""Monte-Carlo REINFORCE with a value baseline against the exact gradient (THEORY B2; AJKS Lemma 9.9).

    .. math::

        \mathbb E\Big[\sum_{t<T}\nabla\log\pi(a_t|s_t)\Big(\sum_{u=t}^{T-1}\gamma^u r_u - \gamma^t b_t(s_t)\Big)\Big]
            = \nabla V_T(\mu),\qquad b_t(s) = V_{T-t}(s)

    (the exact finite-horizon value to go; any state- and time-dependent
    baseline is unbiased).  Checked statistically on the same trajectories as
    the plain reward-to-go estimator; the variance reduction
    :math:`\sum_i\mathrm{Var}[\hat g_{b,i}]/\sum_i\mathrm{Var}[\hat g_i]` is
    reported in ``details`` (not a claim: Lemma 9.9 promises no reduction).

    Broken variant: ``"action_dependent_baseline"`` (the table
    :math:`b_t(s,a) = V_{T-t}(s) + a`, which depends on the action).
    """
    stmt = _B2mc
    check_variant(variant, stmt.variants)
    m, prm, th = _setup(mdp, param, theta, mode)
    mu = m.rho if mu is None else np.asarray(mu, dtype=float)
    rep = new_report(stmt, "float", {"mdp": m, "param": param, "theta": th, "mu": mu, "T": T, "n": n,
                                     "seed": seed}, variant)
    rng_seed = [1] + list(np.atleast_1d(seed if seed is not None else 0))
    plain, tr = reinforce_samples(m, prm, th, n=n, T=T, mu=mu, estimator="reward_to_go", seed=rng_seed)
    if variant == "action_dependent_baseline":
        from ..estimators import _baseline_table

        pi = np.asarray(prm.probs(th), dtype=float)
        b = _baseline_table(m, pi, "value", m.n_states, m.n_actions, T) + np.arange(m.n_actions)[None, None, :]
        G = tr.rewards_to_go() - tr.gamma ** np.arange(T)[None, :] * b[np.arange(T)[None, :], tr.states, tr.actions]
        sc = np.asarray(prm.score(th), dtype=float)[tr.states, tr.actions]
        based = np.einsum("ntk,nt->nk", sc, G)
    else:
        based, _ = reinforce_samples(m, prm, th, n=n, T=T, mu=mu, estimator="baseline", baseline="value",
                                     trajectories=tr)
    g = np.asarray(truncated_value_gradient(m, prm, th, T, mu=mu, mode="float"), dtype=float)
    est, worst = _ci_verdict(rep, f"exact grad V_T in the CI of baseline REINFORCE (N = {n}, T = {T})", based, g, m)
    v0, v1 = plain.var(axis=0, ddof=1).sum(), based.var(axis=0, ddof=1).sum()
    rep.details = {"mean": est.mean, "stderr": est.stderr, "grad_V_T": g, "worst_abs_z": worst,
                   "variance_plain": float(v0), "variance_baseline": float(v1),
                   "variance_ratio": float(v1 / v0) if v0 > 0 else None}
    return rep


def reward_to_go_monte_carlo(mdp, theta, *, param="softmax", mu=None, T=3, n=20000, mode=None, variant=None,
                             seed=None):
    r"""Monte-Carlo REINFORCE with reward to go against the exact gradient (THEORY B3; AJKS Lemma 9.7).

    .. math::

        \mathbb E\Big[\sum_{t<T}\nabla\log\pi(a_t|s_t)\sum_{u=t}^{T-1}\gamma^u r_u\Big] = \nabla V_T(\mu),

    checked statistically (module docstring).

    Broken variant: ``"restart_discount"`` (rewards to go discounted from
    :math:`t`, :math:`\gamma^{u-t}`: the :math:`\gamma^t` factor missing).
    """
    stmt = _B3mc
    check_variant(variant, stmt.variants)
    m, prm, th = _setup(mdp, param, theta, mode)
    mu = m.rho if mu is None else np.asarray(mu, dtype=float)
    rep = new_report(stmt, "float", {"mdp": m, "param": param, "theta": th, "mu": mu, "T": T, "n": n,
                                     "seed": seed}, variant)
    rng_seed = [2] + list(np.atleast_1d(seed if seed is not None else 0))
    samples, tr = reinforce_samples(m, prm, th, n=n, T=T, mu=mu, estimator="reward_to_go", seed=rng_seed)
    if variant == "restart_discount":
        G = tr.rewards_to_go() / tr.gamma ** np.arange(T)[None, :] if tr.gamma > 0 else tr.rewards
        sc = np.asarray(prm.score(th), dtype=float)[tr.states, tr.actions]
        samples = np.einsum("ntk,nt->nk", sc, G)
    g = np.asarray(truncated_value_gradient(m, prm, th, T, mu=mu, mode="float"), dtype=float)
    est, worst = _ci_verdict(rep, f"exact grad V_T in the CI of reward-to-go REINFORCE (N = {n}, T = {T})",
                             samples, g, m)
    rep.details = {"mean": est.mean, "stderr": est.stderr, "grad_V_T": g, "worst_abs_z": worst}
    return rep


# ------------------------------------------------------------ registration
def _mc_cases(sid):
    def cases(seed, n, mode):
        for i in range(n):
            rng = case_rng(seed, sid, i)
            m = random_case_mdp(rng, exact=False, max_states=3, gamma=GAMMAS[i % 2])
            S, A = m.n_states, m.n_actions
            kind = "softmax" if i % 2 == 0 else "direct"
            w = rng.integers(1, 7, size=(S, A)) + rng.random((S, A))
            theta = (rng.normal(scale=1.5, size=S * A) if kind == "softmax"
                     else (w / w.sum(axis=1, keepdims=True))[:, :-1].reshape(-1))
            yield {"mdp": m, "theta": theta, "param": kind,
                   "mu": random_distribution(rng, S, exact=False, positive=True), "T": 3, "n": 20000,
                   "seed": (seed, i)}

    return cases


_B1mc = register(Statement(
    id="B1mc", name="reinforce_monte_carlo",
    text="Monte Carlo: E[R_T sum_{t<T} grad log pi(a_t|s_t)] = grad V_T; the exact value lies in the "
         "Bonferroni-corrected 99.99% CI (false-alarm probability 1e-4 per case, fixed seed)",
    source="AJKS Thm 9.4 (statistical check)", check=reinforce_monte_carlo, cases=_mc_cases("B1mc"),
    modes=("float",), variants={"missing_discount": "the return without gamma^t"}))
_B2mc = register(Statement(
    id="B2mc", name="baseline_monte_carlo",
    text="Monte Carlo: the baseline estimator with b_t(s) = V_(T-t)(s) is unbiased for grad V_T (CI check); "
         "variance reduction reported",
    source="AJKS Lemma 9.9 (statistical check)", check=baseline_monte_carlo, cases=_mc_cases("B2mc"),
    modes=("float",), variants={"action_dependent_baseline": "a baseline V_(T-t)(s) + a that depends on the action"}))
_B3mc = register(Statement(
    id="B3mc", name="reward_to_go_monte_carlo",
    text="Monte Carlo: E[sum_{t<T} grad log pi(a_t|s_t) sum_(u>=t) gamma^u r_u] = grad V_T (CI check)",
    source="AJKS Lemma 9.7 (statistical check)", check=reward_to_go_monte_carlo, cases=_mc_cases("B3mc"),
    modes=("float",), variants={"restart_discount": "rewards to go discounted from t (gamma^(u-t))"}))
