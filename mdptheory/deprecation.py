"""Deprecated keyword arguments: the old name keeps working for one release, with a warning.

>>> import warnings
>>> with warnings.catch_warnings(record=True) as w:
...     warnings.simplefilter("always")
...     renamed_keyword("f", "rho", "mu", old_value=[1, 0], new_value=None)
...     str(w[0].message)
[1, 0]
'f(rho=...) is deprecated; use mu='
"""

from __future__ import annotations

import warnings

from .exceptions import InvalidParameterError

__all__ = ["renamed_keyword"]

def renamed_keyword(function: str, old: str, new: str, *, old_value, new_value, default=None, stacklevel: int = 3):
    """The value of a renamed keyword argument, warning when the old name was used.

    Parameters
    ----------
    function : str
        Name of the function (for the messages).
    old, new : str
        The deprecated and the new keyword.
    old_value, new_value
        What the caller passed under each name (``None``: not given).
    default : keyword-only
        The default of the new keyword (a new value equal to it counts as not given).

    Raises
    ------
    InvalidParameterError
        Both names given.
    """
    if old_value is None:
        return new_value
    if new_value is not None and not _same(new_value, default):
        raise InvalidParameterError(f"{function}: give {new}= only ({old}= is its deprecated name)")
    warnings.warn(f"{function}({old}=...) is deprecated; use {new}=", DeprecationWarning, stacklevel=stacklevel)
    return old_value


def _same(a, b) -> bool:
    try:
        return bool(a is b or a == b)
    except (TypeError, ValueError):
        return False
