r"""Symbolic proofs of statement section E (the closed form of the natural policy gradient): E2s.

Each identity is proved for all parameter values of a generic small MDP with
sympy; the scaffolding (generic MDP, proof recording, registration) is in
:mod:`mdptheory.lemmas.framework.symbolic`.
"""

from __future__ import annotations

import numpy as np

from .framework.symbolic import _fisher_parts, _prove, _reg, _setup
from .framework.convention import checker_convention

__all__ = [
    "npg_closed_form_symbolic",
]


@checker_convention(takes_mdp=False, legacy=("S", "A", "symbolic_P"))
def npg_closed_form_symbolic(S=2, A=2, symbolic_P=True, *, mode=None, variant=None, seed=None):
    r"""Symbolic proof of the softmax NPG closed form (statement E2; AJKS Lemma 10.6).

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

    Data flow — left: :math:`F_\mu w` and :math:`F_\mu\mathbf 1_s` with the symbolic Fisher matrix
    (:func:`mdptheory.symbolic.symbolic_fisher`) and :math:`w` from the symbolic evaluation's
    advantage; right: :math:`\nabla V(\mu)` by symbolic differentiation of :math:`V(\mu)`
    (:func:`mdptheory.symbolic.symbolic_gradient`), and 0; shared: the symbolic MDP.
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


# ----------------------------------------------------------------- registration
_E2s = _reg("E2s", "npg_closed_form_symbolic",
            "F_mu w = grad V and w orthogonal to ker F for w = (1-gamma)^-1 (A - mean_a A), i.e. w = F^+ grad V",
            "AJKS Lemma 10.6", npg_closed_form_symbolic,
            {"pi_weighted_shift": "the lecture's (1-gamma)^-1 A, not orthogonal to the kernel"}, symbolic_P=False)
