r"""Symbolic proofs of statement section A (foundations): A1s, A2s, A3s.

Each identity is proved for all parameter values of a generic small MDP with
sympy; the scaffolding (generic MDP, proof recording, registration) is in
:mod:`mdptheory.lemmas.framework.symbolic`.
"""

from __future__ import annotations

import numpy as np

from .framework.symbolic import _P_pi, _prove, _reg, _setup
from .framework.convention import checker_convention

__all__ = [
    "bellman_symbolic",
    "visitation_symbolic",
    "performance_difference_symbolic",
]


@checker_convention(takes_mdp=False, legacy=("S", "A", "symbolic_P"))
def bellman_symbolic(S=2, A=2, symbolic_P=True, *, mode=None, variant=None, seed=None):
    r"""Symbolic proof of the Bellman equations (statement A1).

    .. math::

        V^\pi(s) = \sum_a\pi(a|s)Q^\pi(s,a), \qquad V^\pi = r^\pi + \gamma P^\pi V^\pi

    with :math:`V^\pi` the solution of the linear system and
    :math:`Q^\pi = r + \gamma P V^\pi`.  Broken variant ``"drop_gamma"``.

    Data flow — left: :math:`V^\pi` and :math:`Q^\pi = r + \gamma PV^\pi` of the fraction-free
    symbolic solve (:func:`mdptheory.symbolic.symbolic_evaluation`); right:
    :math:`\sum_a\pi(a|s)Q^\pi(s,a)` and :math:`r^\pi + \gamma P^\pi V^\pi` formed in the proof from
    the MDP's symbols; shared: the symbolic MDP and the solve's :math:`V^\pi`.
    """
    sm, ev, rep = _setup(_A1s, S, A, symbolic_P, variant, seed, mode)
    Pp = _P_pi(sm)
    g = 1 if variant == "drop_gamma" else sm.gamma
    _prove(rep, "V(s) = sum_a pi(a|s) Q(s,a)", [ev.V[s] - sum(sm.pi[s] * ev.Q[s]) for s in range(S)])
    r_pi = [sum(sm.pi[s] * sm.r[s]) for s in range(S)]
    _prove(rep, "V = r^pi + gamma P^pi V",
           [ev.V[s] - r_pi[s] - g * sum(Pp[s, t] * ev.V[t] for t in range(S)) for s in range(S)])
    return rep


@checker_convention(takes_mdp=False, legacy=("S", "A", "symbolic_P"))
def visitation_symbolic(S=2, A=2, symbolic_P=True, *, mode=None, variant=None, seed=None):
    r"""Symbolic proof of the visitation identities (statement A2).

    .. math::

        \sum_s d_\mu^\pi(s) = 1, \qquad
        d_\mu^\pi(s) = (1-\gamma)\mu(s) + \gamma\sum_{s'} d_\mu^\pi(s') P^\pi(s|s')

    (the flow constraint summed over actions).  Broken variant
    ``"drop_one_minus_gamma"`` (:math:`d` without its :math:`1-\gamma`).

    Data flow — left: :math:`d_\mu^\pi` of the symbolic transposed solve
    (:func:`mdptheory.symbolic.symbolic_evaluation`); right: 1 and :math:`(1-\gamma)\mu + \gamma\,
    d_\mu^\pi P^\pi` formed in the proof from the MDP's symbols; shared: the symbolic MDP and that
    :math:`d_\mu^\pi`.
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


@checker_convention(takes_mdp=False, legacy=("S", "A", "symbolic_P"))
def performance_difference_symbolic(S=2, A=2, symbolic_P=True, *, mode=None, variant=None, seed=None):
    r"""Symbolic proof of the performance difference lemma (statement A3; AJKS Lemma 1.16).

    .. math::

        V^\pi(\mu) - V^{\pi'}(\mu) = \frac{1}{1-\gamma}\sum_s d_\mu^\pi(s)\sum_a\pi(a|s)A^{\pi'}(s,a),
        \qquad \sum_a\pi(a|s)A^\pi(s,a) = 0,

    with :math:`\pi` the symbolic softmax policy and :math:`\pi'` the uniform
    policy, evaluated by its own symbolic linear solve.  Broken variant
    ``"drop_horizon"``.

    Data flow — left: :math:`V^\pi(\mu) - V^{\pi'}(\mu)` from the symbolic solve for the softmax
    :math:`\pi` and a separate LU solve for the uniform :math:`\pi'`; right:
    :math:`(1-\gamma)^{-1}\sum_s d_\mu^\pi(s)\sum_a\pi(a|s)A^{\pi'}(s,a)` with :math:`d_\mu^\pi`
    from the transposed symbolic solve and :math:`A^{\pi'}` from the second solve; shared: the
    symbolic MDP.
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


# ----------------------------------------------------------------- registration
_A1s = _reg("A1s", "bellman_symbolic", "V = sum_a pi Q and V = r^pi + gamma P^pi V",
            "AJKS Ch. 1", bellman_symbolic, {"drop_gamma": "V = r^pi + P^pi V (discount dropped)"})
_A2s = _reg("A2s", "visitation_symbolic", "sum_s d(s) = 1; d = (1-gamma) mu + gamma d P^pi",
            "AJKS Ch. 1", visitation_symbolic, {"drop_one_minus_gamma": "d without its (1-gamma) factor"})
_A3s = _reg("A3s", "performance_difference_symbolic",
            "V^pi(mu) - V^pi'(mu) = (1-gamma)^-1 E_{d^pi} E_pi[A^pi']; sum_a pi A^pi = 0",
            "AJKS Lemma 1.16", performance_difference_symbolic, {"drop_horizon": "1/(1-gamma) dropped"}, symbolic_P=False)
