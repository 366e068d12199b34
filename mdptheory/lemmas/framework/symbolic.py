r"""Symbolic proofs of the identities of THEORY A–G on a generic small MDP.

Each statement here (ids ending in ``s``: ``"A1s"``, ``"D2s"``, ...) proves an
identity for *all* parameter values of a generic 2-state, 2-action MDP with
symbolic softmax logits :math:`\theta` (as :math:`z = e^\theta`), symbolic
rewards :math:`r_{s,a}`, symbolic discount :math:`\gamma` and symbolic
transitions :math:`p_{s,a,0}` (:math:`p_{s,a,1} = 1 - p_{s,a,0}`), built by
:mod:`mdptheory.symbolic`.  The statements whose expressions involve a
second solve or the Fisher matrix (A3s, B1s, E2s, F1s, F2s) take the
transitions from a fixed generic rational MDP instead (:func:`_fixed_mdp`:
full support, non-uniform), keeping :math:`\theta`, :math:`r` and
:math:`\gamma` symbolic: with symbolic transitions as well, sympy needs
minutes per statement.  Every sub-claim is reduced to "this expression is
identically zero" and decided by :func:`mdptheory.symbolic.is_zero`:

* ``True`` (the expanded numerator is the zero polynomial, or ``simplify``
  gives 0) — VERIFIED: a proof for every value of the symbols where the
  expressions are defined;
* ``False`` (nonzero at a random rational point) — FALSIFIED;
* ``None`` (zero at every sampled point but not proven) — UNDECIDED, never
  VERIFIED.

They run only in ``"symbolic"`` mode (``python -m proofs_check --symbolic``),
one generic case each.  Every statement has a broken variant that sympy must
refute.  The identities of rational functions hold wherever the denominators
do not vanish, in particular for :math:`0 \le \gamma < 1` and any stochastic
:math:`P` (then :math:`I - \gamma P^\pi` is invertible).
"""

from __future__ import annotations

import numpy as np

from ._common import check_variant, new_report
from .registry import Statement, register
from .report import FALSIFIED, UNDECIDED, VERIFIED

__all__ = [
    "bellman_symbolic",
    "visitation_symbolic",
    "performance_difference_symbolic",
    "policy_gradient_symbolic",
    "baseline_symbolic",
    "softmax_score_symbolic",
    "softmax_gradient_symbolic",
    "npg_closed_form_symbolic",
    "compatible_gradient_symbolic",
    "npg_compatible_weights_symbolic",
    "trajectory_kl_symbolic",
]

#: Seconds allowed to each proof attempt of :func:`mdptheory.symbolic.is_zero`.
PROOF_TIMEOUT = 60.0


def _symbolic_cases(statement_id, symbolic_P=True):
    def cases(seed, n, mode):
        # one generic case: the proof covers every parameter value, more cases add nothing
        yield {"S": 2, "A": 2, "symbolic_P": symbolic_P, "seed": (seed, 0)}

    return cases


def _fixed_mdp(S, A):
    """A fixed exact MDP with generic (non-uniform, full-support) rational transitions and start distribution."""
    from fractions import Fraction

    from ..mdp import MDP

    P = np.empty((S, A, S), dtype=object)
    for s in range(S):
        for a in range(A):
            w = [(3 * s + 5 * a + 2 * t) % 7 + 1 for t in range(S)]
            P[s, a] = [Fraction(x, sum(w)) for x in w]
    r = np.array([[Fraction((s + 2 * a) % 3) for a in range(A)] for s in range(S)], dtype=object)
    rho = np.array([Fraction(s + 1, S * (S + 1) // 2) for s in range(S)], dtype=object)
    return MDP(P, r, Fraction(1, 2), rho)


def _setup(stmt, S, A, symbolic_P, variant, seed, mode):
    from ..symbolic import symbolic_evaluation, symbolic_mdp

    check_variant(variant, stmt.variants)
    if mode not in (None, "symbolic"):
        from ..exceptions import InvalidParameterError

        raise InvalidParameterError(f"{stmt.id} runs in symbolic mode only; got mode={mode!r}")
    # with rational transitions they come from a fixed generic MDP (rewards and gamma stay symbolic)
    sm = symbolic_mdp(S, A, symbolic_P=symbolic_P, mdp=None if symbolic_P else _fixed_mdp(S, A))
    ev = symbolic_evaluation(sm)
    witness = {"S": S, "A": A, "symbolic_P": symbolic_P, "symbols": [p.name for p in sm.parameters],
               "rho": [str(x) for x in sm.rho], "seed": seed}
    rep = new_report(stmt, "symbolic", witness, variant)
    rep.tolerance_rule = "none: identities decided by sympy (is_zero), undecided kept apart from false"
    return sm, ev, rep


def _prove(rep, part, exprs):
    """Record the sub-claim 'every expression in exprs is identically zero'."""
    from ..symbolic import is_zero

    verdicts = []
    for e in np.asarray(exprs, dtype=object).reshape(-1):
        z = is_zero(e, timeout=PROOF_TIMEOUT)
        verdicts.append(z)
        if z is False:
            break
    if any(v is False for v in verdicts):
        return rep.claim(part, FALSIFIED, "sympy found a point where lhs - rhs != 0")
    if any(v is None for v in verdicts):
        return rep.claim(part, UNDECIDED, "zero at every sampled point, but sympy could not prove it")
    return rep.claim(part, VERIFIED, "lhs - rhs simplifies to 0 identically (sympy)", n_identities=len(verdicts))


def _score(sm):
    from ..symbolic import symbolic_score

    return symbolic_score(sm)  # (S, A, S*A)


def _P_pi(sm):
    S, A = sm.n_states, sm.n_actions
    return np.array([[sum(sm.pi[s, a] * sm.P[s, a, t] for a in range(A)) for t in range(S)] for s in range(S)],
                    dtype=object)


# ---------------------------------------------------------------------- A1s
def bellman_symbolic(S=2, A=2, symbolic_P=True, *, mode=None, variant=None, seed=None):
    r"""Symbolic proof of the Bellman equations (THEORY A1).

    .. math::

        V^\pi(s) = \sum_a\pi(a|s)Q^\pi(s,a), \qquad V^\pi = r^\pi + \gamma P^\pi V^\pi

    with :math:`V^\pi` the solution of the linear system and
    :math:`Q^\pi = r + \gamma P V^\pi`.  Broken variant ``"drop_gamma"``.
    """
    sm, ev, rep = _setup(_A1s, S, A, symbolic_P, variant, seed, mode)
    Pp = _P_pi(sm)
    g = 1 if variant == "drop_gamma" else sm.gamma
    _prove(rep, "V(s) = sum_a pi(a|s) Q(s,a)", [ev.V[s] - sum(sm.pi[s] * ev.Q[s]) for s in range(S)])
    r_pi = [sum(sm.pi[s] * sm.r[s]) for s in range(S)]
    _prove(rep, "V = r^pi + gamma P^pi V",
           [ev.V[s] - r_pi[s] - g * sum(Pp[s, t] * ev.V[t] for t in range(S)) for s in range(S)])
    return rep


# ---------------------------------------------------------------------- A2s
def visitation_symbolic(S=2, A=2, symbolic_P=True, *, mode=None, variant=None, seed=None):
    r"""Symbolic proof of the visitation identities (THEORY A2).

    .. math::

        \sum_s d_\mu^\pi(s) = 1, \qquad
        d_\mu^\pi(s) = (1-\gamma)\mu(s) + \gamma\sum_{s'} d_\mu^\pi(s') P^\pi(s|s')

    (the flow constraint summed over actions).  Broken variant
    ``"drop_one_minus_gamma"`` (:math:`d` without its :math:`1-\gamma`).
    """
    sm, ev, rep = _setup(_A2s, S, A, symbolic_P, variant, seed, mode)
    d = ev.d
    if variant == "drop_one_minus_gamma":
        d = np.array([x / (1 - sm.gamma) for x in d], dtype=object)
    Pp = _P_pi(sm)
    _prove(rep, "sum_s d(s) = 1", [sum(d) - 1])
    _prove(rep, "flow: d(s) = (1-gamma) mu(s) + gamma sum_s' d(s') P^pi(s|s')",
           [d[t] - (1 - sm.gamma) * sm.rho[t] - sm.gamma * sum(d[s] * Pp[s, t] for s in range(S))
            for t in range(S)])
    return rep


# ---------------------------------------------------------------------- A3s
def performance_difference_symbolic(S=2, A=2, symbolic_P=True, *, mode=None, variant=None, seed=None):
    r"""Symbolic proof of the performance difference lemma (THEORY A3; AJKS Lemma 1.16).

    .. math::

        V^\pi(\mu) - V^{\pi'}(\mu) = \frac{1}{1-\gamma}\sum_s d_\mu^\pi(s)\sum_a\pi(a|s)A^{\pi'}(s,a),
        \qquad \sum_a\pi(a|s)A^\pi(s,a) = 0,

    with :math:`\pi` the symbolic softmax policy and :math:`\pi'` the uniform
    policy, evaluated by its own symbolic linear solve.  Broken variant
    ``"drop_horizon"``.
    """
    import sympy

    sm, ev, rep = _setup(_A3s, S, A, symbolic_P, variant, seed, mode)
    g = sm.gamma
    u = sympy.Rational(1, A)
    M = sympy.Matrix(S, S, lambda s, t: (1 if s == t else 0) - g * sum(u * sm.P[s, a, t] for a in range(A)))
    b = sympy.Matrix(S, 1, lambda s, _: sum(u * sm.r[s, a] for a in range(A)))
    V2 = M.LUsolve(b)
    A2 = [[sm.r[s, a] + g * sum(sm.P[s, a, t] * V2[t] for t in range(S)) - V2[s] for a in range(A)] for s in range(S)]
    horizon = 1 if variant == "drop_horizon" else 1 / (1 - g)
    lhs = sum(sm.rho[s] * (ev.V[s] - V2[s]) for s in range(S))
    rhs = horizon * sum(ev.d[s] * sum(sm.pi[s, a] * A2[s][a] for a in range(A)) for s in range(S))
    _prove(rep, "V^pi(mu) - V^pi'(mu) = (1-gamma)^-1 E_{d^pi} E_pi[A^pi']", [lhs - rhs])
    _prove(rep, "sum_a pi(a|s) A^pi(s,a) = 0", [sum(sm.pi[s] * ev.A[s]) for s in range(S)])
    return rep


# ---------------------------------------------------------------------- B1s
def policy_gradient_symbolic(S=2, A=2, symbolic_P=True, *, mode=None, variant=None, seed=None):
    r"""Symbolic proof of the policy gradient theorem, Q- and advantage forms (THEORY B1; AJKS Thm 9.4).

    .. math::

        \nabla_\theta V(\mu) = \frac{1}{1-\gamma}\mathbb{E}_{s\sim d_\mu}\mathbb{E}_{a\sim\pi}
        [Q^\pi(s,a)\nabla\log\pi(a|s)]
        = \frac{1}{1-\gamma}\mathbb{E}_{s\sim d_\mu}\mathbb{E}_{a\sim\pi}[A^\pi(s,a)\nabla\log\pi(a|s)]

    against :math:`\nabla V(\mu)` by differentiating the rational function
    :math:`V(\mu)` (:func:`mdptheory.symbolic.symbolic_gradient`).  Broken
    variant ``"mu_for_d"`` (:math:`\mu` where :math:`d_\mu^\pi` belongs).
    """
    from ..symbolic import symbolic_gradient

    sm, ev, rep = _setup(_B1s, S, A, symbolic_P, variant, seed, mode)
    grad = symbolic_gradient(sm).reshape(-1)
    sc = _score(sm)
    d = sm.rho if variant == "mu_for_d" else ev.d
    h = 1 / (1 - sm.gamma)
    for name, T in (("Q", ev.Q), ("A", ev.A)):
        form = [h * sum(d[s] * sm.pi[s, a] * T[s, a] * sc[s, a, k] for s in range(S) for a in range(A))
                for k in range(S * A)]
        _prove(rep, f"grad V(mu) = (1-gamma)^-1 E_d E_pi[{name} grad log pi]",
               [grad[k] - form[k] for k in range(S * A)])
    return rep


# ---------------------------------------------------------------------- B2s
def baseline_symbolic(S=2, A=2, symbolic_P=True, *, mode=None, variant=None, seed=None):
    r"""Symbolic proof that baselines add no bias (THEORY B2; AJKS Lemma 9.9).

    .. math::

        \sum_a \pi(a|s)\,\nabla\log\pi(a|s)\,b(s) = 0 \quad\text{for symbolic } b(s).

    Broken variant ``"uniform_weights"`` (actions weighted uniformly, not by :math:`\pi`).
    """
    import sympy

    sm, ev, rep = _setup(_B2s, S, A, symbolic_P, variant, seed, mode)
    sc = _score(sm)
    b = sympy.symbols(f"b_0:{S}")
    w = (lambda s, a: sympy.Rational(1, A)) if variant == "uniform_weights" else (lambda s, a: sm.pi[s, a])
    _prove(rep, "E_{a~pi}[grad log pi(a|s) b(s)] = 0",
           [sum(w(s, a) * sc[s, a, k] * b[s] for a in range(A)) for s in range(S) for k in range(S * A)])
    return rep


# ---------------------------------------------------------------------- D1s
def softmax_score_symbolic(S=2, A=2, symbolic_P=True, *, mode=None, variant=None, seed=None):
    r"""Symbolic proof of the softmax score (THEORY D1).

    .. math::

        \frac{\partial\log\pi_\theta(a|s)}{\partial\theta_{s',a'}} = 1[s=s'](1[a=a'] - \pi(a'|s))

    against symbolic differentiation of :math:`\log\pi`.  Broken variant
    ``"pi_of_a"`` (:math:`1[a=a'] - \pi(a|s)`).
    """
    sm, ev, rep = _setup(_D1s, S, A, symbolic_P, variant, seed, mode)
    sc = _score(sm)
    diffs = []
    for s in range(S):
        for a in range(A):
            for t in range(S):
                for b in range(A):
                    p = sm.pi[s, a] if variant == "pi_of_a" else sm.pi[s, b]
                    closed = ((1 if a == b else 0) - p) if s == t else 0
                    diffs.append(sc[s, a, t * A + b] - closed)
    _prove(rep, "d log pi(a|s)/d theta_{s',a'} = 1[s=s'](1[a=a'] - pi(a'|s))", diffs)
    return rep


# ---------------------------------------------------------------------- D2s
def softmax_gradient_symbolic(S=2, A=2, symbolic_P=True, *, mode=None, variant=None, seed=None):
    r"""Symbolic proof of the softmax policy gradient (THEORY D2; AJKS Lemma 10.2).

    .. math::

        \frac{\partial V(\mu)}{\partial\theta_{s,a}} = \frac{1}{1-\gamma}d_\mu(s)\pi(a|s)A(s,a)

    Broken variant ``"drop_horizon"``.
    """
    from ..symbolic import symbolic_gradient, symbolic_softmax_gradient

    sm, ev, rep = _setup(_D2s, S, A, symbolic_P, variant, seed, mode)
    grad = symbolic_gradient(sm)
    closed = symbolic_softmax_gradient(sm)
    if variant == "drop_horizon":
        closed = closed * (1 - sm.gamma)
    _prove(rep, "dV(mu)/dtheta_{s,a} = (1-gamma)^-1 d(s) pi(a|s) A(s,a)", (grad - closed).reshape(-1))
    return rep


def _fisher_parts(sm, ev):
    from ..symbolic import symbolic_fisher, symbolic_gradient

    return symbolic_fisher(sm), symbolic_gradient(sm).reshape(-1)


# ---------------------------------------------------------------------- E2s
def npg_closed_form_symbolic(S=2, A=2, symbolic_P=True, *, mode=None, variant=None, seed=None):
    r"""Symbolic proof of the softmax NPG closed form (THEORY E2; AJKS Lemma 10.6).

    With :math:`w = (1-\gamma)^{-1}(A(s,a) - \frac1{|A|}\sum_{a'}A(s,a'))`:
    :math:`F_\mu w = \nabla V(\mu)`; :math:`F_\mu\mathbf 1_s = 0` for every
    state (per-state constants are in the kernel); and
    :math:`\sum_a w(s,a) = 0`, i.e. :math:`w \perp \mathbf 1_s`.  Since
    :math:`\ker F_\mu` is exactly the span of the :math:`\mathbf 1_s` when
    :math:`d_\mu > 0` and :math:`\pi > 0` (rank :math:`|S|(|A|-1)`, checked
    exactly on the default suite by E2), :math:`w \in \operatorname{range}F`
    and so :math:`w = F^\dagger\nabla V` (the minimum-norm solution).  The
    lecture's :math:`(1-\gamma)^{-1}A` (the :math:`\pi`-weighted shift) solves
    :math:`F w = \nabla V` but is not orthogonal to the kernel: it is the
    broken variant ``"pi_weighted_shift"``.
    """
    sm, ev, rep = _setup(_E2s, S, A, symbolic_P, variant, seed, mode)
    F, grad = _fisher_parts(sm, ev)
    h = 1 / (1 - sm.gamma)
    if variant == "pi_weighted_shift":
        w = np.array([[h * ev.A[s, a] for a in range(A)] for s in range(S)], dtype=object).reshape(-1)
    else:
        w = np.array([[h * (ev.A[s, a] - sum(ev.A[s]) / A) for a in range(A)] for s in range(S)],
                     dtype=object).reshape(-1)
    n = S * A
    _prove(rep, "F w = grad V", [sum(F[k, l] * w[l] for l in range(n)) - grad[k] for k in range(n)])
    _prove(rep, "F 1_s = 0 (per-state constants in the kernel)",
           [sum(F[k, s * A + a] for a in range(A)) for s in range(S) for k in range(n)])
    _prove(rep, "w orthogonal to the kernel: sum_a w(s,a) = 0", [sum(w[s * A:(s + 1) * A]) for s in range(S)])
    return rep


# ---------------------------------------------------------------------- F1s
def compatible_gradient_symbolic(S=2, A=2, symbolic_P=True, *, mode=None, variant=None, seed=None):
    r"""Symbolic proof of compatible function approximation for the softmax (THEORY F1; AJKS Lemma 11.1).

    :math:`w = A^\pi` minimises the compatible error (normal equations
    :math:`F_\mu w = \mathbb{E}[\nabla\log\pi\,A]`), and
    :math:`\nabla V(\mu) = (1-\gamma)^{-1}\mathbb{E}[\nabla\log\pi\,(w\cdot\nabla\log\pi)] = (1-\gamma)^{-1}F_\mu w`.
    Broken variant ``"drop_horizon"``.
    """
    sm, ev, rep = _setup(_F1s, S, A, symbolic_P, variant, seed, mode)
    F, grad = _fisher_parts(sm, ev)
    sc = _score(sm)
    n = S * A
    w = ev.A.reshape(-1)
    b = [sum(ev.d[s] * sm.pi[s, a] * sc[s, a, k] * ev.A[s, a] for s in range(S) for a in range(A)) for k in range(n)]
    Fw = [sum(F[k, l] * w[l] for l in range(n)) for k in range(n)]
    _prove(rep, "normal equations: E[score (w.score)] = E[score A] for w = A", [Fw[k] - b[k] for k in range(n)])
    h = 1 if variant == "drop_horizon" else 1 / (1 - sm.gamma)
    _prove(rep, "grad V = (1-gamma)^-1 E[score (w.score)]", [grad[k] - h * Fw[k] for k in range(n)])
    return rep


# ---------------------------------------------------------------------- F2s
def npg_compatible_weights_symbolic(S=2, A=2, symbolic_P=True, *, mode=None, variant=None, seed=None):
    r"""Symbolic proof that the NPG direction is the minimum-norm compatible weight (THEORY F2; Lemma 11.2).

    With :math:`w^\star(s,a) = A(s,a) - \frac1{|A|}\sum_{a'}A(s,a')`: the
    normal equations :math:`F_\mu w^\star = \mathbb{E}[\nabla\log\pi\,A]`
    (a minimiser), :math:`w^\star \perp \ker F_\mu` (minimum norm; see
    :func:`npg_closed_form_symbolic` for the kernel), and
    :math:`F_\mu (w^\star/(1-\gamma)) = \nabla V`, so
    :math:`F^\dagger\nabla V = w^\star/(1-\gamma)`.  Broken variant
    ``"general_minimiser"`` (:math:`w = A`, a minimiser that is not minimum-norm).
    """
    sm, ev, rep = _setup(_F2s, S, A, symbolic_P, variant, seed, mode)
    F, grad = _fisher_parts(sm, ev)
    sc = _score(sm)
    n = S * A
    if variant == "general_minimiser":
        w = ev.A.reshape(-1)
    else:
        w = np.array([[ev.A[s, a] - sum(ev.A[s]) / A for a in range(A)] for s in range(S)], dtype=object).reshape(-1)
    b = [sum(ev.d[s] * sm.pi[s, a] * sc[s, a, k] * ev.A[s, a] for s in range(S) for a in range(A)) for k in range(n)]
    Fw = [sum(F[k, l] * w[l] for l in range(n)) for k in range(n)]
    _prove(rep, "w* solves the normal equations F w* = E[score A]", [Fw[k] - b[k] for k in range(n)])
    _prove(rep, "w* is minimum-norm: sum_a w*(s,a) = 0", [sum(w[s * A:(s + 1) * A]) for s in range(S)])
    _prove(rep, "F (w*/(1-gamma)) = grad V", [Fw[k] / (1 - sm.gamma) - grad[k] for k in range(n)])
    return rep


# ---------------------------------------------------------------------- G2s
def trajectory_kl_symbolic(S=2, A=2, symbolic_P=True, *, mode=None, variant=None, seed=None, H=2):
    r"""Symbolic proof of Claim 12.5 for horizon 2 (THEORY G2).

    With :math:`K(\theta') = \mathrm{KL}(\Pr^{\theta}\,\|\,\Pr^{\theta'})
    = \sum_{h<H}\sum_s \Pr^\theta(s_h = s)\sum_a\pi_\theta(a|s)\log\frac{\pi_\theta(a|s)}{\pi_{\theta'}(a|s)}`
    (the transition factors cancel), differentiated symbolically in
    :math:`\theta'` and evaluated at :math:`\theta' = \theta`:
    :math:`\nabla K = 0` and
    :math:`\nabla^2 K = \sum_{h<H}\mathbb{E}_{s_h}\mathbb{E}_{a\sim\pi}[\nabla\log\pi\nabla\log\pi^\top]`,
    the score from :func:`mdptheory.symbolic.symbolic_score`.  Broken variant
    ``"mu_for_states"`` (:math:`\mu` for every :math:`\Pr(s_h = \cdot)`).
    """
    import sympy

    sm, ev, rep = _setup(_G2s, S, A, symbolic_P, variant, seed, mode)
    th = sm.theta
    th2 = np.array([[sympy.Symbol(f"t_{s}_{a}", real=True) for a in range(A)] for s in range(S)], dtype=object)
    pi_t = sm.to_theta(sm.pi)
    Pp = sm.to_theta(_P_pi(sm))
    # state distributions over the horizon under theta
    dist = [np.array(sm.rho, dtype=object)]
    for _ in range(1, H):
        prev = dist[-1]
        dist.append(np.array([sum(prev[s] * Pp[s, t] for s in range(S)) for t in range(S)], dtype=object))
    w_true = [sum(dd[s] for dd in dist) for s in range(S)]
    # the broken variant changes the KL side only; the Fisher side keeps the true distributions
    w = [H * sm.rho[s] for s in range(S)] if variant == "mu_for_states" else w_true
    log_pi2 = [[th2[s, a] - sympy.log(sum(sympy.exp(th2[s, b]) for b in range(A))) for a in range(A)]
               for s in range(S)]
    # the theta'-dependent part of K (the entropy term does not depend on theta')
    K = -sum(w[s] * pi_t[s, a] * log_pi2[s][a] for s in range(S) for a in range(A))
    flat2 = list(th2.reshape(-1))
    at = {th2[s, a]: th[s, a] for s in range(S) for a in range(A)}
    gradK = [sympy.diff(K, x).xreplace(at) for x in flat2]
    sc = sm.to_theta(_score(sm))
    n = S * A
    _prove(rep, "grad KL(Pr^theta_t || Pr^theta) at theta_t = 0", gradK)
    diffs = []
    for k in range(n):
        dk = sympy.diff(K, flat2[k])
        for l in range(k, n):
            hkl = sympy.diff(dk, flat2[l]).xreplace(at)
            fkl = sum(w_true[s] * pi_t[s, a] * sc[s, a, k] * sc[s, a, l] for s in range(S) for a in range(A))
            diffs.append(hkl - fkl)
    _prove(rep, f"Hessian of the KL at theta_t = sum_(h<{H}) E_(s_h) E_pi[score score^T]", diffs)
    return rep


# ------------------------------------------------------------ registration
def _reg(id, name, text, source, check, variants, symbolic_P=True):
    return register(Statement(id=id, name=name, text=text, source=source + " (symbolic proof)", check=check,
                              cases=_symbolic_cases(id, symbolic_P), modes=("symbolic",), variants=variants,
                              cost=5.0))


_A1s = _reg("A1s", "bellman_symbolic", "V = sum_a pi Q and V = r^pi + gamma P^pi V, for all theta, P, r, gamma",
            "AJKS Ch. 1", bellman_symbolic, {"drop_gamma": "V = r^pi + P^pi V (discount dropped)"})
_A2s = _reg("A2s", "visitation_symbolic", "sum_s d(s) = 1; d = (1-gamma) mu + gamma d P^pi, for all theta, P, gamma",
            "AJKS Ch. 1", visitation_symbolic, {"drop_one_minus_gamma": "d without its (1-gamma) factor"})
_A3s = _reg("A3s", "performance_difference_symbolic",
            "V^pi(mu) - V^pi'(mu) = (1-gamma)^-1 E_{d^pi} E_pi[A^pi']; sum_a pi A^pi = 0, for all theta, P, r, gamma",
            "AJKS Lemma 1.16", performance_difference_symbolic, {"drop_horizon": "1/(1-gamma) dropped"}, symbolic_P=False)
_B1s = _reg("B1s", "policy_gradient_symbolic",
            "grad V(mu) = (1-gamma)^-1 E_d E_pi[Q grad log pi] = (1-gamma)^-1 E_d E_pi[A grad log pi]",
            "AJKS Thm 9.4", policy_gradient_symbolic, {"mu_for_d": "mu used where d_mu^pi belongs"}, symbolic_P=False)
_B2s = _reg("B2s", "baseline_symbolic", "E_{a~pi}[grad log pi(a|s) b(s)] = 0 for any b", "AJKS Lemma 9.9",
            baseline_symbolic, {"uniform_weights": "actions weighted uniformly instead of by pi"})
_D1s = _reg("D1s", "softmax_score_symbolic", "d log pi(a|s)/d theta_{s',a'} = 1[s=s'](1[a=a'] - pi(a'|s))",
            "AJKS §10.1", softmax_score_symbolic, {"pi_of_a": "1[a=a'] - pi(a|s) (wrong index)"})
_D2s = _reg("D2s", "softmax_gradient_symbolic", "dV(mu)/dtheta_{s,a} = (1-gamma)^-1 d_mu(s) pi(a|s) A(s,a)",
            "AJKS Lemma 10.2", softmax_gradient_symbolic, {"drop_horizon": "1/(1-gamma) dropped"})
_E2s = _reg("E2s", "npg_closed_form_symbolic",
            "F_mu w = grad V and w orthogonal to ker F for w = (1-gamma)^-1 (A - mean_a A), i.e. w = F^+ grad V",
            "AJKS Lemma 10.6", npg_closed_form_symbolic,
            {"pi_weighted_shift": "the lecture's (1-gamma)^-1 A, not orthogonal to the kernel"}, symbolic_P=False)
_F1s = _reg("F1s", "compatible_gradient_symbolic",
            "w = A minimises the compatible error and grad V = (1-gamma)^-1 E[score (w.score)]",
            "AJKS Lemma 11.1", compatible_gradient_symbolic, {"drop_horizon": "1/(1-gamma) dropped"}, symbolic_P=False)
_F2s = _reg("F2s", "npg_compatible_weights_symbolic",
            "F^+ grad V = w*/(1-gamma) for the minimum-norm minimiser w* = A - mean_a A",
            "AJKS Lemma 11.2", npg_compatible_weights_symbolic,
            {"general_minimiser": "w = A (a minimiser, not the minimum-norm one)"}, symbolic_P=False)
_G2s = _reg("G2s", "trajectory_kl_symbolic",
            "H = 2: grad KL(Pr^theta_t || Pr^theta) = 0 and its Hessian = sum_h E[score score^T] at theta_t",
            "AJKS Claim 12.5", trajectory_kl_symbolic, {"mu_for_states": "mu used for every Pr(s_h = .)"})
