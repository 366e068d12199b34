"""The blocked sparse helpers give exactly what SciPy's and NumPy's whole-array forms give."""

import numpy as np
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

from mdptheory.evaluation.sparse import _column_counts, _max_row_sum


@given(st.integers(1, 40), st.integers(1, 30), st.floats(0, 1), st.integers(0, 2**32 - 1), st.integers(1, 9))
def test_blocked_row_sums_and_column_counts_match_the_whole_array_forms(n, m, density, seed, block):
    M = sp.random(n, m, density=density, random_state=seed, format="csr")
    M.data = np.abs(M.data) * 7.0
    assert _max_row_sum(M, block=block) == float(np.asarray(M.sum(axis=1)).max())
    assert np.array_equal(_column_counts(M, block=block), np.bincount(M.indices, minlength=m))
