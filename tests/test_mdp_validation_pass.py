"""The one-pass validation of a dense float P (copy and checks block by block) and MDP.from_arrays.

The blocked checks must accept and reject exactly what the entry-by-entry
definitions accept and reject, name the same first offending entry or row,
and leave the MDP independent of the caller's array unless the caller hands
the array over with ``copy=False``.
"""

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mdptheory.mdp as mdp_module
from mdptheory import MDP, InvalidMDPError
from mdptheory.exceptions import InvalidParameterError


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of one or two states, so that small MDPs cross several block boundaries."""
    monkeypatch.setattr(mdp_module, "_BLOCK_BYTES", 64)


def _random_P(rng, S, A):
    P = rng.random((S, A, S))
    return P / P.sum(axis=2, keepdims=True)


def _expected_error(P, atol):
    """The first violation by the definitions, in the order MDP reports them (None if valid)."""
    bad = ~np.isfinite(P)
    if bad.any():
        return "not finite", tuple(int(i) for i in np.argwhere(bad)[0])
    if (P < 0).any():
        return "negative", tuple(int(i) for i in np.argwhere(P < 0)[0])
    dev = ~(np.abs(P.sum(axis=2) - 1.0) <= atol)
    if dev.any():
        return "sums to", tuple(int(i) for i in np.argwhere(dev)[0])
    return None


@given(st.integers(1, 6), st.integers(1, 3), st.integers(0, 2**32 - 1),
       st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from([np.nan, np.inf, -0.5, 0.3, -0.0, 2.0])),
                max_size=3),
       st.sampled_from([np.float64, np.float32, np.int64]), st.booleans())
def test_blocked_validation_agrees_with_the_definitions(S, A, seed, faults, dtype, adopt):
    old = mdp_module._BLOCK_BYTES
    mdp_module._BLOCK_BYTES = 8 * A * S  # one state per block
    try:
        rng = np.random.default_rng(seed)
        P = _random_P(rng, S, A)
        if dtype is np.int64:
            P = np.zeros((S, A, S), dtype=np.int64)
            P[:, :, 0] = 1
        for k, v in faults:
            if dtype is not np.int64:
                P.reshape(-1)[k % P.size] = v
        P = P.astype(dtype)
        as_float = P.astype(np.float64)
        expected = _expected_error(as_float, 1e-10)
        r = np.zeros((S, A))
        if expected is None:
            m = MDP.from_arrays(P, r, 0.5, copy=not adopt)
            assert np.array_equal(m.P, as_float) and m.P.dtype == np.float64
            assert (m.P is P) == (adopt and dtype is np.float64)
        else:
            kind, idx = expected
            with pytest.raises(InvalidMDPError) as info:
                MDP.from_arrays(P, r, 0.5, copy=not adopt)
            msg = str(info.value)
            assert kind in msg
            where = ", ".join(str(i) for i in (idx if kind != "sums to" else idx[:2]))
            assert re.search(rf"P\[{where}(, :)?\]", msg), msg
            assert P.flags.writeable  # a rejected P is not taken over
    finally:
        mdp_module._BLOCK_BYTES = old


def test_default_copy_is_independent_of_the_callers_array(small_blocks):
    P = _random_P(np.random.default_rng(0), 5, 2)
    m = MDP(P, np.zeros((5, 2)), 0.9)
    before = m.P.copy()
    P[:] = 0.0
    assert P.flags.writeable and np.array_equal(m.P, before) and not m.P.flags.writeable


def test_from_arrays_adopts_only_an_owned_contiguous_float64_array(small_blocks):
    rng = np.random.default_rng(1)
    P = _random_P(rng, 4, 3)
    r = np.zeros((4, 3))
    m = MDP.from_arrays(P, r, 0.9, copy=False)
    assert m.P is P and not P.flags.writeable
    with pytest.raises(ValueError):
        P[0, 0, 0] = 1.0
    assert m == MDP(np.array(P), r, 0.9)
    # a view (its base stays writeable), a Fortran-ordered array: copied
    base = _random_P(rng, 4, 3)
    for Q in (base[:], np.asfortranarray(base)):
        m2 = MDP.from_arrays(Q, r, 0.9, copy=False)
        assert m2.P is not Q and Q.flags.writeable and not np.shares_memory(m2.P, base)
        before = m2.P.copy()
        base[:] = 0.0
        assert np.array_equal(m2.P, before)  # values frozen at construction
        base[:] = _random_P(rng, 4, 3)
    # copy=True is MDP(...)
    m3 = MDP.from_arrays(base, r, 0.9)
    assert m3.P is not base and base.flags.writeable


@pytest.mark.parametrize("copy", [None, 0, "no", 1.0])
def test_from_arrays_validates_copy(copy):
    with pytest.raises(InvalidParameterError, match="copy must be True or False"):
        MDP.from_arrays([[[1.0]]], [[0.0]], 0.5, copy=copy)
