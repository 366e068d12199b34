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
from mdptheory.policies import as_policy

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


# ------------------------------------------------------------------ npz files
def _npz_bytes(arrays):
    import io as _io

    buf = _io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _valid_npz_arrays():
    import io as _io

    import mdptheory.io as mio

    buf = _io.BytesIO()
    mio.save_npz(MDP(np.full((2, 2, 2), 0.5), np.ones((2, 2)), 0.5), buf)
    buf.seek(0)
    with np.load(buf, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


_NPZ_VALID = _valid_npz_arrays()


@given(st.data())
def test_npz_loader_fuzz_hostile_files(data):
    import io as _io

    from mdptheory.io import load_npz

    COUNTS["load_npz (hostile files)"] += 1
    arrays = dict(_NPZ_VALID)
    kind = data.draw(st.sampled_from(["replace", "drop", "bytes", "truncate", "extra"]))
    if kind == "bytes":
        blob = data.draw(st.binary(max_size=64))
    elif kind == "truncate":
        blob = _npz_bytes(arrays)
        blob = blob[: data.draw(st.integers(0, len(blob) - 1))]
    else:
        key = data.draw(st.sampled_from(sorted(arrays)))
        if kind == "drop":
            del arrays[key]
        elif kind == "extra":
            arrays["P_row"] = np.array([0, 1])
        else:
            shape = data.draw(st.sampled_from([(), (2,), (2, 2), (2, 2, 2), (3, 2, 2), (0,)]))
            val = _odd_array(data.draw, shape)
            if val.dtype == object:  # np.savez would pickle it: use strings instead
                val = np.array([str(x) for x in val.reshape(-1)]).reshape(val.shape)
            arrays[key] = val
        blob = _npz_bytes(arrays)
    m = _accept_or_documented(load_npz, _io.BytesIO(blob))
    if m is not None:  # accepted: a valid MDP
        assert 0 <= float(m.gamma) < 1
        assert np.allclose(np.asarray(m.P_dense(), dtype=float).sum(axis=2), 1)


# ------------------------------------------------------------------ gymnasium tables
_transition = st.tuples(
    st.one_of(st.floats(allow_nan=True, allow_infinity=True), odd_scalars),
    st.one_of(st.integers(-2, 4), odd_scalars),
    st.one_of(st.floats(allow_nan=True, allow_infinity=True), odd_scalars),
    st.one_of(st.booleans(), odd_scalars),
)


@given(st.one_of(
    st.dictionaries(st.integers(0, 2), st.dictionaries(st.integers(0, 1), st.lists(_transition, max_size=3),
                                                       max_size=2), max_size=3),
    st.lists(st.lists(st.lists(_transition, max_size=2), max_size=2), max_size=2),
    odd_scalars,
), st.one_of(st.floats(allow_nan=True, allow_infinity=True), odd_scalars))
def test_gymnasium_table_fuzz(table, gamma):
    from mdptheory.io import from_gymnasium

    COUNTS["from_gymnasium (tables)"] += 1
    m = _accept_or_documented(from_gymnasium, table, gamma=gamma)
    if m is not None:
        assert 0 <= float(m.gamma) < 1
        assert np.allclose(np.asarray(m.P_dense(), dtype=float).sum(axis=2), 1)


# ------------------------------------------------------------------ evaluate_batch
@given(st.data())
def test_evaluate_batch_fuzz(data):
    from mdptheory.batch import evaluate_batch

    COUNTS["evaluate_batch"] += 1
    B, S, A = data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2))
    good = data.draw(st.booleans())
    P = _odd_array(data.draw, (B, S, A, S) if good else data.draw(shapes))
    if good and data.draw(st.booleans()) and P.dtype == float:
        P = np.abs(np.nan_to_num(P)) + 1.0
        P = P / P.sum(axis=-1, keepdims=True) if S else P
    r = _odd_array(data.draw, (B, S, A) if data.draw(st.booleans()) else data.draw(shapes))
    gamma = data.draw(st.one_of(st.floats(allow_nan=True, allow_infinity=True), odd_scalars))
    pi = _odd_array(data.draw, (B, S, A) if data.draw(st.booleans()) else data.draw(shapes))
    out = _accept_or_documented(evaluate_batch, P, r, gamma, pi)
    if out is not None:
        assert np.all(np.isfinite(np.asarray(out.V, dtype=float)))


# ------------------------------------------------------------------ family constructors
_FAMILIES = {
    "random_mdp": lambda a, b, c, kw: __import__("mdptheory.families", fromlist=["x"]).random_mdp(a, b, **kw),
    "garnet": lambda a, b, c, kw: __import__("mdptheory.families", fromlist=["x"]).garnet(a, b, c, **kw),
    "chain": lambda a, b, c, kw: __import__("mdptheory.families", fromlist=["x"]).chain(a, **kw),
    "gridworld": lambda a, b, c, kw: __import__("mdptheory.families", fromlist=["x"]).gridworld(a, b, **kw),
    "forest": lambda a, b, c, kw: __import__("mdptheory.families", fromlist=["x"]).forest(a, **kw),
}
_size = st.one_of(st.integers(-3, 12), st.sampled_from([None, 2.5, "3", True, Fraction(3, 2), np.int64(4), 1j]))
_fam_kw = st.fixed_dictionaries({}, optional={
    "gamma": st.one_of(st.floats(allow_nan=True, allow_infinity=True), odd_scalars),
    "seed": st.one_of(st.integers(-5, 2**64), odd_scalars),
    "exact": st.one_of(st.booleans(), odd_scalars),
    "sparse": st.one_of(st.booleans(), odd_scalars),
})


@given(st.sampled_from(sorted(_FAMILIES)), _size, _size, _size, _fam_kw)
def test_family_constructor_fuzz(name, a, b, c, kw):
    COUNTS["families (constructor arguments)"] += 1
    if name in ("chain", "forest"):
        kw.pop("sparse", None) if name == "chain" else None
        kw.pop("seed", None)
    if name == "gridworld":
        kw.pop("seed", None)
    m = _accept_or_documented(_FAMILIES[name], a, b, c, kw)
    if m is not None:
        assert 0 <= float(m.gamma) < 1
        P = m.P_matrix()
        sums = np.asarray(P.sum(axis=1)).reshape(-1) if m.is_sparse else np.asarray(
            m.P_dense(), dtype=float).sum(axis=2)
        assert np.allclose(np.asarray(sums, dtype=float), 1)


def test_family_constructors_reject_sizes_beyond_memory():
    from mdptheory.families import chain, garnet

    for fn, args in ((garnet, (10**30, 2, 2)), (chain, (10**12,))):
        with pytest.raises(MDPTheoryError):
            fn(*args)


# ------------------------------------------------------------------ PolicyEvaluation.solve
@given(st.data())
def test_evaluation_solve_fuzz(data):
    COUNTS["PolicyEvaluation.solve / solve_T"] += 1
    exact = data.draw(st.booleans())
    m = MDP.exact([[["1/2", "1/2"]], [[0, 1]]], [[1], [0]], "1/2")
    ev = evaluate(m, [[1], [1]]) if exact else evaluate(m.to_float(), [[1.0], [1.0]])
    B = _odd_array(data.draw, data.draw(st.sampled_from([(2,), (2, 3), (2, 0), (3,), (), (2, 2, 2)])))
    for fn in (ev.solve, ev.solve_T):
        X = _accept_or_documented(fn, B)
        if X is not None:
            assert X.shape == B.shape


def test_report_counts(capsys):
    # runs last in this module (pytest keeps file order): print the counts for the record
    with capsys.disabled():
        print("\nfuzz inputs tried per entry point:", dict(COUNTS))
