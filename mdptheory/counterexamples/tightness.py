r"""How tight is each constant?  Search MDPs and parameters for the largest ratio LHS/RHS of a bound.

Every inequality of the lecture with a constant, ``lhs <= rhs``, gets a small
*sides function* registered here under its statement id (:data:`BOUNDS`):
from the problem data alone — the MDP, a policy parameter, the algorithm's
step size or horizon — it computes the two sides, independently of the
checkers of :mod:`mdptheory.lemmas` and of their verdict logic.  The *ratio*
is :math:`\max_i \text{lhs}_i/\text{rhs}_i` over the components (a bound checked
at every iterate :math:`T = 1..T_{\max}` has one component per :math:`T`); a
ratio above 1 is a **falsified** statement, and the witness says where.

:func:`tightness_search` maximises the ratio over MDPs of a given size and
discount (transition rows :math:`\mathrm{softmax}(x_P)`, rewards
:math:`\sigma(x_r)\in[0,1]`, start distributions :math:`\mathrm{softmax}(x_\rho)`)
and the statement's parameters (policy logits, step sizes, horizons) in two
stages: Hypothesis draws points and steers toward large ratios with
:func:`hypothesis.target`, then random-restart Nelder–Mead
(:func:`scipy.optimize.minimize`) refines the best points.  Known tight
constructions (a bandit, i.e. one state looping on itself; the chain of
Prop. 10.1 for C1) are evaluated too, and the result says whether the search
rediscovered their ratio.

The best point is then made exact (:func:`mdptheory.counterexamples.rationalize` for
the MDP, rationals for the parameters) and its ratio **recomputed in ball
arithmetic** (FLINT ``arb``, :data:`BALL_PREC` bits): the same sides function
runs on ``arb`` entries, so the reported enclosure is certified for the saved
witness.  Witnesses are saved as exact JSON under a fresh name (atomic write,
never overwriting).

Every sides function is written once for two number systems: float64 numpy
arrays during the search and object arrays of ``arb`` balls for the
certificate (``np.exp``, ``np.log`` and ``np.sqrt`` call the balls' own
methods; linear systems are solved by elimination without pivoting, safe for
the diagonally dominant :math:`I - \gamma P^\pi`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable

import numpy as np

from ..exceptions import InvalidParameterError, format_value

__all__ = [
    "Bound",
    "BOUNDS",
    "BALL_PREC",
    "TightnessResult",
    "tightness_search",
    "bound_ids",
    "get_bound",
    "ratio_of",
    "certified_ratio",
    "DEFAULT_GRID",
    "tightness_table",
]

#: Working precision (bits) of the certified recomputation.
BALL_PREC = 200
#: The grid of the docs table: sizes (S, A) and discounts.
DEFAULT_GRID = {"sizes": ((2, 2), (3, 2)), "gammas": (Fraction(1, 2), Fraction(9, 10))}


# ------------------------------------------------------------------ number systems
class _Float:
    """float64 numpy arithmetic."""

    name = "float"

    def arr(self, x):
        return np.asarray(x, dtype=float)

    def num(self, x):
        return float(x)

    def solve(self, M, b):
        return np.linalg.solve(M, b)

    def max(self, a):
        return np.max(a)

    def min(self, a):
        return np.min(a)

    def mid(self, x):
        return np.asarray(x, dtype=float)

    def rowmax(self, x):
        return np.max(x, axis=-1, keepdims=True)

    def log(self, x):
        return np.log(x)


class _Ball:
    """FLINT arb ball arithmetic in numpy object arrays."""

    name = "ball"

    def __init__(self, prec=BALL_PREC):
        self.prec = prec

    def num(self, x):
        from flint import arb, fmpq

        if isinstance(x, Fraction):
            return arb(fmpq(x.numerator, x.denominator))
        if isinstance(x, (int, np.integer)):
            return arb(int(x))
        if type(x).__name__ == "arb":
            return x
        q = Fraction(float(x))
        return arb(fmpq(q.numerator, q.denominator))

    def arr(self, x):
        a = np.asarray(x, dtype=object)
        out = np.empty(a.shape, dtype=object)
        for idx in np.ndindex(a.shape):
            out[idx] = self.num(a[idx])
        return out

    def solve(self, M, b):
        M = np.array(M, dtype=object, copy=True)
        b = np.array(b, dtype=object, copy=True)
        n = M.shape[0]
        for k in range(n):
            for i in range(k + 1, n):
                f = M[i, k] / M[k, k]
                M[i, k:] = M[i, k:] - f * M[k, k:]
                b[i] = b[i] - f * b[k]
        x = np.empty(n, dtype=object)
        for i in range(n - 1, -1, -1):
            s = b[i]
            for j in range(i + 1, n):
                s = s - M[i, j] * x[j]
            x[i] = s / M[i, i]
        return x

    def max(self, a):
        vals = list(np.asarray(a, dtype=object).reshape(-1))
        out = vals[0]
        for v in vals[1:]:
            out = out.max(v)
        return out

    def min(self, a):
        vals = list(np.asarray(a, dtype=object).reshape(-1))
        out = vals[0]
        for v in vals[1:]:
            out = out.min(v)
        return out

    def mid(self, x):
        a = np.asarray(x, dtype=object)
        return np.array([float(v.mid()) if hasattr(v, "mid") else float(v) for v in a.reshape(-1)]).reshape(a.shape)

    def rowmax(self, x):
        return np.zeros(x.shape[:-1] + (1,), dtype=object) + self.num(0)

    def log(self, x):
        return np.log(x)


def _ctx(nb):
    """Context manager setting FLINT's precision for ball arithmetic."""
    import contextlib

    if nb.name != "ball":
        return contextlib.nullcontext()
    from flint import ctx

    @contextlib.contextmanager
    def prec():
        old = ctx.prec
        ctx.prec = nb.prec
        try:
            yield
        finally:
            ctx.prec = old

    return prec()


# ------------------------------------------------------------------ MDP algebra (both number systems)
class _M:
    """The problem data in one number system, with the evaluations the sides need."""

    def __init__(self, pt, nb):
        self.nb = nb
        self.P = nb.arr(pt["P"])
        self.r = nb.arr(pt["r"])
        self.g = nb.num(pt["gamma"])
        self.rho = nb.arr(pt["rho"])
        self.S, self.A = self.r.shape
        self.pt = pt
        self._opt = None

    def one(self):
        return self.nb.num(1)

    def softmax(self, theta):
        th = self.nb.arr(theta).reshape(self.S, self.A)
        e = np.exp(th - self.nb.rowmax(th))
        return e / e.sum(axis=1, keepdims=True)

    def evaluate(self, pi):
        """(V, Q, M) with M = I - gamma P^pi."""
        Ppi = (pi[:, :, None] * self.P).sum(axis=1)
        rpi = (pi * self.r).sum(axis=1)
        M = self.nb.arr(np.eye(self.S)) - self.g * Ppi
        V = self.nb.solve(M, rpi)
        Q = self.r + self.g * (self.P * V[None, None, :]).sum(axis=2)
        return V, Q, M

    def visitation(self, M, mu):
        return (self.one() - self.g) * self.nb.solve(M.T.copy(), mu)

    def optimum(self):
        """(V*, pi*) from exact policy iteration on the rational data (float or ball images)."""
        if self._opt is None:
            from ..mdp import MDP
            from ..optimal import solve

            if self.nb.name == "ball":
                sol = solve(MDP(_obj(self.pt["P"]), _obj(self.pt["r"]), self.pt["gamma"], _obj(self.pt["rho"])))
                self._opt = (self.nb.arr(sol.V), self.nb.arr(sol.pi))
            else:
                sol = solve(MDP(np.asarray(self.pt["P"], float), np.asarray(self.pt["r"], float),
                                float(self.pt["gamma"]), np.asarray(self.pt["rho"], float)))
                self._opt = (np.asarray(sol.V, float), np.asarray(sol.pi, float))
        return self._opt

    def softmax_grad(self, pi, mu):
        V, Q, M = self.evaluate(pi)
        d = self.visitation(M, mu)
        return d[:, None] * pi * (Q - V[:, None]) / (self.one() - self.g), V


def _obj(a):
    return np.asarray(a, dtype=object)


def _sq(x):
    return (x * x).sum()


# ------------------------------------------------------------------ sides functions
def _b6(m, p):
    """Lemma 9.6 for softmax PG with eta = 1/beta: min_{t<T} ||g_t||^2 <= 2 beta (V*(mu) - V_0(mu))/T."""
    nb, one = m.nb, m.one()
    beta = 8 * one / (one - m.g) ** 3
    th = nb.arr(p["theta"]).reshape(m.S, m.A)
    Vs, _ = m.optimum()
    g2, V0 = [], None
    for t in range(int(p["T"])):
        g, V = m.softmax_grad(m.softmax(th), m.rho)
        if V0 is None:
            V0 = (m.rho * V).sum()
        g2.append(_sq(g))
        th = th + g / beta
    lhs = [nb.min(np.array(g2[:T], dtype=object)) for T in range(1, len(g2) + 1)]
    gap0 = (m.rho * Vs).sum() - V0
    rhs = [2 * beta * gap0 / T for T in range(1, len(g2) + 1)]
    return lhs, rhs


def _d3(m, p):
    """Ascent lemma behind Thm 10.3: eta = (1-gamma)^3/8, (eta/2)||g||^2 <= V(theta + eta g)(mu) - V(theta)(mu)."""
    one = m.one()
    eta = (one - m.g) ** 3 / 8
    th = m.nb.arr(p["theta"]).reshape(m.S, m.A)
    g, V = m.softmax_grad(m.softmax(th), m.rho)
    V1, _, _ = m.evaluate(m.softmax(th + eta * g))
    return [eta / 2 * _sq(g)], [(m.rho * (V1 - V)).sum()]


def _d4(m, p):
    """||hess_theta V(rho)||_2 <= 8/(1-gamma)^3 (library Hessian; spectral norm certified by acb eig)."""
    from ..derivatives import value_hessian
    from ..mdp import MDP
    from ..policies import LogRational, TabularSoftmax

    nb, one = m.nb, m.one()
    param = TabularSoftmax(m.S, m.A)
    beta = 8 * one / (one - m.g) ** 3
    if nb.name == "float":
        mdp = MDP(m.P, m.r, float(m.g), m.rho)
        H = value_hessian(mdp, param, np.asarray(p["theta"], float).reshape(-1), mu=m.rho, mode="float")
        return [float(np.max(np.abs(np.linalg.eigvalsh(H))))], [beta]
    from flint import acb_mat, arb_mat

    pi = np.asarray(p["pi"], dtype=object)  # the certified witness is a rational policy: theta = log pi
    mdp = MDP(_obj(m.pt["P"]), _obj(m.pt["r"]), m.pt["gamma"], _obj(m.pt["rho"]))
    H = value_hessian(mdp, param, LogRational(pi.tolist()), mu=_obj(m.pt["rho"]), mode="exact")
    # V(theta + c 1_s) = V(theta): H 1_s = 0 for each state's block of ones.  Restrict H to the orthogonal
    # complement (a Helmert basis per state, in arb) so that the eigenvalues left are isolated.
    n, k = m.S * m.A, m.S * (m.A - 1)
    B = np.empty((n, k), dtype=object)
    B[...] = nb.num(0)
    col = 0
    for s_ in range(m.S):
        for j in range(1, m.A):
            c = one / np.sqrt(nb.arr([j * (j + 1)]))[0]
            for a in range(j):
                B[s_ * m.A + a, col] = c
            B[s_ * m.A + j, col] = -j * c
            col += 1
    Hr = B.T @ nb.arr(H) @ B
    try:
        eig = acb_mat(arb_mat(Hr.tolist())).eig()
    except ValueError:
        eig = acb_mat(arb_mat(Hr.tolist())).eig(multiple=True, nonstop=True)
    return [nb.max(np.array([abs(e.real) for e in eig], dtype=object))], [beta]


def _chain_point(H):
    """The chain of Prop. 10.1 (variant "left": a2..a4 move to the left neighbour), rational."""
    n = H + 2
    P = np.zeros((n, 4, n), dtype=object)
    P[...] = Fraction(0)
    r = np.full((n, 4), Fraction(0), dtype=object)
    for s in range(n):
        P[s, 0, min(s + 1, n - 1)] = Fraction(1)
        for a in (1, 2, 3):
            P[s, a, max(s - 1, 0)] = Fraction(1)
    r[n - 1, 0] = Fraction(1)
    rho = np.array([Fraction(1)] + [Fraction(0)] * (n - 1), dtype=object)
    return {"P": P, "r": r, "gamma": Fraction(H, H + 1), "rho": rho}


def _c1_policy(m, x):
    """Direct policy with pi(a1|s) = sigmoid(x_s0)/4 < 1/4 and the rest split by softmax(x_s1..3)."""
    nb = m.nb
    x = nb.arr(x).reshape(m.S, 4)
    one = m.one()
    p1 = one / (one + np.exp(-x[:, 0])) / 4
    e = np.exp(x[:, 1:] - nb.rowmax(x[:, 1:]))
    rest = e / e.sum(axis=1, keepdims=True) * (one - p1)[:, None]
    return np.concatenate([p1[:, None], rest], axis=1)


def _c1(m, p):
    """Prop. 10.1 (suboptimality): (H+1)/8 - (H+1)^2/3^H <= V*(s0) - V(s0) for pi(a1|s) < 1/4."""
    H = m.S - 2
    one = m.one()
    pi = _c1_policy(m, p["theta"]) if "pi" not in p else m.nb.arr(p["pi"])
    V, _, _ = m.evaluate(pi)
    Vstar0 = m.g ** (H + 1) / (one - m.g)
    return [(H + 1) * one / 8 - (H + 1) ** 2 * one / 3 ** H], [Vstar0 - V[0]]


C1_GRAD_H = 562


def _c1_grad_theta(p):
    """pi(a1|s) = sigmoid(c0 + c1 u + c2 u^2)/4 < 1/4 at u = s/(H+1), as exact binary rationals."""
    H = C1_GRAD_H
    c = [float(x) for x in np.asarray(p["shape"], dtype=float).reshape(-1)]
    u = np.arange(H + 2) / (H + 1)
    z = np.clip(c[0] + c[1] * u + c[2] * u * u, -40, 40)
    return [Fraction(float(x)) for x in 0.25 / (1.0 + np.exp(-z))]


def _c1_grad(m, p):
    """Prop. 10.1 (gradient, in its stated range H = 562): ||grad V(s0)||_2 <= (1/3)^{H/4}.

    Computed with the library's certified chain gradient (ball arithmetic, O(H)); only
    pi(a1|s) matters (:func:`mdptheory.derivatives.chain_gradient_norm`).
    """
    from ..derivatives import chain_gradient_norm

    nb = _Ball(max(BALL_PREC, 300))
    H = C1_GRAD_H
    theta = [Fraction(x) for x in p["theta_a1"]] if "theta_a1" in p else _c1_grad_theta(p)
    res = chain_gradient_norm(H, theta, prec=nb.prec)
    with _ctx(nb):
        rhs = (nb.num(1) / 3) ** (nb.num(H) / 4)
        return [res.norm], [rhs]


def _d5(m, p):
    """Thm 10.4: ||grad L_lambda|| <= lambda/(2SA) implies V*(s) - V(s) <= 2 lambda/(1-gamma) ||d_s^{pi*}/mu||_inf.

    Components are the start states s (rho = e_s); at a point that is not
    eps-stationary the statement says nothing and both sides are 0 (ratio 0).
    """
    nb, one = m.nb, m.one()
    lam = nb.num(p["lam"])
    S, A = m.S, m.A
    if nb.name == "float" and "theta_stationary" not in p:
        p["theta_stationary"] = _barrier_ascent(m, p["theta"], float(lam))
    pi = m.softmax(p["theta_stationary"])
    g, V = m.softmax_grad(pi, m.rho)
    gL = g + lam / S * (one / A - pi)
    eps = lam / (2 * S * A)
    gn2 = _sq(gL)
    feasible = float(nb.mid(gn2)) <= float(nb.mid(eps * eps)) if nb.name == "float" else bool(gn2 <= eps * eps)
    if not feasible:
        return [nb.num(0)] * S, [nb.num(1)] * S
    Vs, pis = m.optimum()
    _, _, Ms = m.evaluate(pis)
    lhs, rhs = [], []
    for s in range(S):
        e = nb.arr(np.eye(S)[s])
        d = m.visitation(Ms, e)
        lhs.append(Vs[s] - V[s])
        rhs.append(2 * lam / (one - m.g) * nb.max(d / m.rho))
    return lhs, rhs


def _barrier_ascent(m, theta0, lam):
    """A lambda/(2SA)-stationary point of L_lambda near theta0 (BFGS from theta0, float64)."""
    from scipy.optimize import minimize

    S, A = m.S, m.A
    eps = lam / (2 * S * A)

    def fg(th):
        pi = m.softmax(th)
        g, V = m.softmax_grad(pi, m.rho)
        L = float((m.rho * V).sum()) + lam / (S * A) * float(np.log(pi).sum())
        gL = g + lam / S * (1.0 / A - pi)
        return -L, -gL.reshape(-1)

    res = minimize(fg, np.asarray(theta0, float).reshape(-1), jac=True, method="BFGS",
                   options={"gtol": eps / 4, "maxiter": 200})
    return res.x


def _npg_step(m, pi, eta):
    V, Q, M = m.evaluate(pi)
    w = pi * np.exp(eta * (Q - V[:, None]) / (m.one() - m.g))
    Z = w.sum(axis=1)
    return w / Z[:, None], V, Z


def _e3(m, p):
    """Lemma 10.8: ((1-gamma)/eta) E_mu log Z_t <= V_{t+1}(mu) - V_t(mu) (one NPG step from theta)."""
    eta = m.nb.num(p["eta"])
    pi = m.softmax(p["theta"])
    pi1, V, Z = _npg_step(m, pi, eta)
    V1, _, _ = m.evaluate(pi1)
    return [(m.one() - m.g) / eta * (m.rho * np.log(Z)).sum()], [(m.rho * (V1 - V)).sum()]


def _e4(m, p):
    """Thm 10.7 from theta = 0: V*(rho) - V_T(rho) <= log|A|/(eta T) + 1/((1-gamma)^2 T), T = 1..T_max."""
    nb, one = m.nb, m.one()
    eta = nb.num(p["eta"])
    pi = m.softmax(np.zeros((m.S, m.A)))
    Vs, _ = m.optimum()
    lhs, rhs = [], []
    logA = np.log(nb.arr([m.A]))[0]
    for T in range(1, int(p["T"]) + 1):
        pi, _, _ = _npg_step(m, pi, eta)
        V, _, _ = m.evaluate(pi)
        lhs.append((m.rho * (Vs - V)).sum())
        rhs.append(logA / (eta * T) + one / ((one - m.g) ** 2 * T))
    return lhs, rhs


def _f4(m, p):
    """Lemma 11.3 with one-hot features (B = 1, beta = 1, err_t = 0, w_t = A_t): from theta = 0,
    min_{t<T}(V*(rho) - V_t(rho)) <= (log|A|/(eta T) + eta W^2/2)/(1-gamma), W = max_{t<T} ||w_t||."""
    nb, one = m.nb, m.one()
    eta = nb.num(p["eta"])
    Vs, _ = m.optimum()
    th = nb.arr(np.zeros((m.S, m.A)))
    logA = np.log(nb.arr([m.A]))[0]
    gaps, W2, lhs, rhs = [], [], [], []
    for T in range(1, int(p["T"]) + 1):
        pi = m.softmax(th)
        V, Q, _ = m.evaluate(pi)
        w = Q - V[:, None]
        gaps.append((m.rho * (Vs - V)).sum())
        W2.append(_sq(w))
        th = th + eta * w
        lhs.append(nb.min(np.array(gaps, dtype=object)))
        rhs.append((logA / (eta * T) + eta * nb.max(np.array(W2, dtype=object)) / 2) / (one - m.g))
    return lhs, rhs


def _cpi_parts(m, p):
    nb, one = m.nb, m.one()
    a = nb.num(p["alpha"])
    pi = m.softmax(p["theta"])
    V, Q, M = m.evaluate(pi)
    Adv = Q - V[:, None]
    greedy = np.argmax(nb.mid(Adv), axis=1)
    pig = nb.arr(np.eye(m.A)[greedy])
    pi1 = (one - a) * pi + a * pig
    V1, _, M1 = m.evaluate(pi1)
    d, d1 = m.visitation(M, m.rho), m.visitation(M1, m.rho)
    AA = (d * (pig * Adv).sum(axis=1)).sum()
    return a, V, V1, d, d1, AA


def _g1(m, p):
    """Thm 12.2 (CPI): (alpha/(1-gamma))(AA - 2 alpha gamma/(1-gamma)^2) <= V_{t+1}(mu) - V_t(mu)."""
    one = m.one()
    a, V, V1, _, _, AA = _cpi_parts(m, p)
    return [a / (one - m.g) * (AA - 2 * a * m.g / (one - m.g) ** 2)], [(m.rho * (V1 - V)).sum()]


def _g1_shift(m, p):
    """Lemma 12.1 (CPI): ||d^{t+1} - d^t||_1 <= 2 alpha gamma/(1-gamma)."""
    a, _, _, d, d1, _ = _cpi_parts(m, p)
    return [abs(d1 - d).sum()], [2 * a * m.g / (m.one() - m.g)]


def _h2(m, p):
    """Linear convergence of KL-PMD with eta_k = eta_0/gamma^k (derived constants):
    V*(rho) - V_k(rho) <= (1 - 1/vt)^k [V*(rho) - V_0(rho) + E_{d*} KL(pi*_s||pi_0,s)/((1-gamma) eta_0 (vt-1))],
    vt = ||d_rho^{pi*}/rho||_inf/(1-gamma), k = 1..K."""
    nb, one = m.nb, m.one()
    eta = nb.num(p["eta"])
    pi = m.softmax(p["theta"])
    Vs, pis = m.optimum()
    _, _, Ms = m.evaluate(pis)
    ds = m.visitation(Ms, m.rho)
    vt = nb.max(ds / m.rho) / (one - m.g)
    star = np.argmax(nb.mid(pis), axis=1)
    kl = (ds * np.array([-np.log(nb.arr([pi[s, star[s]]]))[0] for s in range(m.S)], dtype=object)).sum()
    V0, _, _ = m.evaluate(pi)
    c0 = (m.rho * (Vs - V0)).sum() + kl / ((one - m.g) * eta * (vt - one))
    lhs, rhs = [], []
    for k in range(1, int(p["K"]) + 1):
        V, Q, _ = m.evaluate(pi)
        w = pi * np.exp(eta * Q)
        pi = w / w.sum(axis=1, keepdims=True)
        eta = eta / m.g
        Vk, _, _ = m.evaluate(pi)
        lhs.append((m.rho * (Vs - Vk)).sum())
        rhs.append((one - one / vt) ** k * c0)
    return lhs, rhs


def _i4(m, p):
    """Neural PPO's derived rate, ideal version (exact Q, no approximation error): with
    pi_{k+1} ∝ pi_k exp(Q_k/(beta sqrt K)) from uniform pi_0 (the schedule of I2),
    min_{k<K} (L* - L_k) <= (beta^2 log|A| + R_max^2/2)/((1-gamma) beta sqrt K), L(pi) = E_{nu*} V^pi,
    nu* = d_rho^{pi*}, R_max = max|r| (derived bound, not the paper's constant)."""
    nb, one = m.nb, m.one()
    beta = nb.num(p["beta"])
    K = int(p["K"])
    sK = np.sqrt(nb.arr([K]))[0]
    Vs, pis = m.optimum()
    _, _, Ms = m.evaluate(pis)
    nu = m.visitation(Ms, m.rho)
    pi = m.softmax(np.zeros((m.S, m.A)))
    Rmax = nb.max(abs(m.r))
    logA = np.log(nb.arr([m.A]))[0]
    gaps = []
    for _ in range(K):
        V, Q, _ = m.evaluate(pi)
        gaps.append((nu * (Vs - V)).sum())
        w = pi * np.exp(Q / (beta * sK))
        pi = w / w.sum(axis=1, keepdims=True)
    return [nb.min(np.array(gaps, dtype=object))], [(beta ** 2 * logA + Rmax ** 2 / 2) / ((one - m.g) * beta * sK)]


# ------------------------------------------------------------------ registry
@dataclass(frozen=True)
class Bound:
    r"""One inequality ``lhs <= rhs`` whose constant is probed.

    Attributes
    ----------
    id : str
        Statement id (``"D4"``; sub-statements ``"G1.shift"``).
    text : str
        The inequality, with its constant.
    sides : callable
        ``sides(m, params) -> (lhs list, rhs list)`` in either number system.
    params : dict
        Searched parameters: name -> ``("theta",)`` (policy logits), ``("real", lo, hi, log)``
        or ``("int", lo, hi)``.
    known : dict of name -> callable, optional
        Known constructions: ``known[name](S, A, gamma) -> point`` (None when not applicable).
    fixed : callable, optional
        ``fixed(params) -> point`` when the MDP is fixed by the statement (C1's chain).
    note : str
    log_scale : bool
        The ratio is astronomically small (C1's gradient bound): the search maximises
        :math:`\log_{10}` of the ratio, computed in ball arithmetic throughout, and the
        result reports :math:`\log_{10}` of the ratio.
    """

    id: str
    text: str
    sides: Callable
    params: dict
    known: dict = field(default_factory=dict)
    fixed: Callable | None = None
    note: str = ""
    log_scale: bool = False


def _bandit(S, A, gamma, rewards=None):
    """One state looping on itself with arm rewards spread over [0, 1] (a bandit)."""
    if rewards is None:
        rewards = [Fraction(A - 1 - a, A - 1) if A > 1 else Fraction(1) for a in range(A)]
    return {"P": np.full((1, A, 1), Fraction(1), dtype=object), "r": np.array([rewards], dtype=object),
            "gamma": Fraction(gamma), "rho": np.array([Fraction(1)], dtype=object)}


_THETA = ("theta",)
BOUNDS = {b.id: b for b in (
    Bound("B6", "min_{t<T} ||grad V_t(mu)||^2 <= 2 beta (V*(mu) - V_0(mu))/T, eta = 1/beta, beta = 8/(1-gamma)^3 "
          "(softmax PG, T = 1..5, any theta_0)", _b6, {"theta": _THETA, "T": ("int", 5, 5)},
          known={"bandit": _bandit}),
    Bound("C1", "(H+1)/8 - (H+1)^2/3^H <= V*(s0) - V^pi(s0) on the chain (gamma = H/(H+1)), pi(a1|s) < 1/4",
          _c1, {"theta": ("chain_theta",), "H": ("int", 4, 8)}, fixed=lambda p: _chain_point(int(p["H"])),
          note="the MDP is the chain itself (variant 'left'); searched: the policy and H in 4..8; the "
               "derivative bounds need H >= 562 and are not probed here"),
    Bound("C1.grad", f"||grad V(s0)||_2 <= (1/3)^(H/4) on the chain at H = {C1_GRAD_H} (its stated range, "
          "k = 1), pi(a1|s) < 1/4", _c1_grad, {"shape": ("vector", 3)},
          fixed=lambda p: _bandit(1, 2, Fraction(0)), log_scale=True,
          note="pi(a1|s) = sigmoid(c0 + c1 u + c2 u^2)/4 with u = s/(H+1) (a 3-parameter family of "
               "policies); ratios are log10, computed in ball arithmetic"),
    Bound("D3", "(eta/2)||grad V(mu)||^2 <= V(theta + eta grad)(mu) - V(theta)(mu), eta = (1-gamma)^3/8 "
          "(ascent lemma of Thm 10.3)", _d3, {"theta": _THETA}, known={"bandit": _bandit}),
    Bound("D4", "||hess_theta V(rho)||_2 <= 8/(1-gamma)^3 (tabular softmax, rewards in [0, 1])", _d4,
          {"theta": _THETA}, known={"bandit": _bandit}),
    Bound("D5", "||grad L_lambda|| <= lambda/(2|S||A|) implies V*(s) - V(s) <= 2 lambda/(1-gamma) "
          "||d_s^{pi*}/mu||_inf (log barrier, every start state s)", _d5,
          {"theta": _THETA, "lam": ("real", 0.01, 1.0, True)},
          note="the ratio is 0 at points that are not lambda/(2SA)-stationary"),
    Bound("E3", "((1-gamma)/eta) E_mu log Z_t <= V_{t+1}(mu) - V_t(mu) (one NPG step)", _e3,
          {"theta": _THETA, "eta": ("real", 0.01, 10.0, True)}, known={"bandit": _bandit}),
    Bound("E4", "V*(rho) - V_T(rho) <= log|A|/(eta T) + 1/((1-gamma)^2 T), NPG from theta = 0, T = 1..10", _e4,
          {"eta": ("real", 0.01, 100.0, True), "T": ("int", 10, 10)}, known={"bandit": _bandit}),
    Bound("F4", "min_{t<T}(V*(rho) - V_t(rho)) <= (log|A|/(eta T) + eta beta W^2/2 + mean err_t)/(1-gamma), "
          "one-hot features (beta = 1, err_t = 0), T = 1..10", _f4,
          {"eta": ("real", 0.01, 100.0, True), "T": ("int", 10, 10)}, known={"bandit": _bandit}),
    Bound("G1", "(alpha/(1-gamma))(AA - 2 alpha gamma/(1-gamma)^2) <= V_{t+1}(mu) - V_t(mu) (one CPI step)", _g1,
          {"theta": _THETA, "alpha": ("real", 0.001, 1.0, True)}, known={"bandit": _bandit}),
    Bound("G1.shift", "||d^{t+1} - d^t||_1 <= 2 alpha gamma/(1-gamma) (one CPI step)", _g1_shift,
          {"theta": _THETA, "alpha": ("real", 0.001, 1.0, True)}),
    Bound("H2", "V*(rho) - V_k(rho) <= (1 - 1/vt)^k [V*(rho) - V_0(rho) + E_{d*}KL(pi*||pi_0)/((1-gamma) eta_0 "
          "(vt - 1))], KL-PMD, eta_k = eta_0/gamma^k, k = 1..6 (derived constants)", _h2,
          {"theta": _THETA, "eta": ("real", 0.01, 10.0, True), "K": ("int", 6, 6)}),
    Bound("I4", "min_{k<K}(L* - L_k) <= (beta^2 log|A| + R_max^2/2)/((1-gamma) beta sqrt K), ideal neural PPO "
          "(exact Q), K = 1..20 (derived constant)", _i4,
          {"beta": ("real", 0.1, 10.0, True), "K": ("int", 1, 20)}, known={"bandit": _bandit}),
)}


def bound_ids() -> list:
    """The statement ids with a registered sides function."""
    return list(BOUNDS)


def get_bound(id: str) -> Bound:
    """The registered bound ``id``; :class:`InvalidParameterError` (listing the known ids) otherwise."""
    try:
        return BOUNDS[id]
    except KeyError:
        raise InvalidParameterError(f"unknown statement id {format_value(id)} for tightness; known: {', '.join(BOUNDS)}") from None


# ------------------------------------------------------------------ ratios
#: Float search only: right sides below this are rounding noise (values are O(1/(1-gamma))), and a
#: left side must exceed a non-positive right side by this much to count as a violation.
FLOAT_FLOOR = 1e-10


def _ratio_from_sides(lhs, rhs, nb):
    """max_i lhs_i/rhs_i over components with rhs_i > 0; +inf if some lhs_i > rhs_i with rhs_i <= 0.

    In float64, right sides below :data:`FLOAT_FLOOR` are skipped (rounding noise); in ball
    arithmetic the midpoints decide which component attains the maximum.
    """
    floor = FLOAT_FLOOR if nb.name == "float" else 0.0
    best, arg = -math.inf, None
    for i, (a, b) in enumerate(zip(lhs, rhs)):
        af, bf = float(nb.mid(np.array([a], dtype=object))[0]), float(nb.mid(np.array([b], dtype=object))[0])
        if not (math.isfinite(af) and math.isfinite(bf)):
            continue
        if bf > floor:
            q = af / bf
        elif af > bf + floor and bf <= 0:
            q = math.inf
        else:
            continue
        if q > best:
            best, arg = q, i
    return best, arg


def _log10_ratio(lhs, rhs, nb):
    """log10(lhs_i/rhs_i) maximised over i, as an arb ball (None when no rhs_i is certainly positive)."""
    best = None
    for a, b in zip(lhs, rhs):
        if not bool(b > 0) or not bool(a > 0):
            continue
        q = (a / b).log() / nb.num(10).log()
        if best is None or float(q.mid()) > float(best.mid()):
            best = q
    return best


def ratio_of(bound: Bound, point: dict) -> float:
    """The float64 ratio of ``bound`` at ``point`` (``-inf`` when undefined; log10 for log-scale bounds)."""
    if bound.log_scale:
        nb = _Ball(max(BALL_PREC, 300))
        with _ctx(nb):
            q = _log10_ratio(*bound.sides(_M(point, nb), point["params"]), nb)
            return -math.inf if q is None else float(q.mid())
    m = _M(point, _Float())
    try:
        with np.errstate(all="ignore"):
            lhs, rhs = bound.sides(m, point["params"])
    except (np.linalg.LinAlgError, ValueError, FloatingPointError, ZeroDivisionError, OverflowError):
        return -math.inf
    return _ratio_from_sides(lhs, rhs, m.nb)[0]


def certified_ratio(bound: Bound, point: dict, *, prec: int = BALL_PREC):
    """The ratio recomputed in ball arithmetic at an exact point.

    Returns
    -------
    (lo, hi, lhs, rhs, index) : the enclosure of the ratio ``lhs/rhs`` of the
    component that attains the float ratio (``index``), as floats rounded
    outward, and the two sides as ``arb`` balls.  ``(nan, nan, ...)`` when no
    component has a certified positive right side.
    """
    nb = _Ball(prec)
    with _ctx(nb):
        m = _M(point, nb)
        lhs, rhs = bound.sides(m, point["params"])
        if bound.log_scale:  # the enclosure of log10(lhs/rhs)
            q = _log10_ratio(lhs, rhs, nb)
            if q is None:
                return float("nan"), float("nan"), None, None, None
            return float(q.lower()), float(q.upper()), lhs[0], rhs[0], 0
        _, i = _ratio_from_sides(lhs, rhs, nb)
        if i is None or not bool(rhs[i] > 0):
            return float("nan"), float("nan"), None, None, i
        q = lhs[i] / rhs[i]
        return float(q.lower()), float(q.upper()), lhs[i], rhs[i], i


# ------------------------------------------------------------------ search space
def _sigmoid(x):
    return 1.0 / (1.0 + math.exp(-max(min(x, 50.0), -50.0)))


class _Space:
    """Maps a real vector x to a point (MDP data + parameters) for one bound and one grid cell."""

    def __init__(self, bound, S, A, gamma):
        self.b, self.S, self.A, self.gamma = bound, S, A, Fraction(gamma)
        self.layout = []  # (name, size)
        if bound.fixed is None:
            self.layout += [("P", S * A * S), ("r", S * A), ("rho", S)]
        for k, spec in bound.params.items():
            if spec[0] == "theta":
                self.layout.append((k, S * A))
            elif spec[0] == "chain_theta":
                self.layout.append((k, None))  # sized by H
            elif spec[0] == "vector":
                self.layout.append((k, spec[1]))
            else:
                self.layout.append((k, 1))

    def size(self, H=None):
        return sum((n if n is not None else (H + 2) * 4) for _, n in self.layout)

    def _H(self):
        spec = self.b.params.get("H")
        return 0 if spec is None else spec[2]

    def point(self, x):
        x = np.asarray(x, dtype=float)
        S, A = self.S, self.A
        out, params, k = {}, {}, 0
        Hmax = self._H()
        for name, n in self.layout:
            if n is None:
                n = (Hmax + 2) * 4
            seg = x[k:k + n]
            k += n
            if name == "P":
                z = seg.reshape(S, A, S)
                e = np.exp(z - z.max(axis=2, keepdims=True))
                out["P"] = e / e.sum(axis=2, keepdims=True)
            elif name == "r":
                out["r"] = 1.0 / (1.0 + np.exp(-np.clip(seg.reshape(S, A), -50, 50)))
            elif name == "rho":
                e = np.exp(seg - seg.max())
                out["rho"] = e / e.sum()
            else:
                spec = self.b.params[name]
                if spec[0] in ("theta", "chain_theta", "vector"):
                    params[name] = seg.copy()
                elif spec[0] == "int":
                    lo, hi = spec[1], spec[2]
                    params[name] = int(round(lo + (hi - lo) * _sigmoid(seg[0])))
                else:
                    lo, hi, log = spec[1], spec[2], spec[3]
                    u = _sigmoid(seg[0])
                    params[name] = math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo))) if log else \
                        lo + u * (hi - lo)
        if self.b.fixed is not None:
            fp = self.b.fixed(params)
            out = {k2: np.asarray(v, dtype=float) if k2 != "gamma" else float(v) for k2, v in fp.items()}
            if "H" in params:
                H = int(params["H"])
                params["theta"] = params["theta"][:(H + 2) * 4]
        else:
            out["gamma"] = float(self.gamma)
        out["params"] = params
        return out


def _rows(a, q):
    """Entries rounded to denominators <= q (zeros kept), rows (last axis) renormalised exactly."""
    out = np.vectorize(lambda x: Fraction(float(x)).limit_denominator(q), otypes=[object])(np.asarray(a, float))
    out = np.where(np.asarray(a, float) > 0, out, Fraction(0))
    out = np.vectorize(lambda x: x if x != 0 else Fraction(0), otypes=[object])(out)
    tot = out.sum(axis=-1, keepdims=True)
    return out / tot


def _exact_point(bound, pt, *, max_denominator=10**6, readable: int | None = 1000):
    """The point with exact data: rationalized MDP, rational parameters (policies as rational rows).

    With ``readable``, the MDP entries are rounded to denominators at most ``readable`` (rows
    renormalised; positive entries stay positive): the certified ratio is that of this readable witness.
    """
    from ..mdp import MDP
    from .search import _simple_fraction, rationalize

    if bound.fixed is not None:
        ex = bound.fixed(pt["params"])
    elif readable:
        P = np.asarray(pt["P"], float)
        P = np.where(P < 1.0 / readable, 0.0, P)  # negligible successors dropped
        r = np.vectorize(lambda x: Fraction(float(x)).limit_denominator(readable), otypes=[object])(
            np.asarray(pt["r"], float))
        rho = np.maximum(np.asarray(pt["rho"], float), 1.0 / readable)
        ex = {"P": _rows(P, readable), "r": r, "gamma": Fraction(pt["gamma"]).limit_denominator(10**6),
              "rho": _rows(rho, readable)}
    else:
        m = rationalize(MDP(np.asarray(pt["P"], float), np.asarray(pt["r"], float), float(pt["gamma"]),
                            np.asarray(pt["rho"], float)), max_denominator=max_denominator)
        ex = {"P": _obj(m.P_dense()), "r": _obj(m.r), "gamma": Fraction(m.gamma), "rho": _obj(m.rho)}
    params = {}
    for k, v in pt["params"].items():
        if isinstance(v, (int, np.integer)):
            params[k] = int(v)
        elif isinstance(v, np.ndarray):
            params[k] = np.array([_simple_fraction(float(x), max_denominator) for x in v], dtype=object)
        else:
            params[k] = _simple_fraction(float(v), max_denominator)
    if bound.id == "D4":
        # a rational policy stands for theta = log pi (the exact Hessian needs rational probabilities)
        S, A = np.asarray(ex["r"]).shape
        th = np.asarray(pt["params"]["theta"], float).reshape(S, A)
        e = np.exp(th - th.max(axis=1, keepdims=True))
        pi = e / e.sum(axis=1, keepdims=True)
        q = np.array([[_simple_fraction(float(x), max_denominator) for x in row] for row in pi], dtype=object)
        q = q / q.sum(axis=1, keepdims=True)
        params["pi"] = q
        params["theta"] = np.array([float(x) for x in q.reshape(-1)])  # float image for the float ratio
        params["theta"] = np.log(np.maximum(params["theta"], 1e-300))
    if bound.id == "C1.grad":
        params["theta_a1"] = np.array(_c1_grad_theta(pt["params"]), dtype=object)
    ex["params"] = params
    return ex


# ------------------------------------------------------------------ result
@dataclass
class TightnessResult:
    """The outcome of :func:`tightness_search` for one bound and one grid cell.

    Attributes
    ----------
    id, text : str
    S, A : int
    gamma : Fraction
    ratio : float
        Best float64 ratio found (its log10 when ``log_scale``).
    certified : (float, float)
        Enclosure of the ratio recomputed in ball arithmetic at the exact witness.
    point : dict
        The exact witness (MDP data and parameters).
    lhs, rhs : str
        The two sides at the witness (ball midpoints with radius).
    known : dict
        Ratio of each known construction at this grid cell.
    rediscovered : dict
        Known construction -> whether the search reached its ratio (to 1 %).
    trajectory : list of (int, float)
        (evaluation, best ratio so far) at each improvement.
    n_evals : int
    seconds : float
    falsified : bool
        The certified lower end exceeds 1.
    saved : str or None
        Path of the saved witness.
    """

    id: str
    text: str
    S: int
    A: int
    gamma: Fraction
    ratio: float
    certified: tuple
    point: dict
    lhs: str = ""
    rhs: str = ""
    known: dict = field(default_factory=dict)
    rediscovered: dict = field(default_factory=dict)
    trajectory: list = field(default_factory=list)
    n_evals: int = 0
    seconds: float = 0.0
    budget: int = 0
    seed: int = 0
    saved: str | None = None

    log_scale: bool = False

    @property
    def falsified(self) -> bool:
        """The certified ratio exceeds 1 (its log10 exceeds 0 for log-scale bounds)."""
        return bool(self.certified[0] > (0 if self.log_scale else 1))

    def summary(self) -> str:
        lo, hi = self.certified
        what = "log10 of the ratio lhs/rhs" if self.log_scale else "ratio lhs/rhs"
        s = (f"{self.id} (S={self.S}, A={self.A}, gamma={self.gamma}): best {what} = {self.ratio:.6g} "
             f"(certified [{lo:.6g}, {hi:.6g}] at the exact witness) after {self.n_evals} evaluations, "
             f"{self.seconds:.1f} s")
        if self.known:
            s += "; known: " + ", ".join(
                f"{k} {v:.6g} ({'rediscovered' if self.rediscovered.get(k) else 'not reached'})"
                for k, v in self.known.items())
        if self.falsified:
            s += "  ** FALSIFIED: ratio > 1 **"
        return s

    def to_data(self) -> dict:
        from ..io import mdp_to_dict
        from ..mdp import MDP
        from .evidence import encode_value

        p = self.point
        if self.id == "C1.grad":  # the MDP is the chain at H = C1_GRAD_H, too large to write out densely
            mdp = None
            chain = {"H": C1_GRAD_H, "variant": "left"}
        else:
            mdp = mdp_to_dict(MDP(_obj(p["P"]), _obj(p["r"]), p["gamma"], _obj(p["rho"])))
            chain = None
        return {"format": "mdptheory.tightness", "id": self.id, "text": self.text, "S": self.S, "A": self.A,
                "gamma": str(self.gamma), "ratio": self.ratio, "certified": list(self.certified),
                "lhs": self.lhs, "rhs": self.rhs,
                "mdp": mdp, "chain": chain,
                "params": {k: encode_value(v) for k, v in p["params"].items()},
                "known": self.known, "rediscovered": self.rediscovered,
                "log_scale": self.log_scale,
                "trajectory": [list(t) for t in self.trajectory], "n_evals": self.n_evals,
                "budget": self.budget, "seed": self.seed}

    def save(self, path) -> str:
        """Write the witness as exact JSON at ``path``, or at a fresh variant of it if it exists (never overwrites)."""
        from .describe import format_json
        from .docs import write_text_atomic

        self.saved = write_text_atomic(path, format_json(self.to_data()), overwrite=False)
        return self.saved


def load_tightness_witness(path) -> dict:
    """Read a saved witness: the exact point (``P``, ``r``, ``gamma``, ``rho``, ``params``) and its data."""
    import json

    from ..exceptions import MalformedFileError
    from ..io import mdp_from_dict
    from .evidence import decode_value

    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if data.get("format") != "mdptheory.tightness":
        raise MalformedFileError(f"{path}: not a saved tightness witness")
    params = {k: decode_value(v, k) for k, v in data["params"].items()}
    if data.get("mdp") is None:  # a bound whose MDP is fixed by the statement (C1.grad: the chain)
        point = dict(get_bound(data["id"]).fixed(params))
    else:
        m = mdp_from_dict(data["mdp"])
        point = {"P": _obj(m.P_dense()), "r": _obj(m.r), "gamma": Fraction(m.gamma), "rho": _obj(m.rho)}
    point["params"] = params
    return {"point": point, **data}


__all__.append("load_tightness_witness")


# ------------------------------------------------------------------ search
def tightness_search(id: str, *, S: int = 2, A: int = 2, gamma=Fraction(9, 10), budget: int = 200, seed: int = 0,
                     hypothesis_share: float = 0.4, save: str | None = None) -> TightnessResult:
    r"""Maximise the ratio :math:`\text{lhs}/\text{rhs}` of bound ``id`` over MDPs of a given size and discount.

    Parameters
    ----------
    id : str
        A registered statement id (:func:`bound_ids`).
    S, A : int, keyword-only
        Sizes (ignored by bounds whose MDP is fixed, C1).
    gamma : number, keyword-only
        The discount (exact rational; ignored when fixed by the bound).
    budget : int, keyword-only
        Evaluations of the ratio in the search (Hypothesis + Nelder–Mead).
    seed : int, keyword-only
    hypothesis_share : float, keyword-only
        Share of the budget given to Hypothesis's targeted generation.
    save : str, optional, keyword-only
        Save the exact witness there (a fresh name if the file exists).

    Returns
    -------
    TightnessResult
    """
    from scipy.optimize import minimize

    b = get_bound(id)
    for nm, v in (("S", S), ("A", A), ("budget", budget)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise InvalidParameterError(f"{nm} must be a positive integer; got {format_value(v)}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InvalidParameterError(f"seed must be a non-negative integer; got {format_value(seed)}")
    g = Fraction(gamma) if not isinstance(gamma, float) else Fraction(gamma).limit_denominator(10**6)
    if not 0 <= g < 1:
        raise InvalidParameterError(f"gamma must lie in [0, 1); got {format_value(gamma)}")
    if not 0 <= hypothesis_share <= 1:
        raise InvalidParameterError(f"hypothesis_share must lie in [0, 1]; got {format_value(hypothesis_share)}")
    t0 = time.perf_counter()
    space = _Space(b, S, A, g)
    n = space.size(space._H())
    state = {"n": 0, "best": -math.inf, "x": None, "traj": []}

    def f(x):
        state["n"] += 1
        val = ratio_of(b, space.point(x))
        if val > state["best"]:
            state["best"], state["x"] = val, np.array(x, dtype=float)
            state["traj"].append((state["n"], float(val)))
        return val

    n_h = int(budget * hypothesis_share)
    if n_h:
        _hypothesis_stage(f, n, n_h, seed)
    rng = np.random.default_rng(seed)
    while state["n"] < budget:
        left = budget - state["n"]
        x0 = state["x"] if (state["x"] is not None and rng.random() < 0.5) else rng.normal(0, 2, n)
        x0 = x0 + rng.normal(0, 0.3, n) * (state["x"] is not None)
        minimize(lambda x: -_finite(f(x)), x0, method="Nelder-Mead",
                 options={"maxfev": max(1, min(left, 40 * n)), "xatol": 1e-6, "fatol": 1e-10})
    best_pt = space.point(state["x"]) if state["x"] is not None else space.point(np.zeros(n))
    ratio_of(b, best_pt)  # fills derived parameters (D5's stationary point) into best_pt["params"]
    exact = _exact_point(b, best_pt)
    lo, hi, lhs, rhs, _ = certified_ratio(b, exact)
    if b.fixed is None and not (math.isfinite(lo) and abs((lo + hi) / 2 - state["best"]) <= 1e-4 * abs(
            state["best"]) + 1e-12):
        exact = _exact_point(b, best_pt, readable=None)  # rounding moved the ratio: keep the fine witness
        lo, hi, lhs, rhs, _ = certified_ratio(b, exact)
    known, redisc = {}, {}
    for name, build in b.known.items():
        kp = build(S if b.fixed is None else 1, A, g)
        if kp is None:
            continue
        kval = _known_ratio(b, kp, seed)
        known[name] = kval
        redisc[name] = bool(state["best"] >= kval - 0.01 * abs(kval))
    if b.id == "C1.grad":
        S_, A_, g_ = C1_GRAD_H + 2, 4, Fraction(C1_GRAD_H, C1_GRAD_H + 1)
    elif b.fixed is not None:
        S_, A_, g_ = exact["r"].shape[0], 4, exact["gamma"]
    else:
        S_, A_, g_ = S, A, exact["gamma"]
    res = TightnessResult(id=b.id, text=b.text, S=S_, A=A_, gamma=g_, ratio=float(state["best"]),
                          certified=(lo, hi), point=exact, lhs=_ball_text(lhs), rhs=_ball_text(rhs), known=known,
                          rediscovered=redisc, trajectory=state["traj"], n_evals=state["n"],
                          seconds=time.perf_counter() - t0, budget=budget, seed=seed, log_scale=b.log_scale)
    if save:
        res.save(save)
    return res


def _finite(v):
    return v if math.isfinite(v) else (1e6 if v > 0 else -1e6)


def _ball_text(x):
    if x is None:
        return ""
    return f"{float(x.mid()):.12g} ± {float(x.rad()):.2g}"


def _hypothesis_stage(f, n, n_examples, seed):
    """Hypothesis draws vectors in [-4, 4]^n and targets the ratio."""
    from hypothesis import HealthCheck, Phase, given, settings, target
    from hypothesis import seed as hseed
    from hypothesis import strategies as st

    from .search import _without_local_constants

    @hseed(seed)
    @settings(max_examples=n_examples, database=None, deadline=None, derandomize=False,
              phases=[Phase.generate, Phase.target], suppress_health_check=list(HealthCheck))
    @given(st.lists(st.floats(-4, 4, allow_nan=False), min_size=n, max_size=n))
    def run(xs):
        v = f(np.array(xs))
        target(_finite(v), label="ratio")

    with _without_local_constants():
        run()


def _known_ratio(b, kp, seed):
    """Best float ratio of a known construction over the bound's parameters (a short Nelder–Mead)."""
    from scipy.optimize import minimize

    S, A = np.asarray(kp["r"]).shape
    space = _Space(b, S, A, kp["gamma"])
    pars = [(k, n) for k, n in space.layout if k not in ("P", "r", "rho")]
    m = sum(n for _, n in pars)
    fixed = {k: np.asarray(v, dtype=float) if k != "gamma" else float(v) for k, v in kp.items()}

    def val(y):
        x = np.concatenate([np.zeros(S * A * S + S * A + S), y])
        pt = space.point(x)
        pt.update(fixed)
        return ratio_of(b, pt)

    best = -math.inf
    rng = np.random.default_rng(seed)
    for k in range(3):
        y0 = rng.normal(0, 2, m) if k else np.zeros(m)
        r = minimize(lambda y: -_finite(val(y)), y0, method="Nelder-Mead", options={"maxfev": 60 * max(m, 1)})
        best = max(best, -float(r.fun))
    return best


# ------------------------------------------------------------------ table
def tightness_table(*, ids=None, grid=None, budget: int = 150, seed: int = 0, save_dir: str | None = None,
                    progress: Callable | None = None) -> list:
    """Run :func:`tightness_search` on every bound (``ids``) and grid cell; returns the results."""
    grid = grid or DEFAULT_GRID
    out = []
    for i in ids or bound_ids():
        b = get_bound(i)
        cells = [(S, A, g) for (S, A) in grid["sizes"] for g in grid["gammas"]]
        if b.fixed is not None:  # the statement fixes the MDP (C1: the chain; H is searched)
            cells = [(1, 4, Fraction(0))]
        for S, A, g in cells:
            res = tightness_search(i, S=max(S, 1), A=A, gamma=g, budget=budget, seed=seed)
            if save_dir:
                import os

                res.save(os.path.join(save_dir, f"tightness-{i}-S{res.S}-A{res.A}-g{str(res.gamma).replace('/', '_')}"
                                                f".json"))
            out.append(res)
            if progress:
                progress(res)
    return out
