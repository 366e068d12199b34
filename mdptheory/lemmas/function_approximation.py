r"""statement section F: compatible function approximation and log-linear NPG (AJKS Ch. 11).

F1 checks Lemma 11.1 (the gradient is the best linear fit of the advantage in
the score features), F2 Lemma 11.2 (the NPG direction is the *minimum-norm*
compatible weight), F3 the log-linear facts behind NPG and Q-NPG.  All run
exactly on rational MDPs at rational points :math:`\theta = \log q` of
tabular-softmax and log-linear policies with integer features.  F4 checks the
regret bound of log-linear NPG at every iterate (:mod:`mdptheory.lemmas.framework.rates`).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..evaluation import evaluate
from ..exceptions import InvalidParameterError
from ..policies import LogLinear
from .framework.parameterized import (_field, _gram, _matvec, _one, _param_setup, _softmax_cases,
    _witness)
from .framework.prologue import check_variant, new_report
from .framework.rates import _HALF, _NINE, _cases, _fm, _log_slope, _optimum, _rmax, _tol
from .framework.routes import confirm_visitation
from .framework.registry import Statement, register
from .framework.report import float_tolerance
from .framework.suite import case_rng
from .framework.convention import checker_convention

__all__ = [
    "compatible_gradient",
    "npg_compatible_weights",
    "loglinear_npg_update",
    "npg_regret",
]


def __getattr__(name):
    if name == "loglinear_npg":
        import warnings

        warnings.warn("mdptheory.lemmas.function_approximation.loglinear_npg is deprecated (the algorithm "
                      "mdptheory.algorithms.loglinear_npg has that name); use loglinear_npg_update",
                      DeprecationWarning, stacklevel=2)
        return loglinear_npg_update
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _cond_tolerance(m, M, scale, order=2):
    """float_tolerance times the condition number of M restricted to its range (M symmetric PSD)."""
    eig = np.linalg.eigvalsh(np.asarray(M, dtype=float)) if np.size(M) else np.zeros(1)
    top = max(float(eig.max()), 1e-300)
    pos = eig[eig > M.shape[0] * np.finfo(float).eps * top]
    cond = float(top / pos.min()) if pos.size else 1.0
    tol, rule = float_tolerance(m, scale * cond, order=order)
    return tol, rule + f", times cond(Gram on its range) = {cond:.3g}"


def _kernel_vector(M, mode):
    r"""A nonzero vector of :math:`\ker M` (``u - M^+ M u`` for a fixed ``u``), or None."""
    from ..geometry import pinv_solve

    n = M.shape[0]
    u = np.array([Fraction(k % 3 + 1, 1 + k % 2) for k in range(n)], dtype=object)
    if mode == "float":
        u = u.astype(float)
    k = u - pinv_solve(M, _matvec(M, u, mode))
    if mode == "exact":
        return k if any(x != 0 for x in k) else None
    return k if float(np.linalg.norm(k)) > 1e-6 * float(np.linalg.norm(u)) else None


def _own_gradient(m, param, theta, rho, mode):
    """grad V(rho) by forward solves with the score of routes.score_direct (no library score or Jacobian)."""
    from .framework.routes import gradient_own_score

    th = theta if mode == "exact" else param.float_theta(theta)
    return _field(np.asarray(gradient_own_score(m, param, th, rho, mode)).reshape(-1), mode, "grad V")


# ---------------------------------------------------------------------- F1
@checker_convention(policy="param")
def compatible_gradient(mdp, param, theta, *, mode=None, variant=None, seed=None):
    r"""Check compatible function approximation (statement F1; AJKS Lemma 11.1).

    .. math::

        w^\star \in \arg\min_w \mathbb{E}_{s\sim d_\rho^{\pi_\theta}}\mathbb{E}_{a\sim\pi_\theta}
        \big(A^{\pi_\theta}(s,a) - w\cdot\nabla_\theta\log\pi_\theta(a|s)\big)^2
        \ \Longrightarrow\
        \nabla_\theta V^{\pi_\theta}(\rho) = \frac{1}{1-\gamma}
        \mathbb{E}\big[\nabla_\theta\log\pi_\theta(a|s)\,(w^\star\cdot\nabla_\theta\log\pi_\theta(a|s))\big].

    Data flow — left: :math:`\nabla V(\rho)` by the forward solve of the
    differentiated Bellman system formed in the checker, with
    :math:`\nabla\pi = \pi\nabla\log\pi` from the checker's own score route
    (:func:`mdptheory.lemmas.framework.routes.gradient_own_score`: a
    complex-step derivative of :math:`\log\pi_\theta` in float, the features
    centred here in exact mode; no library score or Jacobian, no advantage, no
    visitation); right: :math:`w^\star` from the weighted
    least-squares fit of :func:`mdptheory.geometry.compatible_fa` and the
    expectation under the visitation of :func:`mdptheory.evaluate`; shared:
    MDP, :math:`\theta`.  The fit's optimality is checked by the normal
    equations
    :math:`\mathbb{E}[\nabla\log\pi\,(w^\star\cdot\nabla\log\pi)] = \mathbb{E}[\nabla\log\pi\,A]`
    with :math:`d_\rho^\pi` and :math:`A^\pi` formed in the checker by forward
    solves (:mod:`mdptheory.lemmas.framework.routes`).
    The lemma holds for *every* minimiser: it is checked again at
    :math:`w^\star + k` with :math:`k \in \ker F_\rho` nonzero (a different
    minimiser) when the kernel is nontrivial.

    Broken variants: ``"rho_for_d"`` (the regression weighted by
    :math:`\rho(s)\pi(a|s)` instead of :math:`d_\rho^\pi(s)\pi(a|s)`),
    ``"drop_horizon"`` (the :math:`1/(1-\gamma)` dropped).
    """
    from ..geometry import compatible_fa, pinv_solve
    from .framework.routes import q_direct, values_direct, visitation_direct

    stmt = _F1
    check_variant(variant, stmt.variants)
    mode, m, pi, score = _param_setup(mdp, param, theta, mode)
    S, A, n = score.shape
    rho = _field(m.rho, mode, "rho")
    rep = new_report(stmt, mode, _witness(m, param, theta, rho=rho, seed=seed), variant)
    one = _one(mode)
    ev = evaluate(m, pi, mode=mode)
    grad = _own_gradient(m, param, theta, rho, mode)
    X = score.reshape(S * A, n)
    if variant == "rho_for_d":
        nu = (rho[:, None] * pi).reshape(-1)
        M = _gram(nu, X, mode)
        w = pinv_solve(M, _gram(nu, X, mode, ev.advantage.reshape(-1)[:, None])[:, 0])
    else:
        fit = compatible_fa(m, param, theta, mu=rho, target="advantage", mode=mode)
        w = _field(fit.w, mode, "w*")
        nu = (ev.visitation(rho)[:, None] * pi).reshape(-1)
        M = _gram(nu, X, mode)
    horizon = one if variant == "drop_horizon" else one / (one - m.gamma)
    fitted = _matvec(X, w, mode)  # w* . score(s, a)
    rhs = horizon * _gram(nu, X, mode, fitted[:, None])[:, 0]
    tol = None
    if mode == "float":
        scale = float(np.max(np.abs(ev.advantage))) / (1 - float(m.gamma)) + 1.0
        tol, rep.tolerance_rule = _cond_tolerance(m, M, scale)
    # the normal equations with d and A of the checker's own forward solves
    V_own = values_direct(m, pi, mode)
    A_own = _field(q_direct(m, pi, mode, V_own), mode, "Q") - _field(V_own, mode, "V")[:, None]
    nu_own = nu if variant == "rho_for_d" else (_field(visitation_direct(m, pi, rho, mode), mode, "d")[:, None]
                                                * pi).reshape(-1)
    b = _gram(nu_own, X, mode, A_own.reshape(-1)[:, None])[:, 0]
    rep.identity("normal equations: E[score (w*.score)] = E[score A] (w* minimises the compatible error)",
                 _gram(nu_own, X, mode, fitted[:, None])[:, 0], b, tol=tol)
    rep.identity("grad V(rho) (implicit differentiation) = (1-gamma)^-1 E[score (w*.score)]", grad, rhs, tol=tol)
    k = _kernel_vector(M, mode)
    if k is not None:
        fitted2 = _matvec(X, w + k, mode)
        rhs2 = horizon * _gram(nu, X, mode, fitted2[:, None])[:, 0]
        rep.identity("the same for another minimiser w* + k, k in ker F", grad, rhs2, tol=tol)
    rep.details = {"w_star": w, "grad": grad}
    return rep


# ---------------------------------------------------------------------- F2
@checker_convention(policy="param")
def npg_compatible_weights(mdp, param, theta, *, mode=None, variant=None, seed=None):
    r"""Check that the NPG direction is the minimum-norm compatible weight (statement F2; AJKS Lemma 11.2).

    .. math::

        F_\rho(\theta)^\dagger\nabla_\theta V^{\pi_\theta}(\rho) = \frac{w^\star}{1-\gamma},
        \qquad w^\star = \text{the minimum-norm minimiser of }
        \mathbb{E}_{d_\rho^{\pi},\pi}\big(A^{\pi} - w\cdot\nabla\log\pi\big)^2;

    a general minimiser :math:`w` only satisfies :math:`F_\rho w = (1-\gamma)\nabla V(\rho)`.

    What differs from the lecture: the lecture states the identity for any
    :math:`w^\star \in \arg\min`.  When :math:`F_\rho` is singular (always for
    the tabular softmax: per-state constants are in its kernel) the minimisers
    form an affine space and only the minimum-norm one equals
    :math:`(1-\gamma)F^\dagger\nabla V`; taking another is the broken variant
    ``"general_minimiser"``.

    Data flow — left: :math:`F_\rho^\dagger\nabla V(\rho)` with :math:`F_\rho`
    (the score Gram matrix under :math:`d_\rho^\pi`) and :math:`\nabla V(\rho)`
    formed in the checker by forward solves and the checker's own score route
    (:func:`~mdptheory.lemmas.framework.routes.score_direct`, not the
    parameterization's score or Jacobian) and the generic exact
    pseudo-inverse :func:`mdptheory.geometry.pinv_solve`; right:
    :math:`w^\star` from the regression of
    :func:`mdptheory.geometry.compatible_fa` (the library's visitation and
    advantage); shared: MDP, :math:`\theta`.  The library's
    :func:`mdptheory.geometry.natural_gradient` (block closed form for the
    tabular softmax, dense pseudo-inverse otherwise) is compared with the
    left side as well.  Minimum norm is
    checked independently as :math:`w^\star \in \operatorname{range}F`
    (:math:`= (\ker F)^\perp`): :math:`w^\star` is orthogonal to a nonzero kernel
    vector.  For a general minimiser :math:`w^\star + k`,
    :math:`F(w^\star + k) = (1-\gamma)\nabla V` is checked.

    Broken variants: ``"general_minimiser"`` (:math:`w^\star + k`, :math:`k \in \ker F`,
    in place of the minimum-norm minimiser), ``"drop_horizon"``.
    """
    from ..geometry import compatible_fa, natural_gradient, pinv_solve
    from .framework.routes import score_direct, visitation_direct

    stmt = _F2
    check_variant(variant, stmt.variants)
    mode, m, pi, score = _param_setup(mdp, param, theta, mode)
    S, A, n = score.shape
    rho = _field(m.rho, mode, "rho")
    rep = new_report(stmt, mode, _witness(m, param, theta, rho=rho, seed=seed), variant)
    one = _one(mode)
    ev = evaluate(m, pi, mode=mode)
    grad = _own_gradient(m, param, theta, rho, mode)
    nat_lib = _field(natural_gradient(m, param, theta, mu=rho, mode=mode), mode, "F^+ grad V")
    d_own = _field(visitation_direct(m, pi, rho, mode), mode, "d")
    score_own = _field(score_direct(param, theta if mode == "exact" else param.float_theta(theta), mode), mode,
                       "score")
    F_own = _gram((d_own[:, None] * pi).reshape(-1), score_own.reshape(S * A, n), mode)
    nat = _field(pinv_solve(F_own, grad), mode, "F^+ grad V")
    fit = compatible_fa(m, param, theta, mu=rho, target="advantage", mode=mode)
    w = _field(fit.w, mode, "w*")
    F = _field(fit.gram, mode, "F")
    k = _kernel_vector(F, mode)
    horizon = one if variant == "drop_horizon" else one / (one - m.gamma)
    w_used = w + k if (variant == "general_minimiser" and k is not None) else w
    tol = None
    if mode == "float":
        scale = float(np.max(np.abs(ev.advantage))) / (1 - float(m.gamma)) + 1.0
        tol, rep.tolerance_rule = _cond_tolerance(m, F, scale)
    rep.identity("F_rho^+ grad V(rho) (forward solves here) = w*/(1-gamma) (minimum-norm minimiser)", nat,
                 horizon * w_used, tol=tol)
    rep.identity("geometry.natural_gradient = F_rho^+ grad V(rho) (forward solves here)", nat_lib, nat, tol=tol)
    if k is not None:
        kk = sum(x * x for x in k)
        # w* orthogonal to ker F, compared as <w* + k, k> = <k, k> (nonzero quantities)
        rep.identity("w* is minimum-norm: <w* + k, k> = <k, k> for k in ker F",
                     np.array([sum(x * y for x, y in zip(w + k, k))]), np.array([kk]), tol=tol)
        rep.identity("a general minimiser w* + k satisfies F (w* + k) = (1-gamma) grad V",
                     _matvec(F, w + k, mode), (one - m.gamma) * grad, tol=tol)
        rep.details["general_minimiser_gap"] = k / (one - m.gamma)
    rep.details.update({"w_star": w, "natural_gradient": nat})
    return rep


# ---------------------------------------------------------------------- F3
@checker_convention(policy="param")
def loglinear_npg_update(mdp, param, theta, *, eta=None, mode=None, variant=None, seed=None):
    r"""Check the log-linear NPG and Q-NPG facts (statement F3; AJKS §11.1–11.2).

    For :math:`\pi_\theta(a|s) \propto \exp(\theta\cdot\phi(s,a))`:

    .. math::

        \nabla_\theta\log\pi_\theta(a|s) = \phi(s,a) - \mathbb{E}_{a'\sim\pi_\theta(\cdot|s)}\phi(s,a');

    NPG regresses :math:`A^\pi` on the centred features (the score), Q-NPG
    regresses :math:`Q^\pi` on the raw features :math:`\phi`; both updates
    :math:`\theta + \eta w` give :math:`\pi\exp(\eta\,w\cdot\phi)/Z`; and the two
    coincide when the Q-NPG regression error is zero (then :math:`A = w_Q\cdot(\phi-\bar\phi)`
    exactly, so the NPG compatible error is zero too and :math:`w_Q` is an NPG
    minimiser).  "Coincide" is checked as: the logits :math:`\phi w_{\rm NPG}` and
    :math:`\phi w_Q` differ by a per-state constant, i.e. their per-state
    centred versions are equal (exact).  The suite alternates random integer
    features (nonzero errors: the two updates differ in general, and the
    difference is reported in ``details["update_difference"]``) and features
    that contain the one-hot features of the pairs (zero error: coincidence
    checked).  The multiplicative form of the update is transcendental, so it
    is checked in float mode only (:math:`\pi_{\theta+\eta w}` from the
    parameterization against :math:`\pi\exp(\eta\,\phi w)/Z` computed here).

    Independent routes: the score of :class:`~mdptheory.policies.LogLinear`
    against the centred features computed here; the weights from
    :func:`mdptheory.geometry.compatible_fa` and
    :func:`mdptheory.geometry.q_npg_weights`; the errors recomputed here.

    Data flow — left: the library's score and weights (:func:`mdptheory.geometry.compatible_fa`,
    :func:`~mdptheory.geometry.q_npg_weights`); right: centred features, errors and :math:`d_\rho^\pi`
    (confirmed by forward solves) formed here; shared: MDP, features, :math:`\theta`.

    Broken variants: ``"uncentred_score"`` (the score taken as the raw
    :math:`\phi`), ``"uniform_mean"`` (features centred by the unweighted mean
    over actions instead of :math:`\mathbb{E}_\pi`).
    """
    from ..geometry import compatible_fa, q_npg_weights

    stmt = _F3
    check_variant(variant, stmt.variants)
    phi_attr = getattr(param, "features", None)
    if phi_attr is None:
        raise InvalidParameterError("loglinear_npg_update needs a log-linear parameterization (with features)")
    mode, m, pi, score = _param_setup(mdp, param, theta, mode)
    S, A, n = score.shape
    phi = _field(param._phi_exact if mode == "exact" else phi_attr, mode, "features")
    rho = _field(m.rho, mode, "rho")
    rep = new_report(stmt, mode, _witness(m, param, theta, rho=rho, seed=seed), variant)
    ev = evaluate(m, pi, mode=mode)
    if variant == "uncentred_score":
        centred = phi
    elif variant == "uniform_mean":
        centred = phi - (phi.sum(axis=1) / A)[:, None, :]
    else:
        centred = phi - np.einsum("sa,sak->sk", pi, phi)[:, None, :] if mode == "float" else \
            phi - (pi[:, :, None] * phi).sum(axis=1)[:, None, :]
    npg = compatible_fa(m, param, theta, mu=rho, target="advantage", mode=mode)
    if mode == "exact":
        # q_npg_weights passes the float copy of the features; pass the exact ones explicitly
        qn = compatible_fa(m, param, theta, mu=rho, target="q", features=phi, mode=mode)
    else:
        qn = q_npg_weights(m, param, theta, mu=rho, mode=mode)
    w_a, w_q = _field(npg.w, mode), _field(qn.w, mode)
    tol = None
    if mode == "float":
        scale = float(np.max(np.abs(ev.Q))) / (1 - float(m.gamma)) + 1.0
        tol, rep.tolerance_rule = _cond_tolerance(m, _field(qn.gram, mode), scale)
    rep.identity("score = phi - E_pi phi (log-linear)", score, centred, tol=tol)
    X = phi.reshape(S * A, n)
    logits_a = _matvec(X, w_a, mode).reshape(S, A)
    logits_q = _matvec(X, w_q, mode).reshape(S, A)

    def centre(z):
        return z - (z.sum(axis=1) / A)[:, None]

    d = confirm_visitation(rep, m, pi, rho, ev.visitation(rho), mode, what="d_rho^pi of the regressions")
    nu = (d[:, None] * pi).reshape(-1)
    res_q = ev.Q.reshape(-1) - logits_q.reshape(-1)
    err_q = sum(v * r * r for v, r in zip(nu, res_q))
    res_a = ev.advantage.reshape(-1) - _matvec(score.reshape(S * A, n), w_a, mode)
    err_a = sum(v * r * r for v, r in zip(nu, res_a))
    zero_error = (err_q == 0) if mode == "exact" else (float(err_q) <= tol * tol)
    rep.details = {"npg_error": err_a, "q_npg_error": err_q, "w_npg": w_a, "w_q": w_q,
                   "update_difference": centre(logits_a) - centre(logits_q)}
    if zero_error:
        rep.identity("zero Q-NPG error => zero compatible (NPG) error", np.array([err_a + 1]), np.array([err_q + 1]),
                     tol=tol)
        rep.identity("zero error => NPG and Q-NPG updates coincide: phi w_NPG - phi w_Q is constant per state",
                     centre(logits_a), centre(logits_q), tol=tol)
    if mode == "float":
        e = float(eta) if eta is not None else 0.5
        th = param.float_theta(theta)
        for name, w in (("NPG", w_a), ("Q-NPG", w_q)):
            z = np.log(pi) + e * (phi @ w)
            z -= z.max(axis=1, keepdims=True)
            ref = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
            rep.identity(f"{name} update: pi_(theta + eta w) = pi exp(eta w.phi)/Z", param.probs(th + e * w), ref,
                         tol=tol)
    return rep


def _loglinear_cases(seed, n, mode):
    from .framework.parameterized import _param_case
    from .framework.suite import case_rng

    for i in range(n):
        rng = case_rng(seed, "F3", i)
        kind = ("loglinear", "onehot")[i % 2]
        mdp, param, theta = _param_case(rng, mode, kind=kind, max_states=3, max_actions=3)
        yield {"mdp": mdp, "param": param, "theta": theta, "seed": (seed, i)}


# ------------------------------------------------------------ registration
_F1 = register(Statement(
    id="F1", name="compatible_gradient",
    text="w* in argmin E_{d,pi}(A - w.grad log pi)^2 => grad V(rho) = (1-gamma)^-1 E[grad log pi (w*.grad log pi)]",
    source="AJKS Lemma 11.1", check=compatible_gradient,
    cases=_softmax_cases("F1", kinds=("softmax", "loglinear")),
    variants={"rho_for_d": "regression weighted by rho(s) pi(a|s) instead of d_rho(s) pi(a|s)",
              "drop_horizon": "the 1/(1-gamma) factor dropped"}))
_F2 = register(Statement(
    id="F2", name="npg_compatible_weights",
    text="F_rho^+ grad V(rho) = w*/(1-gamma) for the minimum-norm minimiser w* of the compatible error; "
         "a general minimiser only satisfies F w = (1-gamma) grad V",
    source="AJKS Lemma 11.2", check=npg_compatible_weights,
    cases=_softmax_cases("F2", kinds=("softmax", "loglinear")),
    variants={"general_minimiser": "a minimiser w* + k (k in ker F) in place of the minimum-norm one",
              "drop_horizon": "the 1/(1-gamma) factor dropped"}))
_F3 = register(Statement(
    id="F3", name="loglinear_npg_update",
    text="log-linear: grad log pi = phi - E_pi phi; NPG regresses A on centred features, Q-NPG regresses Q on raw "
         "features; both give pi exp(eta w.phi)/Z and coincide when the regression error is 0",
    source="AJKS §11.1-11.2 (log-linear NPG, Q-NPG)", check=loglinear_npg_update, cases=_loglinear_cases,
    variants={"uncentred_score": "score taken as the raw features phi",
              "uniform_mean": "features centred by the unweighted action mean instead of E_pi"}))


# ------------------------------------------------------------------ convergence
@checker_convention()
def npg_regret(mdp, *, features, eta, T=20, mode=None, variant=None, seed=None):
    r"""The NPG regret lemma for log-linear policies (AJKS Lemma 11.3; statement F4).

    For :math:`\theta^{(t+1)} = \theta^{(t)} + \eta w_t` from :math:`\theta^{(0)} = 0`
    (uniform :math:`\pi_0`), with :math:`\log\pi_\theta` :math:`\beta`-smooth
    (log-linear: :math:`\beta = B^2`, :math:`B = \max_{s,a}\|\phi(s,a)\|_2`, since
    :math:`\nabla^2\log\pi = -\mathrm{Cov}_\pi(\phi)`) and
    :math:`W = \max_{t<T}\|w_t\|_2`, for every :math:`T`:

    .. math::

        \min_{t<T}\big(V^{\tilde\pi}(\rho) - V^{(t)}(\rho)\big) \le \frac{1}{1-\gamma}
        \Big(\frac{\log|A|}{\eta T} + \frac{\eta\beta W^2}{2} + \frac1T\sum_{t<T}\mathrm{err}_t\Big),

        \mathrm{err}_t = \mathbb{E}_{s\sim d_\rho^{\tilde\pi}}\mathbb{E}_{a\sim\tilde\pi(\cdot|s)}
            \big[A^{(t)}(s,a) - w_t\cdot\nabla_\theta\log\pi^{(t)}(a|s)\big]

    (AJKS's definition: the signed transfer error under the comparator's
    distribution, which is what the proof's telescoping uses).  Comparator
    :math:`\tilde\pi = \pi^\star`; :math:`w_t` from log-linear NPG
    (:func:`mdptheory.algorithms.loglinear_npg`, exact regression under the
    MDP's start distribution); features random with fewer dimensions than
    state-action pairs, so that :math:`\mathrm{err}_t \ne 0`.  Independent
    routes: :math:`\mathrm{err}_t` from the checker's own forward solves and
    complex-step score at each iterate, the gaps from the run (its values
    confirmed), :math:`V^\star` from exact policy iteration.

    Data flow — left: the run's gaps (its values confirmed by forward solves); right:
    :math:`\mathrm{err}_t` from :math:`A^{(t)}` by forward solves and the complex-step score of each
    iterate, :math:`d_\rho^{\pi^*}` (confirmed by forward solves), :math:`V^\star` of exact policy
    iteration, and the run's :math:`w_t` checked against the normal equations of the compatible
    regression formed here (:func:`~mdptheory.lemmas.framework.routes.compatible_normal_equations`);
    shared: MDP, features, :math:`\eta`.

    Broken variant ``"drop_smoothness_term"``: the bound without
    :math:`\eta\beta W^2/2` (the price of the step size; dropping it claims
    the tabular rate for any feature map).
    """
    stmt = _F4
    check_variant(variant, stmt.variants)
    from ..algorithms import loglinear_npg
    from .framework.routes import compatible_normal_equations, q_direct, score_direct, values_direct

    m = _fm(mdp)
    A = m.n_actions
    g = float(m.gamma)
    rep = new_report(stmt, "float", {"mdp": m, "features": features, "eta": eta, "T": T, "seed": seed}, variant)
    param = LogLinear(features)
    res = loglinear_npg(m, param, eta=eta, T=T, update="npg")
    sol = _optimum(m)
    pi_star = np.asarray(sol.pi, dtype=float)
    rho = np.asarray(m.rho, dtype=float)
    d_star = confirm_visitation(rep, m, pi_star, rho, evaluate(m, pi_star).visitation(rho), "float",
                                what="d_rho^pi* of the comparator")
    nu_star = d_star[:, None] * pi_star
    errs, Fw, b, v_run, v_own, mags = [], [], [], [], [], []
    for t in range(T):
        th = np.asarray(res.thetas[t], dtype=float)
        pi_t = np.asarray(param.probs(th), dtype=float)
        # the iterate's A, d and score by the checker's own routes (forward solves, complex-step score)
        score = score_direct(param, th, "float")
        V_t = values_direct(m, pi_t, "float")
        adv = q_direct(m, pi_t, "float", V_t) - V_t[:, None]
        w = np.asarray(res.extras["w"][t], dtype=float)
        errs.append(float((nu_star * (adv - score @ w)).sum()))
        # the run's w_t solves the compatible regression: normal equations F_t w_t = b_t formed here
        F_t, b_t = compatible_normal_equations(m, pi_t, score, rho, "float")
        Fw.append(F_t @ w)
        b.append(b_t)
        mags.append(float(np.max(np.abs(F_t))) * float(np.max(np.abs(w), initial=0.0))
                    + float(np.max(np.abs(b_t), initial=0.0)))
        v_run.append(float(res.values[t]))
        v_own.append(float(rho @ V_t))
    errs = np.array(errs)
    tol_w, _ = float_tolerance(m, max(mags + [1.0]), order=2)
    rep.identity("w_t solves the compatible regression of A^(t) on the score under d_rho^(t) pi_t "
                 "(normal equations F_t w_t = b_t, F_t, b_t by forward solves and the complex-step score)",
                 np.concatenate(Fw), np.concatenate(b), tol=tol_w)
    tol_v, _ = float_tolerance(m, _rmax(m) / (1 - g) + 1.0, order=1)
    rep.identity("the run's V_t(rho) = rho . V_t by forward solves", np.array(v_run), np.array(v_own), tol=tol_v)
    B2 = float(np.max(np.sum(np.asarray(features, dtype=float) ** 2, axis=2)))
    W = np.maximum.accumulate(np.asarray(res.extras["w_norm"], dtype=float))
    Ts = np.arange(1, T + 1)
    gaps = res.float_gaps()[:T]
    lhs = np.minimum.accumulate(gaps)
    smooth_term = eta * B2 * W**2 / 2 if variant != "drop_smoothness_term" else 0.0
    rhs = (np.log(A) / (eta * Ts) + smooth_term + np.cumsum(errs) / Ts) / (1 - g)
    tol = _tol(rep, m, (_rmax(m) / (1 - g)) * (1 + B2 * float(W[-1] ** 2)), order=2)
    rep.inequality("min_{t<T} (V*(rho) - V_t(rho)) <= (log|A|/(eta T) + eta beta W^2/2 + mean err_t)/(1-gamma)",
                   lhs, rhs, tol=tol)
    rep.details = {"beta": B2, "W": float(W[-1]), "err": errs.tolist(), "gaps": gaps.tolist(),
                   "measured_log_gap_slope": _log_slope(gaps)}
    return rep


def _f4_extra(rng, mdp, exact, i):
    S, A = mdp.n_states, mdp.n_actions
    d = max(1, min(3, S * A - 2))
    return {"features": rng.normal(size=(S, A, d)).round(3), "eta": [0.1, 0.5, 1.0][int(rng.integers(3))]}


# --------------------------------------------------- registration (convergence)
_F4 = register(Statement(
    id="F4", name="npg_regret",
    text="log-linear NPG from theta_0 = 0: min_{t<T}(V^pi~ - V_t)(rho) <= (log|A|/(eta T) + eta beta W^2/2 + "
         "mean_t err_t)/(1-gamma), beta = B^2",
    source="AJKS Lemma 11.3", check=npg_regret,
    cases=_cases("F4", gammas=(_HALF, _NINE), extra=_f4_extra), modes=("float",),
    variants={"drop_smoothness_term": "bound without eta beta W^2 / 2"}, cost=3.0))
