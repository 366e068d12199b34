r"""The registry of parameterization names: ``"softmax"``, ``"direct"``, ``"loglinear"``, ``"energy"``, ``"neural"``.

Every public function that takes a parameterization (the checkers of
:mod:`mdptheory.lemmas`, :mod:`mdptheory.landscape`, the strategies) accepts it
as a :class:`~mdptheory.policies.base.Parameterization` object or as one of the
names below, built for the sizes ``(S, A)`` of the MDP at hand:

=============  ===============================================================  ==================
name           parameterization                                                 shape of θ
=============  ===============================================================  ==================
``softmax``    :class:`TabularSoftmax` (τ = 1)                                  ``(S·A,)``
``direct``     :class:`Direct`, last action = remainder                         ``(S·(A−1),)``
``loglinear``  :class:`LogLinear` with ``features`` (one-hot of (s, a) if none)  ``(d,)``
``energy``     :class:`EnergyPolicy` with the tabular energy                    ``(S·A,)``
``neural``     needs features and a width: pass a :class:`NeuralSoftmax` object  —
=============  ===============================================================  ==================

>>> from mdptheory.policies.names import resolve_parameterization
>>> resolve_parameterization("direct", n_states=2, n_actions=3)
Direct(2, 3)
>>> resolve_parameterization(3, n_states=2, n_actions=3)
Traceback (most recent call last):
...
mdptheory.exceptions.InvalidParameterError: param must be a parameterization name ('direct', 'energy', 'loglinear', 'neural', 'softmax') or a Parameterization object; got 3 (int)
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..exceptions import InvalidParameterError, format_value
from .base import Parameterization

__all__ = ["PARAMETERIZATIONS", "register_parameterization", "resolve_parameterization", "parameterization_name"]


def _softmax(S, A, **options):
    from .softmax import TabularSoftmax

    return TabularSoftmax(S, A, **options)


def _direct(S, A, **options):
    from .direct import Direct

    return Direct(S, A, **options)


def _loglinear(S, A, *, features=None, **options):
    from .loglinear import LogLinear

    if features is None:
        features = np.eye(S * A, dtype=np.int64).reshape(S, A, S * A)
    return LogLinear(features, **options)


def _energy(S, A, **options):
    from .energy import EnergyPolicy

    return EnergyPolicy(S, A, **options)


def _neural(S, A, **options):
    raise InvalidParameterError("param='neural' cannot be built from a name (it needs features, a width and a "
                                "seed): pass NeuralSoftmax(features, width, seed=...) as the param object")


#: name -> factory ``(S, A, **options) -> Parameterization``.
PARAMETERIZATIONS: dict[str, Callable] = {
    "softmax": _softmax,
    "direct": _direct,
    "loglinear": _loglinear,
    "energy": _energy,
    "neural": _neural,
}


def register_parameterization(name: str, factory: Callable) -> None:
    """Add a name to the registry: ``factory(S, A, **options)`` builds the parameterization."""
    if not isinstance(name, str) or not name.isidentifier():
        raise InvalidParameterError(f"name must be an identifier string; got {format_value(name)}")
    if not callable(factory):
        raise InvalidParameterError(f"factory must be callable; got {format_value(factory)}")
    PARAMETERIZATIONS[name] = factory


def _names() -> str:
    return ", ".join(repr(k) for k in sorted(PARAMETERIZATIONS))


def resolve_parameterization(param, *, n_states=None, n_actions=None, argument: str = "param",
                             **options) -> Parameterization:
    """The parameterization object named or given by ``param``.

    Parameters
    ----------
    param : str or Parameterization
        A name of :data:`PARAMETERIZATIONS` or an object (returned unchanged,
        after checking its sizes against ``n_states``/``n_actions`` when given).
    n_states, n_actions : int, keyword-only
        Sizes of the MDP; needed to build a parameterization from a name.
    argument : str, keyword-only
        Name of the argument in error messages.
    **options
        Passed to the factory of a name (e.g. ``features`` for ``"loglinear"``).

    Raises
    ------
    InvalidParameterError
        Unknown name, wrong type, missing sizes, or an object of other sizes.
    """
    if isinstance(param, Parameterization):
        for want, got, what in ((n_states, param.n_states, "states"), (n_actions, param.n_actions, "actions")):
            if want is not None and int(want) != got:
                raise InvalidParameterError(f"{argument} = {format_value(param)} has {got} {what}; the MDP has {want}")
        return param
    if isinstance(param, str):
        key = param.strip().lower().replace("-", "").replace("_", "")
        if key not in PARAMETERIZATIONS:
            raise InvalidParameterError(f"{argument} = {format_value(param)} is not a parameterization name; known: {_names()}")
        if n_states is None or n_actions is None:
            raise InvalidParameterError(f"{argument} = {format_value(param)} needs the sizes of the MDP (n_states, n_actions) "
                                        f"to build the parameterization")
        return PARAMETERIZATIONS[key](int(n_states), int(n_actions), **options)
    raise InvalidParameterError(f"{argument} must be a parameterization name ({_names()}) or a Parameterization "
                                f"object; got {format_value(param)} ({type(param).__name__})")


def parameterization_name(param) -> str | None:
    """The registry name whose default construction ``param`` is, or None.

    >>> from mdptheory.policies import TabularSoftmax, Direct
    >>> parameterization_name(TabularSoftmax(2, 2)), parameterization_name(TabularSoftmax(2, 2, temperature=2.0))
    ('softmax', None)
    """
    from .direct import Direct
    from .softmax import TabularSoftmax

    if type(param) is TabularSoftmax and param.temperature == 1:
        return "softmax"
    if type(param) is Direct:
        return "direct"
    return None
