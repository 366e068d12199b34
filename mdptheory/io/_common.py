"""Shared pieces of the file readers and writers of :mod:`mdptheory.io`.

The format tag and version, the cap :data:`MAX_NUMBER_CHARS` on the length of
one number, and the validating readers: an exact number ``"p/q"`` (or a
decimal or C99 hexadecimal string) as a :class:`~fractions.Fraction`, a float,
an index in range, and a nested list of exactly a given shape.  A value that
cannot be read raises the internal ``_Reject``, which the readers turn into
:class:`~mdptheory.exceptions.MalformedFileError`.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

import numpy as np

from ..exceptions import MalformedFileError, format_value
from ..fields import rational_str, to_fraction

__all__ = [
    "FORMAT_TAG",
    "FORMAT_VERSION",
    "MAX_NUMBER_CHARS",
    "check_path",
]


#: The ``"format"`` tag of mdptheory's JSON and npz files.
FORMAT_TAG = "mdptheory.mdp"
#: The current file format version; readers accept versions up to this one.
FORMAT_VERSION = 1
#: Longest accepted string form of one number (Python refuses to convert
#: integers of more than 4300 digits anyway).
MAX_NUMBER_CHARS = 4096
_RATIONAL_RE = re.compile(r"[+-]?\d+(?:/\d+)?|[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d{1,3})?")
_HEX_RE = re.compile(r"[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d{1,4})?")
_EXACT, _FLOAT = "exact", "float"


def check_path(path, *, allow_file: bool = False):
    """A file name (str, bytes or os.PathLike), or with ``allow_file`` an object with ``read``.

    An integer would be taken by ``open`` as a file descriptor (and closed
    afterwards), so anything else is refused before it reaches ``open``.
    """
    import os

    if allow_file and hasattr(path, "read"):
        return path
    if isinstance(path, (str, bytes, os.PathLike)) and not isinstance(path, bool):
        return path
    from ..exceptions import InvalidParameterError, format_value

    raise InvalidParameterError(f"path must be a file name (str or os.PathLike){' or a file object' if allow_file else ''}; "
                                f"got {type(path).__name__} {format_value(path)}")


class _Reject(Exception):
    """Internal: a value that cannot be read; turned into MalformedFileError."""


# ------------------------------------------------------------------ numbers
def _fraction_to_str(x) -> str:
    return rational_str(to_fraction(x))


def _read_exact(v, where: str) -> Fraction:
    if isinstance(v, bool) or v is None:
        raise MalformedFileError(f"{where} = {format_value(v)} is not a number")
    if isinstance(v, int):
        return Fraction(v)
    if isinstance(v, str):
        s = v.strip()
        if len(s) > MAX_NUMBER_CHARS:
            raise MalformedFileError(f"{where}: number string of {len(s)} characters exceeds "
                                     f"MAX_NUMBER_CHARS = {MAX_NUMBER_CHARS}")
        if not _RATIONAL_RE.fullmatch(s):
            raise MalformedFileError(f"{where} = {_short(v)} is not a rational number such as '3/4'")
        try:
            return Fraction(s)
        except (ValueError, ZeroDivisionError) as exc:
            raise MalformedFileError(f"{where} = {_short(v)}: {exc}") from None
    if isinstance(v, float):
        raise MalformedFileError(f"{where} = {format_value(v)} is a float in an exact file; write it as a string 'p/q'")
    raise MalformedFileError(f"{where} has type {type(v).__name__}, expected a rational string")


def _read_float(v, where: str) -> float:
    if isinstance(v, bool) or v is None:
        raise MalformedFileError(f"{where} = {format_value(v)} is not a number")
    if isinstance(v, (int, float)):
        try:
            x = float(v)
        except OverflowError:
            raise MalformedFileError(f"{where} = {_short(v)} overflows float64") from None
    elif isinstance(v, str):
        s = v.strip()
        if len(s) > MAX_NUMBER_CHARS or not _HEX_RE.fullmatch(s):
            raise MalformedFileError(f"{where} = {_short(v)} is not a float (number or float.hex string)")
        try:
            x = float.fromhex(s)
        except (ValueError, OverflowError) as exc:
            raise MalformedFileError(f"{where} = {_short(v)}: {exc}") from None
    else:
        raise MalformedFileError(f"{where} has type {type(v).__name__}, expected a number")
    if not math.isfinite(x):
        raise MalformedFileError(f"{where} = {_short(v)} is not a finite float64")
    return x


def _short(v) -> str:
    s = repr(v)
    return s if len(s) <= 60 else s[:40] + f"...<{len(s)} characters>"


# ------------------------------------------------------------------ shapes
def _index_int(v, where: str, upper: int | None = None) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise MalformedFileError(f"{where} = {_short(v)} is not an integer")
    v = int(v)
    if v < 0 or (upper is not None and v >= upper):
        bound = f"[0, {upper})" if upper is not None else ">= 0"
        raise MalformedFileError(f"{where} = {v} is out of range {bound}")
    return v


def _nested(obj, shape, where: str, read) -> np.ndarray:
    """Read a nested list of exactly ``shape`` into an array, entry by entry.

    The structure is checked while walking and the array is allocated only
    afterwards, so a file that claims a huge shape cannot trigger a huge
    allocation.
    """
    vals = []

    def walk(o, depth, idx):
        if depth == len(shape):
            vals.append(read(o, f"{where}[{', '.join(map(str, idx))}]"))
            return
        loc = f"{where}[{', '.join(map(str, idx))}]" if idx else where
        if not isinstance(o, list):
            raise MalformedFileError(f"{loc} must be a list of length {shape[depth]}; got {type(o).__name__}")
        if len(o) != shape[depth]:
            raise MalformedFileError(f"{loc} has length {len(o)}, expected {shape[depth]} "
                                     f"(shape {tuple(shape)})")
        for i, item in enumerate(o):
            walk(item, depth + 1, idx + (i,))

    walk(obj, 0, ())
    out = np.empty(len(vals), dtype=object if read is _read_exact else np.float64)
    out[:] = vals
    return out.reshape(shape)


def _require(d: dict, key: str):
    if key not in d:
        raise MalformedFileError(f"missing key {format_value(key)}")
    return d[key]
