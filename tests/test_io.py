"""Tests of mdptheory.io: exact round trips, hostile input, and the peer-library formats."""

import json
import time
import types
import zipfile
from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

from mdptheory import MDP, InvalidMDPError, InvalidPolicyError, MalformedFileError, evaluate
from mdptheory.io import (
    FORMAT_TAG,
    MAX_NUMBER_CHARS,
    from_gymnasium,
    from_json,
    from_pymdptoolbox,
    from_quantecon,
    load_json,
    load_npz,
    mdp_from_dict,
    mdp_to_dict,
    policy_from_json_data,
    policy_to_json_data,
    save_json,
    save_npz,
    to_json,
    to_pymdptoolbox,
    to_quantecon,
)
from mdptheory.strategies import mdp_and_policy, mdps


def _bits_equal(a, b):
    return np.array_equal(np.asarray(a, dtype=np.float64).view(np.uint64),
                          np.asarray(b, dtype=np.float64).view(np.uint64))


def _same_float_mdp(m, n):
    assert n.field == "float" and n.is_sparse == m.is_sparse
    assert _bits_equal(m.P_dense(), n.P_dense()) and _bits_equal(m.r, n.r) and _bits_equal(m.rho, n.rho)
    assert np.float64(m.gamma).view(np.uint64) == np.float64(n.gamma).view(np.uint64)


# ------------------------------------------------------------------ JSON
@given(mdps(exact=True, reward_range=(-3, 3), rho="random"))
def test_exact_json_round_trip(m):
    text = to_json(m)
    d = json.loads(text)
    assert d["format"] == FORMAT_TAG and d["version"] == 1 and d["field"] == "exact"
    # every number is a rational string
    assert all(isinstance(x, str) for x in np.ravel(d["P"]).tolist() + np.ravel(d["r"]).tolist() + d["rho"])
    back = from_json(text)
    assert back == m and back.is_exact
    assert all(isinstance(x, Fraction) for x in back.P.flat)


@given(mdps(reward_range=(-1e3, 1e3), rho="random", gamma=(0, 0.999)))
def test_float_json_round_trip_is_bit_for_bit(m):
    _same_float_mdp(m, from_json(to_json(m)))
    _same_float_mdp(m, mdp_from_dict(json.loads(json.dumps(mdp_to_dict(m)))))


@given(mdps(sparse=True, max_states=5, max_successors=2))
def test_sparse_json_round_trip_uses_coo(m):
    d = mdp_to_dict(m)
    assert "P" not in d and set(d["P_coo"]) == {"row", "col", "value"}
    assert len(d["P_coo"]["row"]) == m.P.nnz
    _same_float_mdp(m, from_json(to_json(m)))


def test_float_hex_strings_are_accepted():
    m = MDP([[[0.1, 0.9]], [[1.0, 0.0]]], [[1 / 3], [0.0]], 0.7)
    d = mdp_to_dict(m)
    d["r"] = [[x.hex() for x in row] for row in d["r"]]
    d["gamma"] = (0.7).hex()
    _same_float_mdp(m, mdp_from_dict(d))


@given(mdp_and_policy(exact=True), st.booleans())
def test_policy_and_extra_ride_along(mp, as_float):
    m, pi = mp
    if as_float:
        m, pi = m.to_float(), np.asarray(pi, dtype=float)
    text = to_json(m, policy=pi, extra={"claim": "A1", "values": [1, 2.5, None]})
    m2, pi2, extra = from_json(text, with_extras=True)
    assert extra == {"claim": "A1", "values": [1, 2.5, None]}
    if as_float:
        assert _bits_equal(pi2, pi)
    else:
        assert (pi2 == pi).all() and all(isinstance(x, Fraction) for x in pi2.flat)
    assert policy_from_json_data(policy_to_json_data(pi), m2).shape == pi.shape
    assert from_json(text, with_extras=False) == m2


def test_json_without_extras():
    m = MDP([[[1.0]]], [[0.5]], 0.5)
    assert from_json(to_json(m), with_extras=True) == (m, None, None)


def test_extra_must_be_json():
    with pytest.raises(MalformedFileError, match="extra"):
        to_json(MDP([[[1.0]]], [[0.5]], 0.5), extra={"x": object()})


def test_save_and_load_json(tmp_path):
    m = MDP.exact([[["1/3", "2/3"]], [[0, 1]]], [["-7/3"], [0]], "99/100")
    path = tmp_path / "m.json"
    save_json(m, path, indent=2)
    assert load_json(path) == m
    assert '"99/100"' in path.read_text()


_GOOD = mdp_to_dict(MDP.exact([[["1/2", "1/2"]], [[0, 1]]], [[1], [0]], "9/10"))
_GOOD_F = mdp_to_dict(MDP([[[0.5, 0.5]], [[0.0, 1.0]]], [[1.0], [0.0]], 0.9))


def _edit(base=None, **changes):
    d = json.loads(json.dumps(base or _GOOD))
    for k, v in changes.items():
        if v is _DROP:
            del d[k]
        else:
            d[k] = v
    return json.dumps(d)


_DROP = object()

HOSTILE_JSON = [
    ("empty", ""),
    ("truncated", to_json(MDP([[[1.0]]], [[0.5]], 0.5))[:-7]),
    ("not an object", "[1, 2, 3]"),
    ("string", '"mdp"'),
    ("NaN literal", _edit(_GOOD_F, gamma=0.5).replace('"gamma": 0.5', '"gamma": NaN')),
    ("Infinity literal", _edit(_GOOD_F).replace('"gamma": 0.9', '"gamma": Infinity')),
    ("1e999999 literal", _edit(_GOOD_F).replace('"gamma": 0.9', '"gamma": 1e999999')),
    ("1e999999 string", _edit(gamma="1e999999")),
    ("huge integer literal", '{"a": ' + "9" * 100_000 + "}"),
    ("huge integer string", _edit(gamma="1/" + "7" * 100_000)),
    ("huge float literal", _edit(_GOOD_F).replace('"gamma": 0.9', '"gamma": 0.' + "9" * 100_000)),
    ("deep nesting", "[" * 200_000 + "]" * 200_000),
    ("nested garbage in P", _edit(P=[[[[["1"]]]], [["0", "1"]]])),
    ("dict in r", _edit(r=[[{"x": 1}], ["0"]])),
    ("None in rho", _edit(rho=[None, "1"])),
    ("bool in P", _edit(P=[[[True, False]], [["0", "1"]]])),
    ("float in exact file", _edit(P=[[[0.5, 0.5]], [["0", "1"]]])),
    ("string in float file", _edit(_GOOD_F, r=[["1"], [0.0]])),
    ("expression string", _edit(gamma="__import__('os')")),
    ("division by zero", _edit(gamma="1/0")),
    ("wrong format tag", _edit(format="pickle")),
    ("future version", _edit(version=99)),
    ("version as string", _edit(version="1")),
    ("unknown field", _edit(field="complex")),
    ("missing P", _edit(P=_DROP)),
    ("missing gamma", _edit(gamma=_DROP)),
    ("missing format", _edit(format=_DROP)),
    ("negative n_states", _edit(n_states=-1)),
    ("n_states as float", _edit(n_states=2.0)),
    ("n_states too large", _edit(n_states=3)),
    ("huge claimed size", _edit(n_states=10**9, n_actions=10**9)),
    ("wrong P shape", _edit(P=[[["1/2", "1/2"]]])),
    ("wrong row length", _edit(P=[[["1/2", "1/2", "0"]], [["0", "1"]]])),
    ("rho too long", _edit(rho=["1/2", "1/2", "0"])),
    ("P and P_coo", _edit(_GOOD_F, P_coo={"row": [], "col": [], "value": []})),
    ("exact P_coo", _edit(P=_DROP, P_coo={"row": [0], "col": [0], "value": ["1"]})),
    ("coo index out of range", _edit(_GOOD_F, P=_DROP, P_coo={"row": [0, 1, 7], "col": [0, 1, 1],
                                                                 "value": [1.0, 1.0, 1.0]})),
    ("coo negative index", _edit(_GOOD_F, P=_DROP, P_coo={"row": [-1], "col": [0], "value": [1.0]})),
    ("coo ragged", _edit(_GOOD_F, P=_DROP, P_coo={"row": [0, 1], "col": [0], "value": [1.0, 1.0]})),
    ("coo missing key", _edit(_GOOD_F, P=_DROP, P_coo={"row": [0, 1], "col": [0, 1]})),
    ("policy garbage", _edit(policy={"field": "exact", "pi": [["x"], ["1"]]})),
]


@pytest.mark.parametrize("name, text", HOSTILE_JSON, ids=[h[0] for h in HOSTILE_JSON])
def test_hostile_json_raises_malformed_file_error_quickly(name, text):
    t0 = time.perf_counter()
    with pytest.raises(MalformedFileError):
        from_json(text, with_extras=True)
    assert time.perf_counter() - t0 < 2.0


@pytest.mark.parametrize("data", [b"\xff\xfe{", bytearray(b"{}"), None, 42])
def test_hostile_json_bytes_and_types(data):
    with pytest.raises(MalformedFileError):
        from_json(data)


WELL_FORMED_BAD_MDPS = [
    ("row sums to 9/10", _edit(P=[[["1/2", "2/5"]], [["0", "1"]]]), r"P\[0, 0, :\] sums to 9/10"),
    ("gamma = 1", _edit(gamma="1"), r"gamma = 1 must satisfy"),
    ("negative probability", _edit(P=[[["-1/2", "3/2"]], [["0", "1"]]]), r"P\[0, 0, 0\].*negative"),
    ("rho sums to 2", _edit(rho=["1", "1"]), r"rho sums to 2"),
    ("no states", _edit(n_states=0), r"at least one state"),
    ("float row sum", _edit(_GOOD_F, P=[[[0.5, 0.4]], [[0.0, 1.0]]]), r"P\[0, 0, :\] sums to 0\.9"),
]


@pytest.mark.parametrize("name, text, pattern", WELL_FORMED_BAD_MDPS, ids=[w[0] for w in WELL_FORMED_BAD_MDPS])
def test_well_formed_file_with_bad_mdp_raises_invalid_mdp_error(name, text, pattern):
    with pytest.raises(InvalidMDPError, match=pattern):
        from_json(text)


def test_well_formed_file_with_bad_policy():
    text = _edit(policy={"field": "exact", "pi": [["1/2"], ["1"]]})
    with pytest.raises(InvalidPolicyError, match=r"pi\[0, :\] sums to 1/2"):
        from_json(text, with_extras=True)


def test_messages_name_the_location():
    with pytest.raises(MalformedFileError, match=r"r\[1, 0\]"):
        from_json(_edit(r=[["1"], ["x"]]))
    with pytest.raises(MalformedFileError, match=r"P\[1\] has length 2, expected 1"):
        from_json(_edit(P=[[["1/2", "1/2"]], [["0", "1"], ["0", "1"]]]))
    with pytest.raises(MalformedFileError, match=f"MAX_NUMBER_CHARS = {MAX_NUMBER_CHARS}"):
        from_json(_edit(gamma="1" * (MAX_NUMBER_CHARS + 1)))


# ------------------------------------------------------------------ npz
@given(st.one_of(mdps(exact=True, rho="random"), mdps(rho="random"), mdps(sparse=True)))
def test_npz_round_trip(m):
    import tempfile
    import os

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "m.npz")
        save_npz(m, path)
        with np.load(path, allow_pickle=False) as z:  # readable without pickle
            if m.is_exact:
                assert z["P"].dtype.kind == "U"
        back = load_npz(path)
    if m.is_exact:
        assert back == m and back.is_exact
    else:
        _same_float_mdp(m, back)


def _npz(tmp_path, name="bad.npz", **arrays):
    path = tmp_path / name
    np.savez(path, **arrays)
    return path


def _good_arrays():
    return {"format": np.array(FORMAT_TAG), "version": np.array(1), "field": np.array("float"),
            "shape": np.array([2, 1]), "gamma": np.array(0.9), "r": np.zeros((2, 1)),
            "rho": np.array([0.5, 0.5]), "P": np.array([[[0.5, 0.5]], [[0.0, 1.0]]])}


def _bad_npz_cases():
    g = _good_arrays
    cases = {
        "missing P": {k: v for k, v in g().items() if k != "P"},
        "wrong tag": {**g(), "format": np.array("other")},
        "P wrong shape": {**g(), "P": np.ones((2, 2, 2)) / 2},
        "P int dtype": {**g(), "P": np.ones((2, 1, 2), dtype=np.int64)},
        "exact with float arrays": {**g(), "field": np.array("exact")},
        "long strings": {**g(), "field": np.array("exact"), "gamma": np.array("9" * 10_000),
                         "P": np.full((2, 1, 2), "1/2"), "r": np.full((2, 1), "0"), "rho": np.full(2, "1/2")},
        "bad shape array": {**g(), "shape": np.array([0, 1])},
        "coo out of range": {**{k: v for k, v in g().items() if k != "P"}, "P_row": np.array([0, 5]),
                             "P_col": np.array([0, 1]), "P_value": np.array([1.0, 1.0])},
        "version 2": {**g(), "version": np.array(2)},
    }
    return cases


@pytest.mark.parametrize("case", list(_bad_npz_cases()))
def test_malformed_npz(tmp_path, case):
    path = _npz(tmp_path, **_bad_npz_cases()[case])
    with pytest.raises(MalformedFileError):
        load_npz(path)


def test_npz_with_pickled_object_array_is_refused(tmp_path):
    arrays = _good_arrays()
    arrays["P"] = np.array([[[Fraction(1, 2), Fraction(1, 2)]], [[0, 1]]], dtype=object)
    path = tmp_path / "pickled.npz"
    np.savez(path, **arrays)  # object arrays are pickled inside
    with pytest.raises(MalformedFileError):
        load_npz(path)


def test_npz_garbage_files(tmp_path):
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"PK\x03\x04 this is not a zip")
    npy = tmp_path / "single.npy"
    np.save(npy, np.zeros(3))
    empty_zip = tmp_path / "empty.npz"
    with zipfile.ZipFile(empty_zip, "w"):
        pass
    for p in (junk, npy, empty_zip, tmp_path / "missing.npz"):
        with pytest.raises(MalformedFileError):
            load_npz(p)


def test_npz_well_formed_bad_mdp(tmp_path):
    path = _npz(tmp_path, **{**_good_arrays(), "gamma": np.array(1.0)})
    with pytest.raises(InvalidMDPError, match="gamma"):
        load_npz(path)


# ------------------------------------------------------------------ gymnasium P tables
def _episodic_values(table, pi, gamma, sweeps):
    """Discounted episodic return of pi from the raw table, by repeated Bellman sweeps."""
    V = {s: 0.0 for s in table}
    for _ in range(sweeps):
        V = {s: sum(pi[s][a] * sum(p * (rew + (0.0 if term else gamma * V[s2])) for p, s2, rew, term in table[s][a])
                    for a in table[s]) for s in table}
    return np.array([V[s] for s in range(len(table))])


_TABLE = {  # two states; action 1 in state 0 ends the episode with reward 2
    0: {0: [(0.5, 0, 1.0, False), (0.5, 1, 0.0, False)], 1: [(1.0, 1, 2.0, True)]},
    1: {0: [(1.0, 0, -1.0, False)], 1: [(0.25, 1, 4.0, False), (0.75, 0, 0.0, True)]},
}


def test_table_rewards_are_expected_transition_rewards():
    m = from_gymnasium(_TABLE, gamma=0.9, rho="uniform")
    assert m.n_states == 3 and m.n_actions == 2
    np.testing.assert_allclose(m.r, [[0.5, 2.0], [-1.0, 1.0], [0.0, 0.0]])
    np.testing.assert_allclose(m.P[0, 1], [0, 0, 1])  # terminated -> absorbing state 2
    np.testing.assert_allclose(m.P[1, 1], [0, 0.25, 0.75])
    np.testing.assert_allclose(m.P[2], [[0, 0, 1], [0, 0, 1]])
    np.testing.assert_allclose(m.rho, [0.5, 0.5, 0.0])


@pytest.mark.parametrize("terminal", ["absorbing", "self-loop"])
def test_table_values_equal_episodic_returns(terminal):
    table = {0: {0: [(0.5, 0, 1.0, False), (0.5, 2, 3.0, True)]},
             1: {0: [(1.0, 0, 0.0, False)]},
             2: {0: [(1.0, 1, 5.0, False)]}}  # state 2 is entered only by terminating
    m = from_gymnasium(table, gamma=0.8, terminal=terminal)
    ev = evaluate(m, np.ones((m.n_states, 1)))
    ref = _episodic_values(table, {s: {0: 1.0} for s in table}, 0.8, 200)
    np.testing.assert_allclose(ev.V[:2], ref[:2], rtol=1e-12, atol=1e-12)
    if terminal == "self-loop":
        assert m.n_states == 3 and ev.V[2] == 0 and m.r[2, 0] == 0


def test_table_exact_reads_thirds():
    third = 0.33333333333333337
    table = {0: {0: [(third, 0, 1, False), (0.3333333333333333, 1, 0, False), (third, 1, 0.1, True)]},
             1: {0: [(1.0, 1, 0, False)]}}
    m = from_gymnasium(table, gamma="9/10", exact=True, rho="uniform")
    assert m.is_exact
    assert m.P[0, 0].tolist() == [Fraction(1, 3), Fraction(1, 3), Fraction(1, 3)]
    assert m.r[0, 0] == Fraction(1, 3) * (1 + Fraction(1, 10))


BAD_TABLES = [
    ({}, MalformedFileError),
    ({1: {0: [(1.0, 1, 0, False)]}}, MalformedFileError),
    ({0: {0: [(1.0, 0, 0, False)]}, 1: {1: [(1.0, 0, 0, False)]}}, MalformedFileError),
    ({0: {0: [(1.0, 5, 0, False)]}}, MalformedFileError),
    ({0: {0: [(1.0, 0)]}}, MalformedFileError),
    ({0: {0: []}}, MalformedFileError),
    ({0: {0: [("1", 0, 0, False)]}}, MalformedFileError),
    ({0: {0: [(float("nan"), 0, 0, False)]}}, MalformedFileError),
    ({0: {0: [(1.0, 0, float("inf"), False)]}}, MalformedFileError),
    ({"a": {0: [(1.0, 0, 0, False)]}}, MalformedFileError),
    ({0: [(1.0, 0, 0, False)]}, MalformedFileError),
    ({0: {0: [(0.9, 0, 0, False)]}}, InvalidMDPError),
    ({0: {0: [(-0.5, 0, 0, False), (1.5, 1, 0, False)]}, 1: {0: [(1.0, 1, 0, False)]}}, InvalidMDPError),
]


@pytest.mark.parametrize("table, error", BAD_TABLES)
def test_bad_tables(table, error):
    with pytest.raises(error):
        from_gymnasium(table, gamma=0.9)


def test_not_a_table():
    with pytest.raises(MalformedFileError, match="no toy-text transition table"):
        from_gymnasium(object(), gamma=0.9)
    with pytest.raises(InvalidMDPError, match="terminal"):
        from_gymnasium(_TABLE, gamma=0.9, terminal="reset")


@pytest.mark.parametrize("env_id, kwargs", [("FrozenLake-v1", {}), ("FrozenLake-v1", {"is_slippery": False}),
                                           ("CliffWalking-v1", {})])
def test_real_toy_text_environments(env_id, kwargs):
    gym = pytest.importorskip("gymnasium")
    env = gym.make(env_id, **kwargs)
    table = env.unwrapped.P
    n = len(table)
    A = env.action_space.n
    pi = {s: {a: 1.0 / A for a in range(A)} for s in range(n)}
    ref = _episodic_values(table, pi, 0.9, 400)
    for terminal in ("absorbing", "self-loop"):
        m = from_gymnasium(env, gamma=0.9, terminal=terminal)
        assert m.n_actions == A and m.n_states == n + (terminal == "absorbing")
        ev = evaluate(m, np.full((m.n_states, A), 1.0 / A))
        isd = np.asarray(env.unwrapped.initial_state_distrib)
        np.testing.assert_allclose(m.rho[:n], isd)
        # states never left once entered by termination have value 0 in self-loop mode; compare the rest
        term_targets = {s2 for s in table for a in table[s] for _, s2, _, t in table[s][a] if t}
        keep = [s for s in range(n) if terminal == "absorbing" or s not in term_targets]
        np.testing.assert_allclose(ev.V[keep], ref[keep], rtol=1e-9, atol=1e-9)


def test_frozenlake_exact():
    gym = pytest.importorskip("gymnasium")
    m = from_gymnasium(gym.make("FrozenLake-v1"), gamma=Fraction(9, 10), exact=True)
    assert m.is_exact
    assert set(m.P.flat) <= {0, Fraction(1, 3), Fraction(2, 3), 1}
    assert m.rho[0] == 1
    # exact value of the uniform policy agrees with the float one
    ev = evaluate(m, np.full((m.n_states, 4), Fraction(1, 4), dtype=object))
    evf = evaluate(m.to_float(), np.full((m.n_states, 4), 0.25))
    np.testing.assert_allclose(np.asarray(ev.V, dtype=float), evf.V, rtol=1e-12, atol=1e-14)


def test_taxi():
    gym = pytest.importorskip("gymnasium")
    env_id = "Taxi-v4" if "Taxi-v4" in gym.registry else "Taxi-v3"
    env = gym.make(env_id)
    m = from_gymnasium(env, gamma=0.9)
    assert (m.n_states, m.n_actions) == (501, 6)
    table = env.unwrapped.P
    for s in (0, 17, 479):
        for a in range(6):
            assert m.r[s, a] == pytest.approx(sum(p * rew for p, _, rew, _ in table[s][a]))
    assert m.rho[500] == 0 and abs(m.rho.sum() - 1) < 1e-12


# ------------------------------------------------------------------ pymdptoolbox
@given(mdps(max_states=4, max_actions=3))
def test_pymdptoolbox_round_trip(m):
    P, R = to_pymdptoolbox(m)
    assert P.shape == (m.n_actions, m.n_states, m.n_states) and R.shape == (m.n_states, m.n_actions)
    assert (P[:, 0, :] == m.P[0]).all()  # P[a, s, :] = P_mdp[s, a, :]
    back = from_pymdptoolbox(P, R, m.gamma, rho=m.rho)
    _same_float_mdp(m, back)


def test_pymdptoolbox_reward_forms():
    P = np.array([[[0.5, 0.5], [0.0, 1.0]], [[1.0, 0.0], [0.25, 0.75]]])  # (A, S, S)
    R3 = np.array([[[2.0, 4.0], [0.0, 1.0]], [[3.0, 0.0], [4.0, 8.0]]])  # (A, S, S)
    m = from_pymdptoolbox(P, R3, 0.9)
    np.testing.assert_allclose(m.r, [[3.0, 3.0], [1.0, 7.0]])
    np.testing.assert_allclose(m.P[1, 1], [0.25, 0.75])
    m1 = from_pymdptoolbox(P, np.array([1.0, 2.0]), 0.9)
    np.testing.assert_allclose(m1.r, [[1.0, 1.0], [2.0, 2.0]])
    ms = from_pymdptoolbox([sp.csr_matrix(P[0]), sp.csr_matrix(P[1])], R3, 0.9)
    assert ms.is_sparse
    np.testing.assert_allclose(ms.P_dense(), m.P)
    np.testing.assert_allclose(ms.r, m.r)
    Ps, R = to_pymdptoolbox(ms)
    assert len(Ps) == 2 and np.allclose(Ps[1].toarray(), P[1])
    P_exact = np.array([[[Fraction(1, 2), Fraction(1, 2)], [0, 1]], [[1, 0], [Fraction(1, 4), Fraction(3, 4)]]],
                       dtype=object)
    exact = from_pymdptoolbox(P_exact, np.array(R3, dtype=np.int64), Fraction(1, 2))
    assert exact.is_exact and exact.r.tolist() == [[3, 3], [1, 7]]
    with pytest.raises(InvalidMDPError, match=r"R must have shape"):
        from_pymdptoolbox(P, np.zeros((3, 2)), 0.9)
    with pytest.raises(InvalidMDPError, match=r"P must have shape \(A, S, S\)"):
        from_pymdptoolbox(np.ones((2, 2)), np.zeros(2), 0.9)


def test_pymdptoolbox_forest_agrees():
    mdptoolbox = pytest.importorskip("mdptoolbox")
    import mdptoolbox.example
    import mdptoolbox.mdp

    P, R = mdptoolbox.example.forest(S=5)
    m = from_pymdptoolbox(P, R, 0.9)
    pi_solver = mdptoolbox.mdp.PolicyIteration(P, R, 0.9)
    pi_solver.run()
    pi = np.zeros((5, 2))
    pi[np.arange(5), pi_solver.policy] = 1.0
    ev = evaluate(m, pi)
    np.testing.assert_allclose(ev.V, pi_solver.V, rtol=1e-10)
    # the solver's policy is greedy in its own Q: no positive advantage
    assert ev.advantage.max() <= 1e-9


# ------------------------------------------------------------------ QuantEcon
def test_quantecon_duck_typed_forms():
    m = MDP([[[0.5, 0.5], [1.0, 0.0]], [[0.0, 1.0], [0.2, 0.8]]], [[1.0, 0.0], [0.0, 2.0]], 0.95)
    dense = types.SimpleNamespace(R=np.array(m.r), Q=np.array(m.P), beta=0.95, s_indices=None, a_indices=None)
    _same_float_mdp(m, from_quantecon(dense))
    order = [3, 0, 2, 1]  # shuffled state-action pairs
    s_idx, a_idx = np.array([1, 0, 1, 0]), np.array([1, 0, 0, 1])
    L = types.SimpleNamespace(R=np.array([2.0, 1.0, 0.0, 0.0]), Q=m.P_matrix()[order], beta=0.95,
                              s_indices=s_idx, a_indices=a_idx)
    _same_float_mdp(m, from_quantecon(L))
    Ls = types.SimpleNamespace(**{**vars(L), "Q": sp.csr_matrix(L.Q)})
    back = from_quantecon(Ls)
    assert back.is_sparse and back == m.to_sparse()


def test_quantecon_infeasible_actions_raise():
    R = np.array([[1.0, -np.inf], [0.0, 0.0]])
    Q = np.full((2, 2, 2), 0.5)
    with pytest.raises(InvalidMDPError, match=r"action 1 is infeasible in state 0"):
        from_quantecon(types.SimpleNamespace(R=R, Q=Q, beta=0.9))
    missing = types.SimpleNamespace(R=np.zeros(3), Q=np.full((3, 2), 0.5), beta=0.9,
                                    s_indices=np.array([0, 0, 1]), a_indices=np.array([0, 1, 0]))
    with pytest.raises(InvalidMDPError, match=r"pair \(1, 1\) is missing"):
        from_quantecon(missing)
    with pytest.raises(MalformedFileError):
        from_quantecon(object())


def test_quantecon_real():
    pytest.importorskip("quantecon")
    m = MDP([[[0.5, 0.5], [1.0, 0.0]], [[0.0, 1.0], [0.2, 0.8]]], [[1.0, 0.0], [0.0, 2.0]], 0.95)
    ddp = to_quantecon(m)
    sigma = np.array([1, 0])
    pi = np.zeros((2, 2))
    pi[np.arange(2), sigma] = 1.0
    np.testing.assert_allclose(ddp.evaluate_policy(sigma), evaluate(m, pi).V, rtol=1e-12)
    _same_float_mdp(m, from_quantecon(ddp))
    ddp_s = to_quantecon(m.to_sparse())
    np.testing.assert_allclose(ddp_s.evaluate_policy(sigma), evaluate(m, pi).V, rtol=1e-12)
    assert from_quantecon(ddp_s) == m.to_sparse()
