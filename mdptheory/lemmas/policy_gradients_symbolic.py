r"""Symbolic proofs of statement section B (policy-gradient expressions): B1s, B2s.

Each identity is proved for all parameter values of a generic small MDP with
sympy; the scaffolding (generic MDP, proof recording, registration) is in
:mod:`mdptheory.lemmas.framework.symbolic`.
"""

from __future__ import annotations


from .framework.symbolic import _prove, _reg, _score, _setup
from .framework.convention import checker_convention

__all__ = [
    "policy_gradient_symbolic",
    "baseline_symbolic",
]


@checker_convention(takes_mdp=False, legacy=("S", "A", "symbolic_P"))
def policy_gradient_symbolic(S=2, A=2, symbolic_P=True, *, mode=None, variant=None, seed=None):
    r"""Symbolic proof of the policy gradient theorem, Q- and advantage forms (statement B1; AJKS Thm 9.4).

    .. math::

        \nabla_\theta V(\mu) = \frac{1}{1-\gamma}\mathbb{E}_{s\sim d_\mu}\mathbb{E}_{a\sim\pi}
        [Q^\pi(s,a)\nabla\log\pi(a|s)]
        = \frac{1}{1-\gamma}\mathbb{E}_{s\sim d_\mu}\mathbb{E}_{a\sim\pi}[A^\pi(s,a)\nabla\log\pi(a|s)]

    against :math:`\nabla V(\mu)` by differentiating the rational function
    :math:`V(\mu)` (:func:`mdptheory.symbolic.symbolic_gradient`).  Broken
    variant ``"mu_for_d"`` (:math:`\mu` where :math:`d_\mu^\pi` belongs).

    Data flow — left: :math:`\nabla V(\mu)` by symbolic differentiation of the rational function
    :math:`V(\mu)` (:func:`mdptheory.symbolic.symbolic_gradient`); right: the Q- and advantage forms
    from the symbolic evaluation's :math:`d_\mu^\pi`, :math:`Q^\pi`, :math:`A^\pi` and the symbolic
    score; shared: the symbolic MDP.
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


@checker_convention(takes_mdp=False, legacy=("S", "A", "symbolic_P"))
def baseline_symbolic(S=2, A=2, symbolic_P=True, *, mode=None, variant=None, seed=None):
    r"""Symbolic proof that baselines add no bias (statement B2; AJKS Lemma 9.9).

    .. math::

        \sum_a \pi(a|s)\,\nabla\log\pi(a|s)\,b(s) = 0 \quad\text{for symbolic } b(s).

    Broken variant ``"uniform_weights"`` (actions weighted uniformly, not by :math:`\pi`).

    Data flow — left: :math:`\sum_a\pi(a|s)\nabla\log\pi(a|s)\,b(s)` from the symbolic score
    (:func:`mdptheory.symbolic.symbolic_score`) and symbolic baselines :math:`b(s)`; right: 0;
    shared: the symbolic MDP and :math:`\theta`.
    """
    import sympy

    sm, ev, rep = _setup(_B2s, S, A, symbolic_P, variant, seed, mode)
    sc = _score(sm)
    b = sympy.symbols(f"b_0:{S}")
    w = (lambda s, a: sympy.Rational(1, A)) if variant == "uniform_weights" else (lambda s, a: sm.pi[s, a])
    _prove(rep, "E_{a~pi}[grad log pi(a|s) b(s)] = 0",
           [sum(w(s, a) * sc[s, a, k] * b[s] for a in range(A)) for s in range(S) for k in range(S * A)])
    return rep


# ----------------------------------------------------------------- registration
_B1s = _reg("B1s", "policy_gradient_symbolic",
            "grad V(mu) = (1-gamma)^-1 E_d E_pi[Q grad log pi] = (1-gamma)^-1 E_d E_pi[A grad log pi]",
            "AJKS Thm 9.4", policy_gradient_symbolic, {"mu_for_d": "mu used where d_mu^pi belongs"}, symbolic_P=False)
_B2s = _reg("B2s", "baseline_symbolic", "E_{a~pi}[grad log pi(a|s) b(s)] = 0 for any b", "AJKS Lemma 9.9",
            baseline_symbolic, {"uniform_weights": "actions weighted uniformly instead of by pi"})
