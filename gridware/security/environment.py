"""Where Globus keeps credentials, trusted CAs and the grid-mapfile.

The same environment variables and defaults as the Globus tools:

=================  ==================================================================
X509_USER_PROXY    the proxy; default ``/tmp/x509up_u<uid>``
X509_USER_CERT     the user certificate; default ``~/.globus/usercert.pem``
X509_USER_KEY      the user key; default ``~/.globus/userkey.pem``
X509_CERT_DIR      trusted CAs; default the first existing of ``~/.globus/certificates``,
                   ``/etc/grid-security/certificates``, ``$GLOBUS_LOCATION/share/certificates``
GRIDMAP            the grid-mapfile; default ``/etc/grid-security/grid-mapfile``
=================  ==================================================================

Every function takes an optional ``environ`` mapping (default ``os.environ``) so
tests and services can pass their own.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from gridware.security.errors import TrustStoreError

GRID_SECURITY = Path("/etc/grid-security")


def _env(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def _home(environ: Mapping[str, str]) -> Path:
    home = environ.get("HOME")
    return Path(home) if home else Path.home()


def proxy_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$X509_USER_PROXY``, else ``/tmp/x509up_u<uid>``."""
    env = _env(environ)
    explicit = env.get("X509_USER_PROXY")
    return Path(explicit) if explicit else Path(f"/tmp/x509up_u{os.getuid()}")


def user_cert_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$X509_USER_CERT``, else ``~/.globus/usercert.pem``."""
    env = _env(environ)
    explicit = env.get("X509_USER_CERT")
    return Path(explicit) if explicit else _home(env) / ".globus" / "usercert.pem"


def user_key_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$X509_USER_KEY``, else ``~/.globus/userkey.pem``."""
    env = _env(environ)
    explicit = env.get("X509_USER_KEY")
    return Path(explicit) if explicit else _home(env) / ".globus" / "userkey.pem"


def cert_dir_candidates(environ: Mapping[str, str] | None = None) -> list[Path]:
    """The trusted-CA directories Globus would look at, in order."""
    env = _env(environ)
    explicit = env.get("X509_CERT_DIR")
    if explicit:
        return [Path(explicit)]
    candidates = [_home(env) / ".globus" / "certificates", GRID_SECURITY / "certificates"]
    location = env.get("GLOBUS_LOCATION")
    if location:
        candidates.append(Path(location) / "share" / "certificates")
    return candidates


def cert_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The trusted certificates directory: ``$X509_CERT_DIR`` or the first default that exists."""
    candidates = cert_dir_candidates(environ)
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    raise TrustStoreError(f"no trusted certificates directory (tried {tried}); set X509_CERT_DIR")


def gridmap_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$GRIDMAP``, else ``/etc/grid-security/grid-mapfile``."""
    explicit = _env(environ).get("GRIDMAP")
    return Path(explicit) if explicit else GRID_SECURITY / "grid-mapfile"
