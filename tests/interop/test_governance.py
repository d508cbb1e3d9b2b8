"""Governance rules enforced through the CLI: every refusal is clear and changes nothing."""

from __future__ import annotations

import pytest

from harness import describe, unique

NAMING_CONFIG = """
[governance]
naming_rules = ["spiffe://{td}/{env}/{team}/{service}"]
environments = ["prod", "dev"]
"""


def _ids(entries):
    return sorted(e["id"] for e in entries)


def assert_refused(server, args, *expect, code=None):
    before = _ids(server.entries())
    proc = server.cli("entry", "create", *args)
    assert proc.returncode != 0, f"entry create should have been refused:\n{describe(proc)}"
    if code is not None:
        assert proc.returncode == code, describe(proc)
    text = (proc.stderr + proc.stdout).lower()
    assert any(e.lower() in text for e in expect), f"message should mention one of {expect}:\n{describe(proc)}"
    assert _ids(server.entries()) == before, "a refused entry create changed the entry list"
    return proc


def test_owner_is_required(server):
    sid = f"spiffe://example.org/prod/{unique()}"
    proc = assert_refused(server, ["--spiffe-id", sid, "--purpose", "p"], "--owner")
    assert "missing" in proc.stderr.lower(), describe(proc)


def test_blank_owner_is_refused_by_policy(server):
    sid = f"spiffe://example.org/prod/{unique()}"
    assert_refused(server, ["--spiffe-id", sid, "--purpose", "p", "--owner", "  "], "owner is required")


def test_purpose_is_required(server):
    sid = f"spiffe://example.org/prod/{unique()}"
    assert_refused(server, ["--spiffe-id", sid, "--owner", "team"], "--purpose")
    assert_refused(server, ["--spiffe-id", sid, "--owner", "team", "--purpose", ""], "purpose is required")


@pytest.mark.parametrize("ttl_flag,value,expect", [
    ("--x509-ttl", "2h", "x509 ttl"),
    ("--x509-ttl", "3601s", "x509 ttl"),
    ("--jwt-ttl", "1h", "jwt ttl"),
])
def test_ttl_above_maximum_is_refused(server, ttl_flag, value, expect):
    sid = f"spiffe://example.org/prod/{unique()}"
    assert_refused(server, ["--spiffe-id", sid, "--owner", "t", "--purpose", "p", ttl_flag, value], expect)


def test_ttl_at_maximum_is_accepted(server):
    sid = f"spiffe://example.org/prod/{unique()}"
    entry = server.create_entry(sid, "--x509-ttl", "1h", "--jwt-ttl", "5m")
    assert entry["x509_ttl"] == 3600 and entry["jwt_ttl"] == 300


@pytest.mark.parametrize("path", ["/signet/server", "/signet/admin/bootstrap", "/signet/agent/x", "/signet"])
def test_reserved_signet_paths_are_refused(server, path):
    assert_refused(server, ["--spiffe-id", f"spiffe://example.org{path}", "--owner", "t", "--purpose", "p"],
                   "reserved")


def test_other_trust_domain_is_refused(server):
    assert_refused(server, ["--spiffe-id", "spiffe://other.org/prod/web", "--owner", "t", "--purpose", "p"],
                   "trust domain")


def test_trust_domain_id_without_path_is_refused(server):
    assert_refused(server, ["--spiffe-id", "spiffe://example.org", "--owner", "t", "--purpose", "p"], "path")


def test_invalid_spiffe_id_is_refused(server):
    assert_refused(server, ["--spiffe-id", "spiffe://example.org/a/../b", "--owner", "t", "--purpose", "p"],
                   "segment", "..")


def test_bad_dns_name_is_refused(server):
    sid = f"spiffe://example.org/prod/{unique()}"
    assert_refused(server, ["--spiffe-id", sid, "--owner", "t", "--purpose", "p", "--dns-name", "bad_name!"],
                   "dns name")


def test_expiry_in_the_past_is_refused(server):
    sid = f"spiffe://example.org/prod/{unique()}"
    assert_refused(server, ["--spiffe-id", sid, "--owner", "t", "--purpose", "p",
                            "--expires-at", "2001-01-01T00:00:00Z"], "past")


def test_policy_refusals_are_audited(server):
    sid = f"spiffe://example.org/signet/{unique()}"
    server.cli("entry", "create", "--spiffe-id", sid, "--owner", "t", "--purpose", "p")
    denied = [e for e in server.events(action="entry.create") if e["outcome"] == "denied" and e["subject"] == sid]
    assert len(denied) == 1, denied
    assert "reserved" in denied[0].get("reason", ""), denied[0]


def test_update_cannot_break_policy(server):
    sid = f"spiffe://example.org/prod/{unique()}"
    entry = server.create_entry(sid)
    for args, expect in [(["--x509-ttl", "2h"], "ttl"), (["--owner", " "], "owner"),
                         (["--spiffe-id", "spiffe://example.org/signet/server"], "reserved")]:
        proc = server.cli("entry", "update", entry["id"], *args)
        assert proc.returncode != 0 and expect in proc.stderr.lower(), describe(proc)
    shown = server.cli_json("entry", "show", entry["id"])
    assert shown["revision"] == entry["revision"] and shown["spiffe_id"] == sid and shown["x509_ttl"] == 3600


@pytest.fixture(scope="module")
def governed(tmp_path_factory):
    from harness import SignetServer
    s = SignetServer(tmp_path_factory.mktemp("governed") / "data", "example.org", config=NAMING_CONFIG).start()
    try:
        yield s
    finally:
        s.stop_cleanly()


@pytest.mark.parametrize("spiffe_id,expect", [
    ("spiffe://example.org/web", "naming rule"),
    ("spiffe://example.org/prod/payments", "naming rule"),
    ("spiffe://example.org/prod/payments/api/extra", "naming rule"),
    ("spiffe://example.org/staging/payments/api", "environment"),
])
def test_naming_rules_refuse(governed, spiffe_id, expect):
    assert_refused(governed, ["--spiffe-id", spiffe_id, "--owner", "payments", "--purpose", "p"], expect)


def test_naming_rules_accept(governed):
    before = len(governed.entries())
    entry = governed.create_entry("spiffe://example.org/prod/payments/api", owner="payments")
    assert entry["spiffe_id"] == "spiffe://example.org/prod/payments/api"
    governed.create_entry("spiffe://example.org/dev/payments/api", owner="payments", purpose="dev copy")
    assert len(governed.entries()) == before + 2


def test_environment_must_match_id(governed):
    assert_refused(governed, ["--spiffe-id", "spiffe://example.org/prod/search/api", "--owner", "search",
                              "--purpose", "p", "--environment", "dev"], "environment")
