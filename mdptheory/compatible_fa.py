r"""Compatible function approximation (AJKS Lemmas 11.1 and 11.2).

:func:`compatible_fa` fits :math:`w^* = \arg\min_w \mathbb{E}_{\nu}(y - w\cdot\phi)^2`
with the compatible features :math:`\phi = \nabla_\theta \log\pi_\theta`
(or given features) and target :math:`y = A^{\pi_\theta}` or :math:`Q^{\pi_\theta}`
under :math:`\nu = d_\rho^{\pi_\theta} \otimes \pi_\theta`; for the advantage
target with compatible features :math:`w^* = F_\rho^\dagger \nabla V`, the
natural gradient.  :func:`q_npg_weights` is the Q-NPG weight of a log-linear
policy.  Results are :class:`CompatibleFit` objects.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ._geometry_common import _evaluation, _policy_and_score, _weighted_gram
from .exceptions import InvalidParameterError, format_value
from .deprecation import renamed_keyword
from .fields import (
    EXACT,
    exact_array,
    float_array,
)
from .fisher_information import pinv_solve

__all__ = [
    "CompatibleFit",
    "compatible_fa",
    "q_npg_weights",
]


# ---------------------------------------------------------------- compatible function approximation
class CompatibleFit:
    r"""Result of a weighted least-squares fit :math:`w^* = \arg\min_w \mathbb{E}_{\nu}(y - w\cdot\phi)^2`.

    Attributes
    ----------
    w : ndarray, shape (n,)
        The minimum-norm minimiser :math:`M^\dagger b`.
    error : Fraction or float
        :math:`\mathbb{E}_{s\sim d, a\sim\pi}(y(s,a) - w^*\cdot\phi(s,a))^2`.
    gram : ndarray, shape (n, n)
        :math:`M = \mathbb{E}_\nu[\phi\phi^\top]` (the Fisher matrix when
        :math:`\phi` is the score).
    moment : ndarray, shape (n,)
        :math:`b = \mathbb{E}_\nu[\phi\, y]`.
    target : str
        ``"advantage"`` or ``"q"``.
    mode : str
    """

    def __init__(self, w, error, gram, moment, target, mode):
        self.w, self.error, self.gram, self.moment = w, error, gram, moment
        self.target, self.mode = target, mode

    def __repr__(self):
        return f"CompatibleFit(n={self.w.shape[0]}, target={self.target!r}, error={self.error!r}, mode={self.mode!r})"


def compatible_fa(mdp, param, theta, *, mu=None, target="advantage", features=None, mode=None,
                  rho=None) -> CompatibleFit:
    r"""Compatible function approximation (AJKS Lemmas 11.1, 11.2; statement F1, F2).

    .. math::

        w^* = \arg\min_w \mathbb{E}_{s\sim d_\rho^{\pi_\theta}}\mathbb{E}_{a\sim\pi_\theta}
        \left(A^{\pi_\theta}(s,a) - w\cdot\nabla_\theta\log\pi_\theta(a|s)\right)^2

    taken as the minimum-norm minimiser :math:`w^* = F_\rho^\dagger\, \mathbb{E}[\nabla\log\pi\, A]`.
    Since :math:`\mathbb{E}[\nabla\log\pi\,A] = (1-\gamma)\nabla V(\rho)` (policy
    gradient theorem), Lemma 11.1 gives
    :math:`\nabla V(\rho) = (1-\gamma)^{-1}\mathbb{E}[\nabla\log\pi\,(w^*\cdot\nabla\log\pi)]`
    and Lemma 11.2 :math:`F_\rho^\dagger\nabla V(\rho) = w^*/(1-\gamma)` (for the
    minimum-norm minimiser; any minimiser satisfies :math:`F w^* = (1-\gamma)\nabla V`).

    Parameters
    ----------
    mdp : MDP
    param : parameterization
    theta : array_like, shape (n_params,)
    mu : array_like, shape (S,), optional, keyword-only
        The start distribution of :math:`d_\rho` (default ``mdp.rho``).
    target : {"advantage", "q"}, keyword-only
        Regress :math:`A^\pi` or :math:`Q^\pi`.
    features : array_like, shape (S, A, n), optional, keyword-only
        Regressors :math:`\phi(s, a)`; default the score :math:`\nabla\log\pi`
        (the compatible features).  In exact mode float features are taken at
        their exact binary value.
    mode : {"float", "exact"}, optional, keyword-only
    rho : array_like, optional, keyword-only
        Deprecated name of ``mu`` (``DeprecationWarning``).

    Returns
    -------
    CompatibleFit
    """
    rho = renamed_keyword("compatible_fa", "rho", "mu", old_value=rho, new_value=mu)
    if target not in ("advantage", "q"):
        raise InvalidParameterError(f"target must be 'advantage' or 'q'; got {format_value(target)}")
    pi, score, mode = _policy_and_score(mdp, param, theta, mode)
    exact = mode == EXACT
    S, A = pi.shape
    if features is None:
        phi = score
    else:
        phi = np.asarray(features)
        if phi.ndim != 3 or phi.shape[:2] != (S, A):
            raise InvalidParameterError(f"features must have shape (S, A, n) with (S, A) = ({S}, {A}); got {phi.shape}")
        if exact:
            if phi.dtype.kind == "f":  # floats are dyadic rationals: their exact binary value
                phi = np.frompyfunc(lambda x: Fraction(float(x)), 1, 1)(phi)
            phi = exact_array(phi, name="features")
        else:
            phi = float_array(phi, name="features")
    n = phi.shape[2]
    ev = _evaluation(mdp, pi, mode)
    d = ev.visitation(rho)
    y = (ev.advantage if target == "advantage" else ev.Q).reshape(-1)
    nu = (d[:, None] * pi).reshape(-1)
    X = phi.reshape(S * A, n)
    M = _weighted_gram(nu, X, exact=exact)
    b = _weighted_gram(nu, X, y[:, None], exact=exact)[:, 0]
    w = pinv_solve(M, b)
    if exact:
        res = y - (X * w[None, :]).sum(axis=1) if n else y
        err = sum((v * r * r for v, r in zip(nu, res)), Fraction(0))
    else:
        res = y - X @ w
        err = float(nu @ (res * res))
    return CompatibleFit(w, err, M, b, target, mode)


def q_npg_weights(mdp, param, theta, *, mu=None, mode=None, rho=None) -> CompatibleFit:
    r"""Q-NPG weights for a log-linear policy (AJKS §11.2; statement F3).

    .. math::

        w^* = \arg\min_w \mathbb{E}_{s\sim d_\rho^{\pi_\theta}}\mathbb{E}_{a\sim\pi_\theta}
        \left(Q^{\pi_\theta}(s,a) - w\cdot\phi(s,a)\right)^2

    on the raw features :math:`\phi` (minimum-norm minimiser); the update is
    :math:`\theta \leftarrow \theta + \eta w^*`, i.e.
    :math:`\pi \leftarrow \pi\exp(\eta\, w^*\cdot\phi)/Z`.  NPG instead regresses
    :math:`A` on the centred features :math:`\phi - \mathbb{E}_\pi\phi = \nabla\log\pi`
    (:func:`compatible_fa`); the two updates coincide when the compatible error is 0.

    Parameters
    ----------
    mdp : MDP
    param : parameterization with ``features`` of shape (S, A, d)
        A :class:`~mdptheory.policies.LogLinear` policy.
    theta : array_like, shape (d,)
    mu, mode : as in :func:`compatible_fa` (``rho``: deprecated name of ``mu``)

    Returns
    -------
    CompatibleFit
    """
    phi = getattr(param, "_phi_exact", None)  # LogLinear keeps rational features exactly
    if phi is None:
        phi = getattr(param, "features", None)
    if phi is None:
        raise InvalidParameterError("q_npg_weights needs a log-linear parameterization with a 'features' attribute")
    mu = renamed_keyword("q_npg_weights", "rho", "mu", old_value=rho, new_value=mu)
    return compatible_fa(mdp, param, theta, mu=mu, target="q", features=phi, mode=mode)
