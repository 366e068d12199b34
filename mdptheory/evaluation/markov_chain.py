r"""The Markov chain a policy induces: its transition matrix and reward vector.

.. math::

    P^\pi[s, s'] = \sum_a \pi(a|s) P(s'|s, a), \qquad r^\pi[s] = \sum_a \pi(a|s) r(s, a)

in the MDP's field (a CSR matrix for a sparse MDP).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "policy_matrices",
]


def policy_matrices(mdp, pi):
    r"""Return ``(P_pi, r_pi)`` for a validated policy, in the MDP's field.

    A float policy on an exact MDP (a mixed input, which validation in exact
    mode never produces) gives float entries in object arrays, as
    ``Fraction * float`` does: exact results need an exact policy.

    ``P_pi[s, s'] = sum_a pi[s, a] P[s, a, s']`` and ``r_pi[s] = sum_a pi[s, a] r[s, a]``.
    For a sparse MDP, ``P_pi`` is a CSR matrix.
    """
    if mdp.is_sparse:
        import scipy.sparse as sp

        S, A = mdp.n_states, mdp.n_actions
        # Pi[s, s*A + a] = pi[s, a], built directly in CSR form (no coordinate arrays); scipy stores
        # the indices as int32 when S*A fits and as int64 otherwise
        Pi = sp.csr_matrix((np.asarray(pi, dtype=float).ravel(), np.arange(S * A, dtype=np.int64),
                            np.arange(0, S * A + 1, A, dtype=np.int64)), shape=(S, S * A))
        return (Pi @ mdp.P).tocsr(), (pi * mdp.r).sum(axis=1)
    P = mdp.P
    if P.dtype == object or np.asarray(pi).dtype == object:
        return np.einsum("sat,sa->st", P, pi), (pi * mdp.r).sum(axis=1)
    S = P.shape[0]
    if S >= 64:
        # deterministic policies (policy iteration, greedy steps): P_pi is a gather of rows,
        # bit-identical to the product (one term 1.0 * p, the others 0.0 * p)
        actions = np.argmax(pi, axis=1)
        if np.all(pi[np.arange(S), actions] == 1.0):
            rows = np.arange(S)
            return P[rows, actions], mdp.r[rows, actions]  # fancy indexing returns fresh arrays
    # batched row-vector times matrix: pi[s] @ P[s]
    return np.matmul(pi[:, None, :], P)[:, 0, :], np.einsum("sa,sa->s", pi, mdp.r)
