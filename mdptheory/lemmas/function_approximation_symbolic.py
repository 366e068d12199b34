r"""Symbolic proofs of statement section F (compatible function approximation): F1s, F2s.

Each identity is proved for all parameter values of a generic small MDP with
sympy; the scaffolding (generic MDP, proof recording, registration) is in
:mod:`mdptheory.lemmas.framework.symbolic`.
"""

from __future__ import annotations

import numpy as np

from .framework.symbolic import _fisher_parts, _prove, _reg, _score, _setup
from .framework.convention import checker_convention

__all__ = [
    "compatible_gradient_symbolic",
    "npg_compatible_weights_symbolic",
]


def _score_by_sympy(sm):
    r"""``score[s, a, t*A + b]`` = :math:`z_{tb}\,\partial_{z_{tb}}\log\pi(a|s)` by ``sympy.diff`` of
    :math:`\log(z_{sa}/\sum_b z_{sb})` (:math:`\theta = \log z`), not :func:`mdptheory.symbolic.symbolic_score`."""
    import sympy

    S, A = sm.n_states, sm.n_actions
    z = sm.z
    out = np.empty((S, A, S * A), dtype=object)
    for s in range(S):
        for a in range(A):
            logpi = sympy.log(z[s, a]) - sympy.log(sum(z[s, b] for b in range(A)))
            for t in range(S):
                for b in range(A):
                    out[s, a, t * A + b] = sympy.cancel(z[t, b] * sympy.diff(logpi, z[t, b]))
    return out


@checker_convention(takes_mdp=False, legacy=("S", "A", "symbolic_P"))
def compatible_gradient_symbolic(S=2, A=2, symbolic_P=True, *, mode=None, variant=None, seed=None):
    r"""Symbolic proof of compatible function approximation for the softmax (statement F1; AJKS Lemma 11.1).

    :math:`w = A^\pi` minimises the compatible error (normal equations
    :math:`F_\mu w = \mathbb{E}[\nabla\log\pi\,A]`), and
    :math:`\nabla V(\mu) = (1-\gamma)^{-1}\mathbb{E}[\nabla\log\pi\,(w\cdot\nabla\log\pi)] = (1-\gamma)^{-1}F_\mu w`.
    Broken variant ``"drop_horizon"``.

    Data flow — left: :math:`F_\mu w` with :math:`w = A^\pi` (symbolic Fisher matrix and
    evaluation); right: :math:`\mathbb E[\nabla\log\pi\,A]` from the evaluation's :math:`d_\mu^\pi`
    and the score differentiated here (sympy on :math:`\log` of the softmax expression), and
    :math:`\nabla V(\mu)` by symbolic differentiation of :math:`V(\mu)`; shared: the symbolic MDP.
    The library's symbolic score (which the Fisher matrix uses) is proved equal to the score
    differentiated here.
    """
    sm, ev, rep = _setup(_F1s, S, A, symbolic_P, variant, seed, mode)
    F, grad = _fisher_parts(sm, ev)
    sc = _score(sm)
    n = S * A
    # a second route for the score: differentiate log pi of the softmax expression with sympy directly
    sc_own = _score_by_sympy(sm)
    _prove(rep, "symbolic score = z d/dz log(z_sa / sum_b z_sb) (sympy differentiation of the softmax)",
           [sc[s, a, k] - sc_own[s, a, k] for s in range(S) for a in range(A) for k in range(n)])
    w = ev.A.reshape(-1)
    b = [sum(ev.d[s] * sm.pi[s, a] * sc_own[s, a, k] * ev.A[s, a] for s in range(S) for a in range(A))
         for k in range(n)]
    Fw = [sum(F[k, l] * w[l] for l in range(n)) for k in range(n)]
    _prove(rep, "normal equations: E[score (w.score)] = E[score A] for w = A", [Fw[k] - b[k] for k in range(n)])
    h = 1 if variant == "drop_horizon" else 1 / (1 - sm.gamma)
    _prove(rep, "grad V = (1-gamma)^-1 E[score (w.score)]", [grad[k] - h * Fw[k] for k in range(n)])
    return rep


@checker_convention(takes_mdp=False, legacy=("S", "A", "symbolic_P"))
def npg_compatible_weights_symbolic(S=2, A=2, symbolic_P=True, *, mode=None, variant=None, seed=None):
    r"""Symbolic proof that the NPG direction is the minimum-norm compatible weight (statement F2; Lemma 11.2).

    With :math:`w^\star(s,a) = A(s,a) - \frac1{|A|}\sum_{a'}A(s,a')`: the
    normal equations :math:`F_\mu w^\star = \mathbb{E}[\nabla\log\pi\,A]`
    (a minimiser), :math:`w^\star \perp \ker F_\mu` (minimum norm; see
    :func:`npg_closed_form_symbolic` for the kernel), and
    :math:`F_\mu (w^\star/(1-\gamma)) = \nabla V`, so
    :math:`F^\dagger\nabla V = w^\star/(1-\gamma)`.  Broken variant
    ``"general_minimiser"`` (:math:`w = A`, a minimiser that is not minimum-norm).

    Data flow — left: :math:`F_\mu w^\star` (symbolic Fisher matrix; :math:`w^\star` from the
    evaluation's advantage) and :math:`\sum_a w^\star(s,a)`; right: :math:`\mathbb
    E[\nabla\log\pi\,A]` from the evaluation and the symbolic score, 0, and :math:`(1-\gamma)\nabla
    V(\mu)` by symbolic differentiation of :math:`V(\mu)`; shared: the symbolic MDP.
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


# ----------------------------------------------------------------- registration
_F1s = _reg("F1s", "compatible_gradient_symbolic",
            "w = A minimises the compatible error and grad V = (1-gamma)^-1 E[score (w.score)]",
            "AJKS Lemma 11.1", compatible_gradient_symbolic, {"drop_horizon": "1/(1-gamma) dropped"}, symbolic_P=False)
_F2s = _reg("F2s", "npg_compatible_weights_symbolic",
            "F^+ grad V = w*/(1-gamma) for the minimum-norm minimiser w* = A - mean_a A",
            "AJKS Lemma 11.2", npg_compatible_weights_symbolic,
            {"general_minimiser": "w = A (a minimiser, not the minimum-norm one)"}, symbolic_P=False)
