"""Careful file handling for keys and proxies: private modes, atomic replacement."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from gridware.security.errors import CredentialError, InsecurePermissionsError


def write_file(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to ``path`` with ``mode``, atomically (a private temporary, then rename).

    The file never exists with looser permissions, and a symbolic link planted at
    ``path`` is replaced rather than followed.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def check_private(path: Path, what: str) -> None:
    """Refuse a key or proxy file that is not ours or that group/others may access."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise CredentialError(f"cannot read {what} {path}: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise CredentialError(f"{what} {path} is not a regular file")
    if st.st_uid != os.geteuid():
        raise InsecurePermissionsError(f"{what} {path} is not owned by the current user")
    if st.st_mode & 0o077:
        raise InsecurePermissionsError(
            f"permissions on {what} {path} are too permissive "
            f"({stat.S_IMODE(st.st_mode):04o}); the maximum is 0600: chmod 600 {path}"
        )


def read_file(path: Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise CredentialError(f"{what} {path} does not exist") from None
    except OSError as exc:
        raise CredentialError(f"cannot read {what} {path}: {exc.strerror}") from None
