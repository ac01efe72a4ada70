"""grid-mapfiles and EACL signing policies."""

from __future__ import annotations

import pytest

from gridware.security import GridMap, GridMapError, SigningPolicyError, SigningPolicyViolationError
from gridware.security.signing_policy import SigningPolicy, policy_text

GRIDMAP = r"""
# users of the test grid
"/O=Grid/OU=Test/CN=Jane Doe" jdoe
"/O=Grid/OU=Test/CN=John \"Jack\" Smith" jsmith,griduser
"/O=Grid/OU=Test/CN=Back\\slash"   bs , other
/O=Grid/OU=Test/CN=robot robot
"/O=Grid/OU=Test/CN=Jane Doe" second_line_ignored

"/O=Grid/OU=Test/Email=old@example.org/CN=Old" old
"""


def test_gridmap_parse_and_lookup():
    gridmap = GridMap.parse(GRIDMAP, "test")
    assert gridmap.local_user("/O=Grid/OU=Test/CN=Jane Doe") == "jdoe"
    assert gridmap.users('/O=Grid/OU=Test/CN=John "Jack" Smith') == ("jsmith", "griduser")
    assert gridmap.users("/O=Grid/OU=Test/CN=Back\\slash") == ("bs", "other")
    assert gridmap.local_user("/O=Grid/OU=Test/CN=robot") == "robot"
    assert gridmap.local_user("/O=Grid/OU=Test/emailAddress=old@example.org/CN=Old") == "old"
    assert gridmap.local_user("/O=Grid/OU=Test/CN=Nobody") is None
    assert gridmap.is_mapped('/O=Grid/OU=Test/CN=John "Jack" Smith', "griduser")
    assert not gridmap.is_mapped('/O=Grid/OU=Test/CN=John "Jack" Smith', "root")
    assert gridmap.dns_for("griduser") == ['/O=Grid/OU=Test/CN=John "Jack" Smith']
    assert len(gridmap) == 6
    assert [e.line for e in gridmap][:2] == [3, 4]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('"/O=Grid/CN=x jdoe', "closing quote"),
        ('"/O=Grid/CN=x"', "no local user"),
        ('"/O=Grid/CN=x"jdoe', "space after"),
        ('"O=Grid/CN=x" jdoe', "must start with '/'"),
        ('"/O=Grid/CN=x" jdoe,', "not a valid local user"),
        ('"/O=Grid/CN=x" jd;oe', "not a valid local user"),
        ('"/O=Grid/CN=x\\', "backslash"),
    ],
)
def test_gridmap_bad_lines_are_reported_with_line_numbers(line, message):
    with pytest.raises(GridMapError, match=rf"map:3: .*{message}"):
        GridMap.parse(f"# header\n\n{line}\n", "map")


def test_gridmap_load(tmp_path, monkeypatch):
    path = tmp_path / "grid-mapfile"
    path.write_text('"/O=Grid/CN=A" a\n')
    monkeypatch.setenv("GRIDMAP", str(path))
    assert GridMap.load().local_user("/O=Grid/CN=A") == "a"
    with pytest.raises(GridMapError, match="does not exist"):
        GridMap.load(tmp_path / "missing")


POLICY = """
# two CAs in one file
access_id_CA      X509         '/C=US/O=Globus/CN=Globus Certification Authority'
pos_rights        globus        CA:sign
cond_subjects     globus       '"/C=us/O=Globus/*"  "/C=US/O=Globus/*"'

access_id_CA   X509   '/O=Grid/OU=Test/CN=Test CA'
pos_rights     globus CA:sign
cond_subjects  globus '"/O=Grid/OU=Test/*" "/O=Grid/OU=Exact/CN=Only?"'
neg_rights     globus CA:sign
cond_subjects  globus '"/O=Grid/OU=Test/CN=Banned*"'
"""


def test_signing_policy_matching():
    policy = SigningPolicy.parse(POLICY)
    ca = "/O=Grid/OU=Test/CN=Test CA"
    assert policy.allows(ca, "/O=Grid/OU=Test/CN=Jane Doe")
    assert policy.allows(ca, "/O=Grid/OU=Exact/CN=Only1")
    assert not policy.allows(ca, "/O=Grid/OU=Exact/CN=Only12")
    assert not policy.allows(ca, "/O=Grid/OU=test/CN=Jane Doe")  # case-sensitive, as Globus
    assert not policy.allows(ca, "/O=Grid/OU=Test/CN=Banned User")
    assert not policy.allows(ca, "/O=Grid/OU=Testing/CN=x")
    assert policy.allows("/C=US/O=Globus/CN=Globus Certification Authority", "/C=us/O=Globus/CN=x")
    with pytest.raises(SigningPolicyViolationError, match="no policy for the CA"):
        policy.check("/O=Other/CN=CA", "/O=Other/CN=x")
    with pytest.raises(SigningPolicyViolationError, match="forbids"):
        policy.check(ca, "/O=Grid/OU=Test/CN=Banned")


def test_written_policies_parse():
    text = policy_text("/O=Grid/OU=Test/CN=Test CA", ["/O=Grid/OU=Test/*"])
    assert SigningPolicy.parse(text).allows("/O=Grid/OU=Test/CN=Test CA", "/O=Grid/OU=Test/CN=a")
    with pytest.raises(SigningPolicyError):
        policy_text("/O=It's/CN=CA", ["/O=It's/*"])


@pytest.mark.parametrize(
    "text",
    [
        "",
        "# only a comment\n",
        "access_id_CA X509 '/O=Grid/CN=CA'\n",  # no rights
        "access_id_CA X509 '/O=Grid/CN=CA\npos_rights globus CA:sign\n",  # unterminated quote
        "access_id_CA X509 '/O=Grid/CN=CA'\npos_rights globus CA:sign\n",  # right without condition
        "pos_rights globus CA:sign\ncond_subjects globus '\"/O=Grid/*\"'\n",  # before access_id_CA
        "access_id_CA X509 '/O=Grid/CN=CA'\ncond_subjects globus '\"/O=Grid/*\"'\n",
        "access_id_CA X509 '/O=Grid/CN=CA'\nRIGHT ''\n",
        "access_id_CA X509 '/O=Grid/CN=CA'\nRIGHT '\"/O=G'\n",
        "access_id_CA X509 '/O=Grid/CN=CA'\nRIGHT /O=G/*\n",
        "access_id_CA PGP '/O=Grid/CN=CA'\nRIGHT '\"/*\"'\n",
        "access_id_ANYBODY X509 '/O=Grid/CN=CA'\n",
        "access_id_CA X509 '/O=Grid/CN=CA'\npos_rights globus CA:sign\ncond_subjects globus\n",
        "'stray quoted string' x y\n",
    ],
)
def test_malformed_signing_policies_raise(text):
    text = text.replace("RIGHT", "pos_rights globus CA:sign\ncond_subjects globus")
    with pytest.raises(SigningPolicyError):
        SigningPolicy.parse(text, "p")
