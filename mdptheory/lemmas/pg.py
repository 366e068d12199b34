r"""THEORY section B: policy-gradient expressions (AJKS Ch. 9).

B1 (policy gradient theorem), B2 (baselines), B3 (REINFORCE with reward to
go) compare the derivative of the Bellman linear system (implicit
differentiation, :func:`mdptheory.gradients.value_gradient`, which uses
neither Q, nor A, nor the score) with the lecture's expressions.  The
REINFORCE forms have an infinite sum; they are checked on the horizon-``T``
truncation by exact enumeration of trajectories
(:mod:`mdptheory.trajectories`), against the derivative of the truncated value
:math:`\nabla V_T` computed by differentiating the finite sum.  Monte Carlo
REINFORCE with confidence intervals belongs to the sampled estimators, not
here.

B4 and B5 are the named non-concavity witnesses, checked exactly
(:func:`mdptheory.families.nonconcave_tree`,
:func:`mdptheory.families.bandit_mei`).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..evaluation import evaluate
from ..exceptions import InvalidParameterError
from ._common import check_variant, new_report
from .registry import Statement, register
from .report import float_tolerance
from .suite import GAMMAS, case_rng

__all__ = ["nonconcavity_tree", "bandit_nonconcavity"]


def _log_rational_or_float(q, mode):
    """The softmax point theta = log q: a LogRational (exact) or float log q."""
    from ..policies import LogRational

    lr = LogRational(q)
    return lr if mode == "exact" else lr.to_float()


def _value_at(mdp, param, theta, mode):
    pi = param.probs(theta)
    ev = evaluate(mdp if mode == "exact" else mdp.to_float(), pi, mode=mode)
    return ev.value(), pi


# --------------------------------------------------------------------- B4
def nonconcavity_tree(r=1, gamma=Fraction(9, 10), *, mode="exact", variant=None, seed=None):
    r"""Check the non-concavity witness of AJKS Lemma 9.5 on the tree MDP (THEORY B4).

    On :func:`mdptheory.families.nonconcave_tree` (start :math:`s_1`;
    :math:`V^\pi(s_1) = \gamma\,\pi(a_2|s_1)\,\pi(a_1|s_2)\,r`), with tabular
    softmax and :math:`\theta` ordered
    :math:`(\theta_{s_1,a_1}, \theta_{s_1,a_2}, \theta_{s_2,a_1}, \theta_{s_2,a_2})`
    (the absorbing states' parameters 0):

    .. math::

        V(\theta^{(1)}) = \tfrac{9}{16}\gamma r, \quad
        V(\theta^{(2)}) = \tfrac{1}{16}\gamma r, \quad
        V\big(\tfrac{\theta^{(1)}+\theta^{(2)}}{2}\big) = \tfrac14\gamma r, \qquad
        V(\theta^{(1)}) + V(\theta^{(2)}) > 2\,V\big(\tfrac{\theta^{(1)}+\theta^{(2)}}{2}\big)

    for :math:`\theta^{(1)} = (0, \ln 3, \ln 3, 0)`,
    :math:`\theta^{(2)} = -\theta^{(1)}` (midpoint 0).  The lecture states the
    values as :math:`\tfrac{9}{16}r`, :math:`\tfrac{1}{16}r`,
    :math:`\tfrac14 r`; the reward is collected one step after the start, so
    with discounting every value carries the factor :math:`\gamma` (the
    strict inequality is unaffected).  The book writes :math:`a_1` at
    :math:`s_2` where the lecture writes :math:`a_2`: the same up to relabelling.

    Routes: each value from :func:`mdptheory.evaluate` on the policy
    :class:`~mdptheory.policies.TabularSoftmax` gives at the point (exact:
    :class:`~mdptheory.policies.LogRational` ``q = e^theta``), against the
    closed forms above.

    Broken variants: ``"drop_gamma"`` (the values without the factor
    :math:`\gamma`, as the lecture prints them), ``"concave_claim"`` (the
    concavity inequality :math:`V(\theta^{(1)}) + V(\theta^{(2)}) \le 2V(\text{mid})`).
    """
    from ..families import nonconcave_tree
    from ..policies import TabularSoftmax

    stmt = _B4
    check_variant(variant, stmt.variants)
    if mode not in ("exact", "float"):
        raise InvalidParameterError(f"mode must be 'exact' or 'float'; got {mode!r}")
    m = nonconcave_tree(r, gamma=gamma, exact=True)
    mm = m if mode == "exact" else m.to_float()
    g, rr = m.gamma, m.r[1, 0]
    param = TabularSoftmax(5, 2)
    one = [1] * 10
    q1 = list(one)
    q1[1], q1[2] = 3, 3  # theta^(1) = (0, ln 3, ln 3, 0, 0, ...)
    q2 = list(one)
    q2[1], q2[2] = Fraction(1, 3), Fraction(1, 3)  # theta^(2) = -theta^(1)
    points = {"theta1": q1, "theta2": q2, "mid": one}
    rep = new_report(stmt, mode, {"mdp": m, "r": rr, "gamma": g, "seed": seed,
                                  "theta_exp": {k: [str(x) for x in v] for k, v in points.items()}}, variant)
    fac = 1 if variant == "drop_gamma" else g
    closed = {"theta1": Fraction(9, 16) * fac * rr, "theta2": Fraction(1, 16) * fac * rr,
              "mid": Fraction(1, 4) * fac * rr}
    tol = None
    if mode == "float":
        tol, rule = float_tolerance(mm, float(rr) / (1 - float(g)))
        rep.tolerance_rule = rule
    vals = {}
    for name, q in points.items():
        v, pi = _value_at(m, param, _log_rational_or_float(q, mode), mode)
        vals[name] = v
        rhs = closed[name] if mode == "exact" else float(closed[name])
        rep.identity(f"V({name}) = {closed[name] / rr / g if variant != 'drop_gamma' else closed[name] / rr}"
                     f"{' gamma' if variant != 'drop_gamma' else ''} r (evaluate vs closed form)",
                     np.array([v]), np.array([rhs]), tol=tol)
        rep.details[f"pi_{name}"] = pi[:2]
    lhs, rhs = 2 * vals["mid"], vals["theta1"] + vals["theta2"]
    if variant == "concave_claim":
        rep.inequality("V(theta1) + V(theta2) <= 2 V(mid) (concavity)", np.array([rhs]), np.array([lhs]), tol=tol)
    else:
        rep.inequality("2 V(mid) < V(theta1) + V(theta2) (not concave)", np.array([lhs]), np.array([rhs]),
                       tol=tol, strict=True)
    rep.details["values"] = vals
    return rep


# --------------------------------------------------------------------- B5
def bandit_nonconcavity(perm=(0, 1, 2), *, mode="exact", variant=None, seed=None):
    r"""Check the bandit non-concavity witness of Mei et al. (2020), Prop. 1 (THEORY B5).

    On the three-armed bandit :math:`r = (1, 9/10, 1/10)`
    (:func:`mdptheory.families.bandit_mei`) with softmax
    :math:`\pi_\theta \propto e^\theta`:

    .. math::

        V(0) = \tfrac23, \quad V(\ln 9, \ln 16, \ln 25) = \tfrac{259}{500}, \quad
        V(\ln 3, \ln 4, \ln 5) = \tfrac{71}{120}, \qquad
        \tfrac23 + \tfrac{259}{500} > 2\cdot\tfrac{71}{120},

    the last point being the midpoint of the first two.  ``perm`` relabels the
    arms (the witness is invariant under relabelling arms and parameters
    together), so that the suite checks more than one layout.

    Routes: the policies :math:`(9,16,25)/50` and :math:`(3,4,5)/12` from
    :class:`~mdptheory.policies.TabularSoftmax` at
    :class:`~mdptheory.policies.LogRational` points, the values from
    :func:`mdptheory.evaluate`, against the stated rationals.

    Broken variants: ``"concave_claim"`` (the concavity inequality),
    ``"probability_midpoint"`` (the midpoint taken in the probabilities,
    :math:`(\pi^{(1)} + \pi^{(2)})/2`, instead of in :math:`\theta`: its value
    is the average, not 71/120).
    """
    from ..families import bandit_mei
    from ..mdp import MDP
    from ..policies import TabularSoftmax

    stmt = _B5
    check_variant(variant, stmt.variants)
    if mode not in ("exact", "float"):
        raise InvalidParameterError(f"mode must be 'exact' or 'float'; got {mode!r}")
    perm = [int(x) for x in perm]
    if sorted(perm) != [0, 1, 2]:
        raise InvalidParameterError(f"perm must be a permutation of (0, 1, 2); got {perm}")
    base = bandit_mei()
    m = MDP(base.P_dense(), base.r[:, perm], base.gamma)
    param = TabularSoftmax(1, 3)
    pts = {"zero": [1, 1, 1], "far": [9, 16, 25], "mid": [3, 4, 5]}
    pts = {k: [v[p] for p in perm] for k, v in pts.items()}
    closed = {"zero": Fraction(2, 3), "far": Fraction(259, 500), "mid": Fraction(71, 120)}
    rep = new_report(stmt, mode, {"mdp": m, "perm": perm, "seed": seed,
                                  "theta_exp": {k: [str(x) for x in v] for k, v in pts.items()}}, variant)
    tol = None
    if mode == "float":
        tol, rule = float_tolerance(m.to_float(), 1.0)
        rep.tolerance_rule = rule
    vals, pis = {}, {}
    for name, q in pts.items():
        v, pi = _value_at(m, param, _log_rational_or_float(q, mode), mode)
        if name == "mid" and variant == "probability_midpoint":
            pi = (pis["zero"] + pis["far"]) / 2
            v = evaluate(m if mode == "exact" else m.to_float(), pi, mode=mode).value()
        vals[name], pis[name] = v, pi
        rhs = closed[name] if mode == "exact" else float(closed[name])
        rep.identity(f"V({name}) = {closed[name]} (evaluate vs stated value)", np.array([v]), np.array([rhs]),
                     tol=tol)
    lhs, rhs = 2 * vals["mid"], vals["zero"] + vals["far"]
    if variant == "concave_claim":
        rep.inequality("V(0) + V(far) <= 2 V(mid) (concavity)", np.array([rhs]), np.array([lhs]), tol=tol)
    else:
        rep.inequality("2 V(mid) < V(0) + V(far) (not concave)", np.array([lhs]), np.array([rhs]), tol=tol,
                       strict=True)
    rep.details.update({"values": vals, "policies": pis})
    return rep


# ------------------------------------------------------------ registration
def _tree_cases(seed, n, mode):
    rewards = (1, 2, Fraction(1, 2), 3, Fraction(7, 3), 10)
    for i in range(n):
        rng = case_rng(seed, "B4", i)
        r = rewards[i % len(rewards)] if i < len(rewards) else Fraction(int(rng.integers(1, 20)), int(rng.integers(1, 5)))
        g = GAMMAS[i % len(GAMMAS)] if i < 6 else Fraction(int(rng.integers(1, 100)), 100)
        yield {"r": r, "gamma": g, "seed": (seed, i)}


def _bandit_cases(seed, n, mode):
    import itertools

    perms = list(itertools.permutations(range(3)))
    for i in range(n):
        yield {"perm": perms[i % len(perms)], "seed": (seed, i)}


_B4 = register(Statement(
    id="B4", name="nonconcavity_tree",
    text="tree MDP, softmax: V(theta1) = 9/16 gamma r, V(-theta1) = 1/16 gamma r, V(0) = 1/4 gamma r; "
         "V(theta1) + V(-theta1) > 2 V(0), so V is not concave in theta",
    source="AJKS Lemma 9.5", check=nonconcavity_tree, cases=_tree_cases,
    variants={"drop_gamma": "values 9/16 r, 1/16 r, 1/4 r without the discount factor",
              "concave_claim": "the concavity inequality V(theta1) + V(theta2) <= 2 V(mid)"}))
_B5 = register(Statement(
    id="B5", name="bandit_nonconcavity",
    text="bandit r = (1, 9/10, 1/10), softmax: V(0) = 2/3, V(ln 9, ln 16, ln 25) = 259/500, "
         "V(ln 3, ln 4, ln 5) = 71/120; 2/3 + 259/500 > 2 * 71/120",
    source="Mei et al. (2020) Prop. 1", check=bandit_nonconcavity, cases=_bandit_cases,
    variants={"concave_claim": "the concavity inequality V(0) + V(far) <= 2 V(mid)",
              "probability_midpoint": "midpoint taken in the probabilities instead of theta"}))
