r"""Policy mirror descent (PMD) and approximate mirror policy optimization (AMPO) (Alfano et al. 2023; statement H1–H3).

Tabular PMD (Xiao 2022; Alfano, Yuan, Rebeschini 2023):

.. math::

    \pi_{k+1}(\cdot|s) \in \arg\max_{p\in\Delta(\mathcal A)}
        \Big\{\eta_k\langle Q^{\pi_k}(s,\cdot), p\rangle - D(p, \pi_k(\cdot|s))\Big\}
    \quad\text{for every } s,

with two mirror maps:

* ``mirror="kl"``: :math:`D = \mathrm{KL}`, whose maximiser is
  :math:`\pi_{k+1}(a|s) = \pi_k(a|s)e^{\eta_k Q^{\pi_k}(s,a)}/Z_k(s)` — the
  tabular NPG update (AJKS Lemma 10.6) with NPG step size
  :math:`\eta_k(1-\gamma)` (NPG scales :math:`A` by :math:`1/(1-\gamma)`;
  :math:`Q` and :math:`A` differ by a per-state constant, which cancels);
* ``mirror="euclidean"``: :math:`D(p, q) = \tfrac12\|p - q\|_2^2`, whose
  maximiser is the Euclidean projection of :math:`\pi_k(\cdot|s) + \eta_k Q^{\pi_k}(s,\cdot)`
  onto the simplex (:func:`simplex_projection`).  The projection is a sort,
  a cumulative sum and one division, so with an exact MDP, an exact
  :math:`\pi_0` and a rational step size every iterate is an exact rational.

Step sizes: ``schedule="constant"`` (:math:`\eta_k = \eta_0`) or
``"geometric"`` (:math:`\eta_{k+1} = \eta_k/\gamma`, the schedule of Xiao's
linear rate and of AMPO's linear convergence; statement H2).

AMPO (Alfano et al. 2023) replaces the exact :math:`Q` by a fitted energy :math:`f^\theta`:

.. math::

    \text{Step I:}\quad \theta_{k+1} \in \arg\min_\theta \mathbb E_{(s,a)\sim\mathcal D_k}
        \Big(f^\theta(s,a) - Q^{\pi_k}(s,a) - \eta_k^{-1}\big(\log\pi_k(a|s) + 1\big)\Big)^2,

    \text{Step II:}\quad \pi_{k+1}(\cdot|s) = \arg\max_p\Big\{\eta_k\big\langle f^{\theta_{k+1}}(s,\cdot)
        - \eta_k^{-1}\log\pi_k(\cdot|s), p\big\rangle - \mathrm{KL}(p, \pi_k(\cdot|s))\Big\}
        \;\propto\; \exp\big(\eta_k f^{\theta_{k+1}}(s,\cdot)\big).

When the fit is exact (:math:`f^{\theta_{k+1}} = Q^{\pi_k} + \eta_k^{-1}(\log\pi_k + 1)`)
Step II gives :math:`\pi_{k+1}\propto\pi_k e^{\eta_k Q^{\pi_k}}`: the KL-PMD step.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..evaluation import evaluate
from ..exceptions import InvalidParameterError
from ..fields import exact_array, float_array, is_exact_scalar
from ..geometry import npg_update
from ..policies.softmax import log_softmax
from ..policies.tabular import as_policy, policy_is_exact, uniform_policy
from ._common import check_T, check_positive, distribution, evaluate_float, float_mdp, kl_moved, v_star
from .result import OptimizationResult

__all__ = ["simplex_projection", "pmd_step", "pmd_step_sizes", "policy_mirror_descent", "ampo",
           "ampo_target"]

MIRRORS = ("kl", "euclidean")
SCHEDULES = ("constant", "geometric")


# ---------------------------------------------------------------- the simplex projection
def _project_row_exact(y):
    u = sorted(y, reverse=True)
    cs = Fraction(0)
    lam = None
    for j, uj in enumerate(u, start=1):
        cs += uj
        cand = (cs - 1) / j
        if uj - cand > 0:
            lam = cand
    return [max(v - lam, Fraction(0)) for v in y]


def simplex_projection(Y) -> np.ndarray:
    r"""Row-wise Euclidean projection onto the probability simplex (exact for rationals).

    .. math::

        \Pi_\Delta(y) = \arg\min_{p\in\Delta}\|p - y\|_2 = (y - \lambda\mathbf 1)_+,\qquad
        \lambda = \frac{\sum_{i\le\rho} u_i - 1}{\rho},\quad
        \rho = \max\Big\{j : u_j - \frac{\sum_{i\le j}u_i - 1}{j} > 0\Big\},

    with :math:`u` the entries of :math:`y` sorted in decreasing order
    (Held, Wolfe and Crowder 1974; Duchi et al. 2008).  The result is the
    unique point satisfying the variational inequality
    :math:`\max_a (y - p)_a = \langle y - p, p\rangle`.

    Parameters
    ----------
    Y : array_like, shape (S, A)
        Float rows, or exact rationals (then the output is Fractions).

    Returns
    -------
    ndarray, shape (S, A)

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> simplex_projection([[F(1), F(1, 2), F(-1)]]).tolist()
    [[Fraction(3, 4), Fraction(1, 4), Fraction(0, 1)]]
    """
    arr = np.asarray(Y, dtype=object) if not isinstance(Y, np.ndarray) else Y
    if arr.ndim != 2 or arr.shape[1] < 1:
        raise InvalidParameterError(f"Y must have shape (S, A) with A >= 1; got {arr.shape}")
    if arr.dtype == object and arr.size and all(is_exact_scalar(x) for x in arr.flat):
        Ye = exact_array(arr, name="Y")
        return np.array([_project_row_exact(list(row)) for row in Ye], dtype=object).reshape(arr.shape)
    Yf = float_array(arr, name="Y")
    A = Yf.shape[1]
    u = -np.sort(-Yf, axis=1)
    css = np.cumsum(u, axis=1)
    j = np.arange(1, A + 1, dtype=float)
    cond = u - (css - 1.0) / j > 0
    rho = A - 1 - np.argmax(cond[:, ::-1], axis=1)  # last index where cond holds (cond[:, 0] always holds)
    lam = (css[np.arange(Yf.shape[0]), rho] - 1.0) / (rho + 1.0)
    return np.maximum(Yf - lam[:, None], 0.0)


def pmd_step(pi, Q, eta, *, mirror: str = "kl") -> np.ndarray:
    r"""One policy-mirror-descent step (statement H1; Alfano et al. 2023; Xiao 2022).

    .. math::

        \pi^+(\cdot|s) = \arg\max_{p\in\Delta}\{\eta\langle Q(s,\cdot), p\rangle - D(p, \pi(\cdot|s))\}
        = \begin{cases}
            \pi(\cdot|s)\,e^{\eta Q(s,\cdot)}/Z(s) & D = \mathrm{KL},\\
            \Pi_\Delta\big(\pi(\cdot|s) + \eta Q(s,\cdot)\big) & D = \tfrac12\|\cdot\|_2^2.
          \end{cases}

    The KL step is :func:`mdptheory.geometry.npg_update` (float, log space);
    the Euclidean step is :func:`simplex_projection` (exact when ``pi``, ``Q``
    and ``eta`` are exact).

    Parameters
    ----------
    pi, Q : array_like, shape (S, A)
    eta : float or exact rational
    mirror : {"kl", "euclidean"}, keyword-only

    Returns
    -------
    ndarray, shape (S, A)
    """
    if mirror not in MIRRORS:
        raise InvalidParameterError(f"mirror must be one of {MIRRORS}; got {mirror!r}")
    if mirror == "kl":
        # npg_update computes pi exp(eta A/(1-gamma))/Z; with gamma = 0 it is pi exp(eta Q)/Z
        return npg_update(pi, Q, eta, 0)
    pa = np.asarray(pi, dtype=object) if not isinstance(pi, np.ndarray) else pi
    qa = np.asarray(Q, dtype=object) if not isinstance(Q, np.ndarray) else Q
    if pa.shape != qa.shape or pa.ndim != 2:
        raise InvalidParameterError(f"pi and Q must both be (S, A); got {pa.shape} and {qa.shape}")
    exact = (policy_is_exact(pa) and qa.dtype == object and all(is_exact_scalar(x) for x in qa.flat)
             and is_exact_scalar(eta))
    if exact:
        return simplex_projection(exact_array(pa) + Fraction(eta) * exact_array(qa))
    return simplex_projection(float_array(pa) + float(eta) * float_array(qa))


def pmd_step_sizes(eta0, gamma, T: int, *, schedule: str = "geometric") -> list:
    r"""The step sizes :math:`\eta_0, \dots, \eta_{T-1}` of PMD/AMPO (statement H2).

    .. math::

        \eta_k = \eta_0 \ (\text{constant}), \qquad \eta_k = \eta_0\gamma^{-k}\ (\text{geometric}).

    Exact (Fractions) when ``eta0`` and ``gamma`` are exact.
    """
    if schedule not in SCHEDULES:
        raise InvalidParameterError(f"schedule must be one of {SCHEDULES}; got {schedule!r}")
    T = check_T(T)
    exact = is_exact_scalar(eta0) and is_exact_scalar(gamma)
    eta0 = check_positive(eta0, "eta0", exact=exact)
    g = Fraction(gamma) if exact else float(gamma)
    if schedule == "geometric" and not g > 0:
        raise InvalidParameterError(f"the geometric schedule eta_(k+1) = eta_k/gamma needs gamma > 0; got {gamma!r}")
    out, eta = [], eta0
    for _ in range(T):
        out.append(eta)
        if schedule == "geometric":
            eta = eta / g
    return out


def _mode_of(mdp, pi0, eta0, mirror, mode):
    exact_ok = (mirror == "euclidean" and mdp.is_exact and is_exact_scalar(eta0)
                and (pi0 is None or policy_is_exact(np.asarray(pi0, dtype=object))))
    if mode is None:
        return "exact" if exact_ok else "float"
    if mode not in ("float", "exact"):
        raise InvalidParameterError(f"mode must be 'float' or 'exact'; got {mode!r}")
    if mode == "exact" and not exact_ok:
        raise InvalidParameterError("mode='exact' needs mirror='euclidean', an exact MDP, an exact pi0 and a "
                                    "rational eta0 (the KL step exponentiates)")
    return mode


def policy_mirror_descent(mdp, *, mirror: str = "kl", eta0, schedule: str = "constant", T: int, pi0=None,
                          mode=None, rho=None, progress=None) -> OptimizationResult:
    r"""Tabular policy mirror descent with exact :math:`Q^{\pi_k}` (statement H1, H2; Alfano et al. 2023; Xiao 2022).

    .. math::

        \pi_{k+1}(\cdot|s) = \arg\max_{p\in\Delta}\{\eta_k\langle Q^{\pi_k}(s,\cdot), p\rangle
            - D(p, \pi_k(\cdot|s))\},\qquad
        \eta_{k+1} = \eta_k \text{ or } \eta_k/\gamma.

    Every iterate improves on every state, :math:`V^{\pi_{k+1}} \ge V^{\pi_k}`
    (statement H1), and with :math:`\eta_{k+1} = \eta_k/\gamma` the gap decays
    linearly (statement H2, checked by :func:`mdptheory.lemmas.pmd_linear_convergence`).

    Parameters
    ----------
    mdp : MDP
    mirror : {"kl", "euclidean"}, keyword-only
        Mirror map: negative entropy (KL; the NPG step) or the squared
        Euclidean norm (projection onto the simplex).
    eta0 : float or exact rational, keyword-only
    schedule : {"constant", "geometric"}, keyword-only
    T : int, keyword-only
        Number of steps.
    pi0 : array_like, shape (S, A), keyword-only
        Initial policy (default uniform; exact for an exact MDP).
    mode : {None, "float", "exact"}, keyword-only
        ``None``: exact when ``mirror="euclidean"``, the MDP, ``pi0`` and
        ``eta0`` are all exact; else float.
    rho : array_like, shape (S,), keyword-only
        Evaluation distribution of ``values`` and ``gaps`` (default ``mdp.rho``).
    progress : see :func:`mdptheory.algorithms.make_progress`

    Returns
    -------
    OptimizationResult
        Exact (Fractions) in exact mode.  ``grad_norms[k]`` is
        :math:`\|\pi_{k+1} - \pi_k\|_F` (float), ``step_sizes[k]`` is
        :math:`\eta_k`; ``kl_moved`` is recorded for the KL mirror (``None``
        for the Euclidean one, whose iterates may gain support);
        ``extras["V"]`` holds :math:`V^{\pi_k}` on every state (shape (S,)),
        one entry per step.

    Examples
    --------
    >>> from mdptheory.families import bandit
    >>> res = policy_mirror_descent(bandit([1, 0]), mirror="euclidean", eta0=1, T=2)
    >>> res.exact, res.policies[-1].tolist()
    (True, [[Fraction(1, 1), Fraction(0, 1)]])
    """
    if mirror not in MIRRORS:
        raise InvalidParameterError(f"mirror must be one of {MIRRORS}; got {mirror!r}")
    T = check_T(T)
    mode = _mode_of(mdp, pi0, eta0, mirror, mode)
    exact = mode == "exact"
    etas = pmd_step_sizes(eta0, mdp.gamma if exact else float(mdp.gamma), T, schedule=schedule)
    m = mdp if exact else float_mdp(mdp)
    rho = distribution(mdp, rho, "rho", exact=exact)
    pi = uniform_policy(m) if pi0 is None else as_policy(m, pi0, exact=exact)
    res = OptimizationResult("policy_mirror_descent",
                             options={"mirror": mirror, "eta0": etas[0] if etas else eta0, "schedule": schedule,
                                      "T": T, "pi0": "uniform" if pi0 is None else "given", "mode": mode},
                             rho=rho, v_star=v_star(mdp, rho, exact=exact), exact=exact, progress=progress)
    ev = evaluate(m, pi, mode=mode) if exact else evaluate_float(m, pi)
    zero = Fraction(0) if exact else 0.0
    for k in range(T + 1):
        res._record_iterate(pi, sum((x * y for x, y in zip(rho, ev.V)), zero) if exact else float(rho @ ev.V))
        if k == T:
            break
        pi_next = pmd_step(pi, ev.Q, etas[k], mirror=mirror)
        moved = float(np.linalg.norm(float_array(pi_next) - float_array(pi)))
        kl = kl_max = None
        if mirror == "kl":
            kl, kl_max = kl_moved(pi_next, pi, ev.visitation(rho))
        res._record_step(grad_norm=moved, step_size=etas[k], kl=kl, kl_max=kl_max, V=ev.V)
        pi = pi_next
        ev = evaluate(m, pi, mode=mode) if exact else evaluate_float(m, pi)
    return res._finish(True, f"completed T = {T} iterations")


# ---------------------------------------------------------------- AMPO
def ampo_target(Q, pi, eta, *, log_pi=None) -> np.ndarray:
    r"""The regression target of AMPO's Step I (Alfano et al. 2023; statement H3).

    .. math::

        y_k(s,a) = Q^{\pi_k}(s,a) + \eta_k^{-1}\big(\log\pi_k(a|s) + 1\big)

    (float).  Pass ``log_pi`` (e.g. a log-softmax of the energies) when
    probabilities may underflow: with only ``pi``, actions with
    :math:`\pi_k(a|s) = 0` are refused, since :math:`\log 0` has no finite
    target.
    """
    if log_pi is not None:
        lp = float_array(log_pi, name="log_pi")
        if not np.all(np.isfinite(lp)):
            s, a = np.argwhere(~np.isfinite(lp))[0]
            raise InvalidParameterError(f"log_pi[{s}, {a}] = {lp[s, a]!r} is not finite")
        return float_array(Q, name="Q") + (lp + 1.0) / float(eta)
    pf = float_array(pi, name="pi")
    if np.any(pf <= 0):
        s, a = np.argwhere(pf <= 0)[0]
        raise InvalidParameterError(f"AMPO needs pi_k > 0 everywhere; pi[{s}, {a}] = {pf[s, a]!r}")
    return float_array(Q, name="Q") + (np.log(pf) + 1.0) / float(eta)


def _fit_weights(d, pi, S, A, kind):
    if kind == "uniform_actions":
        return np.repeat(d[:, None] / A, A, axis=1)
    return d[:, None] * pi


def ampo(mdp, param, *, eta0, schedule: str = "geometric", T: int, step1: str = "lstsq",
         weighting: str = "uniform_actions", theta0=None, mu=None, rho=None, sgd_steps: int = 500,
         sgd_lr: float = 0.5, batch_size: int = 16, seed=None, progress=None) -> OptimizationResult:
    r"""Approximate mirror policy optimization, AMPO (Alfano, Yuan, Rebeschini 2023; statement H3).

    .. math::

        \theta_{k+1} \in \arg\min_\theta \mathbb E_{(s,a)\sim\mathcal D_k}
            \Big(f^\theta(s,a) - Q^{\pi_k}(s,a) - \eta_k^{-1}(\log\pi_k(a|s) + 1)\Big)^2,
        \qquad \pi_{k+1}(\cdot|s) \propto \exp\big(\eta_k f^{\theta_{k+1}}(s,\cdot)\big),

    the second being the closed form of Step II's mirror (KL) step
    :math:`\arg\max_p\{\eta_k\langle f^{\theta_{k+1}} - \eta_k^{-1}\log\pi_k, p\rangle - \mathrm{KL}(p,\pi_k)\}`.
    The energy :math:`f^\theta` is the parameterization's ``energy`` (tabular
    :math:`\theta_{s,a}`, log-linear :math:`\theta^\top\phi(s,a)`, a two-layer
    network, ...).  :math:`\pi_0` is ``param.probs(theta0)``.

    The fitting distribution :math:`\mathcal D_k` is not specified by Alfano et al. 2023;
    the default ``weighting="uniform_actions"`` uses
    :math:`\mathcal D_k(s,a) = d_\mu^{\pi_k}(s)/|\mathcal A|` (every action of a
    visited state is fitted, not only those :math:`\pi_k` favours);
    ``weighting="occupancy"`` uses :math:`d_\mu^{\pi_k}(s)\pi_k(a|s)`.  In the
    tabular case with :math:`\mu > 0` and an exact fit both reduce AMPO to the
    KL-PMD step of :func:`policy_mirror_descent` (statement H3).

    Parameters
    ----------
    mdp : MDP
    param : SoftmaxFamily
        Supplies ``energy(theta)`` (S, A) and ``energy_jacobian(theta)`` (S, A, n).
    eta0 : float, keyword-only
    schedule : {"constant", "geometric"}, keyword-only
    T : int, keyword-only
    step1 : {"lstsq", "sgd"}, keyword-only
        ``"lstsq"``: the exact weighted least-squares minimiser (minimum norm)
        of the Gauss–Newton model :math:`f^\theta \approx f^{\theta_k} + J(\theta - \theta_k)`,
        exact for energies linear in :math:`\theta`; required: the
        parameterization must declare ``energy_is_linear`` (the two-layer ReLU
        energy of :class:`~mdptheory.policies.NeuralSoftmax` does, being
        piecewise linear and positively homogeneous: there one Gauss–Newton
        step on its current activation pattern), otherwise use ``"sgd"``.  ``"sgd"``: ``sgd_steps`` minibatch SGD steps on pairs
        sampled from :math:`\mathcal D_k` (``seed``), warm-started at
        :math:`\theta_k`, projected if the parameterization has ``project``.
    weighting : {"uniform_actions", "occupancy"}, keyword-only
    theta0 : array_like, keyword-only
        Default zeros (uniform :math:`\pi_0` for linear energies).
    mu : array_like, shape (S,), keyword-only
        State distribution of :math:`\mathcal D_k` (default ``mdp.rho``).
    rho : array_like, shape (S,), keyword-only
        Evaluation distribution (default ``mdp.rho``).
    sgd_steps, sgd_lr, batch_size : keyword-only
    seed : int or Generator, keyword-only
    progress : see :func:`mdptheory.algorithms.make_progress`

    Returns
    -------
    OptimizationResult
        ``extras["approx_error"][k]`` is Step I's error
        :math:`\epsilon_k = \mathbb E_{\mathcal D_k}(f^{\theta_{k+1}} - y_k)^2`
        (the :math:`\epsilon_\mathrm{approx}` of Alfano et al. 2023), ``grad_norms[k]`` the
        norm :math:`\|\theta_{k+1} - \theta_k\|_2`.
    """
    if step1 not in ("lstsq", "sgd"):
        raise InvalidParameterError(f"step1 must be 'lstsq' or 'sgd'; got {step1!r}")
    if weighting not in ("uniform_actions", "occupancy"):
        raise InvalidParameterError(f"weighting must be 'uniform_actions' or 'occupancy'; got {weighting!r}")
    for name in ("energy", "energy_jacobian"):
        if not hasattr(param, name):
            raise InvalidParameterError(f"AMPO needs a parameterization with an energy; {type(param).__name__} has no "
                                        f"{name}()")
    if step1 == "lstsq" and not getattr(param, "energy_is_linear", False):
        raise InvalidParameterError(f"step1='lstsq' needs an energy linear in theta; use step1='sgd' for "
                                    f"{type(param).__name__}")
    S, A = mdp.n_states, mdp.n_actions
    if (param.n_states, param.n_actions) != (S, A):
        raise InvalidParameterError(f"param is for (S, A) = ({param.n_states}, {param.n_actions}); the MDP has "
                                    f"({S}, {A})")
    T = check_T(T)
    etas = [float(e) for e in pmd_step_sizes(float(eta0), float(mdp.gamma), T, schedule=schedule)]
    sgd_steps = check_T(sgd_steps, "sgd_steps")
    sgd_lr = check_positive(sgd_lr, "sgd_lr")
    batch_size = check_T(batch_size, "batch_size")
    if batch_size < 1:
        raise InvalidParameterError(f"batch_size must be at least 1; got {batch_size}")
    rng = np.random.default_rng(seed)
    fm = float_mdp(mdp)
    mu = distribution(mdp, mu, "mu", exact=False)
    rho = distribution(mdp, rho, "rho", exact=False)
    n = param.n_params
    theta = np.zeros(n) if theta0 is None else param.float_theta(theta0).copy()
    res = OptimizationResult("ampo", options={"eta0": etas[0] if etas else float(eta0), "schedule": schedule,
                                              "T": T, "step1": step1, "weighting": weighting, "n_params": n,
                                              "sgd_steps": sgd_steps, "sgd_lr": sgd_lr, "batch_size": batch_size,
                                              "seed": seed if isinstance(seed, (int, type(None))) else "generator"},
                             rho=rho, v_star=v_star(mdp, rho, exact=False), exact=False, progress=progress)
    pi = np.asarray(param.probs(theta), dtype=float)
    log_pi = np.asarray(param.log_probs(theta), dtype=float)  # kept in log space: pi may underflow to 0
    ev = evaluate_float(fm, pi)
    for k in range(T + 1):
        res._record_iterate(pi, float(rho @ ev.V), theta=theta)
        if k == T:
            break
        eta = etas[k]
        y = ampo_target(ev.Q, pi, eta, log_pi=log_pi)
        W = _fit_weights(np.asarray(ev.visitation(mu), dtype=float), pi, S, A, weighting)
        if step1 == "lstsq":
            J = np.asarray(param.energy_jacobian(theta), dtype=float).reshape(S * A, n)
            c = np.asarray(param.energy(theta), dtype=float).reshape(-1) - J @ theta
            sw = np.sqrt(W.reshape(-1))
            theta_next = np.linalg.lstsq(sw[:, None] * J, sw * (y.reshape(-1) - c), rcond=None)[0]
        else:
            p = W.reshape(-1) / W.sum()
            theta_next = theta.copy()
            for _ in range(sgd_steps):
                idx = rng.choice(S * A, size=batch_size, p=p)
                f = np.asarray(param.energy(theta_next), dtype=float).reshape(-1)[idx]
                J = np.asarray(param.energy_jacobian(theta_next), dtype=float).reshape(S * A, n)[idx]
                theta_next = theta_next - sgd_lr * (J.T @ (f - y.reshape(-1)[idx])) / batch_size
                if hasattr(param, "project"):
                    theta_next = param.project(theta_next)
        f_next = np.asarray(param.energy(theta_next), dtype=float)
        err = float(np.sum(W * (f_next - y) ** 2))
        log_pi_next = log_softmax(eta * f_next)
        if not np.all(np.isfinite(log_pi_next)):
            return res._finish(False, f"stopped at iteration {k}: the energies eta_k f are no longer finite")
        pi_next = np.exp(log_pi_next)
        kl, kl_max = kl_moved(pi_next, pi, ev.visitation(rho))
        res._record_step(grad_norm=float(np.linalg.norm(theta_next - theta)), step_size=eta, kl=kl, kl_max=kl_max,
                        approx_error=err)
        theta, pi, log_pi = theta_next, pi_next, log_pi_next
        ev = evaluate_float(fm, pi)
    return res._finish(True, f"completed T = {T} iterations")
