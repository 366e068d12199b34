r"""Symbolic proofs of statement section D (the tabular softmax score and gradient): D1s, D2s.

Each identity is proved for all parameter values of a generic small MDP with
sympy; the scaffolding (generic MDP, proof recording, registration) is in
:mod:`mdptheory.lemmas.framework.symbolic`.
"""

from __future__ import annotations


from .framework.symbolic import _prove, _reg, _score, _setup
from .framework.convention import checker_convention

__all__ = [
    "softmax_score_symbolic",
    "softmax_gradient_symbolic",
]


@checker_convention(takes_mdp=False, legacy=("S", "A", "symbolic_P"))
def softmax_score_symbolic(S=2, A=2, symbolic_P=True, *, mode=None, variant=None, seed=None):
    r"""Symbolic proof of the softmax score (statement D1).

    .. math::

        \frac{\partial\log\pi_\theta(a|s)}{\partial\theta_{s',a'}} = 1[s=s'](1[a=a'] - \pi(a'|s))

    against symbolic differentiation of :math:`\log\pi`.  Broken variant
    ``"pi_of_a"`` (:math:`1[a=a'] - \pi(a|s)`).

    Data flow — left: :math:`\partial\log\pi/\partial\theta` by symbolic differentiation
    (:func:`mdptheory.symbolic.symbolic_score`); right: the closed form :math:`1[s=s'](1[a=a'] -
    \pi(a'|s))` from the symbolic policy; shared: :math:`\theta`.
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


@checker_convention(takes_mdp=False, legacy=("S", "A", "symbolic_P"))
def softmax_gradient_symbolic(S=2, A=2, symbolic_P=True, *, mode=None, variant=None, seed=None):
    r"""Symbolic proof of the softmax policy gradient (statement D2; AJKS Lemma 10.2).

    .. math::

        \frac{\partial V(\mu)}{\partial\theta_{s,a}} = \frac{1}{1-\gamma}d_\mu(s)\pi(a|s)A(s,a)

    Broken variant ``"drop_horizon"``.

    Data flow — left: :math:`\nabla V(\mu)` by symbolic differentiation of :math:`V(\mu)`
    (:func:`mdptheory.symbolic.symbolic_gradient`); right:
    :math:`(1-\gamma)^{-1}d_\mu(s)\pi(a|s)A(s,a)` from the symbolic evaluation
    (:func:`mdptheory.symbolic.symbolic_softmax_gradient`); shared: the symbolic MDP.
    """
    from ..symbolic import symbolic_gradient, symbolic_softmax_gradient

    sm, ev, rep = _setup(_D2s, S, A, symbolic_P, variant, seed, mode)
    grad = symbolic_gradient(sm)
    closed = symbolic_softmax_gradient(sm)
    if variant == "drop_horizon":
        closed = closed * (1 - sm.gamma)
    _prove(rep, "dV(mu)/dtheta_{s,a} = (1-gamma)^-1 d(s) pi(a|s) A(s,a)", (grad - closed).reshape(-1))
    return rep


# ----------------------------------------------------------------- registration
_D1s = _reg("D1s", "softmax_score_symbolic", "d log pi(a|s)/d theta_{s',a'} = 1[s=s'](1[a=a'] - pi(a'|s))",
            "AJKS §10.1", softmax_score_symbolic, {"pi_of_a": "1[a=a'] - pi(a|s) (wrong index)"})
_D2s = _reg("D2s", "softmax_gradient_symbolic", "dV(mu)/dtheta_{s,a} = (1-gamma)^-1 d_mu(s) pi(a|s) A(s,a)",
            "AJKS Lemma 10.2", softmax_gradient_symbolic, {"drop_horizon": "1/(1-gamma) dropped"})
