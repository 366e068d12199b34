"""Hostile inputs: every public constructor and loader either accepts the input
or raises a documented mdptheory error (a subclass of MDPTheoryError) — never
another exception, never a hang, never a silently wrong result.

Each entry point is fuzzed by hypothesis over malformed arrays, dtypes, shapes,
NaN/inf, negative or non-normalised probabilities, gamma outside [0, 1), object
arrays of odd types and malformed JSON.  ``COUNTS`` records how many inputs
were tried per entry point; the session prints it at the end.
"""

import json
import math
from collections import Counter
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mdptheory import MDP, MDPTheoryError, evaluate
from mdptheory.io import from_json, mdp_from_dict, to_json
from mdptheory.policy import as_policy

COUNTS = Counter()

odd_scalars = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-10**30, max_value=10**30),
    st.fractions(max_denominator=50),
    st.sampled_from([None, "1/2", "abc", "", "1e999999", "nan", True, False, 1j, b"x", {}, [], (), object()]),
)


def _odd_array(draw, shape):
    kind = draw(st.sampled_from(["float", "int", "object", "bool", "complex", "str"]))
    n = int(np.prod(shape)) if shape else 1
    if kind == "float":
        vals = draw(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=n, max_size=n))
        return np.array(vals, dtype=float).reshape(shape)
    if kind == "int":
        vals = draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n))
        return np.array(vals, dtype=np.int64).reshape(shape)
    if kind == "bool":
        return np.zeros(shape, dtype=bool)
    if kind == "complex":
        return np.zeros(shape, dtype=complex)
    if kind == "str":
        return np.full(shape, "0.5")
    vals = draw(st.lists(odd_scalars, min_size=n, max_size=n))
    arr = np.empty(n, dtype=object)
    arr[:] = vals
    return arr.reshape(shape)


shapes = st.lists(st.integers(0, 3), min_size=0, max_size=4).map(tuple)


@st.composite
def hostile_mdp_args(draw):
    S = draw(st.integers(0, 3))
    A = draw(st.integers(0, 3))
    good = draw(st.booleans())
    P_shape = (S, A, S) if good else draw(shapes)
    r_shape = (S, A) if draw(st.booleans()) else draw(shapes)
    P = _odd_array(draw, P_shape)
    r = _odd_array(draw, r_shape)
    gamma = draw(st.one_of(st.floats(allow_nan=True, allow_infinity=True), odd_scalars))
    rho = None if draw(st.booleans()) else _odd_array(draw, (S,) if good else draw(shapes))
    return P, r, gamma, rho


def _accept_or_documented(fn, *args, **kw):
    try:
        return fn(*args, **kw)
    except MDPTheoryError:
        return None


@settings(max_examples=150)
@given(hostile_mdp_args())
def test_mdp_constructor_fuzz(args):
    COUNTS["MDP(...)"] += 1
    m = _accept_or_documented(MDP, *args)
    if m is not None:
        # accepted: it must really be an MDP
        P = np.asarray(m.P_dense(), dtype=object)
        for s in range(m.n_states):
            for a in range(m.n_actions):
                tot = sum(P[s, a])
                assert abs(float(tot) - 1) <= 1e-9
                assert all(x >= 0 for x in P[s, a])
        assert 0 <= float(m.gamma) < 1


@settings(max_examples=100)
@given(hostile_mdp_args())
def test_mdp_exact_constructor_fuzz(args):
    COUNTS["MDP.exact(...)"] += 1
    m = _accept_or_documented(MDP.exact, *args)
    if m is not None:
        assert m.is_exact
        for row in np.asarray(m.P).reshape(-1, m.n_states):
            assert sum(row) == 1


@settings(max_examples=100)
@given(st.data())
def test_policy_fuzz(data):
    COUNTS["as_policy / evaluate"] += 1
    m = MDP(np.full((2, 2, 2), 0.5), np.zeros((2, 2)), 0.5)
    pi = _odd_array(data.draw, data.draw(st.sampled_from([(2, 2), (2,), (2, 3), (3, 2), ()])))
    out = _accept_or_documented(as_policy, m, pi)
    if out is not None:
        assert np.allclose(np.asarray(out, dtype=float).sum(axis=1), 1)
        ev = evaluate(m, out)
        assert np.all(np.isfinite(np.asarray(ev.V, dtype=float)))


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=False),
              st.text(max_size=8), st.sampled_from(["1/2", "1e999999", "9" * 5000, "-0", "nan", "inf"])),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150)
@given(json_values)
def test_json_loader_fuzz_random_documents(doc):
    COUNTS["from_json (random documents)"] += 1
    _accept_or_documented(from_json, json.dumps(doc))
    _accept_or_documented(mdp_from_dict, doc)


_GOOD = json.loads(to_json(MDP.exact([[["1/3", "2/3"], [1, 0]], [[0, 1], ["1/2", "1/2"]]],
                                     [["1/2", 0], [1, "-1"]], "9/10")))


def _mutations():
    def paths(obj, prefix=()):
        yield prefix
        if isinstance(obj, dict):
            for k, v in obj.items():
                yield from paths(v, prefix + (k,))
        elif isinstance(obj, list):
            for i, v in enumerate(obj):
                yield from paths(v, prefix + (i,))
    return [p for p in paths(_GOOD) if p]


@settings(max_examples=200)
@given(st.sampled_from(_mutations()), json_values)
def test_json_loader_fuzz_mutated_valid_document(path, value):
    COUNTS["from_json (mutated valid file)"] += 1
    doc = json.loads(json.dumps(_GOOD))
    node = doc
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    m = _accept_or_documented(mdp_from_dict, doc)
    if m is not None:
        for row in np.asarray(m.P_dense(), dtype=object).reshape(-1, m.n_states):
            assert abs(float(sum(row)) - 1) <= 1e-9


_TEXT = to_json(MDP.exact([[["1/3", "2/3"]], [[0, 1]]], [["1/2"], [0]], "9/10"))


@settings(max_examples=100)
@given(st.integers(0, len(_TEXT) - 1))
def test_json_loader_truncated_files(cut):
    COUNTS["from_json (truncated)"] += 1
    assert _accept_or_documented(from_json, _TEXT[:cut]) is None  # a truncated file is never accepted


def test_report_counts(capsys):
    # runs last in this module (pytest keeps file order): print the counts for the record
    with capsys.disabled():
        print("\nfuzz inputs tried per entry point:", dict(COUNTS))
