r"""Interoperation with peer libraries: pymdptoolbox and QuantEcon.

pymdptoolbox (:func:`from_pymdptoolbox`, :func:`to_pymdptoolbox`)
    ``P`` of shape ``(A, S, S)`` (``P[a, s, s']``), ``R`` of shape ``(S, A)``,
    ``(A, S, S)`` or ``(S,)``.
QuantEcon (:func:`from_quantecon`, :func:`to_quantecon`)
    ``DiscreteDP(R, Q, beta)`` with ``R[s, a]``, ``Q[s, a, s']`` (the layout of
    :class:`~mdptheory.mdp.MDP`), or its state-action-pair form.
"""

from __future__ import annotations

import numpy as np

from ..exceptions import InvalidMDPError, MalformedFileError
from ..mdp import MDP

__all__ = [
    "from_pymdptoolbox",
    "to_pymdptoolbox",
    "from_quantecon",
    "to_quantecon",
]


# ------------------------------------------------------------------ pymdptoolbox
def from_pymdptoolbox(P, R, gamma, *, rho=None) -> MDP:
    r"""Build an MDP from pymdptoolbox's ``(P, R)`` arrays.

    pymdptoolbox lays transitions out as ``P[a, s, s']``; here
    ``P_mdp[s, a, s'] = P[a, s, s']``.  Rewards may be

    * ``R[s, a]`` (shape (S, A)), used as is;
    * ``R[s]`` (shape (S,)), the same reward for every action;
    * ``R[a, s, s']`` (shape (A, S, S)), a reward per transition:

      .. math:: r(s, a) = \sum_{s'} P[a, s, s'] \, R[a, s, s'].

    ``P`` may also be a sequence of ``A`` scipy sparse ``(S, S)`` matrices
    (pymdptoolbox's sparse form); the MDP is then a sparse float MDP.  The
    field (exact or float) follows the entries, as for :class:`MDP`.

    Examples
    --------
    >>> P = [[[0.5, 0.5], [0.0, 1.0]]]            # one action
    >>> m = from_pymdptoolbox(P, [1.0, 0.0], 0.9)
    >>> m.r.tolist()
    [[1.0], [0.0]]
    """
    import scipy.sparse as sp

    if isinstance(P, (list, tuple)) and P and all(sp.issparse(p) for p in P) or (
            isinstance(P, np.ndarray) and P.dtype == object and P.ndim == 1 and P.size
            and all(sp.issparse(p) for p in P)):
        mats = [sp.csr_matrix(p, dtype=np.float64) for p in P]
        A = len(mats)
        S = mats[0].shape[0]
        if any(m.shape != (S, S) for m in mats):
            raise InvalidMDPError(f"every P[a] must have shape (S, S) = ({S}, {S}); got "
                                  f"{[m.shape for m in mats]}")
        stacked = sp.vstack(mats).tocsr()  # row a*S + s
        perm = (np.arange(A)[None, :] * S + np.arange(S)[:, None]).ravel()  # row s*A + a
        Pm = stacked[perm]
        R = np.asarray(R, dtype=np.float64) if not (isinstance(R, (list, tuple)) and R and sp.issparse(R[0])) else R
        if isinstance(R, (list, tuple)):
            r = np.stack([np.asarray(mats[a].multiply(R[a]).sum(axis=1)).ravel() for a in range(A)], axis=1)
        elif R.shape == (S,):
            r = np.repeat(R[:, None], A, axis=1)
        elif R.shape == (S, A):
            r = R
        elif R.shape == (A, S, S):
            r = np.stack([np.asarray(mats[a].multiply(R[a]).sum(axis=1)).ravel() for a in range(A)], axis=1)
        else:
            raise InvalidMDPError(f"R must have shape (S,), (S, A) or (A, S, S) = ({S},), ({S}, {A}) "
                                  f"or ({A}, {S}, {S}); got {R.shape}")
        return MDP(Pm, r, gamma, rho)
    Parr = _array(P, "P")
    if Parr.ndim != 3 or Parr.shape[1] != Parr.shape[2]:
        raise InvalidMDPError(f"P must have shape (A, S, S); got shape {Parr.shape}")
    A, S = Parr.shape[0], Parr.shape[1]
    P_sas = np.transpose(Parr, (1, 0, 2))
    Rarr = _array(R, "R")
    if Rarr.shape == (S,):
        r = np.repeat(Rarr[:, None], A, axis=1)
    elif Rarr.shape == (S, A):
        r = Rarr
    elif Rarr.shape == (A, S, S):
        r = np.einsum("ast,ast->sa", Parr, Rarr)
    else:
        raise InvalidMDPError(f"R must have shape (S,), (S, A) or (A, S, S) = ({S},), ({S}, {A}) "
                              f"or ({A}, {S}, {S}); got {Rarr.shape}")
    return MDP(P_sas, r, gamma, rho)


def _array(x, name):
    try:
        arr = np.asarray(x)
    except Exception as exc:
        raise InvalidMDPError(f"{name} cannot be read as an array: {exc}") from None
    if arr.dtype == object or arr.dtype.kind in "iufb":
        return arr
    raise InvalidMDPError(f"{name} has unsupported dtype {arr.dtype}")


def to_pymdptoolbox(mdp: MDP):
    """``(P, R)`` in pymdptoolbox's layout: ``P[a, s, s']`` and ``R[s, a]``, float64.

    pymdptoolbox computes in floats, so exact MDPs are rounded (correctly) to
    float64.  A sparse MDP gives ``P`` as a list of ``A`` CSR ``(S, S)``
    matrices, pymdptoolbox's sparse form.

    Examples
    --------
    >>> m = MDP([[[0.5, 0.5], [1.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]]], [[1.0, 0.0], [0.0, 2.0]], 0.9)
    >>> P, R = to_pymdptoolbox(m)
    >>> P.shape, P[1, 0].tolist(), R.tolist()
    ((2, 2, 2), [1.0, 0.0], [[1.0, 0.0], [0.0, 2.0]])
    """
    fm = mdp.to_float()
    S, A = fm.n_states, fm.n_actions
    R = np.array(fm.r, dtype=np.float64)
    if fm.is_sparse:
        Pm = fm.P.tocsr()
        return [Pm[np.arange(S) * A + a].tocsr() for a in range(A)], R
    return np.ascontiguousarray(np.transpose(fm.P, (1, 0, 2)), dtype=np.float64), R


# ------------------------------------------------------------------ QuantEcon
def from_quantecon(ddp, *, rho=None) -> MDP:
    r"""Build an MDP from a QuantEcon ``DiscreteDP`` (or any object with its attributes).

    Dense form: ``R[s, a]``, ``Q[s, a, s']``, ``beta`` — exactly this
    package's ``r``, ``P``, ``gamma``.  State-action-pair form: ``R`` of shape
    (L,), ``Q`` of shape (L, S) (dense or sparse) and ``s_indices``,
    ``a_indices`` of length L; every pair ``(s, a)`` with ``a < A`` must occur
    exactly once.  QuantEcon marks infeasible actions by ``R = -inf``; an MDP
    here has every action available everywhere, so those raise.

    Raises
    ------
    InvalidMDPError
        Naming the infeasible or missing pair ``(s, a)``, or from validation.
    MalformedFileError
        If ``ddp`` lacks ``R``, ``Q`` or ``beta``.
    """
    import scipy.sparse as sp

    try:
        R, Q, beta = ddp.R, ddp.Q, ddp.beta
    except AttributeError as exc:
        raise MalformedFileError(f"not a DiscreteDP: {exc}") from None
    s_idx = getattr(ddp, "s_indices", None)
    a_idx = getattr(ddp, "a_indices", None)
    if s_idx is None:
        Rarr = _array(R, "R")
        if Rarr.ndim != 2:
            raise InvalidMDPError(f"R must have shape (S, A); got {Rarr.shape}")
        if Rarr.dtype.kind == "f" and np.isneginf(Rarr).any():
            s, a = (int(i) for i in np.argwhere(np.isneginf(Rarr))[0])
            raise InvalidMDPError(f"action {a} is infeasible in state {s} (R[{s}, {a}] = -inf); "
                                  "every action must be available in every state")
        Qd = Q.toarray() if sp.issparse(Q) else Q
        return MDP(Qd, Rarr, beta, rho)
    s_idx = np.asarray(s_idx)
    a_idx = np.asarray(a_idx)
    Rarr = _array(R, "R")
    L = Rarr.shape[0] if Rarr.ndim == 1 else -1
    if Rarr.ndim != 1 or s_idx.shape != (L,) or a_idx.shape != (L,) or s_idx.dtype.kind not in "iu" \
            or a_idx.dtype.kind not in "iu":
        raise InvalidMDPError("state-action-pair form needs R, s_indices, a_indices of one length L (integers)")
    S = Q.shape[1]
    A = int(a_idx.max()) + 1 if L else 0
    if L == 0 or s_idx.min() < 0 or s_idx.max() >= S or a_idx.min() < 0:
        raise InvalidMDPError(f"s_indices must lie in [0, {S}) and a_indices be >= 0")
    pos = s_idx.astype(np.int64) * A + a_idx.astype(np.int64)
    count = np.bincount(pos, minlength=S * A)
    if (count != 1).any():
        k = int(np.argmax(count != 1))
        s, a = divmod(k, A)
        what = "missing (infeasible)" if count[k] == 0 else f"listed {int(count[k])} times"
        raise InvalidMDPError(f"state-action pair ({s}, {a}) is {what}; every action must be available "
                              "in every state exactly once")
    order = np.argsort(pos)
    r = Rarr[order].reshape(S, A)
    if sp.issparse(Q):
        Pm = sp.csr_matrix(Q)[order]
        return MDP(Pm, np.asarray(r, dtype=np.float64), beta, rho)
    Qarr = _array(Q, "Q")
    return MDP(Qarr[order].reshape(S, A, S), r, beta, rho)


def to_quantecon(mdp: MDP):
    """A QuantEcon ``DiscreteDP`` with the same ``R``, ``Q``, ``beta`` (float64).

    Dense MDPs give the dense form ``DiscreteDP(r, P, gamma)``; sparse ones the
    state-action-pair form with a sparse ``Q`` of shape ``(S*A, S)``.
    quantecon is imported only here (``pip install quantecon``).

    Raises
    ------
    ImportError
        If quantecon is not installed.
    """
    try:
        from quantecon.markov import DiscreteDP
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("to_quantecon needs quantecon (pip install quantecon)") from exc
    fm = mdp.to_float()
    S, A = fm.n_states, fm.n_actions
    if fm.is_sparse:
        s_idx = np.repeat(np.arange(S), A)
        a_idx = np.tile(np.arange(A), S)
        return DiscreteDP(np.asarray(fm.r, dtype=np.float64).ravel(), fm.P.tocsr(), float(fm.gamma),
                          s_idx, a_idx)
    return DiscreteDP(np.array(fm.r, dtype=np.float64), np.array(fm.P, dtype=np.float64), float(fm.gamma))
