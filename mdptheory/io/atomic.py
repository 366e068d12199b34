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
    "write_new",
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


def write_new(directory, stem: str, data, *, suffix: str = ".json") -> str:
    """Write ``data`` to a new file ``directory/stem{suffix}`` (or ``stem-2{suffix}``, …), atomically.

    The content goes to a temporary file first and is then linked under the
    first free name, so the file appears complete or not at all, and an
    existing file (an earlier run's witness, another worker's) is never
    overwritten.  Where the file system has no hard links, the name is
    reserved with an exclusive create and the temporary file renamed onto the
    reservation.

    Parameters
    ----------
    directory : str or os.PathLike
        Created if missing.
    stem : str
        File name without the suffix.
    data : str or bytes
    suffix : str, keyword-only

    Returns
    -------
    str
        The path written.
    """
    directory = os.fspath(directory)
    os.makedirs(directory, exist_ok=True)
    binary = isinstance(data, (bytes, bytearray))
    staged = os.path.join(directory, f".{stem}.{secrets.token_hex(6)}.staged")  # private to this call
    with atomic_write(staged, "wb" if binary else "w", encoding=None if binary else "utf-8") as fh:
        fh.write(data)
    try:
        k = 1
        while True:
            path = os.path.join(directory, f"{stem}{suffix}" if k == 1 else f"{stem}-{k}{suffix}")
            try:
                os.link(staged, path)
                return path
            except FileExistsError:
                k += 1
            except OSError:  # no hard links here: reserve the name, then rename onto it
                try:
                    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
                except FileExistsError:
                    k += 1
                    continue
                os.replace(staged, path)
                return path
    finally:
        with contextlib.suppress(OSError):
            os.unlink(staged)
