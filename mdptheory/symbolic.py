r"""Symbolic mode: V, Q, A, d, the gradient and the Fisher matrix as sympy expressions.

For small MDPs (about :math:`S \le 3`, :math:`A \le 2`) every quantity of the
tabular softmax policy

.. math::

    \pi_\theta(a|s) = \frac{e^{\theta_{s,a}}}{\sum_b e^{\theta_{s,b}}}
    = \frac{z_{s,a}}{\sum_b z_{s,b}}, \qquad z_{s,a} = e^{\theta_{s,a}},

is a rational function of the positive variables :math:`z_{s,a}`, of the
rewards, of :math:`\gamma` and (optionally) of the transition probabilities.
This module builds them exactly, so that identities such as the softmax
policy-gradient formula (AJKS Lemma 10.2) or the block form of the Fisher
matrix (statement E1) can be *proven* for all parameter values by
``is_zero(lhs - rhs)``, rather than tested at points.

Arithmetic is fraction-free: the Bellman system is multiplied row by row by
:math:`Z_s = \sum_b z_{s,b}`, which makes it polynomial, and solved with
sympy's ``DomainMatrix.solve_den`` over the polynomial ring
:math:`\mathbb{Q}[z, r, \gamma, p]` (a numerator vector and one common
denominator, no polynomial gcds).  Outputs are sympy expressions
``numerator / denominator`` in the :math:`z` variables; :meth:`SymbolicMDP.to_theta`
substitutes :math:`z = e^\theta`.  Because :math:`\theta \mapsto e^\theta` maps
onto the positive orthant, an identity of rational functions in :math:`z` is an
identity in :math:`\theta`.

sympy is imported lazily, inside the functions: ``import mdptheory`` stays fast.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from .exceptions import InvalidParameterError
from .fields import exact_array

__all__ = [
    "SymbolicMDP",
    "SymbolicEvaluation",
    "symbolic_mdp",
    "symbolic_evaluation",
    "symbolic_gradient",
    "symbolic_score",
    "symbolic_fisher",
    "symbolic_softmax_gradient",
    "is_zero",
]

#: Largest sizes the symbolic mode accepts (the expressions grow quickly).
MAX_SYMBOLIC_STATES = 4
MAX_SYMBOLIC_ACTIONS = 3


class _RF:
    """A rational function ``n / d`` over a sympy polynomial ring, kept unreduced."""

    __slots__ = ("n", "d")

    def __init__(self, n, d):
        self.n, self.d = n, d

    def __add__(self, o):
        if self.d == o.d:
            return _RF(self.n + o.n, self.d)
        return _RF(self.n * o.d + o.n * self.d, self.d * o.d)

    def __sub__(self, o):
        if self.d == o.d:
            return _RF(self.n - o.n, self.d)
        return _RF(self.n * o.d - o.n * self.d, self.d * o.d)

    def __mul__(self, o):
        return _RF(self.n * o.n, self.d * o.d)

    def diff(self, x):
        """Quotient rule: (n' d - n d') / d^2."""
        return _RF(self.n.diff(x) * self.d - self.n * self.d.diff(x), self.d * self.d)

    def reduced(self):
        p, q = self.n.cancel(self.d)
        return _RF(p, q)

    def expr(self):
        import sympy

        r = self.reduced()
        num, den = r.n.as_expr(), r.d.as_expr()
        if den == 1:
            return num
        return sympy.Mul(num, sympy.Pow(den, -1))


class SymbolicMDP:
    r"""A small MDP whose parameters are sympy symbols (built by :func:`symbolic_mdp`).

    Attributes
    ----------
    n_states, n_actions : int
    theta : ndarray of sympy.Symbol, shape (S, A)
        Softmax logits :math:`\theta_{s,a}`.
    z : ndarray of sympy.Symbol, shape (S, A)
        Positive variables :math:`z_{s,a} = e^{\theta_{s,a}}`.
    P : ndarray of sympy expressions, shape (S, A, S)
        ``P[s, a, t]``; with symbolic transitions ``p_s_a_t`` for ``t < S-1``
        and ``P[s, a, S-1] = 1 - sum``.
    r : ndarray, shape (S, A)
    gamma : sympy expression
    rho : ndarray, shape (S,)
        Start distribution (rational).
    pi : ndarray, shape (S, A)
        :math:`\pi(a|s) = z_{s,a}/\sum_b z_{s,b}`.
    parameters : tuple of sympy.Symbol
        Every symbol other than :math:`z` and :math:`\theta` (rewards, gamma, transitions).
    """

    def __init__(self, S, A, z, theta, P, r, gamma, rho, ring, rz, rP, rr, rgamma, rrho):
        self.n_states, self.n_actions = S, A
        self.z, self.theta = z, theta
        self.P, self.r, self.gamma, self.rho = P, r, gamma, rho
        self._ring, self._rz, self._rP, self._rr, self._rgamma, self._rrho = ring, rz, rP, rr, rgamma, rrho
        import sympy

        self.pi = np.empty((S, A), dtype=object)
        for s in range(S):
            Zs = sum(z[s])
            for a in range(A):
                self.pi[s, a] = z[s, a] / Zs
        free = set()
        for x in list(P.flat) + list(r.flat) + [gamma]:
            free |= sympy.sympify(x).free_symbols
        self.parameters = tuple(sorted(free, key=lambda x: x.name))

    def to_theta(self, expr):
        r"""Substitute :math:`z_{s,a} = e^{\theta_{s,a}}` in an expression (or an array of them)."""
        import sympy

        sub = {self.z[s, a]: sympy.exp(self.theta[s, a])
               for s in range(self.n_states) for a in range(self.n_actions)}
        if isinstance(expr, np.ndarray):
            return np.frompyfunc(lambda e: sympy.sympify(e).xreplace(sub), 1, 1)(expr)
        return sympy.sympify(expr).xreplace(sub)

    def theta_point(self, theta):
        """Substitution ``{z_{s,a}: exp(theta[s*A + a])}`` for a numeric flat ``theta``."""
        import sympy

        t = np.asarray(theta, dtype=object).reshape(self.n_states, self.n_actions)
        return {self.z[s, a]: sympy.exp(sympy.nsimplify(t[s, a]))
                for s in range(self.n_states) for a in range(self.n_actions)}

    def __repr__(self):
        return (f"SymbolicMDP(S={self.n_states}, A={self.n_actions}, "
                f"parameters={[p.name for p in self.parameters]})")


def symbolic_mdp(S, A, *, symbolic_P=False, symbolic_r=True, symbolic_gamma=True, mdp=None) -> SymbolicMDP:
    r"""A small MDP with symbolic softmax parameters and, optionally, symbolic P, r and gamma.

    Parameters
    ----------
    S, A : int
        At most 4 states and 3 actions (the identities of AJKS Ch. 9–11 are
        usually stated for :math:`S \le 3`, :math:`A \le 2`; beyond that the
        expressions become too large to manipulate in seconds).
    symbolic_P : bool, keyword-only
        Transitions ``P[s, a, t] = p_s_a_t`` for ``t < S - 1`` and the last
        entry ``1 - sum``.  Otherwise taken from ``mdp`` (default: uniform
        ``1/S``).
    symbolic_r : bool, keyword-only
        Rewards ``r_s_a``; otherwise taken from ``mdp``.
    symbolic_gamma : bool, keyword-only
        Discount ``gamma`` as a positive symbol (:math:`0 < \gamma < 1` is not
        used by the algebra; identities proven hold as rational functions);
        otherwise taken from ``mdp`` (default 1/2).
    mdp : MDP, optional, keyword-only
        An exact MDP with ``S`` states and ``A`` actions providing the
        non-symbolic parts and the start distribution (default: uniform
        transitions, rewards ``r[s, a] = 1`` if ``a == 0`` else 0, gamma 1/2,
        uniform start distribution).

    Returns
    -------
    SymbolicMDP

    Raises
    ------
    InvalidParameterError
        For sizes out of range or a mismatching / float ``mdp``.

    Examples
    --------
    >>> m = symbolic_mdp(2, 2)
    >>> [p.name for p in m.parameters]
    ['gamma', 'r_0_0', 'r_0_1', 'r_1_0', 'r_1_1']
    """
    import sympy
    from sympy import QQ

    for name, v, hi in (("S", S, MAX_SYMBOLIC_STATES), ("A", A, MAX_SYMBOLIC_ACTIONS)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 1 <= v <= hi:
            raise InvalidParameterError(f"{name} must be an integer in [1, {hi}] for the symbolic mode; got {v!r}")
    S, A = int(S), int(A)
    if mdp is not None:
        if (mdp.n_states, mdp.n_actions) != (S, A):
            raise InvalidParameterError(f"mdp has (S, A) = ({mdp.n_states}, {mdp.n_actions}); expected ({S}, {A})")
        if not mdp.is_exact:
            raise InvalidParameterError("mdp must be exact (rational) for the symbolic mode; use mdp.to_exact()")
        P0, r0, g0, rho0 = mdp.P_dense(), mdp.r, Fraction(mdp.gamma), exact_array(mdp.rho, name="rho")
    else:
        P0 = np.full((S, A, S), Fraction(1, S), dtype=object)
        r0 = np.array([[Fraction(int(a == 0)) for a in range(A)] for _ in range(S)], dtype=object)
        g0 = Fraction(1, 2)
        rho0 = np.full(S, Fraction(1, S), dtype=object)

    def Q(x):
        x = Fraction(x)
        return sympy.Rational(x.numerator, x.denominator)

    z = np.array([[sympy.Symbol(f"z_{s}_{a}", positive=True) for a in range(A)] for s in range(S)], dtype=object)
    theta = np.array([[sympy.Symbol(f"theta_{s}_{a}", real=True) for a in range(A)] for s in range(S)], dtype=object)
    gens = list(z.flat)
    if symbolic_gamma:
        gamma = sympy.Symbol("gamma", positive=True)
        gens.append(gamma)
    else:
        gamma = Q(g0)
    r = np.empty((S, A), dtype=object)
    for s in range(S):
        for a in range(A):
            if symbolic_r:
                r[s, a] = sympy.Symbol(f"r_{s}_{a}", real=True)
                gens.append(r[s, a])
            else:
                r[s, a] = Q(r0[s, a])
    P = np.empty((S, A, S), dtype=object)
    for s in range(S):
        for a in range(A):
            if symbolic_P:
                tot = sympy.Integer(0)
                for t in range(S - 1):
                    P[s, a, t] = sympy.Symbol(f"p_{s}_{a}_{t}", nonnegative=True)
                    gens.append(P[s, a, t])
                    tot += P[s, a, t]
                P[s, a, S - 1] = 1 - tot
            else:
                for t in range(S):
                    P[s, a, t] = Q(P0[s, a, t])
    rho = np.array([Q(x) for x in rho0], dtype=object)

    dom = QQ[tuple(gens)]
    R = dom.ring

    def conv(e):
        return R(sympy.sympify(e))

    rz = np.frompyfunc(conv, 1, 1)(z)
    rP = np.frompyfunc(conv, 1, 1)(P)
    rr = np.frompyfunc(conv, 1, 1)(r)
    rgamma = conv(gamma)
    rrho = np.frompyfunc(conv, 1, 1)(rho)
    return SymbolicMDP(S, A, z, theta, P, r, gamma, rho, dom, rz, rP, rr, rgamma, rrho)


class SymbolicEvaluation:
    r"""Symbolic evaluation of the softmax policy (returned by :func:`symbolic_evaluation`).

    Attributes
    ----------
    smdp : SymbolicMDP
    pi : ndarray (S, A)
    V : ndarray (S,)
        :math:`V^\pi = (I - \gamma P^\pi)^{-1} r^\pi`.
    Q : ndarray (S, A)
        :math:`Q^\pi = r + \gamma P V^\pi`.
    A : ndarray (S, A)
        :math:`A^\pi = Q^\pi - V^\pi` (also ``advantage``).
    d : ndarray (S,)
        :math:`d_\mu^\pi = (1-\gamma)\mu^\top(I-\gamma P^\pi)^{-1}`.
    value : sympy expression
        :math:`V^\pi(\mu)`.
    mu : ndarray (S,)

    All entries are sympy expressions ``numerator / denominator`` in ``smdp.z``.
    """

    def __init__(self, smdp, mu, rf):
        self.smdp, self.mu = smdp, mu
        self._rf = rf
        self.pi = smdp.pi
        self.V = np.array([v.expr() for v in rf["V"]], dtype=object)
        self.Q = np.array([[q.expr() for q in row] for row in rf["Q"]], dtype=object)
        self.A = np.array([[q.expr() for q in row] for row in rf["A"]], dtype=object)
        self.d = np.array([v.expr() for v in rf["d"]], dtype=object)
        self.value = rf["value"].expr()

    @property
    def advantage(self):
        """Alias of :attr:`A`."""
        return self.A

    def __repr__(self):
        return f"SymbolicEvaluation(S={self.smdp.n_states}, A={self.smdp.n_actions})"


def _mu_ring(smdp, mu):
    import sympy

    if mu is None:
        return smdp.rho, smdp._rrho
    m = exact_array(mu, name="mu")
    if m.shape != (smdp.n_states,):
        raise InvalidParameterError(f"mu must have shape ({smdp.n_states},); got {m.shape}")
    if any(x < 0 for x in m) or sum(m, Fraction(0)) != 1:
        raise InvalidParameterError(f"mu must be a probability distribution; got {m.tolist()}")
    R = smdp._ring.ring
    mq = np.array([sympy.Rational(x.numerator, x.denominator) for x in m], dtype=object)
    return mq, np.array([R(x) for x in mq], dtype=object)


def _evaluate_rf(smdp, mu=None):
    """Rational-function evaluation; cached per start distribution."""
    from sympy.polys.matrices import DomainMatrix

    mu_expr, mu_r = _mu_ring(smdp, mu)
    key = ("eval", tuple(mu_expr))
    cache = smdp.__dict__.setdefault("_cache", {})
    if key in cache:
        return cache[key]
    S, A = smdp.n_states, smdp.n_actions
    dom = smdp._ring
    R = dom.ring
    z, P, r, g = smdp._rz, smdp._rP, smdp._rr, smdp._rgamma
    one, zero = R(1), R(0)
    Z = [sum(z[s], zero) for s in range(S)]
    # row s of (I - gamma P_pi) times Z_s: polynomial
    M = [[(Z[s] if s == t else zero) - g * sum((z[s, a] * P[s, a, t] for a in range(A)), zero)
          for t in range(S)] for s in range(S)]
    b = [[sum((z[s, a] * r[s, a] for a in range(A)), zero)] for s in range(S)]
    Mdm = DomainMatrix(M, (S, S), dom)
    xn, den = Mdm.solve_den(DomainMatrix(b, (S, 1), dom))
    V = [_RF(xn[s, 0].element, den) for s in range(S)]
    PV = [[_RF(sum((P[s, a, t] * xn[t, 0].element for t in range(S)), zero), den) for a in range(A)]
          for s in range(S)]
    Qf = [[_RF(r[s, a] * den + g * PV[s][a].n, den) for a in range(A)] for s in range(S)]
    Af = [[Qf[s][a] - V[s] for a in range(A)] for s in range(S)]
    # d = (1 - gamma) M^{-T} mu with M = diag(Z)^{-1} M', so M^{-T} = diag(Z) M'^{-T}
    yn, den2 = Mdm.transpose().solve_den(DomainMatrix([[m] for m in mu_r], (S, 1), dom))
    d = [_RF((one - g) * Z[s] * yn[s, 0].element, den2) for s in range(S)]
    value = _RF(sum((mu_r[s] * xn[s, 0].element for s in range(S)), zero), den)
    rf = {"V": V, "Q": Qf, "A": Af, "d": d, "value": value, "Z": Z}
    cache[key] = rf
    return rf


def symbolic_evaluation(smdp, *, mu=None) -> SymbolicEvaluation:
    r"""V, Q, A and the visitation of the softmax policy as rational functions (statement A1, A2).

    .. math::

        V^\pi = (I - \gamma P^\pi)^{-1} r^\pi, \quad Q^\pi = r + \gamma P V^\pi, \quad
        A^\pi = Q^\pi - V^\pi, \quad d_\mu^\pi = (1-\gamma)\mu^\top(I - \gamma P^\pi)^{-1}

    solved fraction-free (see the module docstring).

    Parameters
    ----------
    smdp : SymbolicMDP
    mu : array_like, shape (S,), optional, keyword-only
        Rational start distribution (default ``smdp.rho``).

    Returns
    -------
    SymbolicEvaluation
    """
    mu_expr, _ = _mu_ring(smdp, mu)
    return SymbolicEvaluation(smdp, mu_expr, _evaluate_rf(smdp, mu))


def symbolic_gradient(smdp, *, mu=None) -> np.ndarray:
    r""":math:`\nabla_\theta V^{\pi_\theta}(\mu)` by differentiating the rational function :math:`V(\mu)`.

    .. math::

        \frac{\partial V(\mu)}{\partial\theta_{s,a}}
        = z_{s,a}\,\frac{\partial V(\mu)}{\partial z_{s,a}}, \qquad z = e^\theta,

    with the derivative taken symbolically (quotient rule on the polynomial
    numerator and denominator).  This route uses neither the policy-gradient
    theorem nor any visitation: it is the independent side of AJKS Lemma 10.2
    (:func:`symbolic_softmax_gradient`).

    Returns
    -------
    ndarray of sympy expressions, shape (S, A)
    """
    rf = _evaluate_rf(smdp, mu)
    v = rf["value"]
    S, A = smdp.n_states, smdp.n_actions
    out = np.empty((S, A), dtype=object)
    for s in range(S):
        for a in range(A):
            zr = smdp._rz[s, a]
            dv = v.diff(zr)
            out[s, a] = _RF(zr * dv.n, dv.d).expr()
    return out


def symbolic_softmax_gradient(smdp, *, mu=None) -> np.ndarray:
    r"""The softmax policy gradient in closed form (AJKS Lemma 10.2; statement D2).

    .. math::

        \frac{\partial V(\mu)}{\partial\theta_{s,a}} = \frac{1}{1-\gamma}\, d_\mu(s)\,\pi(a|s)\,A(s,a)

    Returns
    -------
    ndarray of sympy expressions, shape (S, A)
    """
    rf = _evaluate_rf(smdp, mu)
    S, A = smdp.n_states, smdp.n_actions
    R = smdp._ring.ring
    g = smdp._rgamma
    out = np.empty((S, A), dtype=object)
    for s in range(S):
        for a in range(A):
            pi = _RF(smdp._rz[s, a], rf["Z"][s])
            out[s, a] = (_RF(R(1), R(1) - g) * rf["d"][s] * pi * rf["A"][s][a]).expr()
    return out


def _score_rf(smdp):
    r"""score[s, a][(s', b)] = z_{s'b} d/dz_{s'b} log pi(a|s) = z_{s'b} (d pi / d z_{s'b}) / pi."""
    S, A = smdp.n_states, smdp.n_actions
    Z = [sum(smdp._rz[s]) for s in range(S)]
    out = [[None] * A for _ in range(S)]
    for s in range(S):
        for a in range(A):
            pi = _RF(smdp._rz[s, a], Z[s])
            row = []
            for t in range(S):
                for b in range(A):
                    zr = smdp._rz[t, b]
                    dpi = pi.diff(zr)
                    row.append(_RF(zr * dpi.n * pi.d, dpi.d * pi.n).reduced())
            out[s][a] = row
    return out


def symbolic_score(smdp) -> np.ndarray:
    r"""The softmax score :math:`\nabla_\theta\log\pi_\theta(a|s)` by symbolic differentiation.

    .. math::

        \frac{\partial\log\pi(a|s)}{\partial\theta_{s',b}}
        = \frac{z_{s',b}}{\pi(a|s)}\frac{\partial\pi(a|s)}{\partial z_{s',b}}
        \;(= 1[s=s'](1[a=b] - \pi(b|s)),\ \text{statement D1})

    Returns
    -------
    ndarray of sympy expressions, shape (S, A, S*A)
        Parameter index ``s' * A + b``.
    """
    sc = _score_rf(smdp)
    S, A = smdp.n_states, smdp.n_actions
    return np.array([[[f.expr() for f in sc[s][a]] for a in range(A)] for s in range(S)], dtype=object)


def symbolic_fisher(smdp, *, mu=None) -> np.ndarray:
    r"""The Fisher matrix :math:`F_\mu(\theta)` from its definition, symbolically (statement E1).

    .. math::

        F_\mu = \sum_s d_\mu(s)\sum_a \pi(a|s)\,\nabla\log\pi(a|s)\,\nabla\log\pi(a|s)^\top

    with the score from :func:`symbolic_score` (differentiation) and
    :math:`d_\mu` from :func:`symbolic_evaluation` — not the block formula it
    is compared with.

    Returns
    -------
    ndarray of sympy expressions, shape (S*A, S*A)
    """
    rf = _evaluate_rf(smdp, mu)
    sc = _score_rf(smdp)
    S, A = smdp.n_states, smdp.n_actions
    n = S * A
    R = smdp._ring.ring
    out = np.empty((n, n), dtype=object)
    for k in range(n):
        for l in range(k, n):
            tot = _RF(R(0), R(1))
            for s in range(S):
                inner = _RF(R(0), R(1))
                for a in range(A):
                    f1, f2 = sc[s][a][k], sc[s][a][l]
                    if f1.n == 0 or f2.n == 0:
                        continue
                    inner = (inner + _RF(smdp._rz[s, a], rf["Z"][s]) * f1 * f2).reduced()
                if inner.n != 0:
                    tot = tot + rf["d"][s] * inner
            out[k, l] = out[l, k] = tot.expr()
    return out


# ---------------------------------------------------------------- zero testing
def _exp_to_symbols(expr):
    """Replace exp(linear combination of symbols) by products of fresh positive symbols."""
    import sympy

    exps = [e for e in expr.atoms(sympy.exp)]
    if not exps:
        return expr
    syms = set()
    for e in exps:
        syms |= e.args[0].free_symbols
    fresh = {x: sympy.Dummy(f"e_{x.name}", positive=True) for x in syms}

    def rep(arg):
        arg = sympy.expand(arg)
        out = sympy.Integer(1)
        rest = sympy.Integer(0)
        for term in sympy.Add.make_args(arg):
            c, x = term.as_coeff_Mul()
            if x in fresh and c.is_Integer:
                out *= fresh[x] ** int(c)
            else:
                rest += term
        return out * sympy.exp(rest) if rest != 0 else out

    return expr.replace(lambda e: isinstance(e, sympy.exp), lambda e: rep(e.args[0]))


def _is_rational_in_own_symbols(expr, renamed) -> bool:
    r"""Whether ``renamed`` (``expr`` with :math:`e^{\theta}` renamed) is a rational function of its symbols alone.

    Then it can be sampled at rational points of the positive variables
    :math:`z = e^\theta` (which cover every real :math:`\theta`): each value is an
    exact rational.  Not when a renamed :math:`\theta` still occurs outside an
    exponential (the new variables would not be independent of it).
    """
    import sympy

    if renamed is expr or renamed.atoms(sympy.exp, sympy.log):
        return False
    exponents = set()
    for x in expr.atoms(sympy.exp):
        exponents |= x.args[0].free_symbols
    if exponents & renamed.free_symbols:
        return False
    return bool(renamed.is_rational_function(*sorted(renamed.free_symbols, key=str)))


def _ring_numerator_is_zero(expr):
    r"""expr == 0 for a rational function of its symbols, as an unreduced fraction ``N / D`` of ring elements.

    Sums, products and integer powers are combined in a sparse polynomial ring
    over QQ without any gcd (:math:`a/b + c/d = (ad + cb)/(bd)`); the
    expression is identically zero iff ``N`` is the zero polynomial (``D``,
    a product of the expression's denominators, is checked nonzero).  None
    when the expression has other atoms (exp, log, fractional powers) or a
    vanishing denominator: the caller falls back to ``together``.
    """
    import sympy
    from sympy import QQ
    from sympy.polys.rings import ring

    syms = sorted(expr.free_symbols, key=str)
    if not syms:
        return None
    R = ring(syms, QQ)[0]
    memo = {}

    def conv(e):
        hit = memo.get(e)
        if hit is not None:
            return hit
        if e.is_Symbol:
            out = (R(e), R.one)
        elif e.is_Rational:
            out = (R(QQ(int(e.p), int(e.q))), R.one)
        elif e.is_Add:
            n, d = conv(e.args[0])
            for a in e.args[1:]:
                n2, d2 = conv(a)
                n, d = (n + n2, d) if d == d2 else (n * d2 + n2 * d, d * d2)
            out = (n, d)
        elif e.is_Mul:
            n, d = R.one, R.one
            for a in e.args:
                n2, d2 = conv(a)
                n, d = n * n2, d * d2
            out = (n, d)
        elif e.is_Pow and e.exp.is_Integer:
            n, d = conv(e.base)
            k = int(e.exp)
            out = (n ** k, d ** k) if k >= 0 else (d ** -k, n ** -k)
        else:
            raise _NotRational
        memo[e] = out
        return out

    try:
        n, d = conv(expr)
    except _NotRational:
        return None
    if d == 0:
        return None
    return n == 0


class _NotRational(Exception):
    """Raised inside :func:`_ring_numerator_is_zero` on an atom that is not a symbol or a rational."""


def _numerator_is_zero(expr) -> bool:
    """Decide expr == 0 for a rational function of symbols (other atoms are generators).

    The numerator of the combined fraction is expanded in a sparse polynomial
    ring over QQ (much faster than ``Poly`` on large expressions); expressions
    with other atoms fall back to ``Poly`` with those atoms as generators.
    """
    import sympy
    from sympy import QQ
    from sympy.polys.rings import ring

    direct = _ring_numerator_is_zero(expr)
    if direct is not None:
        return direct
    num, _ = sympy.fraction(sympy.together(expr))
    if num == 0:
        return True
    syms = sorted(num.free_symbols, key=str)
    if not syms:
        return sympy.simplify(num) == 0
    try:
        R = ring(syms, QQ)[0]
        return R(num) == 0
    except (sympy.PolynomialError, sympy.CoercionFailed, ValueError, TypeError):
        pass
    try:
        return sympy.Poly(num).is_zero
    except sympy.PolynomialError:
        return sympy.expand(num) == 0


def _simplify_is_zero(expr) -> bool:
    import sympy

    return sympy.simplify(expr) == 0


def _run(fn, expr, timeout):
    """Run fn(expr) -> bool, in a forked process when a timeout is given; None on timeout."""
    if timeout is None:
        return fn(expr)
    import multiprocessing as mp

    try:
        ctx = mp.get_context("fork")
    except ValueError:  # pragma: no cover - platforms without fork
        return fn(expr)
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, fn, expr), daemon=True)
    proc.start()
    send.close()
    try:
        if recv.poll(timeout):
            try:
                return recv.recv()
            except EOFError:
                return None
        return None
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        recv.close()


def _child(conn, fn, expr):  # pragma: no cover - runs in the child process
    try:
        conn.send(bool(fn(expr)))
    except Exception:
        conn.send(None)
    finally:
        conn.close()


def _random_point_values(expr, n_points, seed):
    """Exact values of expr at random positive rational points (None where undefined)."""
    import sympy

    rng = np.random.default_rng(seed)
    syms = sorted(expr.free_symbols, key=str)
    vals = []
    for _ in range(n_points):
        point = {}
        for x in syms:
            den = int(rng.integers(7, 97))
            point[x] = sympy.Rational(int(rng.integers(1, den)), den)  # in (0, 1)
        v = expr.xreplace(point)
        if not v.is_Rational:
            v = sympy.nsimplify(v) if v.is_number and v.is_algebraic else v
        if v.is_Rational:
            vals.append(v)
            continue
        num = sympy.N(v, 60)
        if num.is_number and num.is_finite:
            vals.append(num)
        else:
            vals.append(None)
    return vals


def is_zero(expr, *, timeout=None, n_points=4, seed=0):
    r"""Decide whether a symbolic expression is identically zero: True, False or None (undecided).

    1. Evaluate at ``n_points`` random rational points in :math:`(0, 1)^k`
       (seeded).  A nonzero value proves the expression is not identically
       zero: **False**.  (Exact for rational functions, including rational
       functions of exponentials :math:`e^{\theta}`, which are sampled at
       rational values of :math:`e^{\theta} > 0`; otherwise a 60-digit
       numerical value that must be clearly nonzero.)
    2. Try to prove it: exponentials :math:`e^{\theta}` are renamed to positive
       symbols, the expression is brought to one fraction and its numerator
       expanded as a polynomial; a zero polynomial is a proof: **True**.
    3. Otherwise ``sympy.simplify``; zero: **True**.
    4. Otherwise **None**: zero at every sampled point but not proven.  Never
       True without a proof.

    Parameters
    ----------
    expr : sympy expression (or anything ``sympify`` accepts)
    timeout : float, optional, keyword-only
        Seconds allowed for each proof attempt (steps 2 and 3), each run in a
        forked process that is stopped on time-out; the answer is then None.
    n_points : int, keyword-only
        Number of random evaluation points.
    seed : int, keyword-only
        Seed of the random points.

    Returns
    -------
    True, False or None

    Examples
    --------
    >>> import sympy
    >>> x = sympy.Symbol("x")
    >>> is_zero((x**2 - 1) / (x - 1) - (x + 1)), is_zero(x - 1)
    (True, False)
    """
    import sympy

    e = sympy.sympify(expr)
    if e == 0:
        return True
    if e.is_Rational:
        return False
    e2 = _exp_to_symbols(e)
    # A rational function of z = e^theta is sampled at rational z (exact and fast); otherwise at rational theta.
    probe = e2 if _is_rational_in_own_symbols(e, e2) else e
    for v in _random_point_values(probe, n_points, seed):
        if v is None:
            continue
        if v.is_Rational:
            if v != 0:
                return False
        elif abs(v) > sympy.Float("1e-40", 60) * (1 + abs(v)):
            return False
    if _run(_numerator_is_zero, e2, timeout):
        return True
    if _run(_simplify_is_zero, e, timeout):
        return True
    return None
