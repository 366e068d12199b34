r"""A catalogue of plausible conjectures about finite MDPs, refuted by search, with their true counterparts.

Each entry is a :class:`Conjecture`: the (false) claim as a property of a
:class:`~mdptheory.counterexamples.Case`, the search space, budget and seed with which
:func:`~mdptheory.counterexamples.find_counterexample` refutes it **from scratch**, and
the true statement it is usually confused with, as a second property together
with the setting where theory says it holds (searching there finds nothing).
Every property returns a :class:`~mdptheory.lemmas.CheckReport`, so float
comparisons carry a tolerance derived from conditioning
(:func:`~mdptheory.lemmas.float_tolerance`) and a witness is reported only when
rounding cannot explain it; float witnesses are then re-checked in exact
rationals.  The shrunk witness of each entry is documented in its
constructor's docstring (``S`` states, ``A`` actions; found with the stated
budget and seed by ``python -m proofs_check counterexample NAME``).

The witnesses were found with Hypothesis 6.155.2, the release the ``test``
extra pins.  Hypothesis changes its generation and shrinking between
releases, so under another release a seed can give another witness (still
re-checked exactly) or need more of the budget; the budgets leave room for
that (with 6.170.15 every entry is still refuted within its budget, one with
a larger witness: visitation_geq_rho keeps two actions).

One conjecture of the list is **not** false: the NPG step with a uniformly
weighted Fisher matrix still improves :math:`V(\rho)` for the tabular softmax
(see :func:`npg_uniform_fisher`), which the entry proves and the search
confirms.

=================================  ==========================================================
``value_concave_softmax``          :math:`V^{\pi_\theta}(s)` concave in softmax :math:`\theta`
``value_concave_direct``           :math:`V^{\pi}(s)` concave in the direct parameters :math:`\pi`
``visitation_geq_rho``             :math:`d_\rho^\pi \ge \rho`
``small_gradient_point_mass``      small gradient :math:`\Rightarrow` near-optimal, :math:`\mu = \rho = \delta_s`
``approximate_greedy_improves``    greedy in an approximate :math:`\hat Q` never decreases :math:`V`
``surrogate_equals_improvement``   :math:`\tfrac{1}{1-\gamma}E_{d^{\pi_t}}E_{\pi}[A^{\pi_t}] = V^{\pi}-V^{\pi_t}`
``npg_uniform_fisher``             uniform-weight Fisher NPG improves :math:`V(\rho)` (holds)
``trpo_large_delta``               a TRPO step with any :math:`\delta` improves :math:`V(\rho)`
``greedy_on_visited_optimal``      greedy in :math:`Q^*` on visited states :math:`\Rightarrow` optimal
=================================  ==========================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable

import numpy as np
from hypothesis import strategies as st

from ..evaluation import evaluate
from ..exceptions import InvalidParameterError, MDPTheoryError
from ..lemmas.framework.report import CheckReport, float_tolerance
from ..optimal import solve
from ..policies.tabular import greedy_policy
from .search import Counterexample, find_counterexample, rational_policy

__all__ = [
    "Conjecture",
    "CATALOGUE",
    "conjecture_names",
    "get_conjecture",
    "run_conjecture",
    "check_true_counterpart",
    "value_concave_softmax",
    "value_concave_direct",
    "visitation_geq_rho",
    "small_gradient_point_mass",
    "approximate_greedy_improves",
    "surrogate_equals_improvement",
    "npg_uniform_fisher",
    "trpo_large_delta",
    "greedy_on_visited_optimal",
    "performance_difference",
]

REFUTED = "refuted"
HOLDS = "holds"


@dataclass(frozen=True)
class Conjecture:
    """One catalogue entry.

    Attributes
    ----------
    name : str
    claim : str
        The conjecture (false unless ``expected == "holds"``).
    property : callable
        ``property(case) -> CheckReport`` for the claim.
    search : dict
        Keyword arguments of :func:`find_counterexample` (sizes, budget, seed, extras).
    true_claim : str
        The true counterpart and where it comes from.
    true_property : callable
        ``true_property(case) -> CheckReport``.
    true_search : dict
        The setting where theory says the true counterpart holds.
    expected : {"refuted", "holds"}
    source : str
    """

    name: str
    claim: str
    property: Callable
    search: dict
    true_claim: str
    true_property: Callable
    true_search: dict
    expected: str = REFUTED
    source: str = ""
    doc: str = field(default="", repr=False)

    def run(self, **overrides) -> Counterexample:
        """Search for a counterexample to the claim with the entry's budget and seed (or ``overrides``)."""
        return find_counterexample(self.property, name=self.name, **{**self.search, **overrides})

    def run_true(self, **overrides) -> Counterexample:
        """Search for a counterexample to the true counterpart in its setting (expected: none)."""
        return find_counterexample(self.true_property, name=self.name + ":true",
                                   **{**self.true_search, **overrides})


# ------------------------------------------------------------------ helpers
def _report(name, text, mdp, source=""):
    return CheckReport(statement=name, name=name, text=text, source=source,
                       mode="exact" if mdp.is_exact else "float")


def _tol(mdp, magnitude, order=1):
    return None if mdp.is_exact else float_tolerance(mdp, magnitude, order=order)[0]


def _v(x):
    """Scalars as one-element object arrays (the report compares arrays)."""
    if np.ndim(x) == 0:
        out = np.empty(1, dtype=object)
        out[0] = x
        return out
    return x


def _mag(*arrays):
    return max(float(np.max(np.abs(np.asarray(a, dtype=float)))) if np.size(a) else 0.0 for a in arrays) + 1.0


def _int_array(shape, lo, hi):
    n = int(np.prod(shape))
    return st.lists(st.integers(lo, hi), min_size=n, max_size=n).map(
        lambda v: np.array(v, dtype=np.int64).reshape(shape))


def _from_weights(case, q):
    """The policy proportional to positive weights ``q[s, a]`` (exact when the case is)."""
    if case.exact:
        q = np.vectorize(Fraction, otypes=[object])(q)
    else:
        q = np.asarray(q, dtype=float)
    return q / q.sum(axis=1, keepdims=True)


def _rho_point_state(mdp):
    return int(np.argmax(np.asarray(mdp.rho, dtype=float)))


def _policy_in_field(case, pi_float):
    """A policy computed in float64 by a transcendental update, as a rational policy for exact cases."""
    return rational_policy(pi_float) if case.exact else pi_float


# ------------------------------------------------------------------ 1. concavity (softmax)
def _concave_softmax(case):
    u, v = case.data["u"], case.data["v"]
    pis = [_from_weights(case, u * u), _from_weights(case, v * v), _from_weights(case, u * v)]
    V1, V2, Vm = (evaluate(case.mdp, p).V for p in pis)
    rep = _report("value_concave_softmax", "V(theta1) + V(theta2) <= 2 V((theta1 + theta2)/2) for every s "
                  "(softmax, theta = 2 log u and 2 log v, midpoint log(u v))", case.mdp)
    rep.inequality("midpoint concavity", V1 + V2, 2 * Vm, tol=_tol(case.mdp, _mag(V1, V2, Vm)))
    rep.witness = {"pi_1": pis[0], "pi_2": pis[1], "pi_mid": pis[2], "V_1": V1, "V_2": V2, "V_mid": Vm}
    return rep


def _bandit_direct_linear(case):
    pi2 = case.data["pi2"]
    mid = (case.pi + pi2) / 2
    V1, V2, Vm = (evaluate(case.mdp, p).V for p in (case.pi, pi2, mid))
    rep = _report("bandit_direct_linear", "bandit (S = 1), direct parameterization: V(pi) = pi.r/(1-gamma) is "
                  "linear, so V(pi1) + V(pi2) = 2 V((pi1 + pi2)/2)", case.mdp)
    rep.identity("midpoint linearity", V1 + V2, 2 * Vm, tol=_tol(case.mdp, _mag(V1, V2, Vm)))
    return rep


def _two_policies(mdp):
    from ..strategies import policies

    return policies(mdp)


_TRUE_CONCAVE = ("For a bandit (S = 1) in the direct parameterization V(pi) = sum_a pi(a) r(a)/(1 - gamma) "
                 "is linear in pi, hence concave (AJKS Ch. 9: non-concavity needs states, Lemma 9.5, or the "
                 "softmax map, Mei et al. 2020 Prop. 1).")


def value_concave_softmax() -> Conjecture:
    r"""Conjecture: :math:`V^{\pi_\theta}(s)` is concave in the softmax parameters :math:`\theta`.

    Checked at midpoints: :math:`V(\theta_1) + V(\theta_2) \le 2V(\tfrac{\theta_1+\theta_2}{2})`
    with :math:`\theta_i = 2\log u_i` (integer :math:`u_i \in [1, 9]`), whose
    midpoint :math:`\log(u_1 u_2)` keeps every policy rational.  False (Mei et
    al. 2020, Prop. 1; statement B5): the sigmoid is not concave.

    Shrunk witness (budget 100, seed 0): a two-armed bandit (``S = 1``,
    ``A = 2``, :math:`\gamma = 0`) with rewards ``(0, 1)``; ``u = (1, 1)``,
    ``v = (2, 1)``: :math:`\pi_1 = (1/2, 1/2)`, :math:`\pi_2 = (4/5, 1/5)`,
    midpoint :math:`(2/3, 1/3)`, and
    :math:`V_1 + V_2 = 7/10 > 2/3 = 2V_{\rm mid}` (slack :math:`-1/30`).

    True counterpart: a bandit in the direct parameterization is linear.
    """
    return Conjecture(
        name="value_concave_softmax",
        claim="V^{pi_theta}(s) is concave in the softmax parameters theta",
        property=_concave_softmax,
        search=dict(states=(1, 3), actions=(1, 3), policy=False, budget=100, seed=0,
                    extras={"u": lambda m: _int_array((m.n_states, m.n_actions), 1, 9),
                            "v": lambda m: _int_array((m.n_states, m.n_actions), 1, 9)}),
        true_claim=_TRUE_CONCAVE, true_property=_bandit_direct_linear,
        true_search=dict(states=1, actions=(1, 3), budget=60, seed=0, extras={"pi2": _two_policies}),
        source="Mei et al. 2020, Prop. 1; AJKS Lemma 9.5; statement B4, B5",
        doc=value_concave_softmax.__doc__ or "")


# ------------------------------------------------------------------ 2. concavity (direct)
def _concave_direct(case):
    pi2 = case.data["pi2"]
    mid = (case.pi + pi2) / 2
    V1, V2, Vm = (evaluate(case.mdp, p).V for p in (case.pi, pi2, mid))
    rep = _report("value_concave_direct", "V^{pi1}(s) + V^{pi2}(s) <= 2 V^{(pi1 + pi2)/2}(s) for every s "
                  "(direct parameterization)", case.mdp)
    rep.inequality("midpoint concavity", V1 + V2, 2 * Vm, tol=_tol(case.mdp, _mag(V1, V2, Vm)))
    rep.witness = {"V_1": V1, "V_2": V2, "V_mid": Vm, "pi_mid": mid}
    return rep


def value_concave_direct() -> Conjecture:
    r"""Conjecture: :math:`V^{\pi}(s)` is concave in the direct parameters :math:`\pi(a|s)`.

    False (AJKS Lemma 9.5, statement B4): the value is multilinear, a product of
    the probabilities along a path.

    Shrunk witness (budget 100, seed 0): ``S = 3``, ``A = 2``,
    :math:`\gamma = 1/2`; every transition goes to state 0 (absorbing, no
    reward) except action 1 in state 2, which pays 1 and stays in state 2
    with probability 1/2.  :math:`\pi_1` takes action 0 everywhere,
    :math:`\pi_2` action 1 in state 2; with :math:`p = \pi(1|2)`,
    :math:`V(2) = p/(1 - p/4)` is strictly convex in :math:`p`:
    :math:`V_1(2) + V_2(2) = 4/3 > 2 \cdot 4/7`.

    True counterpart: a bandit in the direct parameterization is linear.
    """
    return Conjecture(
        name="value_concave_direct",
        claim="V^pi(s) is concave in the direct parameters pi(a|s)",
        property=_concave_direct,
        search=dict(states=(1, 3), actions=(1, 2), budget=100, seed=0, extras={"pi2": _two_policies}),
        true_claim=_TRUE_CONCAVE, true_property=_bandit_direct_linear,
        true_search=dict(states=1, actions=(1, 3), budget=60, seed=0, extras={"pi2": _two_policies}),
        source="AJKS Lemma 9.5; statement B4", doc=value_concave_direct.__doc__ or "")


# ------------------------------------------------------------------ 3. visitation
def _visitation_geq_rho(case):
    d = evaluate(case.mdp, case.pi).visitation()
    rep = _report("visitation_geq_rho", "d_rho^pi >= rho componentwise", case.mdp)
    rep.inequality("rho <= d", case.mdp.rho, d, tol=_tol(case.mdp, 1.0))
    rep.witness = {"d": d, "rho": case.mdp.rho}
    return rep


def _visitation_lower_bound(case):
    d = evaluate(case.mdp, case.pi).visitation()
    rep = _report("visitation_lower_bound", "d_rho^pi >= (1 - gamma) rho componentwise", case.mdp,
                  "AJKS Ch. 1; statement A2")
    rep.inequality("(1-gamma) rho <= d", (1 - case.mdp.gamma) * case.mdp.rho, d, tol=_tol(case.mdp, 1.0))
    return rep


def visitation_geq_rho() -> Conjecture:
    r"""Conjecture: :math:`d_\rho^\pi \ge \rho` componentwise.

    False: :math:`d_\rho^\pi = (1-\gamma)\rho^\top(I-\gamma P^\pi)^{-1}` moves
    mass away from the start states.

    Shrunk witness (budget 100, seed 0): ``S = 2``, ``A = 1``, every
    transition to state 0, zero rewards, :math:`\gamma = 1/2`, uniform
    :math:`\rho`: :math:`d = (3/4, 1/4)`, and :math:`d(1) = 1/4 < 1/2 = \rho(1)`.

    True counterpart (statement A2): :math:`d_\rho^\pi \ge (1-\gamma)\rho`, since
    the :math:`t = 0` term of :math:`(1-\gamma)\sum_t\gamma^t\Pr(s_t = s)` is
    :math:`(1-\gamma)\rho(s)`; here :math:`1/4 \ge 1/4`, tight.
    """
    return Conjecture(
        name="visitation_geq_rho", claim="d_rho^pi >= rho componentwise",
        property=_visitation_geq_rho, search=dict(budget=100, seed=0),
        true_claim="d_rho^pi >= (1 - gamma) rho componentwise (the t = 0 term; AJKS Ch. 1, statement A2)",
        true_property=_visitation_lower_bound, true_search=dict(budget=100, seed=0, rho="random"),
        source="statement A2", doc=visitation_geq_rho.__doc__ or "")


# ------------------------------------------------------------------ 4. small gradient
def _fo_gap(ev, mu):
    """max_{pibar} (pibar - pi)^T grad_pi V(mu) = (1-gamma)^{-1} sum_s d_mu(s) max_a A(s, a) (direct)."""
    d = ev.visitation(mu)
    A_ = ev.advantage
    best = np.array([max(row) for row in A_], dtype=object) if ev.mode == "exact" else A_.max(axis=1)
    return (d * best).sum() / (1 - ev.mdp.gamma)


def _small_gradient(case):
    m = case.mdp
    ev = evaluate(m, case.pi)
    G = _fo_gap(ev, m.rho)
    gap = solve(m).evaluation.value(m.rho) - ev.value(m.rho)
    rep = _report("small_gradient_point_mass", "V*(rho) - V^pi(rho) <= G_rho(pi)/(1 - gamma), with "
                  "G_rho(pi) = max_pibar (pibar - pi)^T grad_pi V^pi(rho) (direct), rho a point mass", m)
    rep.inequality("gap <= G/(1-gamma)", _v(gap), _v(G / (1 - m.gamma)), tol=_tol(m, _mag(gap, G) / (1 - float(m.gamma))))
    rep.witness = {"gap": gap, "first_order_gap": G}
    return rep


def _gradient_domination(case):
    m = case.mdp
    S = m.n_states
    mu = np.full(S, Fraction(1, S), dtype=object) if m.is_exact else np.full(S, 1.0 / S)
    ev = evaluate(m, case.pi)
    G = _fo_gap(ev, mu)
    sol = solve(m)
    d_star = sol.evaluation.visitation(m.rho)
    coef = max(d_star / mu)
    gap = sol.evaluation.value(m.rho) - ev.value(m.rho)
    rep = _report("gradient_domination", "V*(rho) - V^pi(rho) <= ||d_rho^{pi*}/mu||_inf G_mu(pi)/(1-gamma) "
                  "with mu uniform (> 0)", m, "AJKS Ch. 10 (gradient domination, direct); Agarwal et al. 2021 "
                  "Lemma 4")
    rhs = coef * G / (1 - m.gamma)
    rep.inequality("gap <= mismatch * G_mu/(1-gamma)", _v(gap), _v(rhs), tol=_tol(m, _mag(gap, rhs), order=2))
    return rep


def small_gradient_point_mass() -> Conjecture:
    r"""Conjecture: a small policy gradient at :math:`\mu = \rho` (a point mass) implies near-optimality.

    Stated as :math:`V^*(\rho) - V^\pi(\rho) \le G_\rho(\pi)/(1-\gamma)`, with
    the first-order stationarity gap of the direct parameterization

    .. math::

        G_\mu(\pi) = \max_{\bar\pi} (\bar\pi - \pi)^\top \nabla_\pi V^\pi(\mu)
        = \frac{1}{1-\gamma}\sum_s d_\mu^\pi(s)\max_a A^\pi(s,a).

    False: states that :math:`\pi` never visits contribute nothing to the
    gradient (vanishing gradient), whatever the constant.

    Searched over deterministic MDPs and policies (``max_successors`` unset,
    ``deterministic=True``).  Shrunk witness (budget 300, seed 0): ``S = 3``,
    ``A = 2``, :math:`\gamma = 1/2`, :math:`\rho = \delta_0`; in state 0
    action 0 stays and action 1 moves to state 1; in state 1 action 0 returns
    to 0 and action 1 moves to state 2; state 2 returns to 0 and pays 1 for
    action 1.  :math:`\pi` takes action 0 everywhere, so it stays in state 0:
    :math:`V^\pi = 0`, :math:`A^\pi(0,\cdot) = 0` and :math:`G_\rho(\pi) = 0`,
    while the cycle 0 → 1 → 2 → 0 gives
    :math:`V^*(0) = \gamma^2/(1-\gamma^3) = 2/7`.

    True counterpart (gradient domination, AJKS Ch. 10; Agarwal et al. 2021
    Lemma 4): for :math:`\mu > 0`,
    :math:`V^*(\rho) - V^\pi(\rho) \le \|d_\rho^{\pi^*}/\mu\|_\infty\, G_\mu(\pi)/(1-\gamma)`
    (checked with :math:`\mu` uniform).
    """
    return Conjecture(
        name="small_gradient_point_mass",
        claim="V*(rho) - V^pi(rho) <= G_rho(pi)/(1-gamma): a small gradient at mu = rho (a point mass) "
              "implies near-optimality",
        property=_small_gradient, search=dict(states=(1, 3), actions=(1, 2), rho="point", deterministic=True,
                                             budget=300, seed=0),
        true_claim="gradient domination: V*(rho) - V^pi(rho) <= ||d_rho^{pi*}/mu||_inf G_mu(pi)/(1-gamma) "
                   "for mu > 0 (Agarwal et al. 2021, Lemma 4)",
        true_property=_gradient_domination, true_search=dict(rho="point", budget=100, seed=0),
        source="AJKS Ch. 10 (vanishing gradients, gradient domination)", doc=small_gradient_point_mass.__doc__ or "")


# ------------------------------------------------------------------ 5. approximate greedy
def _perturbation(mdp):
    return _int_array((mdp.n_states, mdp.n_actions), -2, 2)


def _approx_greedy_parts(case):
    m = case.mdp
    ev = evaluate(m, case.pi)
    E = case.data["E"]
    scale = Fraction(1, 16) if m.is_exact else 1.0 / 16
    E = np.vectorize(lambda x: Fraction(int(x)) * scale, otypes=[object])(E) if m.is_exact else E * scale
    pi_new = greedy_policy(m, ev.Q + E)
    eps = max(abs(x) for x in E.reshape(-1)) if m.is_exact else float(np.max(np.abs(E)))
    return ev, evaluate(m, pi_new), eps


def _approx_greedy(case):
    ev, ev_new, _ = _approx_greedy_parts(case)
    rep = _report("approximate_greedy_improves", "pi' greedy in Qhat = Q^pi + E (|E| <= 1/8) has V^{pi'} >= V^pi",
                  case.mdp)
    rep.inequality("V^pi <= V^{pi'}", ev.V, ev_new.V, tol=_tol(case.mdp, _mag(ev.V, ev_new.V)))
    rep.witness = {"V": ev.V, "V_new": ev_new.V, "pi_new": ev_new.pi}
    return rep


def _approx_greedy_bound(case):
    ev, ev_new, eps = _approx_greedy_parts(case)
    m = case.mdp
    rep = _report("approximate_policy_improvement", "pi' greedy in Qhat with ||Qhat - Q^pi||_inf <= eps has "
                  "V^{pi'} >= V^pi - 2 eps/(1 - gamma); eps = 0 is the policy improvement theorem", m,
                  "policy improvement theorem (Puterman Thm 6.4.2) and its approximate form via the PDL")
    rep.inequality("V^pi - 2eps/(1-gamma) <= V^{pi'}", ev.V - 2 * eps / (1 - m.gamma), ev_new.V,
                   tol=_tol(m, _mag(ev.V, ev_new.V)))
    return rep


def approximate_greedy_improves() -> Conjecture:
    r"""Conjecture: greedy policy iteration with an approximate :math:`\hat Q` never decreases the value.

    :math:`\pi' = \operatorname{greedy}(\hat Q)` with :math:`\hat Q = Q^\pi + E`,
    :math:`E \in \{-2, \dots, 2\}/16`; claimed :math:`V^{\pi'} \ge V^\pi`.
    False: an error smaller than an action gap flips the argmax.

    Shrunk witness (budget 100, seed 0): a two-armed bandit (``S = 1``,
    :math:`\gamma = 0`) paying ``(0, 1/16)``; :math:`\pi` takes the better
    action 1, :math:`E = (0, -1/16)` makes :math:`\hat Q = (0, 0)`, a tie
    broken toward action 0: :math:`V^{\pi'} = 0 < 1/16 = V^\pi`.

    True counterpart: :math:`V^{\pi'} \ge V^\pi - 2\|E\|_\infty/(1-\gamma)`,
    by the performance difference lemma
    (:math:`A^\pi(s, \pi'(s)) \ge -2\|E\|_\infty`); with the exact :math:`Q^\pi`
    (:math:`E = 0`) this is the policy improvement theorem, :math:`V^{\pi'} \ge V^\pi`.
    """
    return Conjecture(
        name="approximate_greedy_improves",
        claim="greedy policy iteration with an approximate Q (error <= 1/8) never decreases the value",
        property=_approx_greedy, search=dict(states=(1, 3), budget=100, seed=0, extras={"E": _perturbation}),
        true_claim="V^{pi'} >= V^pi - 2||Qhat - Q^pi||_inf/(1-gamma); with the exact Q, V^{pi'} >= V^pi "
                   "(policy improvement theorem)",
        true_property=_approx_greedy_bound, true_search=dict(budget=100, seed=0, extras={"E": _perturbation}),
        source="policy improvement theorem; AJKS Lemma 1.16", doc=approximate_greedy_improves.__doc__ or "")


# ------------------------------------------------------------------ 6. surrogate vs PDL
def _surrogate_parts(case):
    m = case.mdp
    pi2 = case.data["pi2"]
    ev, ev2 = evaluate(m, case.pi), evaluate(m, pi2)
    lhs = ev2.value() - ev.value()
    adv = (pi2 * ev.advantage).sum(axis=1)
    return m, ev, ev2, lhs, adv


def _surrogate(case):
    m, ev, ev2, lhs, adv = _surrogate_parts(case)
    rhs = (ev.visitation() * adv).sum() / (1 - m.gamma)
    rep = _report("surrogate_equals_improvement", "V^{pi'}(rho) - V^{pi}(rho) = (1-gamma)^{-1} "
                  "E_{s ~ d_rho^{pi}} E_{a ~ pi'} [A^{pi}(s, a)]  (state distribution of the OLD policy)", m)
    rep.identity("improvement = surrogate", _v(lhs), _v(rhs), tol=_tol(m, _mag(lhs, rhs), order=2))
    rep.witness = {"improvement": lhs, "surrogate": rhs}
    return rep


def performance_difference(case):
    r"""The performance difference lemma as a property (AJKS Lemma 1.16; statement A3).

    .. math::

        V^{\pi'}(\rho) - V^{\pi}(\rho)
        = \frac{1}{1-\gamma}\mathbb E_{s\sim d_\rho^{\pi'}}\mathbb E_{a\sim\pi'(\cdot|s)}[A^{\pi}(s,a)],

    for the policies ``case.pi`` (:math:`\pi`) and ``case.data["pi2"]``
    (:math:`\pi'`).  Returns a :class:`~mdptheory.lemmas.CheckReport`; it is
    never FALSIFIED (the search over it is the test that a true property yields
    no counterexample).
    """
    m, ev, ev2, lhs, adv = _surrogate_parts(case)
    rhs = (ev2.visitation() * adv).sum() / (1 - m.gamma)
    rep = _report("performance_difference", "V^{pi'}(rho) - V^{pi}(rho) = (1-gamma)^{-1} "
                  "E_{s ~ d_rho^{pi'}} E_{a ~ pi'} [A^{pi}(s, a)]", m, "AJKS Lemma 1.16; statement A3")
    rep.identity("improvement = PDL", _v(lhs), _v(rhs), tol=_tol(m, _mag(lhs, rhs), order=2))
    return rep


def surrogate_equals_improvement() -> Conjecture:
    r"""Conjecture: the unclipped surrogate predicts the improvement exactly.

    .. math::

        V^{\pi}(\rho) - V^{\pi_t}(\rho) \overset{?}{=}
        \frac{1}{1-\gamma}\mathbb E_{s\sim d_\rho^{\pi_t}}\mathbb E_{a\sim\pi}[A^{\pi_t}(s,a)].

    False: the surrogate uses the *old* state distribution; it is only a
    first-order approximation (the gap is what CPI and TRPO bound, AJKS Ch. 12).

    Shrunk witness (budget 100, seed 0): ``S = 3``, ``A = 2``,
    :math:`\gamma = 1/2`, uniform :math:`\rho`; every transition goes to the
    reward-free absorbing state 0 except action 1 in state 2, which pays 1
    and stays.  :math:`\pi_t` takes action 0 everywhere, :math:`\pi` action 1
    in state 2: the true improvement is :math:`(1/3)\cdot 2 = 2/3`, the
    surrogate :math:`d^{\pi_t}(2) A^{\pi_t}(2,1)/(1-\gamma) = (1/6)\cdot 1 \cdot 2 = 1/3`.

    True counterpart: the performance difference lemma (AJKS Lemma 1.16) with
    :math:`d_\rho^{\pi}` of the *new* policy, :func:`performance_difference`.
    """
    return Conjecture(
        name="surrogate_equals_improvement",
        claim="V^pi(rho) - V^{pi_t}(rho) = (1-gamma)^{-1} E_{d^{pi_t}} E_pi [A^{pi_t}] (old state distribution)",
        property=_surrogate, search=dict(states=(1, 3), budget=100, seed=0, extras={"pi2": _two_policies}),
        true_claim="performance difference lemma: the same with d^{pi} of the new policy (AJKS Lemma 1.16)",
        true_property=performance_difference, true_search=dict(budget=100, seed=0, extras={"pi2": _two_policies}),
        source="AJKS Lemma 1.16 and Ch. 12", doc=surrogate_equals_improvement.__doc__ or "")


# ------------------------------------------------------------------ 7. NPG with a uniform Fisher
_STEP_SIZES = (Fraction(1, 2), Fraction(1), Fraction(4), Fraction(32))


def _softmax_point(case, q):
    from ..policies import LogRational, TabularSoftmax

    param = TabularSoftmax(case.n_states, case.n_actions)
    if case.exact:
        return param, LogRational(q), np.log(np.asarray(q, dtype=float)).reshape(-1)
    th = np.log(np.asarray(q, dtype=float)).reshape(-1)
    return param, th, th


def _improvement_report(name, text, case, pi_t, pi_new_float, extra_witness):
    m = case.mdp
    pi_new = _policy_in_field(case, pi_new_float)
    V0 = evaluate(m, pi_t).value()
    V1 = evaluate(m, pi_new).value()
    rep = _report(name, text, m)
    rep.inequality("V_t(rho) <= V_{t+1}(rho)", _v(V0), _v(V1), tol=_tol(m, _mag(V0, V1), order=2))
    rep.witness = {"V_t": V0, "V_next": V1, "pi_next": pi_new, **extra_witness}
    if case.exact:
        rep.details["note"] = ("pi_{t+1} is transcendental; the exact comparison uses the rational policy "
                               "closest to its float64 value (entries within a few ulps)")
    return rep


def _uniform_fisher_step(case, *, uniform):
    from ..geometry import pinv_solve, softmax_fisher_blocks
    from ..gradients import value_gradient

    m = case.mdp
    param, theta, theta_f = _softmax_point(case, case.data["q"])
    eta = _STEP_SIZES[int(case.data["k"])]
    pi = param.probs(theta)
    g = value_gradient(m, param, theta)
    S = m.n_states
    if uniform:
        w8 = np.full(S, Fraction(1, S), dtype=object) if case.exact else np.full(S, 1.0 / S)
    else:
        w8 = evaluate(m, pi).visitation()
    F = softmax_fisher_blocks(pi, w8)
    w = np.asarray(pinv_solve(F, g)).reshape(-1)
    theta_new = theta_f + float(eta) * np.array([float(x) for x in w])
    return pi, param.probs(theta_new), eta


def _npg_uniform(case):
    pi, pi_new, eta = _uniform_fisher_step(case, uniform=True)
    return _improvement_report("npg_uniform_fisher", "theta_{t+1} = theta_t + eta F_unif^+ grad V(rho), F_unif "
                               "weighting states uniformly: V_{t+1}(rho) >= V_t(rho)", case, pi, pi_new,
                               {"eta": eta})


def _npg_true(case):
    pi, pi_new, eta = _uniform_fisher_step(case, uniform=False)
    return _improvement_report("npg_monotone", "NPG (Fisher weighted by d_rho): V_{t+1}(rho) >= V_t(rho) "
                               "(AJKS Lemma 10.8)", case, pi, pi_new, {"eta": eta})


def _softmax_extras():
    return {"q": lambda m: _int_array((m.n_states, m.n_actions), 1, 9),
            "k": lambda m: st.integers(0, len(_STEP_SIZES) - 1)}


def npg_uniform_fisher() -> Conjecture:
    r"""Conjecture: an NPG step with the Fisher matrix weighted uniformly over states still improves :math:`V(\rho)`.

    :math:`\theta_{t+1} = \theta_t + \eta F_{\rm unif}^\dagger \nabla V^{\pi_\theta}(\rho)`
    with :math:`F_{\rm unif} = \sum_s \tfrac1S \sum_a \pi\,\nabla\log\pi\nabla\log\pi^\top`
    (tabular softmax), :math:`\eta \in \{1/2, 1, 4, 32\}`.

    **Not refuted — it is true for the tabular softmax.**  Block by block,
    :math:`F_{\rm unif}^\dagger\nabla V` equals
    :math:`\frac{S\,d_\rho(s)}{1-\gamma}(A(s,\cdot) - \overline{A(s,\cdot)})`, so the step is
    :math:`\pi_{t+1}(a|s)\propto\pi_t(a|s)\exp(c_s A^{\pi_t}(s,a))` with
    :math:`c_s = \eta S d_\rho(s)/(1-\gamma) \ge 0`: the NPG update with a
    per-state step size.  For any :math:`c \ge 0` the exponential tilt has
    :math:`\sum_a\pi_{t+1}(a|s)A(s,a) \ge \sum_a\pi_t(a|s)A(s,a) = 0` (the
    covariance of :math:`A` and the increasing :math:`e^{cA}`), so the
    performance difference lemma gives :math:`V_{t+1}(\mu) \ge V_t(\mu)` for
    every :math:`\mu` — the argument of AJKS Lemma 10.8 state by state.  The
    search (budget 60, seed 0, float64 steps re-checked exactly at the
    rational policy nearest the update) finds no violation, as expected.

    True counterpart: the NPG with :math:`F_\rho` (AJKS Lemma 10.8).
    """
    return Conjecture(
        name="npg_uniform_fisher",
        claim="an NPG step with the Fisher weighted uniformly over states (not by d_rho) still improves V(rho)",
        property=_npg_uniform, search=dict(states=(1, 3), actions=(1, 3), policy=False, budget=60, seed=0,
                                           extras=_softmax_extras()),
        true_claim="NPG with the d_rho-weighted Fisher improves V(mu) for every mu (AJKS Lemma 10.8)",
        true_property=_npg_true, true_search=dict(states=(1, 3), actions=(1, 3), policy=False, budget=40, seed=0,
                                                  extras=_softmax_extras()),
        expected=HOLDS, source="AJKS Lemma 10.6, 10.8; statement E2, E3", doc=npg_uniform_fisher.__doc__ or "")


# ------------------------------------------------------------------ 8. TRPO with a large delta
_DELTAS = (Fraction(1, 100), Fraction(1), Fraction(10), Fraction(100))


def _trpo_step(case, param, theta, theta_f):
    from ..geometry import fisher, trpo_step
    from ..gradients import value_gradient

    m = case.mdp
    delta = _DELTAS[int(case.data["k"])]
    g = value_gradient(m, param, theta)
    F = fisher(m, param, theta)
    step = trpo_step(g, F, delta if case.exact else float(delta))
    theta_new = theta_f + np.array([float(x) for x in np.asarray(step).reshape(-1)])
    return param.probs(theta), param.probs(theta_new), delta


def _loglinear_point(case):
    from ..policies import LogLinear, LogRational

    phi = np.asarray(case.data["phi"], dtype=object if case.exact else float)
    if case.exact:
        phi = np.vectorize(lambda x: int(x), otypes=[object])(phi)
    param = LogLinear(phi)
    q = [int(x) for x in np.asarray(case.data["q"]).reshape(-1)]
    th_f = np.log(np.asarray(q, dtype=float))
    return param, (LogRational(q) if case.exact else th_f), th_f


def _trpo_loglinear(case):
    param, theta, theta_f = _loglinear_point(case)
    try:
        pi, pi_new, delta = _trpo_step(case, param, theta, theta_f)
    except MDPTheoryError as exc:  # g outside the numerical range of F: undecidable here
        rep = _report("trpo_large_delta", "TRPO step improves V(rho)", case.mdp)
        rep.claim("trpo step", "UNDECIDED", f"step not computable: {exc}")
        return rep
    return _improvement_report("trpo_large_delta", "log-linear TRPO step (1/2 D^T F D <= delta) "
                               "improves V(rho)", case, pi, pi_new, {"delta": delta})


def _trpo_tabular(case):
    param, theta, theta_f = _softmax_point(case, case.data["q"])
    pi, pi_new, delta = _trpo_step(case, param, theta, theta_f)
    return _improvement_report("trpo_tabular", "tabular-softmax TRPO step improves V(rho) for every delta "
                               "(it is an NPG step, statement G3 + AJKS Lemma 10.8)", case, pi, pi_new,
                               {"delta": delta})


def _loglinear_extras(d=1):
    return {"phi": lambda m: _int_array((m.n_states, m.n_actions, d), -1, 1),
            "q": lambda m: _int_array((d,), 1, 4),
            "k": lambda m: st.integers(0, len(_DELTAS) - 1)}


def trpo_large_delta() -> Conjecture:
    r"""Conjecture: a TRPO step with any trust-region radius :math:`\delta` improves :math:`V(\rho)`.

    :math:`\theta_{t+1} = \theta_t + \Delta`, :math:`\Delta` maximising
    :math:`\langle\nabla V(\rho),\Delta\rangle` subject to
    :math:`\tfrac12\Delta^\top F_\rho\Delta \le \delta` (statement G3), for a
    log-linear policy :math:`\pi\propto e^{\theta^\top\phi}` with shared
    features :math:`\phi(s,a)\in\{-1,0,1\}`, :math:`\delta \in \{1/100, 1, 10, 100\}`.
    False: with shared features the linearisation fails for large steps.

    Shrunk witness (budget 300, seed 0; found after 139 examples): ``S = 3``, ``A = 2``,
    :math:`\gamma = 1/2`, uniform :math:`\rho`, :math:`\theta_t = 0`,
    :math:`\delta = 1`, one feature shared by action 1 in states 0 and 2
    (:math:`\phi(0,1) = \phi(2,1) = 1`, zero elsewhere).  Transitions:
    state 0 goes to 0 or 2 (1/2 each) under action 0 and to state 1 under
    action 1; state 1 returns to 0; state 2 goes to 1 under action 0 and to 0
    under action 1.  Rewards :math:`r(0,\cdot) = (1, 1)`,
    :math:`r(1,\cdot) = (0, 0)`, :math:`r(2,\cdot) = (3/4, 1)`.  Action 1 is
    better in state 2 but leads to the zero-reward state from state 0; the
    shared parameter cannot separate them, and the full step overshoots:
    :math:`V_{t+1}(\rho) < V_t(\rho)` by about 0.0167 (exact).

    True counterpart: for the tabular softmax the TRPO step is an NPG step
    :math:`\pi_{t+1}\propto\pi_t e^{\eta A/(1-\gamma)}` with
    :math:`\eta = \sqrt{2\delta/(g^\top F^\dagger g)}` (statement G3, AJKS
    Lemma 10.6), which improves for *every* :math:`\delta` (Lemma 10.8); for
    general parameterizations only for :math:`\delta` small enough.
    """
    return Conjecture(
        name="trpo_large_delta",
        claim="a TRPO step with a large trust region delta still improves V(rho) (log-linear policy)",
        property=_trpo_loglinear, search=dict(states=(1, 3), actions=(1, 3), policy=False, budget=300, seed=0,
                                              extras=_loglinear_extras()),
        true_claim="tabular softmax: the TRPO step is an NPG step and improves for every delta (statement G3, "
                   "AJKS Lemma 10.8); in general only for small delta",
        true_property=_trpo_tabular, true_search=dict(states=(1, 3), actions=(1, 3), policy=False, budget=40,
                                                      seed=0, extras={"q": _softmax_extras()["q"],
                                                                      "k": _loglinear_extras()["k"]}),
        source="AJKS §12.3; statement G3", doc=trpo_large_delta.__doc__ or "")


# ------------------------------------------------------------------ 9. greedy on visited states
def _visited_greedy_policy(case):
    """pi = greedy(Q*) on the states pi visits from rho, the drawn actions b elsewhere."""
    m = case.mdp
    sol = solve(m)
    pi0 = greedy_policy(m, sol.Q)
    d0 = evaluate(m, pi0).visitation()
    b = np.asarray(case.data["b"]).reshape(-1)
    one, zero = (Fraction(1), Fraction(0)) if m.is_exact else (1.0, 0.0)
    pi = pi0.copy()
    for s in np.nonzero(np.asarray(d0 == 0, dtype=bool))[0]:  # a set of states closed under pi0
        pi[s] = zero
        pi[s, int(b[s])] = one
    return sol, pi


def _greedy_visited(case):
    sol, pi = _visited_greedy_policy(case)
    ev = evaluate(case.mdp, pi)
    rep = _report("greedy_on_visited_optimal", "pi greedy in Q* on every state with d_rho^pi(s) > 0 is optimal: "
                  "V^pi = V* (every state)", case.mdp)
    rep.identity("V^pi = V*", ev.V, sol.V, tol=_tol(case.mdp, _mag(sol.V)))
    rep.witness = {"pi": pi, "V": ev.V, "V_star": sol.V, "d": ev.visitation()}
    return rep


def _greedy_true(case):
    sol, pi = _visited_greedy_policy(case)
    m = case.mdp
    ev = evaluate(m, pi)
    ev_star = evaluate(m, greedy_policy(m, sol.Q))
    rep = _report("greedy_true", "greedy in Q* everywhere gives V = V*; greedy on the visited states gives "
                  "V^pi(rho) = V*(rho)", m, "Bellman optimality; AJKS Lemma 1.16")
    tol = _tol(m, _mag(sol.V))
    rep.identity("V^{greedy(Q*)} = V*", ev_star.V, sol.V, tol=tol)
    rep.identity("V^pi(rho) = V*(rho)", _v(ev.value()), _v(ev_star.value()), tol=tol)
    return rep


def _actions(mdp):
    return _int_array((mdp.n_states,), 0, mdp.n_actions - 1)


def greedy_on_visited_optimal() -> Conjecture:
    r"""Conjecture: a policy greedy with respect to :math:`Q^*` (i.e. :math:`V^*`) on the states it visits is optimal.

    :math:`\pi(s) \in \arg\max_a Q^*(s,a)` wherever :math:`d_\rho^\pi(s) > 0`;
    claimed :math:`V^\pi = V^*`.  False: the states never visited from
    :math:`\rho` can do anything.

    Shrunk witness (budget 100, seed 0): ``S = 4``, ``A = 2``,
    :math:`\gamma = 0`, :math:`\rho = \delta_0`, every transition to state 0,
    the only reward ``r(3, 1) = 1``; states 1–3 are never visited and the
    policy takes action 0 in state 3: :math:`V^\pi(3) = 0 < 1 = V^*(3)`.
    (Not minimal — two states suffice — but the shrinker stops here.)

    True counterparts: greedy in :math:`Q^*` everywhere gives :math:`V^* `
    (Bellman optimality), and greedy on the visited states already gives
    :math:`V^\pi(\rho) = V^*(\rho)` (performance difference lemma with
    :math:`A^{*}(s,\pi(s)) = 0` on the support of :math:`d_\rho^\pi`).
    """
    return Conjecture(
        name="greedy_on_visited_optimal",
        claim="a policy greedy w.r.t. V* (Q*) on the states it visits is optimal (V^pi = V* everywhere)",
        property=_greedy_visited, search=dict(rho="point", policy=False, budget=100, seed=0,
                                              extras={"b": _actions}),
        true_claim="greedy w.r.t. Q* everywhere is optimal; greedy on the visited states is optimal from rho "
                   "(V^pi(rho) = V*(rho))",
        true_property=_greedy_true, true_search=dict(rho="point", policy=False, budget=100, seed=0,
                                                     extras={"b": _actions}),
        source="Bellman optimality; AJKS Lemma 1.16", doc=greedy_on_visited_optimal.__doc__ or "")


# ------------------------------------------------------------------ registry
#: Catalogue entries by name: name -> constructor returning a :class:`Conjecture`.
CATALOGUE = {f.__name__: f for f in (
    value_concave_softmax, value_concave_direct, visitation_geq_rho, small_gradient_point_mass,
    approximate_greedy_improves, surrogate_equals_improvement, npg_uniform_fisher, trpo_large_delta,
    greedy_on_visited_optimal)}


def conjecture_names() -> list:
    """Names of the catalogue entries, in catalogue order."""
    return list(CATALOGUE)


def get_conjecture(name: str) -> Conjecture:
    """The catalogue entry ``name``.

    Raises
    ------
    InvalidParameterError
        For an unknown name (the message lists the known ones).
    """
    try:
        return CATALOGUE[name]()
    except KeyError:
        raise InvalidParameterError(f"unknown conjecture {name!r}; known: {', '.join(CATALOGUE)}") from None


def run_conjecture(name: str, **overrides) -> Counterexample:
    """Search for a counterexample to the catalogue entry ``name`` with its budget and seed."""
    return get_conjecture(name).run(**overrides)


def check_true_counterpart(name: str, **overrides) -> Counterexample:
    """Search for a counterexample to the true counterpart of ``name`` in its setting (expected: none found)."""
    return get_conjecture(name).run_true(**overrides)
