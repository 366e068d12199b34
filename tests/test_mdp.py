"""Input validation, immutability and conversions of MDP, and policy validation."""

import re
from fractions import Fraction as F

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given

from mdptheory import MDP, InvalidMDPError, InvalidPolicyError, as_policy
from mdptheory.strategies import mdps

S3 = np.full((3, 2, 3), 1 / 3)
R0 = np.zeros((3, 2))
P1 = [[[1.0]]]  # one state, one action


def _with(a, idx, value):
    a = np.array(a, copy=True)
    a[idx] = value
    return a


def _ex(x):
    return np.array(x, dtype=object)


# (description, constructor, regex the message must match: it names the index and the value)
BAD_MDPS = [
    ("row sums to 0.9", lambda: MDP(_with(S3, (2, 1), [0.3, 0.3, 0.3]), R0, 0.9),
     r"P\[2, 1, :\] sums to 0\.899999"),
    ("row sums to 1.1", lambda: MDP(_with(S3, (0, 0), [0.5, 0.3, 0.3]), R0, 0.9), r"P\[0, 0, :\] sums to 1\.1"),
    ("negative entry", lambda: MDP(_with(S3, (1, 0), [-0.1, 0.6, 0.5]), R0, 0.9),
     r"P\[1, 0, 0\] = -0\.1 is negative"),
    ("NaN in P", lambda: MDP(_with(S3, (0, 1, 2), np.nan), R0, 0.9), r"P\[0, 1, 2\] = nan is not finite"),
    ("inf in P", lambda: MDP(_with(S3, (0, 1, 2), np.inf), R0, 0.9), r"P\[0, 1, 2\] = inf is not finite"),
    ("NaN in r", lambda: MDP(S3, _with(R0, (1, 1), np.nan), 0.9), r"r\[1, 1\] = nan is not finite"),
    ("-inf in r", lambda: MDP(S3, _with(R0, (2, 0), -np.inf), 0.9), r"r\[2, 0\] = -inf is not finite"),
    ("NaN in rho", lambda: MDP(S3, R0, 0.9, [0.5, np.nan, 0.5]), r"rho\[1\] = nan is not finite"),
    ("inf in rho", lambda: MDP(S3, R0, 0.9, [np.inf, 0.0, 0.0]), r"rho\[0\] = inf is not finite"),
    ("negative rho", lambda: MDP(S3, R0, 0.9, [0.5, -0.5, 1.0]), r"rho\[1\] = -0\.5 is negative"),
    ("rho sum", lambda: MDP(S3, R0, 0.9, [0.5, 0.2, 0.2]), r"rho sums to 0\.8999"),
    ("rho length", lambda: MDP(S3, R0, 0.9, [0.5, 0.5]), r"rho must have shape \(S,\) = \(3,\); got shape \(2,\)"),
    ("gamma = 1", lambda: MDP(S3, R0, 1.0), r"gamma = 1\.0 must satisfy 0 <= gamma < 1"),
    ("gamma = 1 (int)", lambda: MDP(S3, R0, 1), r"gamma = 1\.0 must satisfy"),
    ("gamma = -0.1", lambda: MDP(S3, R0, -0.1), r"gamma = -0\.1 must satisfy"),
    ("gamma = nan", lambda: MDP(S3, R0, float("nan")), r"gamma = nan must satisfy"),
    ("gamma = inf", lambda: MDP(S3, R0, float("inf")), r"gamma = inf must satisfy"),
    ("gamma None", lambda: MDP(S3, R0, None), r"gamma = None"),
    ("gamma complex", lambda: MDP(S3, R0, 0.5j), r"gamma = 0\.5j is not a real number"),
    ("gamma bool", lambda: MDP(S3, R0, True), r"gamma is a boolean"),
    ("gamma string", lambda: MDP(S3, R0, "0.9"), r"gamma is the string '0\.9'; use MDP\.exact"),
    ("P 2-D", lambda: MDP(np.eye(3), R0, 0.9), r"P must have shape \(S, A, S\); got shape \(3, 3\)"),
    ("P not square", lambda: MDP(np.full((3, 2, 2), 0.5), R0, 0.9), r"got shape \(3, 2, 2\)"),
    ("P 4-D", lambda: MDP(np.ones((1, 1, 1, 1)), [[0.0]], 0.5), r"P must have shape \(S, A, S\)"),
    ("r wrong shape", lambda: MDP(S3, np.zeros((2, 3)), 0.9), r"r must have shape \(S, A\) = \(3, 2\); got shape \(2, 3\)"),
    ("r 1-D", lambda: MDP(S3, np.zeros(3), 0.9), r"r must have shape \(S, A\) = \(3, 2\); got shape \(3,\)"),
    ("ragged P", lambda: MDP([[[0.5, 0.5]], [[1.0]]], [[0.0], [0.0]], 0.5), r"P cannot be read as an array"),
    ("empty P", lambda: MDP(np.zeros((0, 0, 0)), np.zeros((0, 0)), 0.5), r"at least one state and one action"),
    ("no actions", lambda: MDP(np.zeros((2, 0, 2)), np.zeros((2, 0)), 0.5), r"got shape \(2, 0, 2\)"),
    ("exact P, float r", lambda: MDP(_ex([[[F(1)]]]), [[0.5]], F(1, 2)), r"exact entries in P.*float entries in r"),
    ("float P, exact gamma", lambda: MDP(P1, [[0.5]], F(1, 2)), r"exact entries in gamma.*float entries in P"),
    ("mixed inside P", lambda: MDP(_ex([[[F(1, 2), 0.5]], [[F(1), F(0)]]]), _ex([[F(0)], [F(0)]]), F(1, 2)),
     r"P mixes float and exact"),
    ("string entries", lambda: MDP(_ex([[["1"]]]), [[0]], F(1, 2)), r"P\[0, 0, 0\] is the string '1'; use MDP\.exact"),
    ("string array", lambda: MDP([[["1"]]], [[0]], F(1, 2)), r"P holds strings.*MDP.exact"),
    ("None entry", lambda: MDP(_ex([[[None]]]), [[0]], F(1, 2)), r"P\[0, 0, 0\] = None \(NoneType\)"),
    ("dict entry", lambda: MDP(_ex([[[{}]]]), [[0]], F(1, 2)), r"P\[0, 0, 0\] = \{\} \(dict\)"),
    ("complex object entry", lambda: MDP(_ex([[[1 + 0j]]]), [[0]], 0.5), r"P\[0, 0, 0\] = \(1\+0j\) \(complex\)"),
    ("complex r entry", lambda: MDP(P1, _ex([[1j]]), 0.5), r"r\[0, 0\] = 1j \(complex\)"),
    ("complex dtype", lambda: MDP(np.ones((1, 1, 1), dtype=complex), [[0.0]], 0.5), r"P has complex dtype"),
    ("boolean P", lambda: MDP([[[True]]], [[0.0]], 0.5), r"P has boolean dtype"),
    ("boolean r", lambda: MDP(P1, [[False]], 0.5), r"r has boolean dtype"),
    ("exact row sums to 11/12", lambda: MDP.exact([[["1/3", "1/3", "1/4"]]] * 3, [[0]] * 3, "9/10"),
     r"P\[0, 0, :\] sums to 11/12, must sum to 1"),
    ("exact negative", lambda: MDP.exact([[["-1/2", "3/2"]], [["0", "1"]]], [[0], [0]], "1/2"),
     r"P\[0, 0, 0\] = -1/2 is negative"),
    ("exact gamma 1", lambda: MDP.exact(P1, [[0]], "1"), r"gamma = 1 must satisfy"),
    ("exact gamma -1/10", lambda: MDP.exact(P1, [[0]], "-1/10"), r"gamma = -1/10 must satisfy"),
    ("exact gamma nan", lambda: MDP.exact(P1, [[0]], float("nan")), r"gamma = nan"),
    ("exact gamma junk", lambda: MDP.exact(P1, [[0]], "fast"), r"gamma = 'fast'"),
    ("exact bad string", lambda: MDP.exact([[["abc"]]], [[0]], "1/2"), r"P\[0, 0, 0\] = 'abc'"),
    ("exact NaN", lambda: MDP.exact([[[float("nan")]]], [[0]], "1/2"), r"P\[0, 0, 0\] = nan"),
    ("exact inf reward", lambda: MDP.exact(P1, [[float("inf")]], "1/2"), r"r\[0, 0\] = inf"),
    ("exact None", lambda: MDP.exact([[[None]]], [[0]], "1/2"), r"P\[0, 0, 0\] = None"),
    ("exact huge exponent", lambda: MDP.exact(P1, [["1" * 20000]], "1/2"), r"r\[0, 0\]"),
    ("exact rho", lambda: MDP.exact(P1, [[0]], "1/2", ["1/2"]), r"rho sums to 1/2"),
    ("exact rho length", lambda: MDP.exact(P1, [[0]], "1/2", ["1/2", "1/2"]), r"rho must have shape \(S,\) = \(1,\)"),
    ("exact division by zero", lambda: MDP.exact([[["1/0"]]], [[0]], "1/2"), r"P\[0, 0, 0\] = '1/0'"),
    ("sparse row sum", lambda: MDP(sp.csr_matrix([[0.5, 0.4], [0, 1.0]]), np.zeros((2, 1)), 0.5),
     r"P\[0, 0, :\] sums to 0\.9"),
    ("sparse negative", lambda: MDP(sp.csr_matrix([[1.5, -0.5], [0, 1.0]]), np.zeros((2, 1)), 0.5),
     r"P\[0, 0, 1\] = .*-0\.5.* is negative"),
    ("sparse NaN", lambda: MDP(sp.csr_matrix([[np.nan, 1], [0, 1.0]]), np.zeros((2, 1)), 0.5),
     r"P\[0, 0, 0\] = .*nan.* is not finite"),
    ("sparse empty row", lambda: MDP(sp.csr_matrix(([1.0], ([1], [1])), shape=(2, 2)), np.zeros((2, 1)), 0.5),
     r"P\[0, 0, :\] sums to 0\.0"),
    ("sparse shape", lambda: MDP(sp.csr_matrix(np.ones((3, 2)) / 2), np.zeros((2, 1)), 0.5), r"sparse P must have shape \(S\*A, S\); got shape \(3, 2\)"),
    ("sparse r shape", lambda: MDP(sp.identity(2, format="csr"), np.zeros((2, 2)), 0.5), r"r must have shape \(S, A\) = \(2, 1\)"),
    ("sparse exact", lambda: MDP(sp.identity(2, format="csr"), _ex([[F(0)], [F(0)]]), F(1, 2)), r"exact"),
]


@pytest.mark.parametrize("name, build, pattern", BAD_MDPS, ids=[b[0] for b in BAD_MDPS])
def test_bad_mdp_raises_with_useful_message(name, build, pattern):
    with pytest.raises(InvalidMDPError) as info:
        build()
    assert re.search(pattern, str(info.value)), f"{name}: message {str(info.value)!r} lacks {pattern!r}"


def test_invalid_mdp_error_is_a_value_error():
    with pytest.raises(ValueError):
        MDP(S3, R0, 1.0)


def test_row_sum_tolerance_is_respected():
    P = _with(S3, (0, 0), [1 / 3, 1 / 3, 1 / 3 + 5e-11])
    MDP(P, R0, 0.9)  # within 1e-10
    with pytest.raises(InvalidMDPError, match=r"P\[0, 0, :\]"):
        MDP(P, R0, 0.9, atol=1e-12)


def test_valid_inputs_of_every_exact_kind():
    sympy = pytest.importorskip("sympy")
    from flint import fmpq

    P = _ex([[[sympy.Rational(1, 3), fmpq(2, 3)]], [[0, 1]]])
    m = MDP(P, [[F(1, 2)], [np.int64(2)]], sympy.Rational(9, 10))
    assert m.is_exact and m.P[0, 0, 1] == F(2, 3) and isinstance(m.P[0, 0, 1], F)
    assert m.gamma == F(9, 10) and isinstance(m.gamma, F)
    m2 = MDP.exact([[["1/3", 0.5, "1/6"]]] * 3, [[0.1]] * 3, 0.9)
    assert m2.P[0, 0, 1] == F(1, 2) and m2.r[0, 0] == F(1, 10) and m2.gamma == F(9, 10)
    # integer arrays are exact
    assert MDP([[[1]]], [[3]], F(1, 2)).is_exact
    assert not MDP([[[1]]], [[3]], 0.5).is_exact


# ------------------------------------------------------------------ immutability
def _all_mdps():
    dense = MDP(S3, R0, 0.9)
    return [dense, dense.to_exact()]


@pytest.mark.parametrize("mdp", _all_mdps(), ids=["float", "exact"])
def test_attributes_cannot_be_set(mdp):
    for name in ("P", "r", "gamma", "rho", "n_states", "_P", "_gamma", "new_attribute"):
        with pytest.raises(AttributeError):
            setattr(mdp, name, 0)


@pytest.mark.parametrize("mdp", _all_mdps(), ids=["float", "exact"])
def test_arrays_are_read_only(mdp):
    for arr, idx in ((mdp.P, (0, 0, 0)), (mdp.r, (0, 0)), (mdp.rho, 0), (mdp.P_matrix(), (0, 0)),
                     (mdp.P_dense(), (0, 0, 0))):
        with pytest.raises(ValueError, match="read-only"):
            arr[idx] = 1
    assert float(mdp.P[0, 0, 0]) == pytest.approx(1 / 3)  # unchanged


def test_input_arrays_are_copied():
    P = S3.copy()
    m = MDP(P, R0, 0.9)
    P[0, 0] = [1.0, 0.0, 0.0]
    assert m.P[0, 0, 0] == 1 / 3


def test_sparse_matrix_data_is_read_only():
    m = MDP(S3, R0, 0.9).to_sparse()
    with pytest.raises(ValueError):
        m.P.data[0] = 5.0


# ------------------------------------------------------------------ conversions
@given(mdps(exact=True, reward_range=(-2, 2)))
def test_exact_to_float_rounds_correctly(m):
    f = m.to_float()
    assert not f.is_exact
    assert all(float(x) == y for x, y in zip(m.P.flat, f.P.flat))
    assert all(float(x) == y for x, y in zip(m.r.flat, f.r.flat))
    assert float(m.gamma) == f.gamma


@given(mdps(exact=True, reward_range=(-2, 2), reward_denominator=4, gamma_denominator=4))
def test_dyadic_exact_round_trip_is_the_identity(m):
    # integer weights are not dyadic in general; keep only MDPs whose floats are exact
    if all(x.denominator & (x.denominator - 1) == 0 for x in list(m.P.flat) + list(m.rho)):
        assert m.to_float().to_exact() == m
    assert m.to_exact() is m


@given(mdps(max_states=5, reward_range=(-3, 3)))
def test_float_to_exact_round_trip(m):
    q = m.to_exact()
    assert q.is_exact
    assert all(sum(row) == 1 for row in q.P.reshape(-1, q.n_states))
    assert sum(q.rho) == 1
    back = q.to_float()
    np.testing.assert_array_equal(back.r, m.r)
    assert back.gamma == m.gamma
    # the correction that makes rows sum to one moves each entry by at most the row tolerance
    assert np.max(np.abs(back.P - m.P)) <= 1e-10
    assert m.to_float() is m


@given(mdps(max_states=4))
def test_sparse_round_trip(m):
    s = m.to_sparse()
    assert s.is_sparse and s.P.shape == (m.n_states * m.n_actions, m.n_states)
    np.testing.assert_array_equal(s.P_dense(), m.P)
    assert s == m


def test_with_rho_and_with_gamma_validate():
    m = MDP(S3, R0, 0.9)
    assert m.with_gamma(0.5).gamma == 0.5 and m.gamma == 0.9
    with pytest.raises(InvalidMDPError, match="gamma"):
        m.with_gamma(1.0)
    with pytest.raises(InvalidMDPError, match=r"rho\[0\]"):
        m.with_rho([-1.0, 1.0, 1.0])


# ------------------------------------------------------------------ policies
_PM = MDP(S3, R0, 0.9)
_PQ = _PM.to_exact()

BAD_POLICIES = [
    ("wrong shape", _PM, np.full((2, 2), 0.5), r"shape \(S, A\) = \(3, 2\).*got \(2, 2\)"),
    ("transposed", _PM, np.full((2, 3), 0.5), r"got \(2, 3\)"),
    ("1-D", _PM, np.full(6, 0.5), r"got \(6,\)"),
    ("negative", _PM, [[0.5, 0.5], [1.5, -0.5], [0.5, 0.5]], r"pi\[1, 1\] = (np\.float64\()?-0\.5\)? is negative"),
    ("row sum", _PM, [[0.5, 0.5], [0.5, 0.5], [0.5, 0.4]], r"pi\[2, :\] sums to 0\.9"),
    ("NaN", _PM, [[0.5, 0.5], [np.nan, 0.5], [0.5, 0.5]], r"pi\[1, 0\] = (np\.float64\()?nan\)? is not finite"),
    ("inf", _PM, [[np.inf, 0.5], [0.5, 0.5], [0.5, 0.5]], r"pi\[0, 0\] = (np\.float64\()?inf\)? is not finite"),
    ("junk entry", _PM, _ex([[0.5, "x"], [0.5, 0.5], [0.5, 0.5]]), r"pi\[0, 1\] = 'x'"),
    ("ragged", _PM, [[0.5, 0.5], [1.0], [0.5, 0.5]], r"pi"),
    ("exact negative", _PQ, _ex([[F(1, 2), F(1, 2)], [F(3, 2), F(-1, 2)], [F(1), F(0)]]),
     r"pi\[1, 1\] = -1/2 is negative"),
    ("exact row sum", _PQ, _ex([[F(1, 2), F(1, 2)], [F(1, 2), F(1, 3)], [F(1), F(0)]]),
     r"pi\[1, :\] sums to 5/6"),
]


@pytest.mark.parametrize("name, mdp, pi, pattern", BAD_POLICIES, ids=[b[0] for b in BAD_POLICIES])
def test_bad_policy_raises_with_useful_message(name, mdp, pi, pattern):
    with pytest.raises(InvalidPolicyError) as info:
        as_policy(mdp, pi)
    assert re.search(pattern, str(info.value)), f"{name}: message {str(info.value)!r} lacks {pattern!r}"


def test_exact_policy_required_but_float_given():
    with pytest.raises(InvalidPolicyError, match="exact"):
        as_policy(_PQ, np.full((3, 2), 0.5), exact=True)


def test_valid_policy_is_read_only():
    pi = as_policy(_PQ, _ex([[F(1, 3), F(2, 3)]] * 3))
    assert isinstance(pi[0, 0], F)
    with pytest.raises(ValueError, match="read-only"):
        pi[0, 0] = F(1)


@pytest.mark.parametrize("value, pattern", [
    (np.nan, r"P\[1, 0, 2\] = nan is not finite"),
    (np.inf, r"P\[1, 0, 2\] = inf is not finite"),
    (-np.inf, r"P\[1, 0, 2\] = -inf is not finite"),
    (-1e-300, r"P\[1, 0, 2\] = -1e-300 is negative"),
    (-0.25, r"P\[1, 0, 2\] = -0.25 is negative"),
    (0.5, r"P\[1, 0, :\] sums to"),
])
def test_dense_float_validation_names_the_first_bad_entry(value, pattern):
    # the two-reduction fast check only accepts; every rejection goes through the entry-wise checks
    rng = np.random.default_rng(0)
    P = rng.random((4, 2, 4))
    P /= P.sum(axis=2, keepdims=True)
    P[1, 0, 2] = value
    with pytest.raises(InvalidMDPError, match=pattern):
        MDP(P, np.zeros((4, 2)), 0.9)


def test_dense_float_validation_fast_path_accepts_exactly_the_valid_inputs():
    rng = np.random.default_rng(1)
    for trial in range(200):
        S, A = int(rng.integers(1, 5)), int(rng.integers(1, 4))
        P = rng.random((S, A, S)) * (rng.random((S, A, S)) < 0.7)
        P[..., 0] += 1e-3
        P /= P.sum(axis=2, keepdims=True)
        kind = trial % 5
        if kind == 1:  # a negative zero is not negative
            P[0, 0, -1] = -0.0 if S > 1 else P[0, 0, -1]
        elif kind == 2:  # a row-sum deviation just inside / outside the tolerance
            P[0, 0, 0] += 0.9e-10 if trial % 2 else 1.1e-10
        elif kind == 3:
            P[-1, -1, 0] = np.nan
        elif kind == 4:
            P[0, -1, -1] = -1e-20
        expected = (np.isfinite(P).all() and not (P < 0).any()
                    and bool(np.all(np.abs(P.sum(axis=2) - 1.0) <= 1e-10)))
        if expected:
            m = MDP(P, np.zeros((S, A)), 0.5)
            np.testing.assert_array_equal(m.P, P)
        else:
            with pytest.raises(InvalidMDPError):
                MDP(P, np.zeros((S, A)), 0.5)


def test_integer_transitions_are_converted_once_and_owned():
    P = np.zeros((2, 1, 2), dtype=np.int64)
    P[:, 0, 0] = 1
    m = MDP(P, np.zeros((2, 1)), 0.5)
    assert not m.is_exact or m.P.dtype == object
    P[0, 0, 0] = 7  # the caller's array is not the stored one
    assert m.P[0, 0, 0] == 1
    Pf = P.astype(float)
    Pf[0, 0, 0] = 1.0
    mf = MDP(Pf, np.zeros((2, 1)), 0.5)
    Pf[0, 0, 0] = 0.5
    assert mf.P[0, 0, 0] == 1.0 and not mf.P.flags.writeable
