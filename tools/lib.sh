# Shared by tools/demo and tools/test: a virtualenv in .venv with gridware installed.
# Works on a fresh Debian machine with Python 3.11; as root it installs the Debian
# packages it needs (after apt-get update).

die() { echo "gridware: $*" >&2; exit 1; }

as_root_apt() {
    # apt_install PKG...: install Debian packages that are missing (root only).
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        die "please install the Debian packages: ${missing[*]}"
    fi
    echo "gridware: installing Debian packages: ${missing[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

want_apt() {
    # want_apt PKG...: as root, install the missing Debian packages (via as_root_apt);
    # otherwise only say which are missing (the tests that need them skip, or fail under CI=true).
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        as_root_apt "$@"
        return
    fi
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] || echo "gridware: missing Debian packages (tests will skip): ${missing[*]}" >&2
}

# Interop peers of the security tests: grid-proxy-init/-info, grid-cert-*, grid-ca-create, openssl,
# and the xmlsec1 command line (WS-Security signatures both ways).
SECURITY_TEST_PACKAGES=(globus-proxy-utils globus-gsi-cert-utils-progs globus-simple-ca openssl xmlsec1)

# The persistence tests start a PostgreSQL cluster of their own (initdb/pg_ctl, as nobody
# when root: setpriv from util-linux); psycopg comes with the test extra.
PERSISTENCE_TEST_PACKAGES=(postgresql util-linux)

find_python() {
    for py in "${PYTHON:-}" python3.11 python3.12 python3.13 python3; do
        [ -n "$py" ] || continue
        command -v "$py" >/dev/null || continue
        if "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$py"
            return 0
        fi
    done
    die "Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)"
}

ensure_venv() {
    # ensure_venv [EXTRAS]: create .venv if needed and install gridware into it.
    local extras="${1:-}"
    local py
    py="$(find_python)"
    if [ ! -x .venv/bin/python ]; then
        if ! "$py" -m venv .venv 2>/dev/null; then
            rm -rf .venv
            as_root_apt python3-venv
            "$py" -m venv .venv || die "cannot create a virtualenv with $py"
        fi
        .venv/bin/python -m pip install -q --upgrade pip >/dev/null
    fi
    local target="."
    [ -n "$extras" ] && target=".[${extras}]"
    .venv/bin/python -m pip install -q --disable-pip-version-check -e "$target" \
        || die "installing gridware into .venv failed"
}
