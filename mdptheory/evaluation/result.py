r"""The result of a policy evaluation: :class:`PolicyEvaluation`.

V, Q, the advantage, :math:`P^\pi`, :math:`r^\pi`, and on demand the
visitation :math:`d_\mu^\pi = (1-\gamma)\mu^\top(I-\gamma P^\pi)^{-1}`, the
occupancy and further solves with the same factorization of
:math:`I - \gamma P^\pi`.
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import numpy as np

from ..exceptions import InvalidParameterError, NumericalWarning, format_value
from ..fields import BALL, EXACT, FLOAT, exact_array, float_array
from ..policies.tabular import policy_is_exact
from ._rationals import _to_fmpq_array, _fractions_canonical
from .certificates import WARN_RELATIVE_ERROR, _EPS, _a_priori_fine, _row_sum_bound, _certify

__all__ = [
    "PolicyEvaluation",
]


_NO_KEY = object()



def _mu_array(mu, mode):
    """``mu`` as a 1-D array (float64 in float mode), or an error naming ``mu``."""
    if isinstance(mu, str) or (isinstance(mu, np.ndarray) and mu.dtype.kind in "USbc"):
        raise InvalidParameterError(f"mu must be an array of real numbers; got {format_value(mu)}")
    try:
        if mode != FLOAT:
            return np.asarray(mu, dtype=object)
        arr = np.asarray(mu)
        if arr.dtype.kind in "USbc" or (arr.dtype == object and any(
                isinstance(x, (str, bytes, bool, np.bool_, complex, np.complexfloating)) for x in arr.flat)):
            raise InvalidParameterError(f"mu must hold real numbers; got {format_value(mu)}")
        return np.asarray(arr, dtype=float)
    except (TypeError, ValueError, OverflowError) as exc:
        if isinstance(exc, InvalidParameterError):
            raise
        raise InvalidParameterError(f"mu cannot be read as real numbers in float range: {exc}") from None


def _abs_max(a) -> float:
    """``max |a|`` as ``max(|max a|, |min a|)``: the same value (NaN propagates), no temporary of ``a``'s size."""
    return float(np.max(np.abs([np.max(a), np.min(a)])))


class PolicyEvaluation:
    r"""The evaluation of one policy on one MDP (returned by :func:`evaluate`).

    Attributes
    ----------
    mdp : MDP
    pi : ndarray, shape (S, A)
    mode : {"float", "exact", "ball"}
    V : ndarray, shape (S,)
        :math:`V^\pi`.
    Q : ndarray, shape (S, A)
        :math:`Q^\pi = r + \gamma P V^\pi`.
    advantage : ndarray, shape (S, A)
        :math:`A^\pi = Q^\pi - V^\pi` (also available as ``A``).
    P_pi : ndarray (S, S) or sparse matrix
    r_pi : ndarray, shape (S,)
    solver : str
        ``"lapack-lu"``, ``"splu"``, ``"bicgstab"`` (the Krylov path: BiCG for V
        together with the visitation of ``rho``, BiCGSTAB with a GMRES fallback
        for other right-hand sides), ``"flint-fmpq"`` or ``"flint-arb"``.
    residual : float or None
        Float mode: a certified upper bound on
        :math:`\|r^\pi - (I - \gamma P^\pi) V\|_\infty` (the float residual
        plus a bound on its own rounding and on the rounding in forming
        :math:`P^\pi, r^\pi`).  None in exact and ball modes.
    q_error_bound, advantage_error_bound : float or None
        Float mode: certified bounds on the errors of ``Q`` and ``A``, derived from
        ``error_bound``.
    error_bound : float or None
        Float mode: the certified :math:`\|V - V^\pi\|_\infty \le
        \text{residual} / (1 - \gamma\rho)`, :math:`\rho = \|P^\pi\|_\infty`
        (one up to rounding), for the float MDP and policy as given.  None in
        exact mode (no error) and ball mode (every entry is an enclosure).
    visitation_error_bound : float or None
        The certified l1 bound of the most recent :meth:`visitation` (float mode).

    Methods ``visitation(mu)``, ``occupancy(mu)`` and ``value(mu)`` reuse the
    factorization, as do ``solve(B)`` and ``solve_T(B)`` for any right-hand
    sides; ``visitation_bound(mu)`` gives the certified l1 error of a visitation.
    """

    def __init__(self, mdp, pi, mode, P_pi, r_pi, V, Q, factor, solver, gamma_num, advantage=None):
        self.mdp = mdp
        self.pi = pi
        self.mode = mode
        # P_pi may be a function building it on first access, and Q a function
        # returning (Q, advantage) on first access (exact mode: canonical
        # rationals cost a gcd per entry, paid only when asked for)
        self._P_pi, self._P_pi_build = (None, P_pi) if callable(P_pi) else (P_pi, None)
        self.r_pi = r_pi
        self.V = V
        if callable(Q):
            self._Q = self._advantage = None
            self._QA_build = Q
        else:
            self._Q = Q
            self._advantage = Q - V[:, None] if advantage is None else advantage
            self._QA_build = None
        self.solver = solver
        self._factor = factor
        self._gamma = gamma_num
        self._visits = {}
        self._visit_bounds = {}  # key -> bound, or a function computing it on first access
        self._cert = None  # (residual, error_bound), or a function computing them
        self._qa = None  # (q_error_bound, advantage_error_bound), float mode
        self._adv_checked = mode != FLOAT
        self._last_visit_key = _NO_KEY
        for arr in (self.V, self._Q, self._advantage):
            if isinstance(arr, np.ndarray):
                arr.flags.writeable = False

    @property
    def residual(self):
        """Float mode: certified bound on ``||r_pi - (I - gamma P_pi) V||_inf`` (None otherwise)."""
        return self._certificate()[0]

    @property
    def error_bound(self):
        """Float mode: certified bound on ``||V - V^pi||_inf`` (None otherwise)."""
        return self._certificate()[1]

    @property
    def q_error_bound(self):
        r"""Float mode: certified :math:`\max_{s,a}|\hat Q(s,a) - Q^\pi(s,a)|` (None otherwise).

        With :math:`e` = ``error_bound`` and :math:`\hat Q = fl(r + \gamma\,fl(P\hat V))`,

        .. math::

            |\hat Q - Q^\pi| \le \gamma\rho\,e + (S + 3)\big(\varepsilon(|r| + \gamma P|\hat V|)
                + \eta\big) + \eta\|\hat V\|_\infty,

        :math:`\rho` bounding the row sums of ``P`` and :math:`\eta` the smallest
        normal float; ``inf`` when no certificate holds.
        """
        return self._qa_bounds()[0]

    @property
    def advantage_error_bound(self):
        r"""Float mode: certified :math:`\max_{s,a}|\hat A(s,a) - A^\pi(s,a)|` (None otherwise).

        :math:`\hat A = fl(\hat Q - \hat V)`: ``q_error_bound`` :math:`+\,e + \varepsilon\max|\hat A| + \eta`.
        Large beside :math:`|A|` when the rewards carry a large common offset (cancellation
        in :math:`Q - V`); the gradient functions of :mod:`mdptheory.gradients` centre the
        rewards instead.
        """
        return self._qa_bounds()[1]

    def _qa_bounds(self):
        if self.mode != FLOAT:
            return None, None
        if self._qa is None:
            eps, tiny = float(np.finfo(float).eps), float(np.finfo(float).tiny)
            err = self.error_bound
            mdp, g = self.mdp, float(self._gamma)
            S, A = mdp.n_states, mdp.n_actions
            V = np.asarray(self.V, dtype=float)
            with np.errstate(over="ignore", invalid="ignore"):
                m = np.asarray(mdp.P_matrix() @ np.abs(V)).reshape(S, A)  # a fresh array: updated in place
                vmax = float(np.max(np.abs(V))) if V.size else 0.0
                m *= g
                m += np.abs(mdp.r)  # m = |r| + gamma P|V|
                # (S + 3)(eps m + tiny [m > 0]) is nondecreasing in m (rounding is monotone), so its
                # maximum is its value at max m: no (S, A) temporaries (NaN and inf propagate alike)
                m_max = np.max(m)
                q = (g * _row_sum_bound(mdp) * err + float((S + 3) * (eps * m_max + tiny * (m_max > 0)))
                     + tiny * vmax) * (1.0 + 4 * eps)
                amax = _abs_max(self._advantage)
                a = (q + err + eps * amax + tiny * (amax + q > 0)) * (1.0 + 4 * eps)
            self._qa = tuple(x if math.isfinite(x) else math.inf for x in (q, a))
        return self._qa

    def _check_advantage(self):
        r"""Warn (on the first access of the float advantage) when its certified bound is not small.

        "Small" is relative to the advantage's scale :math:`\max(\max|\hat A|, (\max r - \min r)/(1-\gamma))`
        (:math:`|A| \le (\max r - \min r)/(1-\gamma)`), so a common reward offset, which leaves
        :math:`A` unchanged but makes :math:`V` huge, is reported.  When the evaluation was
        a-priori fine and the rewards are not dominated by an offset, nothing is computed.
        """
        self._adv_checked = True
        mdp, g = self.mdp, float(self._gamma)
        rr = mdp._cache.get("evaluation.reward_range")
        if rr is None:  # (max|r|, max r - min r), Python floats (overflow: inf, silently)
            rr = mdp._cache["evaluation.reward_range"] = (
                (float(np.abs(mdp.r).max()), float(mdp.r.max()) - float(mdp.r.min())) if mdp.r.size else (0.0, 0.0))
        rmax, spread = rr
        amax = _abs_max(self._advantage) if self._advantage.size else 0.0
        scale = max(amax, spread / (1.0 - g))
        if callable(self._cert) and math.isfinite(scale):  # V a-priori fine (see _a_priori_fine)
            S, A = mdp.n_states, mdp.n_actions
            vmax = float(np.abs(self.V).max()) if self.V.size else 0.0
            # the a-priori estimate of V's error (with its safety factor 100), propagated to A
            est = 100.0 * (S + A) * _EPS * ((1.0 + g) / (1.0 - g) * vmax + rmax / (1.0 - g))
            est = 3.0 * est + 100.0 * (S + 4) * _EPS * (rmax + vmax)
            if est <= WARN_RELATIVE_ERROR * scale:
                return
        b = self.advantage_error_bound
        if not b <= WARN_RELATIVE_ERROR * scale:
            warnings.warn(
                f"the advantage's certified error bound {b:.3g} exceeds {WARN_RELATIVE_ERROR:g} x its scale "
                f"{scale:.3g} (cancellation in Q - V: rewards with a large common offset, or an "
                "ill-conditioned I - gamma P_pi); the policy-gradient functions of mdptheory.gradients "
                "centre the rewards; use mode='exact' or mode='ball' for certified digits",
                NumericalWarning, stacklevel=3)

    @property
    def visitation_error_bound(self):
        """The certified l1 bound of the most recent :meth:`visitation` (float mode; else None)."""
        if self.mode != FLOAT or self._last_visit_key is _NO_KEY:
            return None
        return self._visit_bound(self._last_visit_key)

    def _certificate(self):
        if callable(self._cert):
            self._cert = self._cert()
        return (None, None) if self._cert is None else self._cert

    def _visit_bound(self, key):
        b = self._visit_bounds.get(key)
        if callable(b):
            b = self._visit_bounds[key] = b()
        return b

    def _build_QA(self):
        Q, adv = self._QA_build()
        for arr in (Q, adv):
            arr.flags.writeable = False
        self._Q, self._advantage, self._QA_build = Q, adv, None

    @property
    def Q(self) -> np.ndarray:
        """:math:`Q^\\pi = r + \\gamma P V^\\pi`, shape (S, A)."""
        if self._QA_build is not None:
            self._build_QA()
        return self._Q

    @property
    def advantage(self) -> np.ndarray:
        """:math:`A^\\pi = Q^\\pi - V^\\pi`, shape (S, A).

        Float mode: a NumericalWarning on first access when ``advantage_error_bound``
        is not small beside the advantage's scale (see ``_check_advantage``).
        """
        if self._QA_build is not None:
            self._build_QA()
        if not self._adv_checked:
            self._check_advantage()
        return self._advantage

    @advantage.setter
    def advantage(self, value):
        if self._QA_build is not None:
            self._build_QA()
        self._advantage = value

    @property
    def A(self) -> np.ndarray:
        """Alias of :attr:`advantage`."""
        return self.advantage

    @property
    def P_pi(self):
        """:math:`P^\\pi[s, s'] = \\sum_a \\pi(a|s) P(s'|s, a)`: ndarray (S, S) or a sparse matrix."""
        if self._P_pi is None:
            P_pi = self._P_pi_build()
            if isinstance(P_pi, np.ndarray):
                P_pi.flags.writeable = False
            self._P_pi, self._P_pi_build = P_pi, None
        return self._P_pi

    def _mu(self, mu):
        mdp = self.mdp
        if mu is None:
            mu = mdp.rho
        mu_arr = _mu_array(mu, self.mode)
        if mu_arr.shape != (mdp.n_states,):
            raise InvalidParameterError(f"mu must have shape ({mdp.n_states},); got {mu_arr.shape}")
        if self.mode == FLOAT:
            if not np.all(np.isfinite(mu_arr)) or (mu_arr < 0).any() or abs(mu_arr.sum() - 1) > 1e-9:
                raise InvalidParameterError("mu must be a probability distribution (finite, >= 0, summing to 1)")
            return mu_arr
        if self.mode == BALL and not policy_is_exact(mu_arr):
            # a float start distribution (e.g. a float MDP's rho): its exact binary values,
            # which sum to one only up to rounding, as float mode accepts them
            try:
                mu_f = np.array([float(x) for x in mu_arr], dtype=float)
            except (TypeError, ValueError, OverflowError) as exc:
                raise InvalidParameterError(f"mu cannot be read as numbers: {exc}") from None
            if not np.all(np.isfinite(mu_f)) or (mu_f < 0).any() or abs(mu_f.sum() - 1) > 1e-9:
                raise InvalidParameterError("mu must be a probability distribution (finite, >= 0, summing to 1)")
            out = np.empty(mu_f.size, dtype=object)
            out[:] = [Fraction(x) for x in mu_f.tolist()]
            return out
        mu_q = exact_array(mu_arr, name="mu", allow_float=self.mode == BALL or not mdp.is_exact)
        if any(x < 0 for x in mu_q) or sum(mu_q, Fraction(0)) != 1:
            raise InvalidParameterError(
                f"mu must be a probability distribution; got sum {format_value(sum(mu_q, Fraction(0)))}")
        return mu_q

    def visitation(self, mu=None) -> np.ndarray:
        r"""Discounted state visitation :math:`d_\mu^\pi = (1-\gamma)\mu^\top(I-\gamma P^\pi)^{-1}`.

        Parameters
        ----------
        mu : array_like, shape (S,), optional
            Start distribution (default: the MDP's ``rho``).

        Returns
        -------
        ndarray, shape (S,)
            Sums to one; :math:`d \ge (1-\gamma)\mu` (statement A2).
        """
        if mu is None:  # the MDP's own rho, validated when the MDP was built
            key = None
            d = self._visits.get(key)
            if d is not None:
                return d
            # exact mode has an exact MDP, whose rho (Fractions) was validated when it was built
            mu_v = self.mdp.rho if self.mode != BALL else self._mu(None)
        else:
            mu_v = self._mu(mu)
            key = tuple(mu_v.tolist()) if self.mode != FLOAT else mu_v.tobytes()
            d = self._visits.get(key)
            if d is not None:
                return d
        if self.mode == FLOAT:
            y = self._factor.solve_T(mu_v)
            d = (1.0 - self._gamma) * y
            g, nA = self._gamma, self.mdp.n_actions

            def bound_d(y=y, mu_v=mu_v, d=d):
                _, err_y = _certify(self.P_pi, g, y, mu_v, transpose=True, A=nA,
                                    rho_bound=None if self.mdp.is_sparse else _row_sum_bound(self.mdp))
                return (1.0 - g) * err_y * (1.0 + 2 * _EPS) + 2 * _EPS * float(np.abs(d).sum())

            self._last_visit_key = key
            if self.solver == "lapack-lu" and _a_priori_fine(self.mdp.n_states, nA, g, 1.0, 0.0):
                self._visit_bounds[key] = bound_d  # certified on demand: rounding cannot reach the threshold
                bound = 0.0
            else:
                bound = self._visit_bounds[key] = bound_d()
            if not bound <= WARN_RELATIVE_ERROR:
                warnings.warn(
                    f"the visitation's certified l1 error bound is {bound:.3g} > {WARN_RELATIVE_ERROR:g} "
                    "(ill-conditioned I - gamma P_pi or an inaccurate iterative solve); use mode='exact' "
                    "or mode='ball' for certified digits", NumericalWarning, stacklevel=2)
        elif self.mode == EXACT:
            d = self._factor.visitation(mu_v, self._gamma)
        else:
            from flint import ctx

            mq = _to_fmpq_array(mu_v, True)
            old = ctx.prec
            ctx.prec = self._factor.prec
            try:
                d = (1 - self._gamma) * self._factor.solve_T(mq)
            finally:
                ctx.prec = old
        if isinstance(d, np.ndarray):
            d.flags.writeable = False
        self._visits[key] = d
        return d

    def visitation_bound(self, mu=None) -> float | None:
        r"""Certified :math:`\|d - d_\mu^\pi\|_1` of :meth:`visitation` ``(mu)`` (float mode).

        .. math::

            \|\hat d - d_\mu^\pi\|_1 \le \frac{(1-\gamma)\,\|\mu - (I - \gamma P^\pi)^\top \hat y\|_1}
            {1 - \gamma\rho} + 2\varepsilon\|\hat d\|_1,
            \qquad \hat d = (1-\gamma)\hat y,

        since :math:`\|(I - \gamma P^\pi)^{-\top}\|_1 = \|(I - \gamma P^\pi)^{-1}\|_\infty
        \le 1/(1-\gamma\rho)`; the residual carries its rounding allowance.
        Returns None in exact mode (no error) and ball mode (enclosures).
        """
        if self.mode != FLOAT:
            return None
        d = self.visitation(mu)
        for key, val in self._visits.items():
            if val is d:
                return self._visit_bound(key)
        return None  # pragma: no cover - the visitation was just cached

    def solve(self, B):
        r"""Solve :math:`(I - \gamma P^\pi) X = B` with the evaluation's factors.

        Parameters
        ----------
        B : array_like, shape (S,) or (S, k)
            Right-hand sides: floats in float mode; exact rationals in exact
            mode (returned as Fractions); in ball mode exact or float entries
            (returned as ``arb`` balls certified to contain the solution).

        Returns
        -------
        ndarray, shape of ``B``

        Notes
        -----
        Dense float: LAPACK ``getrs`` on the LU of :func:`evaluate` (all
        columns at once); sparse direct: SuperLU's factors; Krylov: one
        BiCGSTAB run per column to the evaluation's certified tolerance (check
        any result with :meth:`residual_bound`).  Exact: FLINT on the integer
        form of the system.  Ball: ``arb_mat.solve``.
        """
        return self._solve(B, transpose=False)

    def solve_T(self, B):
        r"""Solve :math:`(I - \gamma P^\pi)^\top Y = B` with the evaluation's factors.

        The adjoint system: :math:`d_\mu^\pi = (1-\gamma) Y` for ``B = mu``.
        Parameters, returns and fields as :meth:`solve`; Krylov runs stop on
        an l1 residual of ``1e-10`` per column.
        """
        return self._solve(B, transpose=True)

    def _solve(self, B, *, transpose):
        S = self.mdp.n_states
        if self.mode == FLOAT:
            try:
                Bv = np.asarray(B)
                if Bv.dtype.kind not in "biuf":  # complex, strings or objects: not silently cast
                    Bv = np.asarray(float_array(Bv, name="B"), dtype=float) if Bv.dtype == object else None
                    if Bv is None:
                        raise InvalidParameterError(f"B must be a real array; got dtype {np.asarray(B).dtype}")
                Bv = Bv.astype(float, copy=False)
            except (TypeError, ValueError) as exc:
                if isinstance(exc, InvalidParameterError):
                    raise
                raise InvalidParameterError(f"B must be a real array: {exc}") from None
        else:
            Bv = np.asarray(B, dtype=object) if not isinstance(B, np.ndarray) else B
        if Bv.ndim not in (1, 2) or Bv.shape[0] != S:
            raise InvalidParameterError(f"B must have shape ({S},) or ({S}, k); got {Bv.shape}")
        if Bv.ndim == 2 and Bv.shape[1] == 0:
            return np.zeros((S, 0), dtype=float if self.mode == FLOAT else object)
        fn = self._factor.solve_T if transpose else self._factor.solve
        if self.mode == FLOAT:
            if not np.all(np.isfinite(Bv)):
                raise InvalidParameterError("B has non-finite entries")
            X = np.asarray(fn(Bv))
            return X.reshape(Bv.shape)
        if self.mode == EXACT:
            Bq = exact_array(Bv, name="B")
            X = fn(_to_fmpq_array(Bq, True))
            return _fractions_canonical(list(X.reshape(-1)), X.shape)
        exact_B = policy_is_exact(Bv)
        Bc = exact_array(Bv, name="B") if exact_B else np.asarray(float_array(Bv, name="B"), dtype=float)
        if not exact_B and not np.all(np.isfinite(Bc)):
            raise InvalidParameterError("B has non-finite entries")
        return fn(_to_fmpq_array(Bc, exact_B))

    def residual_bound(self, X, B, *, transpose=False):
        r"""Certified bound on the error of a float solution ``X`` of the evaluation's system.

        .. math::

            \|X - (I - \gamma P^\pi)^{-1}B\|_\infty \le
            \frac{\|B - (I - \gamma P^\pi)X\|_\infty}{1 - \gamma\rho}

        (l1 norms and the transposed system when ``transpose=True``), the
        residual evaluated in float64 with a bound on its rounding added;
        max over columns.  Float mode only.

        Returns
        -------
        float
        """
        if self.mode != FLOAT:
            raise InvalidParameterError("residual_bound is for float evaluations")
        return _certify(self.P_pi, self._gamma, X, B, transpose=transpose, A=self.mdp.n_actions,
                        rho_bound=None if self.mdp.is_sparse else _row_sum_bound(self.mdp))[1]

    def occupancy(self, mu=None) -> np.ndarray:
        r"""State-action occupancy :math:`\nu(s, a) = d_\mu^\pi(s)\,\pi(a|s)`, shape (S, A)."""
        return self.visitation(mu)[:, None] * self.pi

    def value(self, mu=None):
        r""":math:`V^\pi(\mu) = \sum_s \mu(s) V^\pi(s)` (default ``mu = rho``)."""
        mu_v = self._mu(mu)
        if self.mode == FLOAT:
            return float(mu_v @ self.V)
        return sum((m * v for m, v in zip(mu_v, self.V)), Fraction(0) if self.mode == EXACT else 0)

    def __repr__(self):
        from ..policies.tabular import format_actions

        actions = format_actions(self.pi)
        policy = f", actions={actions}" if actions is not None else ""
        return (f"PolicyEvaluation(S={self.mdp.n_states}, A={self.mdp.n_actions}, mode={self.mode!r}, "
                f"solver={self.solver!r}{policy})")
