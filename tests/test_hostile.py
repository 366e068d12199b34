"""Hostile input, entry point by entry point: a documented error or a valid result.

Every public entry point of the README's module table is called with
hypothesis-generated bad arguments (huge integers, huge-digit Fractions,
strings with huge exponents, NaN/inf, complex and boolean arrays, wrong shapes,
bad keywords) and must

* return a valid result, or raise a subclass of :class:`MDPTheoryError`;
* never raise another exception;
* never hang (each call runs under a SIGALRM time box, ``CALL_SECONDS``);
* never return a non-finite float without a :class:`NumericalWarning`.

The generators of ``test_fuzz.py`` (the constructor and loader fuzz suite) are
imported, not copied.  Inputs per entry point: ``N_HOSTILE`` (a few hundred
under the ``ci`` profile, 1,000 under ``thorough``/``nightly``); the counts
are printed at the end of the module.  The second half holds one named
regression test per reproducer of the hostile-input issue.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import warnings
from collections import Counter
from contextlib import contextmanager
from fractions import Fraction as F

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mdptheory import MDP, MDPTheoryError, NumericalWarning, evaluate, solve
from mdptheory.exceptions import InvalidParameterError, InvalidPolicyError, format_value

from test_fuzz import _odd_array, hostile_mdp_args, odd_scalars  # noqa: E402  (the fuzz suite's generators)

COUNTS = Counter()

#: Seconds one call may take before it counts as a hang.
CALL_SECONDS = 20.0
_PROFILE = settings().max_examples
#: Inputs per entry point: 1,000 under the thorough (nightly) profile, a few hundred otherwise.
N_HOSTILE = 1000 if _PROFILE >= 1000 else 250
#: Cheaper budget for entry points whose valid calls do real work (solves, searches, CLI runs).
N_COSTLY = 1000 if _PROFILE >= 1000 else 100


# ------------------------------------------------------------------ harness
class Hang(BaseException):
    """Raised by the time box; a BaseException so no ``except Exception`` swallows it."""


@contextmanager
def time_box(seconds=CALL_SECONDS):
    def _alarm(signum, frame):
        raise Hang(f"call did not return within {seconds} s")

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _nonfinite(x, depth=0) -> bool:
    """True if ``x`` (a number, array, or a result object's V/values) holds a non-finite float."""
    if depth > 3:
        return False
    if isinstance(x, (float, np.floating)):
        return not math.isfinite(float(x))
    if isinstance(x, np.ndarray):
        if x.dtype.kind in "fc":
            return not bool(np.all(np.isfinite(x)))
        if x.dtype == object and x.size <= 10_000:
            return any(isinstance(v, (float, np.floating)) and not math.isfinite(float(v)) for v in x.flat)
        return False
    if isinstance(x, (list, tuple)):
        return any(_nonfinite(v, depth + 1) for v in x[:100])
    for attr in ("V", "values", "value"):
        v = getattr(type(x), attr, None)
        if v is not None and isinstance(v, property):
            try:
                return _nonfinite(getattr(x, attr), depth + 1)
            except MDPTheoryError:
                return False
    return False


def _has_nan(x) -> bool:
    try:
        return bool(np.isnan(np.asarray(x, dtype=float)).any())
    except (TypeError, ValueError):
        return False


def call(entry, fn, *args, _documented_inf=False, **kw):
    """Run ``fn`` under the time box; return its result, or None for a documented error.

    ``_documented_inf``: the entry point documents +inf as an exact answer (a KL
    divergence across a support mismatch), so +inf needs no warning there.
    """
    COUNTS[entry] += 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with time_box():
                out = fn(*args, **kw)
        except MDPTheoryError as exc:
            str(exc)  # the message itself must render
            return None
        except Hang as exc:
            pytest.fail(f"{entry}: hang: {exc}")
    if _nonfinite(out) and not (_documented_inf and not _has_nan(out)):
        assert any(issubclass(w.category, NumericalWarning) for w in caught), \
            f"{entry}: non-finite result without a NumericalWarning"
    return out


# ------------------------------------------------------------------ hostile values
HUGE = [10**400, -10**400, 10**5000, F(1, 3**10000), F(10**5000, 10**5000 + 1), F(3, 10**400)]
hostile_scalars = st.one_of(
    odd_scalars,
    st.sampled_from(HUGE + ["1e99999999", "-1e-99999999", "1E+400", "9" * 5000, "1/0", "0x10", "  ", "1_0",
                            float("nan"), float("inf"), -0.0, 2 + 0j, np.bool_(True), np.float32(0.5),
                            np.int64(2**62), np.complex128(1j)]),
    st.floats(min_value=-2, max_value=2),
    st.integers(-3, 3),
)


def hostile_array(draw, shape):
    """An array of ``shape`` from the fuzz suite's odd arrays, or of hostile scalars (object dtype)."""
    if draw(st.booleans()):
        return _odd_array(draw, shape)
    n = int(np.prod(shape)) if shape else 1
    vals = draw(st.lists(hostile_scalars, min_size=n, max_size=n))
    arr = np.empty(n, dtype=object)
    arr[:] = vals
    return arr.reshape(shape)


small_shapes = st.sampled_from([(), (0,), (2,), (3,), (2, 2), (2, 3), (3, 2), (2, 2, 2), (2, 2, 3)])
keyword_values = st.one_of(hostile_scalars, st.sampled_from([None, -1, 0, 1, 2, 10**12, 10**400, 0.5, 1e-300,
                                                            "exact", "float", "ball", "auto", "lu", "bogus"]))

_MQ = MDP.exact([[["1/2", "1/2"], [1, 0]], [[0, 1], ["1/3", "2/3"]]], [[1, 0], ["1/2", "-1"]], "9/10")
_MF = _MQ.to_float()
_PIQ = np.array([[F(1, 2), F(1, 2)], [F(1, 3), F(2, 3)]], dtype=object)
_PIF = _PIQ.astype(float)


def n_examples(n=None):
    return settings(max_examples=N_HOSTILE if n is None else n)


# ------------------------------------------------------------------ model
@n_examples()
@given(hostile_mdp_args(), st.sampled_from(["P", "r", "gamma", "rho", "none"]), hostile_scalars)
def test_hostile_mdp(args, where, value):
    P, r, gamma, rho = args
    if where == "gamma":
        gamma = value
    elif where in ("P", "r", "rho") and value is not None:
        arr = np.asarray({"P": P, "r": r, "rho": rho}[where] if {"P": P, "r": r, "rho": rho}[where] is not None
                         else np.zeros(1), dtype=object).copy()
        if arr.size:
            arr.flat[0] = value
        P, r, rho = (arr if where == "P" else P), (arr if where == "r" else r), (arr if where == "rho" else rho)
    call("MDP", MDP, P, r, gamma, rho)
    call("MDP.exact", MDP.exact, P, r, gamma, rho)


@n_examples()
@given(st.data())
def test_hostile_sparse_mdp(data):
    dtype = data.draw(st.sampled_from([float, complex, bool, np.int64, np.float32]))
    rows = data.draw(st.sampled_from([2, 4, 3, 0, 2 * 10**9]))
    cols = data.draw(st.sampled_from([2, 1, 10**9]))
    if rows * cols > 100:
        P = sp.coo_matrix((rows, cols), dtype=dtype)  # no row pointer: nothing allocated
    else:
        dense = hostile_array(data.draw, (rows, cols))
        try:
            P = sp.csr_matrix(np.asarray(dense, dtype=dtype))
        except (TypeError, ValueError, OverflowError):
            P = sp.csr_matrix(np.eye(2, dtype=dtype))
    r = np.zeros((2, 1)) if rows * cols > 100 else hostile_array(data.draw, data.draw(small_shapes))
    gamma = data.draw(hostile_scalars)
    call("MDP (sparse P)", MDP, P, r, gamma)


# ------------------------------------------------------------------ evaluation
@n_examples()
@given(st.data())
def test_hostile_evaluate(data):
    exact = data.draw(st.booleans())
    m = _MQ if exact else _MF
    pi = (_PIQ if exact else _PIF) if data.draw(st.booleans()) else hostile_array(data.draw, data.draw(small_shapes))
    kw = data.draw(st.fixed_dictionaries({}, optional={k: keyword_values for k in
                                                       ("mode", "method", "tol", "maxiter", "prec")}))
    ev = call("evaluate", evaluate, m, pi, **kw)
    if ev is not None:
        mu = hostile_array(data.draw, data.draw(small_shapes))
        call("PolicyEvaluation.visitation", ev.visitation, mu)
        call("PolicyEvaluation.value", ev.value, mu)
        B = hostile_array(data.draw, data.draw(small_shapes))
        call("PolicyEvaluation.solve", ev.solve, B)


@n_examples(N_COSTLY)
@given(st.data())
def test_hostile_evaluate_batch_and_policies(data):
    from mdptheory import evaluate_batch, evaluate_policies

    exact = data.draw(st.booleans())
    m = _MQ if exact else _MF
    pis = hostile_array(data.draw, data.draw(st.sampled_from([(1, 2, 2), (2, 2, 2), (2, 2), (0, 2, 2)])))
    if data.draw(st.booleans()):
        pis = np.stack([_PIQ if exact else _PIF] * 2)
    kw = data.draw(st.fixed_dictionaries({}, optional={"mode": keyword_values}))
    be = call("evaluate_policies", evaluate_policies, m, pis, **kw)
    if be is not None:
        call("BatchEvaluation.value", be.value, hostile_array(data.draw, data.draw(small_shapes)))
        call("BatchEvaluation.visitation", be.visitation, hostile_array(data.draw, data.draw(small_shapes)))
    P = np.stack([_MF.P_dense()] * 2) if data.draw(st.booleans()) else hostile_array(
        data.draw, data.draw(st.sampled_from([(1, 2, 2, 2), (2, 2, 2)])))
    r = np.stack([_MF.r] * 2) if data.draw(st.booleans()) else hostile_array(data.draw, (2, 2, 2))
    gamma = data.draw(hostile_scalars)
    call("evaluate_batch", evaluate_batch, P, r, gamma, np.stack([_PIF] * 2))


@n_examples(N_COSTLY)
@given(st.data())
def test_hostile_solve(data):
    exact = data.draw(st.booleans())
    m = _MQ if exact else _MF
    kw = data.draw(st.fixed_dictionaries({}, optional={
        "method": st.sampled_from(["policy_iteration", "value_iteration", "bogus", 1]),
        "mode": keyword_values, "tol": keyword_values, "max_iter": keyword_values,
        "pi0": st.one_of(keyword_values, st.builds(lambda d: d, st.just(None)))}))
    if "pi0" in kw and kw["pi0"] is not None and data.draw(st.booleans()):
        kw["pi0"] = hostile_array(data.draw, data.draw(small_shapes))
    call("solve", solve, m, **kw)


@n_examples()
@given(st.data())
def test_hostile_policies(data):
    from mdptheory import as_policy, deterministic_policy

    m = _MQ if data.draw(st.booleans()) else _MF
    pi = hostile_array(data.draw, data.draw(small_shapes))
    kw = data.draw(st.fixed_dictionaries({}, optional={"exact": keyword_values, "atol": keyword_values}))
    call("as_policy", as_policy, m, pi, **kw)
    actions = hostile_array(data.draw, data.draw(st.sampled_from([(2,), (3,), (), (2, 2)])))
    call("deterministic_policy", deterministic_policy, m, actions)


def _mdp_consumers():
    from mdptheory import TabularSoftmax, value_gradient
    from mdptheory import fisher, natural_gradient, value_hessian
    from mdptheory.kl import trajectory_kl
    from mdptheory import as_policy

    par, th = TabularSoftmax(2, 2), np.zeros(4)
    return {
        "evaluate": lambda m: evaluate(m, _PIF), "solve": solve, "as_policy": lambda m: as_policy(m, _PIF),
        "value_gradient": lambda m: value_gradient(m, par, th), "value_hessian": lambda m: value_hessian(m, par, th),
        "fisher": lambda m: fisher(m, par, th), "natural_gradient": lambda m: natural_gradient(m, par, th),
        "trajectory_kl": lambda m: trajectory_kl(m, par, th, th, 2),
    }


@pytest.mark.parametrize("name", sorted(_mdp_consumers()))
@n_examples()
@given(value=st.one_of(hostile_scalars, st.sampled_from(
    [None, "mdp", _MF.P, (_MF.P, _MF.r, 0.5), {"P": 1}, TypeError])))
def test_hostile_mdp_argument(name, value):
    call(f"{name} (mdp argument)", _mdp_consumers()[name], value)


# ------------------------------------------------------------------ families
def _families():
    from mdptheory import families as fm

    return {
        "random_mdp": (fm.random_mdp, 2, ("gamma", "density", "seed", "exact", "sparse")),
        "garnet": (fm.garnet, 3, ("gamma", "seed", "exact", "sparse")),
        "chain": (fm.chain, 1, ("gamma", "slip", "exact")),
        "gridworld": (fm.gridworld, 2, ("gamma", "slip", "goal", "sparse", "exact")),
        "gridworld_5x5": (fm.gridworld_5x5, 0, ("gamma", "exact")),
        "forest": (fm.forest, 4, ("gamma", "exact", "sparse")),
        "bandit": (fm.bandit, 1, ("gamma",)),
        "nonconcave_tree": (fm.nonconcave_tree, 1, ("gamma", "exact")),
        "vanishing_gradient_chain": (fm.vanishing_gradient_chain, 1, ("variant", "exact")),
    }


size_values = st.one_of(st.integers(-2, 6), st.sampled_from([10**12, 10**400, 2.5, "3", None, True,
                                                             F(3, 2), np.int64(3), 1j, [1, 2], F(10**5000, 3)]))


#: Size arguments: small valid ones, huge ones (refused by the memory checks), and non-integers.
size_args = st.one_of(size_values, st.sampled_from(HUGE + ["1e99999999", float("nan"), float("inf"), -0.0, 2 + 0j,
                                                          np.bool_(True), np.int64(2**62), "abc", b"x"]))


@pytest.mark.parametrize("name", sorted(_families()))
@n_examples()
@given(data=st.data())
def test_hostile_families(name, data):
    fn, n_pos, kws = _families()[name]
    args = [data.draw(size_args) for _ in range(n_pos)]
    if name == "bandit" and data.draw(st.booleans()):
        args = [hostile_array(data.draw, data.draw(small_shapes))]
    kw = data.draw(st.fixed_dictionaries({}, optional={k: st.one_of(keyword_values, st.booleans()) for k in kws}))
    call(f"families.{name}", fn, *args, **kw)


# ------------------------------------------------------------------ parameterizations
@pytest.mark.parametrize("kind", ["TabularSoftmax", "LogLinear", "Direct", "NeuralSoftmax", "EnergyPolicy",
                                  "LogRational"])
@n_examples()
@given(data=st.data())
def test_hostile_parameterizations(kind, data):
    from mdptheory import Direct, EnergyPolicy, LogLinear, LogRational, NeuralSoftmax, TabularSoftmax

    a, b = data.draw(size_values), data.draw(size_values)
    kw = data.draw(st.fixed_dictionaries({}, optional={"temperature": keyword_values}))
    if kind == "TabularSoftmax":
        par = call(kind, TabularSoftmax, a, b, **kw)
    elif kind == "EnergyPolicy":
        par = call(kind, EnergyPolicy, a, b, **kw)
    elif kind == "Direct":
        par = call(kind, Direct, a, b)
    elif kind == "LogLinear":
        feats = hostile_array(data.draw, data.draw(small_shapes)) if data.draw(st.booleans()) else np.ones((2, 2, 3))
        par = call(kind, LogLinear, feats, **kw)
    elif kind == "NeuralSoftmax":
        feats = hostile_array(data.draw, data.draw(small_shapes)) if data.draw(st.booleans()) else np.ones((2, 2, 3))
        extra = data.draw(st.fixed_dictionaries({}, optional={"radius": keyword_values, "seed": keyword_values}))
        par = call(kind, NeuralSoftmax, feats, data.draw(size_values), **kw, **extra)
    else:
        call(kind, LogRational, hostile_array(data.draw, data.draw(small_shapes)))
        return
    if par is not None and par.n_params <= 64:
        theta = hostile_array(data.draw, (par.n_params,)) if data.draw(st.booleans()) else \
            hostile_array(data.draw, data.draw(small_shapes))
        call(f"{kind}.probs", par.probs, theta)


# ------------------------------------------------------------------ calculus
def _calculus():
    from mdptheory import value_gradient
    from mdptheory import fisher, natural_gradient, value_hessian

    return {"value_gradient": value_gradient, "value_hessian": value_hessian, "fisher": fisher,
            "natural_gradient": natural_gradient}


@pytest.mark.parametrize("name", sorted(_calculus()))
@n_examples()
@given(data=st.data())
def test_hostile_calculus(name, data):
    from mdptheory import LogRational, TabularSoftmax

    fn = _calculus()[name]
    exact = data.draw(st.booleans())
    m = _MQ if exact else _MF
    par = TabularSoftmax(2, 2)
    choice = data.draw(st.sampled_from(["good", "hostile", "shape"]))
    if choice == "good":
        theta = LogRational(np.array([1, 2, 1, 3])) if exact else np.zeros(4)
    elif choice == "hostile":
        theta = hostile_array(data.draw, (4,))
    else:
        theta = hostile_array(data.draw, data.draw(small_shapes))
    kw = data.draw(st.fixed_dictionaries({}, optional={"mode": keyword_values}))
    key = "rho" if name in ("fisher", "natural_gradient") else "mu"
    if data.draw(st.booleans()):
        kw[key] = hostile_array(data.draw, data.draw(st.sampled_from([(2,), (3,), ()])))
    call(name, fn, m, par, theta, **kw)


@n_examples()
@given(st.data())
def test_hostile_kl(data):
    from mdptheory import TabularSoftmax
    from mdptheory.kl import kl_policy, trajectory_kl, weighted_kl

    exact = data.draw(st.booleans())
    p = _PIQ if exact else _PIF
    pi = p if data.draw(st.booleans()) else hostile_array(data.draw, data.draw(small_shapes))
    pi2 = p[::-1].copy() if data.draw(st.booleans()) else hostile_array(data.draw, data.draw(small_shapes))
    kw = data.draw(st.fixed_dictionaries({}, optional={"mode": keyword_values, "prec": keyword_values}))
    call("kl_policy", kl_policy, pi, pi2, _documented_inf=True, **kw)
    d = hostile_array(data.draw, data.draw(st.sampled_from([(2,), (3,), ()])))
    call("weighted_kl", weighted_kl, d, pi, pi2, _documented_inf=True, **kw)
    H = data.draw(st.one_of(size_values, hostile_scalars))
    theta = np.zeros(4) if data.draw(st.booleans()) else hostile_array(data.draw, (4,))
    call("trajectory_kl", trajectory_kl, _MF, TabularSoftmax(2, 2), np.zeros(4), theta, H)


# ------------------------------------------------------------------ algorithms
def _algorithms():
    from mdptheory import algorithms as al

    return {
        "softmax_policy_gradient": lambda m, T, s: al.softmax_policy_gradient(m, T=T, eta=s),
        "natural_policy_gradient": lambda m, T, s: al.natural_policy_gradient(m, T=T, eta=s),
        "policy_mirror_descent": lambda m, T, s: al.policy_mirror_descent(m, T=T, eta0=s),
        "cpi": lambda m, T, s: al.cpi(m, T=T, alpha=s),
        "log_barrier_policy_gradient": lambda m, T, s: al.log_barrier_policy_gradient(m, T=T, lam=s),
        "pmd_step_sizes": lambda m, T, s: al.pmd_step_sizes(s, m.gamma, T),
        "cpi_step_size": lambda m, T, s: al.cpi_step_size(s, m.gamma),
    }


@pytest.mark.parametrize("name", sorted(_algorithms()))
@n_examples(N_COSTLY)
@given(data=st.data())
def test_hostile_algorithm_arguments(name, data):
    m = _MQ if data.draw(st.booleans()) else _MF
    T = data.draw(st.one_of(st.integers(-2, 3), st.sampled_from([10**400, 2.5, "3", None, True, 10**12])))
    step = data.draw(st.one_of(keyword_values, st.floats(min_value=1e-3, max_value=2)))
    call(f"algorithms.{name}", _algorithms()[name], m, T, step)


# ------------------------------------------------------------------ io
@n_examples()
@given(st.data())
def test_hostile_io_loaders(tmp_path_factory, data):
    from mdptheory.io import from_json, load_json, load_npz

    d = tmp_path_factory.mktemp("io")
    text = data.draw(st.one_of(st.text(max_size=40), st.sampled_from([
        '{"format": "mdptheory", "P": [[["1e99999999"]]], "r": [[0]], "gamma": "0"}',
        '{"P": [[[1]]], "r": [[0]], "gamma": "1e99999999"}', "[" * 10000, '{"gamma": ' + "9" * 5000 + "}"])))
    call("from_json", from_json, text)
    p = d / "x.json"
    p.write_text(text)
    call("load_json", load_json, str(p))
    q = d / "x.npz"
    q.write_bytes(data.draw(st.binary(max_size=64)))
    call("load_npz", load_npz, str(q))
    path = data.draw(st.sampled_from([str(d / "missing.json"), str(d), ""]))
    try:
        call("load_json (missing file, directory)", load_json, path)
    except OSError:
        pass  # a path that cannot be opened is the operating system's error, as with open()
    call("load_json (not a path)", load_json, data.draw(st.sampled_from([3, None, 2.5, True, ["x"]])))


@n_examples()
@given(st.data())
def test_hostile_interop(data):
    from mdptheory.io import from_pymdptoolbox, from_quantecon

    P = hostile_array(data.draw, data.draw(st.sampled_from([(2, 2, 2), (2, 2), (1, 2, 2)])))
    R = hostile_array(data.draw, data.draw(st.sampled_from([(2, 2), (2,), (2, 2, 2)])))
    call("from_pymdptoolbox", from_pymdptoolbox, P, R, data.draw(hostile_scalars))

    class DDP:  # a QuantEcon-like object with hostile fields
        pass

    ddp = DDP()
    for k in ("Q", "R", "beta"):
        if data.draw(st.booleans()):
            setattr(ddp, k, data.draw(st.one_of(hostile_scalars, st.builds(
                lambda s: s, st.just(np.full((2, 2, 2), 0.5))))))
    call("from_quantecon", from_quantecon, ddp)


# ------------------------------------------------------------------ counterexample search
@settings(max_examples=N_COSTLY, suppress_health_check=[HealthCheck.nested_given, HealthCheck.too_slow])
@given(st.data())
def test_hostile_find_counterexample_options(data):
    from mdptheory.counterexamples import find_counterexample

    opts = data.draw(st.fixed_dictionaries({}, optional={
        "states": st.one_of(keyword_values, st.tuples(st.integers(-2, 5), st.integers(-2, 5))),
        "actions": st.one_of(keyword_values, st.tuples(st.integers(-2, 5), st.integers(-2, 5))),
        "gamma": st.one_of(keyword_values, st.tuples(hostile_scalars, hostile_scalars)),
        "budget": st.one_of(keyword_values, st.integers(-2, 3)),
        "seed": keyword_values, "search": keyword_values, "exact": keyword_values, "policy": keyword_values,
        "min_prob": keyword_values, "rho": keyword_values, "max_successors": keyword_values,
        "reward_range": st.one_of(keyword_values, st.tuples(hostile_scalars, hostile_scalars)),
    }))
    opts.setdefault("budget", 2)
    if isinstance(opts["budget"], int) and not isinstance(opts["budget"], bool) and opts["budget"] > 5:
        opts["budget"] = 5
    call("find_counterexample", find_counterexample, lambda case: 0.0, **opts)


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(allow_nan=False,
                         allow_infinity=False), st.text(max_size=8),
                         st.sampled_from(["1e99999999", "9" * 5000, "1/0", "-1", "nan", "inf", 10**400]))


@n_examples()
@given(st.data())
def test_hostile_load_counterexample(tmp_path_factory, data):
    from mdptheory.counterexamples import load_counterexample

    d = tmp_path_factory.mktemp("ce")
    doc = data.draw(st.one_of(
        st.dictionaries(st.sampled_from(["mdp", "policy", "name", "evidence", "params", "seed", "format", "case"]),
                        st.one_of(json_scalars,
                                  st.lists(st.integers(-2, 2), max_size=3),
                                  st.just({"P": [[[1]]], "r": [[0]], "gamma": "1/2"})), max_size=6),
        st.lists(st.integers(), max_size=3), st.text(max_size=10)))
    p = d / "ce.json"
    try:
        p.write_text(json.dumps(doc))
    except ValueError:
        p.write_text("{}")
    call("load_counterexample", load_counterexample, str(p))


# ------------------------------------------------------------------ the command line
@n_examples(N_COSTLY // 2 if _PROFILE < 1000 else N_COSTLY)
@given(st.lists(st.one_of(
    st.sampled_from(["--cases", "--workers", "--seed", "--select", "--modes", "--scheduler", "--broken",
                     "--symbolic", "--thorough", "--bogus", "0", "-3", "1e9", "abc", "Z9", "ball", "A1",
                     "tcp://", "tcp://host", "10" * 30, "-1", "counterexample", "--list", "--budget", "--seed"]),
    st.text(max_size=6)), max_size=4))
def test_hostile_cli_argv(argv):
    from proofs_check.__main__ import main

    argv = [a for a in argv if a not in ("--thorough",)]
    if "--list" not in argv and "counterexample" not in argv[:1]:
        argv = argv + ["--list"]  # parse everything, run nothing expensive
    if argv[:1] == ["counterexample"]:
        argv = argv + ["--list"]
    with open(os.devnull, "w") as null:
        old = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = null
        try:
            code = call("python -m proofs_check (argv)", main, argv)
        finally:
            sys.stdout, sys.stderr = old
    assert code in (0, 1, 2, 3), code


# ------------------------------------------------------------------ named regressions (issue reproducers)
def _raises_naming(exc_type, fn, *names):
    with time_box():
        with pytest.raises(exc_type) as info:
            fn()
    msg = str(info.value)
    for n in names:
        assert n in msg, f"message {msg!r} does not name {n!r}"
    return msg


def test_regression_gamma_beyond_float_range():
    from mdptheory.exceptions import InvalidMDPError

    msg = _raises_naming(InvalidMDPError, lambda: MDP(_MF.P, _MF.r, 10**400), "gamma")
    assert "digits" in msg  # abbreviated, not 401 digits


def test_regression_theta_step_and_family_arguments_beyond_float_range():
    from mdptheory import TabularSoftmax, value_gradient
    from mdptheory.algorithms import softmax_policy_gradient
    from mdptheory.families import garnet

    _raises_naming(MDPTheoryError, lambda: value_gradient(_MF, TabularSoftmax(2, 2),
                                                          np.array([10**400, 0, 0, 0], dtype=object)), "theta")
    _raises_naming(MDPTheoryError, lambda: softmax_policy_gradient(_MF, T=1, eta=10**400), "eta")
    _raises_naming(MDPTheoryError, lambda: garnet(3, 2, 2, gamma=10**400), "gamma")


def test_regression_gymnasium_table_beyond_float_range():
    from mdptheory.io import from_gymnasium

    table = {0: {0: [(1.0, 0, 10**400, False)]}}
    _raises_naming(MDPTheoryError, lambda: from_gymnasium(table, gamma=0.5), "reward")


def test_regression_huge_fraction_messages_never_hit_the_int_str_limit():
    huge = F(10**5000, 10**5000 + 1)
    m = MDP(_MQ.P, _MQ.r, huge)  # valid: gamma < 1 with 5000-digit parts
    assert "digits" in repr(m)
    with pytest.raises(MDPTheoryError) as info:
        MDP(_MQ.P, _MQ.r, 1 + F(1, 10**5000))
    assert "gamma" in str(info.value) and "digits" in str(info.value)
    assert "digits" in format_value(10**10000) and "digits" in format_value(F(1, 3**10000))


def test_regression_exact_value_iteration_success_message_with_huge_bound():
    # valid input whose certified bound has a denominator of over 5000 digits
    m = MDP(_MQ.P, _MQ.r, F(1, 7**6000))
    with time_box():
        sol = solve(m, method="value_iteration")
    assert sol.success and "digits" in sol.message and "bound" in sol.message


def test_regression_exact_value_iteration_gamma_near_one():
    near = MDP(_MQ.P, _MQ.r, 1 - F(1, 10**20))  # float(gamma) == 1
    msg = _raises_naming(InvalidParameterError, lambda: solve(near, method="value_iteration"), "gamma",
                         "policy_iteration")
    assert "iterations" in msg
    slow = MDP(_MQ.P, _MQ.r, F(999999, 10**6))
    _raises_naming(InvalidParameterError, lambda: solve(slow, method="value_iteration"), "policy_iteration")
    assert solve(near).bellman_residual == 0  # policy iteration handles it exactly


@pytest.mark.parametrize("kw, name", [({"tol": -1.0}, "tol"), ({"tol": "a"}, "tol"), ({"maxiter": 0}, "maxiter"),
                                      ({"maxiter": -1}, "maxiter"), ({"maxiter": 2.5}, "maxiter")])
def test_regression_evaluate_keywords(kw, name):
    _raises_naming(InvalidParameterError, lambda: evaluate(_MF, _PIF, method="krylov", **kw), name)


@pytest.mark.parametrize("prec", [2, 10**12, -5, 2.5, "53"])
def test_regression_ball_precision_bounded(prec):
    _raises_naming(InvalidParameterError, lambda: evaluate(_MQ, _PIQ, mode="ball", prec=prec), "prec")


def test_regression_ball_mode_gamma_extremely_near_one():
    m = MDP(_MQ.P, _MQ.r, 1 - F(1, 10**60))
    with time_box():
        try:
            ev = evaluate(m, _PIQ, mode="ball")
        except MDPTheoryError as exc:
            assert "gamma" in str(exc) or "prec" in str(exc)
        else:
            assert ev.V is not None


@pytest.mark.parametrize("mu", [["a", "b"], [1j, 1], [10**400, 0], [float("nan"), 1.0]])
def test_regression_visitation_hostile_mu(mu):
    ev = evaluate(_MF, _PIF)
    _raises_naming(MDPTheoryError, lambda: ev.visitation(mu), "mu")


def test_regression_huge_exponent_strings_rejected_before_parsing():
    from mdptheory import LogRational

    _raises_naming(MDPTheoryError, lambda: MDP.exact([[["1e99999999"]]], [[0]], 0), "P[0, 0, 0]", "exponent")
    _raises_naming(MDPTheoryError, lambda: LogRational(["1e99999999"]), "exponent")


def test_regression_find_counterexample_options_are_documented_errors():
    from mdptheory.counterexamples import find_counterexample

    for kw, name in (({"budget": -1}, "budget"), ({"states": (3, 1)}, "states"), ({"gamma": (0, 2)}, "gamma"),
                     ({"seed": "x"}, "seed"), ({"search": "bogus"}, "search")):
        _raises_naming(MDPTheoryError, lambda: find_counterexample(lambda c: 0.0, **kw), name)


def test_regression_importers_and_load_counterexample_bad_fields(tmp_path):
    from mdptheory.io import from_pymdptoolbox
    from mdptheory.counterexamples import load_counterexample

    _raises_naming(MDPTheoryError, lambda: from_pymdptoolbox([[[1]]], [[0]], "x"), "gamma")
    p = tmp_path / "ce.json"
    for doc in ({"mdp": 3}, [], {"mdp": {"P": [[[1]]], "r": [[0]], "gamma": "1/2"}, "policy": "x"}):
        p.write_text(json.dumps(doc))
        with time_box(), pytest.raises(MDPTheoryError):
            load_counterexample(str(p))


def test_regression_sizes_beyond_memory():
    from mdptheory import NeuralSoftmax
    from mdptheory.families import vanishing_gradient_chain

    _raises_naming(MDPTheoryError, lambda: vanishing_gradient_chain(10**6), "H")
    _raises_naming(MDPTheoryError, lambda: NeuralSoftmax(np.ones((2, 2, 3)), 10**12), "width")
    _raises_naming(MDPTheoryError, lambda: MDP(sp.coo_matrix((2 * 10**9, 10**9)), np.zeros((2, 1)), 0.5),
                   "sparse P")


@pytest.mark.parametrize("dtype", [complex, bool])
def test_regression_sparse_complex_or_bool_P(dtype):
    P = sp.csr_matrix(np.array([[1, 0], [0, 1]], dtype=dtype) if dtype is bool else
                      np.array([[0.5, 0.5], [0, 1]], dtype=dtype) + 1j)
    _raises_naming(MDPTheoryError, lambda: MDP(P, np.zeros((2, 1)), 0.5), "sparse P", np.dtype(dtype).name[:4])


def test_regression_batch_value_mu_must_be_a_distribution():
    from mdptheory import evaluate_policies

    be = evaluate_policies(_MQ, np.stack([_PIQ, _PIQ]))
    _raises_naming(MDPTheoryError, lambda: be.value([5, -4]), "mu")


@pytest.mark.parametrize("argv", [["--cases", "0"], ["--workers", "-3"], ["--seed", "-1"], ["--seed", "x"],
                                  ["--select", "A1", "--modes", "ball"], ["--scheduler", "nonsense"],
                                  ["--bogus"]])
def test_regression_cli_bad_usage_exits_2(argv, capsys):
    from proofs_check.__main__ import main

    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err


def test_regression_cli_unreachable_scheduler_fails_fast(capsys):
    import time

    from proofs_check.__main__ import main

    t0 = time.monotonic()
    assert main(["--scheduler", "tcp://127.0.0.1:9", "--select", "A1", "--cases", "1"]) == 2
    assert time.monotonic() - t0 < 30
    assert "scheduler" in capsys.readouterr().err


def test_regression_cli_undecided_only_exits_3(monkeypatch, capsys):
    import mdptheory.lemmas.framework.runner as runner
    from proofs_check.__main__ import main

    real = runner.run_suite

    def undecided(*a, **kw):
        suite = real(*a, **kw)
        for r in suite.results:
            r.counts = {k: 0 for k in r.counts}
            r.counts["UNDECIDED"] = r.cases
        return suite

    monkeypatch.setattr(runner, "run_suite", undecided)
    assert main(["--select", "A1", "--cases", "1", "--quiet", "--modes", "exact"]) == 3


def test_regression_cli_sigint_writes_partial_report(tmp_path):
    js = tmp_path / "r.json"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.dirname(os.path.dirname(__file__)),
                                                       os.environ.get("PYTHONPATH", "")]))
    p = subprocess.Popen([sys.executable, "-m", "proofs_check", "--json", str(js)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    import time

    deadline = time.monotonic() + 120
    first = p.stderr.readline()  # the first progress line: the run is under way
    assert first.startswith("["), first
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=max(1, deadline - time.monotonic()))
    assert p.returncode == 130, (p.returncode, err[-2000:])
    assert "Traceback" not in err
    assert "INTERRUPTED" in out
    assert json.loads(js.read_text())["partial"] is True


def test_report_counts(capsys):
    # runs last in this module: the per-entry-point counts, for the record (and the README)
    with capsys.disabled():
        width = max(map(len, COUNTS), default=10)
        print(f"\nhostile inputs per entry point (profile max_examples={_PROFILE}, N_HOSTILE={N_HOSTILE}):")
        for k in sorted(COUNTS):
            print(f"  {k:<{width}}  {COUNTS[k]:>6}")


def test_reproducer_action_vector_with_a_huge_entry():
    # an action vector entry beyond int64 used to escape as OverflowError
    from mdptheory import evaluate
    from mdptheory.families import garnet

    m = garnet(2, 2, 2, seed=0)
    with pytest.raises(InvalidPolicyError, match=r"actions\[1\]"):
        evaluate(m, [0, 10**400])
    with pytest.raises(InvalidPolicyError, match=r"actions\[0\]"):
        evaluate(m, [-1, 0])


def test_reproducer_family_keyword_with_a_huge_integer():
    # printing a 5000-digit integer in the message used to hit Python's int-to-str limit
    from mdptheory.families import forest

    with pytest.raises(InvalidParameterError, match="sparse must be"):
        forest(3, sparse=10**5000)


def test_reproducer_cpi_step_beyond_the_float_range():
    # float(alpha) of an integer beyond the float range used to escape as OverflowError
    from mdptheory.algorithms import cpi
    from mdptheory.families import chain

    m = chain(3, gamma=0.5)
    with pytest.raises(InvalidParameterError, match="alpha"):
        cpi(m.to_float(), alpha=10**400, T=3)
    with pytest.raises(InvalidParameterError, match="alpha"):
        cpi(m.to_float(), alpha=-(10**5000), T=3)
