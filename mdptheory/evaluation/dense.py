r"""Dense float solves of :math:`(I - \gamma P^\pi) x = b` and its transpose with one LAPACK LU.

LAPACK's ``getrf``/``getrs`` are called directly: about 2 us of overhead per
evaluation instead of about 25 us through ``scipy.linalg.lu_factor``.
"""

from __future__ import annotations

import warnings

from ..exceptions import NumericalWarning

__all__: list[str] = []


_LAPACK = None


def _lapack():
    """LAPACK's dgetrf/dgetrs, looked up once (scipy's wrappers cost ~10 us a call)."""
    global _LAPACK
    if _LAPACK is None:
        from scipy.linalg import lapack

        _LAPACK = (lapack.dgetrf, lapack.dgetrs)
    return _LAPACK


class _DenseFactor:
    """One LU factorization (LAPACK getrf) serving both ``M x = b`` and ``M^T y = b``.

    ``M`` is C-ordered, so ``M.T`` is Fortran-ordered: it is factored in place
    (no copy) as ``M^T = P L U``; the forward system ``M x = b`` is then
    getrs with ``trans=1`` and the transposed one ``trans=0``.  Calling
    getrf/getrs directly, rather than through ``scipy.linalg.lu_factor``,
    keeps the per-call overhead at about 2 us, which matters for the many tiny
    MDPs of property tests and sweeps.
    """

    def __init__(self, M):
        getrf, self._getrs = _lapack()
        self.lu, self.piv, info = getrf(M.T, overwrite_a=1)
        if info > 0:
            warnings.warn(f"I - gamma P_pi is numerically singular (zero pivot at {info - 1})",
                          NumericalWarning, stacklevel=4)

    def solve(self, b):
        x, _ = self._getrs(self.lu, self.piv, b, trans=1)
        return x

    def solve_T(self, b):
        x, _ = self._getrs(self.lu, self.piv, b, trans=0)
        return x
