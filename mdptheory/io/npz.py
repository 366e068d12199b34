"""MDPs in NumPy ``.npz`` files that load without pickle.

Arrays ``format``, ``version``, ``field``, ``shape``, ``gamma``, ``r``,
``rho`` and either ``P`` (S, A, S) or the COO triplets ``P_row``, ``P_col``,
``P_value`` of a sparse float ``P`` (row index ``s*A + a``).  Exact values are
Unicode string arrays of ``"p/q"``; float values are float64.  Files are
always read with ``allow_pickle=False`` and every number is length-capped.
"""

from __future__ import annotations

import os
import zipfile

import numpy as np

from ..exceptions import InvalidMDPError, MalformedFileError
from ..mdp import MDP
from ._common import (
    FORMAT_TAG,
    FORMAT_VERSION,
    MAX_NUMBER_CHARS,
    _EXACT,
    _FLOAT,
    _fraction_to_str,
    _read_exact,
    _short,
)
from .atomic import atomic_write

__all__ = [
    "save_npz",
    "load_npz",
]


def save_npz(mdp: MDP, path) -> None:
    """Write an MDP to a NumPy ``.npz`` file that loads without pickle.

    Arrays: ``format``, ``version``, ``field``, ``gamma``, ``r``, ``rho`` and
    either ``P`` (S, A, S) or the COO triplets ``P_row``, ``P_col``,
    ``P_value`` of a sparse ``P`` (row index ``s*A + a``).  Exact values are
    Unicode string arrays of ``"p/q"``; float values are float64.  A file
    name gets the suffix ``.npz`` if it lacks one (as with :func:`numpy.savez`)
    and is written atomically; an open binary file is written in place.
    """
    arrays = {"format": np.array(FORMAT_TAG), "version": np.array(FORMAT_VERSION, dtype=np.int64),
              "field": np.array(mdp.field), "shape": np.array([mdp.n_states, mdp.n_actions], dtype=np.int64)}
    if mdp.is_exact:
        conv = np.frompyfunc(_fraction_to_str, 1, 1)
        arrays["gamma"] = np.array(_fraction_to_str(mdp.gamma))
        for name, a in (("P", mdp.P), ("r", mdp.r), ("rho", mdp.rho)):
            arrays[name] = conv(a).astype(str)
    else:
        arrays["gamma"] = np.array(float(mdp.gamma))
        arrays["r"] = np.asarray(mdp.r, dtype=np.float64)
        arrays["rho"] = np.asarray(mdp.rho, dtype=np.float64)
        if mdp.is_sparse:
            C = mdp.P.tocoo()
            arrays["P_row"] = C.row.astype(np.int64)
            arrays["P_col"] = C.col.astype(np.int64)
            arrays["P_value"] = C.data.astype(np.float64)
        else:
            arrays["P"] = np.asarray(mdp.P, dtype=np.float64)
    if hasattr(path, "write"):  # an open binary file
        np.savez(path, **arrays)
        return
    path = os.fspath(path)
    if not path.endswith(".npz"):  # numpy's rule for file names
        path += ".npz"
    with atomic_write(path, "wb") as fh:
        np.savez(fh, **arrays)


def _npz_get(z, key, *, kind, ndim=None):
    if key not in z.files:
        raise MalformedFileError(f"missing array {key!r}")
    a = z[key]
    if a.dtype.kind not in kind:
        raise MalformedFileError(f"array {key!r} has dtype {a.dtype}, expected kind {kind!r}")
    if ndim is not None and a.ndim != ndim:
        raise MalformedFileError(f"array {key!r} has {a.ndim} dimensions, expected {ndim}")
    if a.dtype.kind == "U" and a.dtype.itemsize // 4 > MAX_NUMBER_CHARS + 64:
        raise MalformedFileError(f"array {key!r} holds strings of up to {a.dtype.itemsize // 4} characters, "
                                 f"more than MAX_NUMBER_CHARS = {MAX_NUMBER_CHARS}")
    return a


def load_npz(path) -> MDP:
    """Read an MDP written by :func:`save_npz` (``allow_pickle=False``).

    Raises
    ------
    MalformedFileError
        Not an npz file, pickled/object arrays, missing or mistyped arrays,
        inconsistent shapes, overlong numbers.
    InvalidMDPError
        A well-formed file describing an invalid MDP.
    """
    try:
        z = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, MemoryError) as exc:
        raise MalformedFileError(f"cannot read {path} as npz: {exc}") from None
    if not isinstance(z, np.lib.npyio.NpzFile):
        raise MalformedFileError(f"{path} is a single .npy array, not an npz archive")
    try:
        with z:
            return _load_npz_arrays(z)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, MemoryError, KeyError) as exc:
        if isinstance(exc, (InvalidMDPError, MalformedFileError)):
            raise
        raise MalformedFileError(f"cannot read {path} as an MDP: {exc}") from None


def _load_npz_arrays(z) -> MDP:
    tag = _npz_get(z, "format", kind="U", ndim=0)
    if str(tag) != FORMAT_TAG:
        raise MalformedFileError(f"format = {_short(str(tag))}, expected {FORMAT_TAG!r}")
    version = _npz_get(z, "version", kind="iu", ndim=0)
    if not 1 <= int(version) <= FORMAT_VERSION:
        raise MalformedFileError(f"version = {int(version)} is not supported")
    field = str(_npz_get(z, "field", kind="U", ndim=0))
    if field not in (_EXACT, _FLOAT):
        raise MalformedFileError(f"field = {_short(field)}, expected 'exact' or 'float'")
    shape = _npz_get(z, "shape", kind="iu", ndim=1)
    if shape.shape != (2,) or (shape < 1).any():
        raise MalformedFileError(f"shape = {shape.tolist()} must be [S, A] with S, A >= 1")
    S, A = int(shape[0]), int(shape[1])
    if field == _EXACT:
        def read(key, shp):
            a = _npz_get(z, key, kind="U", ndim=len(shp))
            if a.shape != shp:
                raise MalformedFileError(f"array {key!r} has shape {a.shape}, expected {shp}")
            out = np.empty(shp, dtype=object)
            for k, v in enumerate(a.reshape(-1)):
                out.flat[k] = _read_exact(str(v), f"{key}[{k}]")
            return out

        r = read("r", (S, A))
        rho = read("rho", (S,))
        gamma = read("gamma", ())[()]
        if "P_row" in z.files:
            raise MalformedFileError("sparse storage (P_row, ...) is for float MDPs only")
        P = read("P", (S, A, S))
        return MDP(P, r, gamma, rho)

    def readf(key, shp):
        a = _npz_get(z, key, kind="f", ndim=len(shp))
        if a.shape != shp:
            raise MalformedFileError(f"array {key!r} has shape {a.shape}, expected {shp}")
        return np.asarray(a, dtype=np.float64)

    r = readf("r", (S, A))
    rho = readf("rho", (S,))
    gamma = float(readf("gamma", ()))
    if "P_row" in z.files:
        import scipy.sparse as sp

        row = _npz_get(z, "P_row", kind="iu", ndim=1)
        col = _npz_get(z, "P_col", kind="iu", ndim=1)
        val = _npz_get(z, "P_value", kind="f", ndim=1)
        if not (row.shape == col.shape == val.shape):
            raise MalformedFileError(f"P_row, P_col, P_value differ in length: "
                                     f"{row.size}, {col.size}, {val.size}")
        if row.size and (row.min() < 0 or row.max() >= S * A or col.min() < 0 or col.max() >= S):
            raise MalformedFileError(f"sparse P indices out of range for S={S}, A={A}")
        P = sp.csr_matrix((val.astype(np.float64), (row.astype(np.int64), col.astype(np.int64))),
                          shape=(S * A, S))
    else:
        P = readf("P", (S, A, S))
    return MDP(P, r, gamma, rho)
