r"""Log-linear policies :math:`\pi_\theta(a|s) \propto \exp(\theta^\top\phi(s,a)/\tau)` (AJKS Ch. 11, statement F3).

The score is the centred feature

.. math::

    \nabla_\theta\log\pi_\theta(a|s) = \frac{1}{\tau}\Big(\phi(s,a) - \sum_b \pi_\theta(b|s)\,\phi(s,b)\Big),

and the energy :math:`f_\theta = \theta^\top\phi` is linear, so
:math:`\nabla^2\log\pi = -\mathrm{Cov}_{\pi(\cdot|s)}(\phi)/\tau^2`.

Exact points: with integer features, :math:`\theta = \log q` (a
:class:`~mdptheory.policies.LogRational` of length ``d``) gives the rational
weights :math:`e^{\theta^\top\phi(s,a)} = \prod_j q_j^{\phi_j(s,a)}`; one-hot
features recover the tabular softmax.  The score at an exact point is exact
whenever the features are rational.
"""

from __future__ import annotations

import numpy as np

from ..exceptions import InvalidParameterError, format_value
from .softmax import SoftmaxFamily, exact_features

__all__ = ["LogLinear"]


class LogLinear(SoftmaxFamily):
    r"""Log-linear (softmax-linear) policy with features :math:`\phi(s, a) \in \mathbb{R}^d`.

    Parameters
    ----------
    features : array_like, shape (S, A, d)
        :math:`\phi(s, a)`; ints or Fractions keep exact copies for exact points.
    temperature : float or rational, keyword-only
        :math:`\tau > 0` (default 1; exact points need 1).

    Notes
    -----
    ``n_params = d``.  :math:`\pi_\theta(a|s) = e^{\theta^\top\phi(s,a)/\tau} / \sum_b e^{\theta^\top\phi(s,b)/\tau}`.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory.policies import LogLinear, LogRational
    >>> phi = np.array([[[1, 0], [0, 1], [1, 1]]])        # S=1, A=3, d=2
    >>> LogLinear(phi).probs(LogRational([2, 3])).tolist()  # weights 2, 3, 6
    [[Fraction(2, 11), Fraction(3, 11), Fraction(6, 11)]]
    """

    def __init__(self, features, *, temperature=1.0):
        try:
            phi_f = np.array(features, dtype=np.float64)
        except (TypeError, ValueError, OverflowError) as exc:
            raise InvalidParameterError(f"features cannot be read as real numbers: {exc}") from None
        if phi_f.ndim != 3:
            raise InvalidParameterError(f"features must have shape (S, A, d); got shape {phi_f.shape}")
        bad = ~np.isfinite(phi_f)
        if bad.any():
            s, a, j = np.argwhere(bad)[0]
            raise InvalidParameterError(f"features[{s}, {a}, {j}] = {format_value(phi_f[s, a, j])} is not finite")
        S, A, d = phi_f.shape
        if d < 1:
            raise InvalidParameterError("features must have at least one dimension d >= 1")
        super().__init__(S, A, d, temperature)
        phi_f.flags.writeable = False
        self.features = phi_f
        self._phi_exact = exact_features(features)
        self._phi_int = None
        if self._phi_exact is not None and all(x.denominator == 1 for x in self._phi_exact.flat):
            self._phi_int = np.vectorize(lambda x: int(x), otypes=[object])(self._phi_exact)

    def __repr__(self):
        """``LogLinear(np.array(...))``: Python that rebuilds it (a summary for large features)."""
        S, A, d = self.features.shape
        tau = "" if self.temperature == 1 else f", temperature={self.temperature!r}"
        if S * A * d > 512:
            return f"<LogLinear S={S}, A={A}, d={d}{tau}>"
        if self._phi_int is not None:
            return f"LogLinear(np.array({np.asarray(self._phi_int, dtype=np.int64).tolist()}){tau})"
        if self._phi_exact is not None:  # rationals: Fraction(p, q) literals
            return f"LogLinear(np.array({self._phi_exact.tolist()}, dtype=object){tau})"
        return f"LogLinear(np.array({np.asarray(self.features).tolist()}){tau})"

    @property
    def n_features(self) -> int:
        """Feature dimension ``d`` (= ``n_params``)."""
        return self.n_params

    def energy(self, theta):
        return self.features @ theta

    def energy_jacobian(self, theta):
        return self.features

    def _exact_weights(self, q):
        if self._phi_int is None:
            raise InvalidParameterError("an exact point theta = log q needs integer features "
                                        "(exp(theta . phi) = prod_j q_j^phi_j is rational only then)")
        return np.prod(q[None, None, :] ** self._phi_int, axis=2)

    def _exact_energy_jacobian(self):
        if self._phi_exact is None:
            raise InvalidParameterError("exact scores need rational features")
        return self._phi_exact
