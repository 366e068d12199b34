r"""Shared scaffolding of the symbolic proofs (the ``<section>_symbolic`` modules).

The symbolic statements of sections A–G of the statement list are proved on a generic small MDP.
Each of them (ids ending in ``s``: ``"A1s"``, ``"D2s"``, ...) proves an
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

from .prologue import check_variant, new_report
from .registry import Statement, register
from .report import FALSIFIED, UNDECIDED, VERIFIED

__all__ = [
    "PROOF_TIMEOUT",
    "_symbolic_cases",
    "_fixed_mdp",
    "_setup",
    "_prove",
    "_score",
    "_P_pi",
    "_fisher_parts",
    "_reg",
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

    from ...mdp import MDP

    P = np.empty((S, A, S), dtype=object)
    for s in range(S):
        for a in range(A):
            w = [(3 * s + 5 * a + 2 * t) % 7 + 1 for t in range(S)]
            P[s, a] = [Fraction(x, sum(w)) for x in w]
    r = np.array([[Fraction((s + 2 * a) % 3) for a in range(A)] for s in range(S)], dtype=object)
    rho = np.array([Fraction(s + 1, S * (S + 1) // 2) for s in range(S)], dtype=object)
    return MDP(P, r, Fraction(1, 2), rho)


def _setup(stmt, S, A, symbolic_P, variant, seed, mode):
    from ...symbolic import symbolic_evaluation, symbolic_mdp

    check_variant(variant, stmt.variants)
    if mode not in (None, "symbolic"):
        from ...exceptions import InvalidParameterError

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
    from ...symbolic import is_zero

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
    from ...symbolic import symbolic_score

    return symbolic_score(sm)  # (S, A, S*A)


def _P_pi(sm):
    S, A = sm.n_states, sm.n_actions
    return np.array([[sum(sm.pi[s, a] * sm.P[s, a, t] for a in range(A)) for t in range(S)] for s in range(S)],
                    dtype=object)


def _fisher_parts(sm, ev):
    from ...symbolic import symbolic_fisher, symbolic_gradient

    return symbolic_fisher(sm), symbolic_gradient(sm).reshape(-1)


def _reg(id, name, text, source, check, variants, symbolic_P=True):
    return register(Statement(id=id, name=name, text=text, source=source + " (symbolic proof)", check=check,
                              cases=_symbolic_cases(id, symbolic_P), modes=("symbolic",), variants=variants,
                              cost=5.0))
