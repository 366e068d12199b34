r"""statement section C: vanishing gradients on the chain of AJKS Proposition 10.1.

The chain (:func:`mdptheory.families.vanishing_gradient_chain`) has states
:math:`s_0, \dots, s_{H+1}`, four actions, :math:`\gamma = H/(H+1)` and start
:math:`s_0`; :math:`a_1` moves right, :math:`a_2, a_3, a_4` move back (to the
left neighbour in the book's figure, variant ``"left"``, or to :math:`s_0`,
variant ``"reset"``); the only reward is 1 for :math:`a_1` at :math:`s_{H+1}`.
Under the direct parameterization :math:`\pi(a_i|s) = \theta_{s,a_i}` for
:math:`i \le 3`, :math:`\pi(a_4|s) = 1 - \sum_{i\le 3}\theta_{s,a_i}`
(:math:`3|S|` parameters), for :math:`0 < \theta < 1` with
:math:`\theta_{s,a_1} < 1/4` for every state, Proposition 10.1 states

.. math::

    V^*(s_0) - V^{\pi_\theta}(s_0) \ge \frac{H+1}{8} - \frac{(H+1)^2}{3^H},
    \qquad V^*(s_0) = \frac{\gamma^{H+1}}{1-\gamma},

    \|\nabla^k_\theta V^{\pi_\theta}(s_0)\| \le (1/3)^{H/4}
    \quad\text{for } k \le \frac{H}{40 \ln(2H)} - 1 .

The range condition admits :math:`k = 1` only from :math:`H = 562` on and
:math:`k = 2` from :math:`H = 900` (natural logarithm); for smaller :math:`H`
the derivative claim is vacuous, so the checker decides it only inside its
range and reports smaller-:math:`H` derivative norms as an illustration in
``rep.details["outside_range"]`` (never as a part of the verdict).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..exceptions import InvalidParameterError
from .framework.prologue import check_variant, new_report
from .framework.registry import Statement, register
from .framework.report import FALSIFIED, UNDECIDED, VERIFIED
from .framework.suite import case_rng
from .framework.convention import checker_convention

__all__ = ["vanishing_gradients", "derivative_order_range", "chain_region_theta"]

#: Smallest horizons at which the derivative bound of order 1 and 2 is stated.
GRADIENT_MIN_H = 562
HESSIAN_MIN_H = 900


def derivative_order_range(H: int) -> int:
    r"""Largest derivative order ``k >= 0`` admitted by :math:`k \le H/(40\ln(2H)) - 1`.

    Decided with certified ball arithmetic (python-flint ``arb``): the floor is
    taken only when both ends of the enclosure agree, else the precision is
    raised.

    Examples
    --------
    >>> derivative_order_range(561), derivative_order_range(562), derivative_order_range(900)
    (0, 1, 2)
    """
    from flint import arb, ctx

    H = int(H)
    if H < 1:
        raise InvalidParameterError(f"H must be a positive integer; got {H}")
    old = ctx.prec
    try:
        for prec in (64, 128, 256, 1024):
            ctx.prec = prec
            x = arb(H) / (40 * arb(2 * H).log()) - 1
            lo, hi = x.lower(), x.upper()
            flo, fhi = int(lo.floor().unique_fmpz()), int(hi.floor().unique_fmpz())
            if flo == fhi:
                return max(flo, 0)
    finally:
        ctx.prec = old
    raise InvalidParameterError(f"cannot decide the derivative range at H = {H}")  # pragma: no cover


def chain_region_theta(rng, H: int) -> np.ndarray:
    r"""A rational direct-parameterization point in the region of Prop. 10.1.

    Returns ``theta`` of shape ``(H + 2, 3)`` (Fractions) with
    :math:`0 < \theta_{s,a_1} < 1/4`, :math:`\theta_{s,a_2}, \theta_{s,a_3} > 0`
    and :math:`\sum_i \theta_{s,a_i} < 1` (so :math:`\pi(a_4|s) > 0`).
    """
    S = H + 2
    t1 = rng.integers(1, 25, size=S)  # theta_a1 = t1/100 in [1/100, 24/100]
    u = rng.integers(1, 5, size=(S, 2))  # fractions of the rest, each <= 4/10
    out = np.empty((S, 3), dtype=object)
    for s in range(S):
        a1 = Fraction(int(t1[s]), 100)
        rest = 1 - a1
        out[s, 0] = a1
        out[s, 1] = rest * Fraction(int(u[s, 0]), 10)
        out[s, 2] = rest * Fraction(int(u[s, 1]), 10)
    return out


def _in_region(theta) -> tuple[bool, str]:
    th = np.asarray(theta, dtype=object)
    for s in range(th.shape[0]):
        if not all(0 < x < 1 for x in th[s]):
            return False, f"theta[{s}] = {list(map(str, th[s]))} not in (0, 1)"
        if not th[s, 0] < Fraction(1, 4):
            return False, f"theta[{s}, a1] = {th[s, 0]} is not below 1/4"
        if not sum(th[s]) <= 1:
            return False, f"theta[{s}] sums to {sum(th[s])} > 1 (pi(a4|s) < 0)"
    return True, ""


def _ball_le(rep, part, lhs, rhs, **values):
    """Record ``lhs <= rhs`` decided by certified arb comparison."""
    from flint import arb

    slack = arb(rhs) - arb(lhs)
    if slack >= 0:
        verdict, reason = VERIFIED, "certified: the ball of rhs - lhs lies in [0, inf)"
    elif slack < 0:
        verdict, reason = FALSIFIED, "certified: the ball of rhs - lhs lies below 0"
    else:
        verdict, reason = UNDECIDED, "the ball of rhs - lhs contains 0: raise the precision"
    mid = float(slack.mid())
    rep.claim(part, verdict, reason, kind_detail="inequality (arb ball)", slack=mid,
              slack_ball=str(slack), **values)
    if rep.slack is None or mid < rep.slack:
        rep.slack = mid
    return verdict


def _log10(x: Fraction) -> float:
    """log10 of a positive Fraction of any size (no decimal conversion of huge integers)."""
    import math

    def lg(n):
        b = n.bit_length()
        if b < 1000:
            return math.log10(n)
        return math.log10(n >> (b - 60)) + (b - 60) * math.log10(2)

    return lg(x.numerator) - lg(x.denominator)


def _exact_le(rep, part, lhs: Fraction, rhs: Fraction, *, strict=False):
    """Record ``lhs <= rhs`` decided exactly; values shown as log10 (the rationals can have 10^4 digits)."""
    ok = lhs < rhs if strict else lhs <= rhs
    values = {"lhs_log10": _log10(lhs) if lhs > 0 else None, "rhs_log10": _log10(rhs) if rhs > 0 else None}
    rep.claim(part, VERIFIED if ok else FALSIFIED, "exact rational comparison", **values)
    try:
        sl = float(rhs - lhs)
    except OverflowError:
        sl = float("inf") if rhs > lhs else float("-inf")
    if rep.slack is None or sl < rep.slack:
        rep.slack = sl
    return rep.parts[-1]["verdict"]


def _exact_eq(rep, part, lhs: Fraction, rhs: Fraction):
    """Record ``lhs == rhs`` decided exactly (also in ball mode, where both sides are exact rationals)."""
    res = abs(lhs - rhs)
    res_f = float(res) if res < Fraction(10) ** 300 else float("inf")
    rep.claim(part, VERIFIED if res == 0 else FALSIFIED, "exact equality" if res == 0 else "exact residual is nonzero",
              residual=res_f)
    if rep.residual is None or res_f > rep.residual:
        rep.residual = res_f
    return rep.parts[-1]["verdict"]


def _exact_value_s0(m, pi):
    from ..evaluation import evaluate

    return evaluate(m, pi, mode="exact").V[0]


def _pi_from_theta(theta):
    """Policy of the direct parameterization (through :class:`mdptheory.policies.Direct`)."""
    from ..policies import Direct

    th = np.asarray(theta, dtype=object)
    S = th.shape[0]
    return Direct(S, 4).probs(th.reshape(-1))


def _chain_norm(k, H, theta_a1, chain, mode, prec):
    from .. import derivatives as dv

    fn = dv.chain_gradient_norm if k == 1 else dv.chain_hessian_norm
    return fn(H, theta_a1, back_move=chain, prec=None if mode == "exact" else prec)


def _derivative_part(rep, k, H, theta_a1, chain, mode, prec, *, decide: bool, power=Fraction(1, 4)):
    r"""Norm of the k-th derivative of V(s0) against :math:`(1/3)^{H \cdot power}` (exact or ball).

    Exact mode compares squared norms: :math:`\|D\|^2` is rational and
    :math:`\|D\| \le 3^{-H/4}` iff :math:`(\|D\|^2)^2\,3^H \le 1`, an exact
    rational comparison.  Ball mode compares certified enclosures.
    """
    res = _chain_norm(k, H, theta_a1, chain, mode, prec)
    label = ("||grad V(s0)||" if k == 1 else "||hess V(s0)||_F") + f" <= (1/3)^({power} H) at H = {H} (k = {k})"
    if mode == "exact":
        sq = Fraction(res.squared_norm)
        # ||D|| <= 3^(-power H)  <=>  (||D||^2)^e * 3^H <= 1 with e = 1/(2 power): e = 2 for the
        # statement (power 1/4); for the broken power 4, ||D||^2 * 3^(8H) <= 1 instead
        e = 1 / (2 * power)
        if e.denominator == 1:
            lhs, rhs = sq ** int(e) * Fraction(3) ** H, Fraction(1)
            how = f"(||D||^2)^{int(e)} * 3^H <= 1"
        else:
            lhs, rhs = sq * Fraction(3) ** int(2 * power * H), Fraction(1)
            how = f"||D||^2 * 3^{int(2 * power * H)} <= 1"
        if not decide:
            return {"k": k, "H": H, "norm_upper_float": res.norm_upper, "bound": f"(1/3)^({power} H)",
                    "holds": lhs <= rhs, "seconds": res.seconds}
        rep.details.setdefault("derivative_norms", []).append({"k": k, "H": H, "norm_upper_float": res.norm_upper,
                                                               "seconds": res.seconds})
        return _exact_le(rep, f"{label}, as {how}", lhs, rhs)
    from flint import arb

    nb = res.norm
    bound = (arb(1) / 3) ** (arb(H) * arb(power.numerator) / power.denominator)
    if not decide:
        return {"k": k, "H": H, "norm_ball": str(nb), "bound_ball": str(bound), "holds": bool(nb <= bound),
                "seconds": res.seconds}
    rep.details.setdefault("derivative_norms", []).append({"k": k, "H": H, "norm_ball": str(nb),
                                                           "seconds": res.seconds})
    return _ball_le(rep, label, nb, bound, norm=str(nb), bound=str(bound))


# --------------------------------------------------------------------- C1
@checker_convention(policy="chain", takes_mdp=False, legacy=("H", "theta"), renamed={"chain": "back_move"},
                    internal_names={"back_move": "chain"})
def vanishing_gradients(H, theta, *, chain="left", mode="exact", variant=None, seed=None,
                        derivative_H=None, derivative_order=1, derivative_theta_a1=None, prec=128,
                        illustrate=True):
    r"""Check AJKS Proposition 10.1 on the vanishing-gradient chain (statement C1).

    .. math::

        V^*(s_0) = \frac{\gamma^{H+1}}{1-\gamma}, \qquad
        V^*(s_0) - V^{\pi_\theta}(s_0) \ge \frac{H+1}{8} - \frac{(H+1)^2}{3^H},

        \|\nabla^k V^{\pi_\theta}(s_0)\| \le (1/3)^{H/4}
        \quad (k \le H/(40\ln 2H) - 1;\ \text{Frobenius norm, which bounds the operator norm})

    for the direct parameterization with :math:`0 < \theta < 1`,
    :math:`\theta_{s,a_1} < 1/4`.

    Routes: :math:`V^*` from exact policy iteration
    (:func:`mdptheory.optimal.solve`) against the closed form;
    :math:`V^{\pi_\theta}(s_0)` from :func:`mdptheory.evaluate` (exact
    rationals, or certified arb balls in ``mode="ball"``) against the bound;
    the derivative norms from :func:`mdptheory.derivatives.chain_gradient_norm`
    and :func:`~mdptheory.derivatives.chain_hessian_norm` at
    ``derivative_H`` (which must lie in the statement's range: at least 562 for
    ``derivative_order=1``, 900 for 2), in exact rationals (squared norms,
    compared exactly) or certified balls (``mode="ball"``: upper end below the
    bound is VERIFIED, lower end above it FALSIFIED, overlap UNDECIDED).  The
    point used there is :math:`\theta_{s,a_1}` = ``derivative_theta_a1``
    (default ``theta[0, 0]``) in every state of the chain of length
    ``derivative_H + 2``: only :math:`\theta_{s,a_1}` affects :math:`V`
    (:func:`mdptheory.derivatives.chain_gradient_norm` explains why), and the
    default suite takes 24/100, near the edge 1/4 of the region where the
    derivatives are largest.

    The norm routine the derivative claim rests on is checked at the case's
    own ``H`` against the generic route (a part of the verdict, so that a
    wrong norm changes it): :func:`~mdptheory.derivatives.chain_gradient_norm`
    (tridiagonal solve exploiting the chain's structure) against the exact
    gradient of the chain as an ordinary MDP by the forward solve of the
    differentiated Bellman system
    (:func:`mdptheory.lemmas.framework.routes.gradient_direct`); in ball mode
    the structured routine's enclosure must contain the exact value.  At
    ``derivative_H`` (562 and more) the generic route is not run: a dense
    exact solve of that size takes seconds.  Data flow — left: closed forms
    and the structured norm routine; right: exact policy iteration,
    :func:`mdptheory.evaluate` and the generic gradient; shared: the chain
    MDP, :math:`\theta`.

    For the case's own ``H`` (below the range) the gradient norm against the
    bound is reported too, when ``illustrate``, in
    ``rep.details["outside_range"]``, labelled as outside the statement's
    range; that comparison never affects the verdict.

    Parameters (the checker convention, :mod:`mdptheory.lemmas.framework.convention`)
    ----------
    mdp : None
        The chain is built from ``H`` (:func:`mdptheory.families.vanishing_gradient_chain`).
    param : None, "direct" or Direct(H + 2, 4)
    theta : array_like, shape (3 (H + 2),)
        The direct parameterization's point: exact rationals
        :math:`\theta_{s,a_1}, \theta_{s,a_2}, \theta_{s,a_3}` state by
        state, in the region (the old (H + 2, 3) array is deprecated).
    H : int, at least 1, keyword-only
        Default: from the length of ``theta``.
    back_move : {"left", "reset"}, keyword-only
        Where :math:`a_2, a_3, a_4` lead (the book's figure: ``"left"``);
        ``chain=`` is its deprecated name.
    mode : {"exact", "ball"}, keyword-only
    derivative_H : int, optional
        Horizon at which to check the derivative bound (in range).
    derivative_order : {1, 2}
    prec : int
        Bits of working precision in ball mode.

    Broken variants: ``"v_star_no_delay"`` (:math:`V^*(s_0) = 1/(1-\gamma)`,
    forgetting that the reward is :math:`H+1` steps away),
    ``"gap_over_2"`` (:math:`(H+1)/2` in place of :math:`(H+1)/8`: false,
    since :math:`V^*(s_0) \approx (H+1)/e`), ``"gradient_bound_fourth_power"``
    (the derivative bound :math:`(1/3)^{4H}`, the exponent inverted — at
    :math:`\theta_{s,a_1}` near 1/4 the gradient is of order :math:`3^{-H}`).
    """
    from ..families import vanishing_gradient_chain
    from ..optimal import solve

    stmt = _C1
    check_variant(variant, stmt.variants)
    if mode not in ("exact", "ball"):
        raise InvalidParameterError(f"mode must be 'exact' or 'ball' for this checker; got {mode!r}")
    H = int(H)
    th = np.asarray(theta, dtype=object)
    if th.shape != (H + 2, 3):
        raise InvalidParameterError(f"theta must have shape (H + 2, 3) = ({H + 2}, 3); got {th.shape}")
    ok, why = _in_region(th)
    if not ok:
        raise InvalidParameterError(f"theta outside the region of Prop. 10.1: {why}")
    m = vanishing_gradient_chain(H, back_move=chain, exact=True)
    g = m.gamma
    rep = new_report(stmt, mode, {"mdp": m, "H": H, "chain": chain, "theta": th, "seed": seed,
                                  "derivative_H": derivative_H, "derivative_order": derivative_order}, variant)
    rep.details["prec"] = prec
    rep.tolerance_rule = ("none: exact rationals" if mode == "exact" else
                          f"none: certified arb balls at {prec} bits")
    # (b) V*(s0) in closed form vs exact policy iteration
    v_star_closed = g ** (H + 1) / (1 - g) if variant != "v_star_no_delay" else 1 / (1 - g)
    opt = solve(m)
    v_star = Fraction(opt.V[0])
    _exact_eq(rep, "V*(s0) = gamma^(H+1)/(1-gamma) (closed form vs exact policy iteration)", v_star, v_star_closed)
    # (a) suboptimality bound at theta
    pi = _pi_from_theta(th)
    c = 8 if variant != "gap_over_2" else 2
    bound = Fraction(H + 1, c) - Fraction((H + 1) ** 2, 3 ** H)
    if mode == "exact":
        v = _exact_value_s0(m, pi)
        _exact_le(rep, f"(H+1)/{c} - (H+1)^2/3^H <= V*(s0) - V(s0)", bound, v_star - v)
        rep.details.update({"V_star_s0": v_star, "V_s0_float": float(v), "bound": bound})
    else:
        from flint import fmpq

        from ..evaluation import evaluate

        ev = evaluate(m, pi, mode="ball", prec=prec)
        vb = ev.V[0]
        _ball_le(rep, f"(H+1)/{c} - (H+1)^2/3^H <= V*(s0) - V(s0)", fmpq(bound.numerator, bound.denominator),
                 fmpq(v_star.numerator, v_star.denominator) - vb)
        rep.details.update({"V_star_s0": v_star, "V_s0_ball": str(vb), "bound": bound})
    # (c) derivative bounds in the stated range
    if derivative_H is not None:
        Hd = int(derivative_H)
        k = int(derivative_order)
        kmax = derivative_order_range(Hd)
        if k not in (1, 2):
            raise InvalidParameterError(f"derivative_order must be 1 or 2; got {k}")
        if k > kmax:
            raise InvalidParameterError(
                f"derivative_H = {Hd} is outside the statement's range for k = {k} "
                f"(k <= H/(40 ln 2H) - 1 admits k <= {kmax}); use H >= {GRADIENT_MIN_H if k == 1 else HESSIAN_MIN_H}")
        t1 = th[0, 0] if derivative_theta_a1 is None else Fraction(derivative_theta_a1)
        if not 0 < t1 < Fraction(1, 4):
            raise InvalidParameterError(f"derivative_theta_a1 = {t1} is outside (0, 1/4)")
        theta_a1 = np.array([t1] * (Hd + 2), dtype=object)
        rep.details["derivative_range"] = {"H": Hd, "k": k, "k_max": kmax}
        power = Fraction(4) if variant == "gradient_bound_fourth_power" else Fraction(1, 4)
        _derivative_part(rep, k, Hd, theta_a1, chain, mode, prec, decide=True, power=power)
    # (d) the structured O(H) norm routine against the generic gradient at the case's H: the derivative
    # claim above rests on chain_gradient_norm, so a wrong norm must change the verdict here
    _cross_check_norm(rep, m, H, th, chain, mode, prec)
    if illustrate and derivative_order_range(H) < 1:
        try:
            rep.details["outside_range"] = {
                "label": f"illustration outside the statement's range (H = {H} < {GRADIENT_MIN_H}): "
                         "the derivative claim is vacuous here; not part of the verdict",
                **_derivative_part(rep, 1, H, np.asarray(th[:, 0]), chain, mode, prec, decide=False)}
        except Exception as exc:  # an illustration never breaks the check
            rep.details["outside_range"] = {"error": repr(exc)}
    return rep


def _cross_check_norm(rep, m, H, th, chain, mode, prec):
    r""":math:`\|\nabla V(s_0)\|^2` by :func:`mdptheory.derivatives.chain_gradient_norm` against the generic route.

    The generic route: the Jacobian of the direct parameterization and the
    forward solve of the differentiated Bellman system of the chain as an
    ordinary MDP (:func:`mdptheory.lemmas.framework.routes.gradient_direct`),
    exactly; it knows nothing of the chain's structure (that only
    :math:`\theta_{s,a_1}` matters, the tridiagonal solve).  In ball mode the
    structured routine's certified enclosure must contain the exact value.
    """
    from ..policies import Direct
    from .framework.routes import gradient_direct

    S = m.n_states
    e0 = np.array([Fraction(1)] + [Fraction(0)] * (S - 1), dtype=object)
    g = gradient_direct(m, Direct(S, 4), th.reshape(-1), e0, "exact")
    sq_generic = sum((x * x for x in g), Fraction(0))
    part = (f"||grad V(s0)||^2 at the case's H = {H}: chain_gradient_norm (structured O(H) route) = "
            "generic forward solve of the differentiated Bellman system")
    res = _chain_norm(1, H, np.asarray(th[:, 0]), chain, mode, prec)
    if mode == "exact":
        _exact_eq(rep, part, Fraction(res.squared_norm), sq_generic)
    else:
        from flint import fmpq

        sq_ball = res.norm * res.norm
        inside = sq_ball.contains(fmpq(sq_generic.numerator, sq_generic.denominator))
        rep.claim(part + " (inside the certified enclosure)", VERIFIED if inside else FALSIFIED,
                  "the exact value lies in the enclosure" if inside else "the exact value lies outside the enclosure",
                  enclosure=str(sq_ball), exact=float(sq_generic))
    rep.details["gradient_norm_case_H"] = {"H": H, "squared_norm": float(sq_generic)}


# ------------------------------------------------------------ registration
#: Horizons of the default suite (the statement asks for H from 4 to at least 40).
SUITE_H = (4, 5, 6, 8, 10, 12, 16, 20, 24, 30, 36, 40)


def _cases(seed, n, mode):
    for i in range(n):
        rng = case_rng(seed, "C1", i)
        H = SUITE_H[i] if i < len(SUITE_H) else int(rng.integers(4, 61))
        case = {"H": H, "theta": chain_region_theta(rng, H).reshape(-1), "back_move": "left" if i % 2 == 0 else "reset",
                "seed": (seed, i)}
        if i == 0:
            case.update(derivative_H=GRADIENT_MIN_H, derivative_order=1, derivative_theta_a1=Fraction(24, 100))
        elif i == 1 and mode == "ball":
            # the Hessian bound in ball arithmetic (about 3 s at H = 900; exact rationals are far slower)
            case.update(derivative_H=HESSIAN_MIN_H, derivative_order=2, derivative_theta_a1=Fraction(24, 100))
        elif i >= len(SUITE_H):
            # larger suites: more horizons in the stated range
            k = 1 if (i % 2 == 0 or mode == "exact") else 2
            lo = GRADIENT_MIN_H if k == 1 else HESSIAN_MIN_H
            case.update(derivative_H=int(rng.integers(lo, lo + 200)), derivative_order=k,
                        derivative_theta_a1=Fraction(int(rng.integers(1, 25)), 100))
        yield case


_C1 = register(Statement(
    id="C1", name="vanishing_gradients",
    text="chain MDP, direct parameterization, 0 < theta < 1, theta_{s,a1} < 1/4: "
         "V*(s0) = gamma^(H+1)/(1-gamma); V*(s0) - V(s0) >= (H+1)/8 - (H+1)^2/3^H; "
         "||D^k V(s0)|| <= (1/3)^(H/4) for k <= H/(40 ln 2H) - 1",
    source="AJKS Prop. 10.1", check=vanishing_gradients, cases=_cases, modes=("exact", "ball"),
    variants={"v_star_no_delay": "V*(s0) = 1/(1-gamma) (the H+1 steps to the reward forgotten)",
              "gap_over_2": "suboptimality bound (H+1)/2 - (H+1)^2/3^H",
              "gradient_bound_fourth_power": "derivative bound (1/3)^(4H) instead of (1/3)^(H/4)"},
    cost=5.0))
