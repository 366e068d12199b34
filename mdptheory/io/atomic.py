"""Atomic file writes: a temporary file in the target's directory, then :func:`os.replace`.

A reader of ``path`` sees either the old file or the complete new one, never a
partial write, and a failed write leaves ``path`` untouched (the temporary
file is removed).  The temporary file is created with mode ``0o666`` masked
by the process umask, like :func:`open`.
"""

from __future__ import annotations

import contextlib
import os
import secrets

__all__ = [
    "atomic_write",
]


@contextlib.contextmanager
def atomic_write(path, mode: str = "wb", *, encoding: str | None = None):
    """Open a temporary file next to ``path`` for writing; on success it replaces ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write.
    mode : {"wb", "w"}
        Binary or text mode.
    encoding : str, optional
        Text encoding (text mode only).

    Yields
    ------
    file object
        The open temporary file; it is flushed, synced and renamed onto
        ``path`` when the ``with`` block exits without an exception.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"mode = {mode!r}, expected 'wb' or 'w'")
    path = os.fspath(path)
    directory, name = os.path.split(os.path.abspath(path))
    tmp = os.path.join(directory, f".{name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, mode, encoding=encoding) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
