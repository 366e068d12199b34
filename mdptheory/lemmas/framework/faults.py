r"""A catalogue of realistic library faults, injected at run time, and the fault-injection matrix.

A checker is only as independent as the code its two sides share.  To measure
that, each :class:`Fault` here replaces one or more *library* functions (never a
checker) by a plausibly buggy version — the visitation returned as
:math:`\rho` instead of :math:`d_\rho^\pi`, a Jacobian without its
:math:`-\pi\pi^\top` term, a KL with its arguments swapped — for the duration
of a ``with inject(fault):`` block, and restores them afterwards.

A function is patched where it is looked up: every module of the package that
bound it with ``from .x import f`` gets the faulty version, and a method or
property is replaced on the class that defines it.  Each patched function
counts its calls, so whether a statement's computation *touches* a fault is
measured, not declared: :func:`fault_matrix` runs every statement once with
counting (but correct) versions of all faulted functions, and then runs each
(fault, statement) pair whose computation called a faulted function with the
fault in place.  The cell is

``caught``
    the statement came back FALSIFIED (or a checker raised: ERROR) in some mode;
``not touched``
    no faulted function was called;
``MISSED``
    a faulted function was called and the statement stayed VERIFIED or
    UNDECIDED — either a genuine blind spot (the fault cannot change what the
    statement is about, e.g. a tie-breaking rule on cases without ties) or,
    far more often, two sides sharing the faulty intermediate.

The catalogue only monkeypatches: it imports the library layers below the
lemmas and the framework's runner, and no statement module.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import sys
import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ...exceptions import InvalidParameterError
from .registry import statements
from .report import FALSIFIED
from .runner import ERROR, run_statement

__all__ = ["Fault", "FAULTS", "get_fault", "inject", "instrument", "fault_matrix", "FaultMatrix",
           "CAUGHT", "NOT_TOUCHED", "MISSED", "MATRIX_CASES"]

CAUGHT = "caught"
NOT_TOUCHED = "not touched"
MISSED = "MISSED"

#: Cases per (statement, mode) of the fault-injection matrix run by the test suite.
MATRIX_CASES = 3

_PACKAGES = ("mdptheory", "proofs_check")


# ---------------------------------------------------------------- exact-aware helpers
def _is_object(x) -> bool:
    return isinstance(x, np.ndarray) and x.dtype == object


def _scaled(x, rel: str):
    """``x * (1 + rel)``, exactly for Fraction arrays and scalars (``rel`` as a decimal string)."""
    if isinstance(x, Fraction) or _is_object(np.asarray(x)) and not isinstance(x, float):
        f = 1 + Fraction(rel)
        if isinstance(x, Fraction):
            return x * f
        arr = np.asarray(x, dtype=object)
        out = np.empty(arr.shape, dtype=object)
        out[...] = arr * f
        return out
    if isinstance(x, (float, int, np.floating)):
        return float(x) * (1.0 + float(rel))
    return np.asarray(x) * (1.0 + float(rel))


def _gamma(mdp, exact):
    return Fraction(mdp.gamma) if exact else float(mdp.gamma)


# ---------------------------------------------------------------- the faults
@dataclass(frozen=True)
class Fault:
    """A library fault: replacements for some functions, installed by :func:`inject`.

    Attributes
    ----------
    name : str
        Identifier used by ``python -m proofs_check --inject NAME``.
    area : str
        The library area (evaluation, gradients, policies, fisher, kl, derivatives,
        trajectories, optimal, symbolic).
    description : str
        The bug, in words.
    targets : tuple of (str, callable)
        ``("module:qualname", make)``: ``make(original)`` returns the faulty
        function (for a property: the faulty getter).  ``qualname`` is a
        module-level function ``f`` or a class attribute ``Class.attr``.
    """

    name: str
    area: str
    description: str
    targets: tuple = field(repr=False)

    @property
    def touches(self) -> tuple:
        """The library functions this fault replaces (``module:qualname``)."""
        return tuple(t for t, _ in self.targets)


def _post(fn):
    """A ``make`` that applies ``fn(result, *args, **kwargs)`` to the original's result."""

    def make(orig):
        @functools.wraps(orig)
        def faulty(*args, **kwargs):
            return fn(orig(*args, **kwargs), *args, **kwargs)

        return faulty

    return make


# -- evaluation
def _visitation_is_rho(orig):
    def visitation(self, mu=None):
        m = self._mu(mu)
        out = np.array(m, dtype=object if self.mode != "float" else float)
        return out

    return visitation


def _visitation_unnormalised(res, self, mu=None):
    g = self._gamma
    return res / (1 - g)


def _visitation_forward(orig):
    def visitation(self, mu=None):
        m = self._mu(mu)
        y = self.solve(m)
        return (1 - self._gamma) * y

    return visitation


def _q_without_gamma(orig):
    def Q(self):
        Qt = orig(self)
        g = self._gamma
        r = self.mdp.r
        return r + (Qt - r) / g  # r + P V instead of r + gamma P V

    return Q


def _adv_without_gamma(orig):
    def advantage(self):
        Qt = orig(self) + self.V[:, None]
        r = self.mdp.r
        return r + (Qt - r) / self._gamma - self.V[:, None]

    return advantage


def _advantage_sign(orig):
    def advantage(self):
        return -orig(self)

    return advantage


def _value_scaled(orig):
    # PolicyEvaluation stores V as an instance attribute: the fault installs a class property
    # (a data descriptor wins over the instance dict), so only reads of ev.V count as touches
    def get(self):
        d = self.__dict__
        return _scaled_any(d["_fault_true_V"] if "_fault_true_V" in d else d["V"], "1e-6")

    def set(self, value):
        self.__dict__["_fault_true_V"] = value
        self.__dict__["V"] = value  # the true value stays readable once the fault is removed

    return property(get, set)


def _scaled_any(x, rel):
    try:
        return _scaled(x, rel)
    except TypeError:  # arb balls: scale by the binary float 1 + rel
        return np.asarray(x) * (1.0 + float(rel))


# -- gradients
def _adjoint_forward(orig):
    def _adjoint_weights(st, mu):
        m = st.ev._mu(mu)
        w = st.ev.solve(m)  # (I - gamma P_pi) w = mu: P instead of P^T
        return w, (1 - st.gamma) * w

    return _adjoint_weights


def _coefficients_without_gamma(orig):
    def _bellman_coefficients(st):
        from ...gradients import _P_times

        return st.mdp.r + _P_times(st.mdp, st.ev.V, st.mode)

    return _bellman_coefficients


# -- policies
def _jacobian_no_outer_generic(orig):
    def jacobian(self, theta):
        th, kind, exact = self._point(theta)
        pi = self._pi(th, kind)
        return pi[:, :, None] * self._dF(th, kind, exact) * self._inv_tau(exact)

    return jacobian


def _jacobian_vjp_no_outer(orig):
    def jacobian_vjp(self, theta, C):
        C = self._check_sa(C, "C", (0, 1))
        th, kind, exact = self._point(theta)
        pi = self._pi(th, kind)
        if C.ndim == 2:
            return (pi * C * self._inv_tau(exact)).reshape(-1)
        return (pi[:, :, None] * C * self._inv_tau(exact)).reshape(self.n_params, C.shape[2])

    return jacobian_vjp


def _jacobian_dot_no_outer(orig):
    def jacobian_dot_actions(self, theta, c):
        c = self._check_sa(c, "c")
        th, kind, exact = self._point(theta)
        pi = self._pi(th, kind)
        blk = pi * c * self._inv_tau(exact)
        S, A = pi.shape
        out = np.full((S, S, A), Fraction(0), dtype=object) if (exact or blk.dtype == object) else np.zeros((S, S, A))
        out[np.arange(S), np.arange(S), :] = blk
        return out.reshape(S, S * A)

    return jacobian_dot_actions


def _negated(res, *args, **kwargs):
    return -np.asarray(res)


def _actions_reversed(res, *args, **kwargs):
    return np.asarray(res)[:, ::-1, :]


# -- fisher and natural gradient
def _fisher_rho(orig):
    def fisher(mdp, param, theta, *, mu=None, mode=None, rho=None):
        from ...fisher_information import _policy_and_score, _weighted_gram

        mu = mu if mu is not None else rho
        pi, score, mode = _policy_and_score(mdp, param, theta, mode)
        w = np.asarray(mdp.rho if mu is None else mu, dtype=object if mode == "exact" else float)
        S, A, n = score.shape
        nu = (w[:, None] * pi).reshape(-1)  # weighted by rho, not by d_rho^pi
        return _weighted_gram(nu, score.reshape(S * A, n), exact=mode == "exact")

    return fisher


def _plus_ridge(F):
    F = np.asarray(F)
    n = F.shape[0]
    if F.dtype == object:
        out = F.copy()
        for i in range(n):
            out[i, i] = out[i, i] + Fraction(1, 10**9)
        return out
    return F + 1e-9 * np.eye(n)


def _fisher_ridge(res, *args, **kwargs):
    return _plus_ridge(res)


def _blocks_ridge(res, *args, **kwargs):
    from ...fisher_information import BlockDiagonal

    b = res.blocks
    A = b.shape[1]
    if b.dtype == object:
        eye = np.array([[Fraction(int(i == j), 10**9) for j in range(A)] for i in range(A)], dtype=object)
    else:
        eye = 1e-9 * np.eye(A)
    return BlockDiagonal(b + eye[None], pi=res.pi, d=res.d, scale=res.scale)


def _closed_form_no_shift(orig):
    def npg_closed_form(ev, *, temperature=1, d=None):
        A_ = ev.advantage
        if ev.mode == "exact":
            from ...fields import exact_array

            w = Fraction(temperature) / (1 - Fraction(ev.mdp.gamma)) * exact_array(A_, name="A")
            zero = Fraction(0)
        else:
            w = float(temperature) / (1.0 - float(ev.mdp.gamma)) * np.asarray(A_, dtype=float)
            zero = 0.0
        if d is not None:
            w = np.where((np.asarray(d) > 0)[:, None], w, zero)
        return w

    return npg_closed_form


def _block_pinv_no_shift(orig):
    def _softmax_block_pinv(pi, d, scale, g, exact, in_range=False):
        x = orig(pi, d, scale, g, exact, in_range)
        support = (pi > 0) & (d[:, None] > 0)
        shift = (pi * x).sum(axis=1)  # the pi-weighted solution, not the minimum-norm one
        zero = Fraction(0) if exact else 0.0
        return np.where(support, x - shift[:, None], zero)

    return _softmax_block_pinv


def _trpo_convention(orig):
    def trpo_step(g, F, delta, *, convention="half"):
        other = "lecture" if convention == "half" else "half"
        return orig(g, F, delta, convention=other)

    return trpo_step


# -- kl
def _kl_swapped(orig):
    def kl_policy(pi, pi2, **kwargs):
        return orig(pi2, pi, **kwargs)

    return kl_policy


def _doubled(res, *args, **kwargs):
    if isinstance(res, np.ndarray):
        out = np.empty(res.shape, dtype=res.dtype)
        out[...] = res * 2
        return out
    return res * 2


# -- derivatives
def _hessian_unsymmetrised(orig):
    def value_hessian(mdp, param, theta, *, mu=None, mode=None):
        from ...derivatives import _prepare, _bellman_coefficients, _adjoint_weights, _solve_forward, \
            _P_times, _as_output

        st = _prepare(mdp, param, theta, mode)
        c = _bellman_coefficients(st)
        w, _ = _adjoint_weights(st, mu)
        G = param.jacobian_dot_actions(st.theta, c)
        X = _solve_forward(st, G)
        PX = _P_times(st.mdp, X, st.mode)
        K = np.asarray(param.jacobian_vjp(st.theta, w[:, None, None] * PX))
        Hc = np.asarray(param.probs_hessian_vjp(st.theta, w[:, None] * c))
        return _as_output(Hc + 2 * st.gamma * K, st.mode)  # 2 gamma K instead of gamma (K + K^T)

    return value_hessian


# -- trajectories
def _horizon_plus_one(position, name):
    def make(orig):
        @functools.wraps(orig)
        def faulty(*args, **kwargs):
            args = list(args)
            if name in kwargs:
                kwargs[name] = kwargs[name] + 1
            else:
                args[position] = args[position] + 1
            return orig(*args, **kwargs)

        return faulty

    return make


# -- optimal
def _greedy_ties(orig):
    def _greedy_actions(Q, current, tie):
        Qmax = Q.max(axis=1)
        if tie is None:
            is_max = np.asarray(Q == Qmax[:, None], dtype=bool)
        else:
            is_max = Q >= (Qmax - tie)[:, None]
        A = is_max.shape[1]
        return A - 1 - np.argmax(is_max[:, ::-1], axis=1)  # highest maximiser; the current action is not kept

    return _greedy_actions


def _q_from_v_without_gamma(orig):
    def q_from_v(mdp, V):
        Q = orig(mdp, V)
        exact = Q.dtype == object
        g = _gamma(mdp, exact)
        return mdp.r + (Q - mdp.r) / g if exact else np.asarray(mdp.to_float().r) + (Q - mdp.to_float().r) / g

    return q_from_v


# -- symbolic
def _symbolic_q_dropped(orig):
    def _evaluate_rf(smdp, mu=None):
        from ...symbolic import _RF

        rf = dict(orig(smdp, mu))
        R = smdp._ring.ring
        S, A = smdp.n_states, smdp.n_actions
        Q = [[_RF(smdp._rr[s, a], R(1)) for a in range(A)] for s in range(S)]  # r only: gamma P V dropped
        rf["Q"] = Q
        rf["A"] = [[Q[s][a] - rf["V"][s] for a in range(A)] for s in range(S)]
        return rf

    return _evaluate_rf


def _symbolic_score_dropped(orig):
    def _score_rf(smdp):
        from ...symbolic import _RF

        R = smdp._ring.ring
        S, A = smdp.n_states, smdp.n_actions
        # 1[s = s'] 1[a = b]: the -pi(b|s) term dropped
        return [[[_RF(R(1 if (t == s and b == a) else 0), R(1)) for t in range(S) for b in range(A)]
                 for a in range(A)] for s in range(S)]

    return _score_rf


_EV = "mdptheory.evaluation.result:PolicyEvaluation"
_SM = "mdptheory.policies.softmax"

FAULTS: dict = {}


def _add(name, area, description, *targets):
    FAULTS[name] = Fault(name, area, description, tuple(targets))


_add("visitation_is_rho", "evaluation", "PolicyEvaluation.visitation returns the start distribution rho "
     "instead of d_rho^pi", (f"{_EV}.visitation", _visitation_is_rho))
_add("visitation_without_1_minus_gamma", "evaluation", "d = mu^T (I - gamma P_pi)^-1 without the factor "
     "(1 - gamma): the visitation sums to 1/(1 - gamma)", (f"{_EV}.visitation", _post(_visitation_unnormalised)))
_add("visitation_forward_solve", "evaluation", "the visitation solves (I - gamma P_pi) y = mu (forward) "
     "instead of the transposed system", (f"{_EV}.visitation", _visitation_forward))
_add("q_without_gamma", "evaluation", "Q = r + P V instead of r + gamma P V (and A = Q - V from it)",
     (f"{_EV}.Q", _q_without_gamma), (f"{_EV}.advantage", _adv_without_gamma))
_add("advantage_sign", "evaluation", "the advantage is V - Q instead of Q - V",
     (f"{_EV}.advantage", _advantage_sign))
_add("value_relative_1e-6", "evaluation", "PolicyEvaluation.V is V scaled by (1 + 1e-6) (Q and the "
     "advantage stay right)", (f"{_EV}.V", _value_scaled))
_add("value_gradient_relative_1e-6", "gradients", "value_gradient scaled by (1 + 1e-6)",
     ("mdptheory.gradients:value_gradient", _post(lambda r, *a, **k: _scaled(r, "1e-6"))))
_add("adjoint_with_P", "gradients", "the adjoint weights of value_gradient/value_hessian solve with "
     "I - gamma P_pi instead of its transpose", ("mdptheory.gradients:_adjoint_weights", _adjoint_forward))
_add("bellman_coefficients_without_gamma", "gradients", "the coefficient of d pi in the implicit "
     "derivative is r + P V instead of r + gamma P V",
     ("mdptheory.gradients:_bellman_coefficients", _coefficients_without_gamma))
_add("closed_form_gradient_without_horizon", "gradients", "softmax_gradient_closed_form without the "
     "factor 1/(1 - gamma)", ("mdptheory.gradients:softmax_gradient_closed_form",
                              _post(lambda r, mdp, *a, **k: r * (1 - _gamma(mdp, r.dtype == object)))))
_add("softmax_jacobian_without_outer", "policies", "the softmax Jacobian d pi(a|s)/d theta is "
     "pi(a|s) dF(s,a) (the -pi pi^T term dropped)",
     (f"{_SM}:SoftmaxFamily.jacobian", _jacobian_no_outer_generic),
     (f"{_SM}:TabularSoftmax.jacobian_vjp", _jacobian_vjp_no_outer),
     (f"{_SM}:TabularSoftmax.jacobian_dot_actions", _jacobian_dot_no_outer))
_add("score_sign", "policies", "the score grad log pi has the wrong sign",
     (f"{_SM}:SoftmaxFamily.score", _post(_negated)),
     (f"{_SM}:TabularSoftmax.score_blocks", _post(_negated)),
     (f"{_SM}:TabularSoftmax.score_vjp", _post(_negated)))
_add("loglinear_features_transposed", "policies", "the log-linear energy Jacobian reads the features "
     "with the action index reversed (phi[s, A-1-a])",
     ("mdptheory.policies.loglinear:LogLinear.energy_jacobian", _post(_actions_reversed)),
     ("mdptheory.policies.loglinear:LogLinear._exact_energy_jacobian", _post(_actions_reversed)))
_add("fisher_weighted_by_rho", "fisher", "the dense Fisher matrix weights states by rho instead of d_rho^pi",
     ("mdptheory.fisher_information:fisher", _fisher_rho))
_add("fisher_plus_ridge", "fisher", "the Fisher matrix (dense and block form) carries + 1e-9 I",
     ("mdptheory.fisher_information:fisher", _post(_fisher_ridge)),
     ("mdptheory.fisher_information:softmax_fisher_blocks", _post(_blocks_ridge)))
_add("npg_without_min_norm_shift", "fisher", "the NPG direction (closed form and block pseudo-inverse) "
     "is a solution of F w = grad V but not the minimum-norm one (no per-state mean shift)",
     ("mdptheory.natural_gradients:npg_closed_form", _closed_form_no_shift),
     ("mdptheory.fisher_information:_softmax_block_pinv", _block_pinv_no_shift))
_add("trpo_convention_swapped", "fisher", "trpo_step uses the other KL convention (radius off by sqrt 2)",
     ("mdptheory.natural_gradients:trpo_step", _trpo_convention))
_add("kl_arguments_swapped", "kl", "kl_policy(pi, pi2) computes KL(pi2 || pi)",
     ("mdptheory.kl:kl_policy", _kl_swapped))
_add("kl_doubled", "kl", "kl_policy is twice the divergence", ("mdptheory.kl:kl_policy", _post(_doubled)))
_add("hessian_relative_1e-2", "derivatives", "value_hessian scaled by 1.01",
     ("mdptheory.derivatives:value_hessian", _post(lambda r, *a, **k: _scaled(r, "0.01"))))
_add("hessian_not_symmetrised", "derivatives", "value_hessian uses 2 gamma K instead of gamma (K + K^T)",
     ("mdptheory.derivatives:value_hessian", _hessian_unsymmetrised))
_add("enumerate_horizon_off_by_one", "trajectories", "enumerate_trajectories(T) enumerates length T + 1",
     ("mdptheory.trajectories:enumerate_trajectories", _horizon_plus_one(2, "T")))
_add("truncated_value_horizon_off_by_one", "trajectories", "truncated_value(T) and its gradient sum "
     "T + 1 terms", ("mdptheory.trajectories:truncated_value", _horizon_plus_one(3, "T")),
     ("mdptheory.trajectories:truncated_value_gradient", _horizon_plus_one(3, "T")))
_add("trajectory_kl_horizon_off_by_one", "trajectories", "trajectory_kl(H) and its derivatives use "
     "horizon H + 1", ("mdptheory.kl:trajectory_kl", _horizon_plus_one(4, "H")),
     ("mdptheory.kl:trajectory_kl_gradient", _horizon_plus_one(4, "H")),
     ("mdptheory.kl:trajectory_kl_hessian", _horizon_plus_one(4, "H")),
     ("mdptheory.kl:trajectory_fisher", _horizon_plus_one(3, "H")))
_add("greedy_ties_broken_wrongly", "optimal", "the greedy step takes the highest maximising action and "
     "does not keep the current one on ties", ("mdptheory.optimal:_greedy_actions", _greedy_ties))
_add("q_from_v_without_gamma", "optimal", "q_from_v computes r + P V instead of r + gamma P V",
     ("mdptheory.optimal:q_from_v", _q_from_v_without_gamma))
_add("symbolic_q_dropped_term", "symbolic", "the symbolic Q is r: the term gamma P V dropped",
     ("mdptheory.symbolic:_evaluate_rf", _symbolic_q_dropped))
_add("symbolic_score_dropped_term", "symbolic", "the symbolic score is 1[a = b]: the term -pi(b|s) dropped",
     ("mdptheory.symbolic:_score_rf", _symbolic_score_dropped))


def get_fault(name: str) -> Fault:
    """The fault called ``name``."""
    if not isinstance(name, str) or name not in FAULTS:
        raise InvalidParameterError(f"unknown fault {name!r}; known: {', '.join(FAULTS)}")
    return FAULTS[name]


# ---------------------------------------------------------------- patching
#: Instance attributes a fault may replace by a class property (counted on reads).
_INSTANCE_ATTRIBUTES = {"PolicyEvaluation.V"}


def _resolve(path):
    """``(kind, owner, attribute, raw)`` of ``"module:qualname"``."""
    modname, _, qual = path.partition(":")
    mod = importlib.import_module(modname)
    parts = qual.split(".")
    if len(parts) == 1:
        return "function", mod, parts[0], getattr(mod, parts[0])
    cls = getattr(mod, parts[0])
    if parts[1] not in cls.__dict__ and qual not in _INSTANCE_ATTRIBUTES:
        raise InvalidParameterError(f"{path}: {parts[0]} does not define {parts[1]}")
    # an attribute the class does not define (an instance attribute): raw is None and the
    # fault installs a property
    return "attribute", cls, parts[1], cls.__dict__.get(parts[1])


def _counted(fn, key, counts):
    @functools.wraps(fn)
    def counting(*args, **kwargs):
        counts[key] = counts.get(key, 0) + 1
        return fn(*args, **kwargs)

    return counting


def _bindings(obj):
    """Every (module, name) of the package bound to ``obj``."""
    out = []
    for mname, mod in list(sys.modules.items()):
        if mod is None or mname.partition(".")[0] not in _PACKAGES:
            continue
        for k, v in list(vars(mod).items()):
            if v is obj:
                out.append((mod, k))
    return out


@contextlib.contextmanager
def _patched(replacements, counts):
    """Install ``{path: make}`` (make(original) -> replacement) with call counting; restore on exit."""
    statements()  # every statement module imported, so that every binding exists
    undo = []
    try:
        for path, make in replacements:
            kind, owner, attr, raw = _resolve(path)
            if kind == "function":
                new = _counted(make(raw), path, counts)
                for mod, k in _bindings(raw):
                    undo.append((mod, k, raw))
                    setattr(mod, k, new)
            else:
                if raw is None:  # an instance attribute: make(None) returns a property
                    prop = make(None)
                    if prop is None:  # counting only: read and write the instance attribute
                        prop = property(lambda self, a=attr: self.__dict__[a],
                                        lambda self, v, a=attr: self.__dict__.__setitem__(a, v))
                    new = property(_counted(prop.fget, path, counts), prop.fset)
                elif isinstance(raw, property):
                    new = property(_counted(make(raw.fget), path, counts), raw.fset, raw.fdel, raw.__doc__)
                elif isinstance(raw, (staticmethod, classmethod)):
                    new = type(raw)(_counted(make(raw.__func__), path, counts))
                else:
                    new = _counted(make(raw), path, counts)
                undo.append((owner, attr, raw))
                setattr(owner, attr, new)
        yield counts
    finally:
        for owner, attr, raw in reversed(undo):
            if raw is None:
                delattr(owner, attr)
            else:
                setattr(owner, attr, raw)


class Injection:
    """What :func:`inject` yields: the fault and the number of calls of each faulted function."""

    def __init__(self, fault):
        self.fault = fault
        self.calls = {}

    @property
    def touched(self) -> bool:
        """True once a faulted function has been called."""
        return any(self.calls.values())

    def reset(self):
        self.calls.clear()


@contextlib.contextmanager
def inject(fault):
    """Install a fault (a :class:`Fault` or its name) for the duration of the block.

    Yields an :class:`Injection` whose ``calls`` count the faulted functions'
    calls.  Not thread-safe; worker processes started inside the block do not
    inherit it unless forked.
    """
    f = get_fault(fault) if isinstance(fault, str) else fault
    inj = Injection(f)
    with _patched(f.targets, inj.calls):
        yield inj


@contextlib.contextmanager
def instrument(faults=None):
    """Count calls of every function the given faults (default: all) replace, without changing them.

    Yields a dict ``{"module:qualname": calls}``.
    """
    fs = list(FAULTS.values()) if faults is None else [get_fault(f) if isinstance(f, str) else f for f in faults]
    paths = []
    for f in fs:
        for p in f.touches:
            if p not in paths:
                paths.append(p)
    counts = {}
    with _patched([(p, lambda orig: orig) for p in paths], counts):
        yield counts


# ---------------------------------------------------------------- the matrix
@dataclass
class FaultMatrix:
    """The outcome of :func:`fault_matrix`.

    ``cells[(fault, statement)]`` is CAUGHT, NOT_TOUCHED or MISSED;
    ``details[(fault, statement)]`` maps each touched mode to its verdict.
    """

    faults: list
    statements: list
    cells: dict
    details: dict
    cases: int
    seconds: float = 0.0

    def cells_with(self, outcome) -> list:
        """The (fault, statement) pairs whose cell is ``outcome``."""
        return [k for k, v in self.cells.items() if v == outcome]

    @property
    def missed(self) -> list:
        return self.cells_with(MISSED)

    def counts(self) -> dict:
        out = {CAUGHT: 0, NOT_TOUCHED: 0, MISSED: 0}
        for v in self.cells.values():
            out[v] += 1
        return out

    def table(self) -> str:
        """Faults as rows, statements as columns: ``X`` caught, ``.`` not touched, ``M`` MISSED."""
        sym = {CAUGHT: "X", NOT_TOUCHED: ".", MISSED: "M"}
        w = max(len(f) for f in self.faults)
        head = " " * (w + 1) + " ".join(f"{s:>4}" for s in self.statements)
        lines = [head]
        for f in self.faults:
            lines.append(f"{f:<{w}} " + " ".join(f"{sym[self.cells[(f, s)]]:>4}" for s in self.statements))
        c = self.counts()
        lines.append("")
        lines.append(f"X caught {c[CAUGHT]}, . not touched {c[NOT_TOUCHED]}, M MISSED {c[MISSED]}  "
                     f"({self.cases} cases per statement and mode, {self.seconds:.1f} s)")
        for k in self.missed:
            lines.append(f"MISSED {k[0]} x {k[1]}: " + ", ".join(f"{m} {v}" for m, v in self.details[k].items()))
        return "\n".join(lines)


def _statement_cells(sid, fault_names, n, modes, seed):
    """The matrix column of one statement: ``{fault: {mode: verdict or "not touched"}}``."""
    from .registry import get_statement

    st = get_statement(sid)
    fs = [get_fault(f) for f in fault_names]
    out = {f.name: {} for f in fs}
    for m in st.modes:
        if modes is not None and m not in modes:
            continue
        with instrument(fs) as counts:  # which faulted functions the statement calls, library intact
            run_statement(st, mode=m, seed=seed, n=n)
        called = {p for p, c in counts.items() if c}
        for f in fs:
            if not called & set(f.touches):
                continue
            with inject(f) as inj:
                res = run_statement(st, mode=m, seed=seed, n=n, stop_at_falsified=True)
            out[f.name][m] = res.verdict if inj.touched else "not touched"
    return sid, out


def fault_matrix(faults=None, select=None, *, n: int = MATRIX_CASES, modes=None, seed: int = 0,
                 workers: int = 1) -> FaultMatrix:
    """Run every (fault, statement) pair whose computation touches the fault.

    For each statement and mode, one run with call counters on every faulted
    function (the library unchanged) finds the faults it touches; then each of
    those faults is injected and the statement run again alone, stopping at
    its first FALSIFIED case.

    Parameters
    ----------
    faults : iterable of str, optional
        Fault names (default: the whole catalogue).
    select : iterable of str, optional
        Statements, as for :func:`~mdptheory.lemmas.framework.registry.statements`.
    n : int, keyword-only
        Suite cases per (statement, mode).
    modes : iterable of str, optional, keyword-only
        Restrict to these modes (default: each statement's own).
    seed : int, keyword-only
    workers : int, keyword-only
        Forked local processes (statements are distributed over them; the
        result does not depend on the number).

    Returns
    -------
    FaultMatrix
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise InvalidParameterError(f"n must be a positive integer; got {n!r}")
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise InvalidParameterError(f"workers must be a positive integer; got {workers!r}")
    names = [get_fault(f).name for f in (faults if faults is not None else FAULTS)]
    sts = statements(select)
    t0 = time.perf_counter()
    tasks = [(st.id, names, n, modes, seed) for st in sorted(sts, key=lambda s: -s.cost)]
    if workers > 1 and len(tasks) > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as ex:
            columns = dict(ex.map(_statement_cells_args, tasks))
    else:
        columns = dict(_statement_cells(*t) for t in tasks)
    cells, details = {}, {}
    for f in names:
        for st in sts:
            det = columns[st.id][f]
            hit = [v for v in det.values() if v != "not touched"]
            if not hit:
                cells[(f, st.id)] = NOT_TOUCHED
            elif any(v in (FALSIFIED, ERROR) for v in hit):
                cells[(f, st.id)] = CAUGHT
            else:
                cells[(f, st.id)] = MISSED
            details[(f, st.id)] = det
    return FaultMatrix(names, [s.id for s in sts], cells, details, n, time.perf_counter() - t0)


def _statement_cells_args(args):
    return _statement_cells(*args)
