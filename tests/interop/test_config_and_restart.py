"""Server start-up: bad configuration is refused loudly, and state survives a restart."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from pathlib import Path

import pytest

from harness import SIGNET_BIN, SignetServer, unique

START_TIMEOUT = 20


def run_server_expecting_failure(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    data = tmp_path / "data"
    cmd = [SIGNET_BIN, "server", "--data-dir", str(data), "--listen", "127.0.0.1:0", *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=START_TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"`{' '.join(cmd)}` kept running: the bad configuration was accepted") from e
    assert "listening on" not in proc.stdout, f"server started despite bad configuration:\n{proc.stdout}"
    return proc


@pytest.mark.parametrize("toml,expect", [
    ('trust_domian = "example.org"\n', ["trust_domian"]),
    ('[x509]\nmax_tl = "1h"\n', ["max_tl"]),
    ('[governance]\nnaming_rule = ["spiffe://{td}/{env}"]\n', ["naming_rule"]),
    ('[mystery]\nx = 1\n', ["mystery"]),
    ('trust_domain = "Example.ORG"\n', ["trust_domain", "lowercase"]),
    ('trust_domain = "spiffe://example.org/path"\n', ["trust_domain"]),
    ('trust_domain = "exa mple.org"\n', ["trust_domain"]),
    ('[ca]\nkey_type = "rsa1024"\n', ["key_type"]),
    ('[x509]\nmax_ttl = "forever"\n', ["max_ttl"]),
    ('listen = "nowhere"\n', ["listen"]),
    ('this is = not toml [\n', ["line"]),
], ids=["typo-top-level", "typo-in-section", "typo-governance", "unknown-section", "uppercase-td",
        "td-with-path", "td-with-space", "weak-ca-key", "bad-duration", "bad-listen", "not-toml"])
def test_bad_config_is_refused(tmp_path, toml, expect):
    cfg = tmp_path / "signet.toml"
    cfg.write_text(toml)
    proc = run_server_expecting_failure(tmp_path, "--config", str(cfg))
    assert proc.returncode != 0, f"exit 0 for a bad config:\n{proc.stderr}"
    msg = proc.stderr + proc.stdout
    for e in expect:
        assert e.lower() in msg.lower(), f"message should name {e!r}:\n{msg}"
    assert not (tmp_path / "data" / "ca").exists(), "a refused configuration still created a CA"


def test_bad_trust_domain_flag_is_refused(tmp_path):
    proc = run_server_expecting_failure(tmp_path, "--trust-domain", "Bad_Domain!")
    assert proc.returncode != 0
    assert "trust-domain" in proc.stderr.lower() or "trust domain" in proc.stderr.lower(), proc.stderr


def test_missing_config_file_is_refused(tmp_path):
    proc = run_server_expecting_failure(tmp_path, "--config", str(tmp_path / "nope.toml"))
    assert proc.returncode != 0 and "nope.toml" in proc.stderr, proc.stderr


def _tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.parent.name in ("ca", "jwt")}


def test_restart_keeps_identity_and_refuses_other_trust_domain(tmp_path):
    data = tmp_path / "data"
    first = SignetServer(data, "example.org").start()
    sid = f"spiffe://example.org/prod/{unique('persist')}"
    try:
        entry = first.create_entry(sid, "--selector", "unix:uid:1000")
        bundle1 = first.get("/bundle", cert=None).json()
        pem1 = first.get("/bundle.pem", cert=None).text
        kid1 = first.active_jwt_kid()
    finally:
        first.stop_cleanly()
    ca_files = _tree_digest(data)

    # Another trust domain on the same data directory: refused, nothing touched.
    proc = subprocess.run([SIGNET_BIN, "server", "--data-dir", str(data), "--listen", "127.0.0.1:0",
                           "--trust-domain", "other.org"], capture_output=True, text=True, timeout=START_TIMEOUT,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode != 0, f"server accepted a data dir of another trust domain:\n{proc.stdout}{proc.stderr}"
    assert "example.org" in proc.stderr and "other.org" in proc.stderr, proc.stderr
    assert _tree_digest(data) == ca_files, "refused start modified CA/JWT key files"

    # Same trust domain: same roots, same JWT key, same bundle sequence, entries still there.
    second = SignetServer(data, "example.org").start()
    try:
        bundle2 = second.get("/bundle", cert=None).json()
        assert second.get("/bundle.pem", cert=None).text == pem1, "CA roots changed across a restart"
        assert bundle2["keys"] == bundle1["keys"], "bundle keys changed across a restart"
        assert bundle2["spiffe_sequence"] == bundle1["spiffe_sequence"], \
            f"spiffe_sequence moved {bundle1['spiffe_sequence']} -> {bundle2['spiffe_sequence']} with no key change"
        assert second.active_jwt_kid() == kid1
        shown = second.cli_json("entry", "show", entry["id"])
        assert shown["spiffe_id"] == sid and shown["selectors"] == entry["selectors"]
        # And it still issues under the persisted entry.
        out = second.mint_x509(sid, tmp_path / "svid")
        assert (out / "svid.pem").exists()
    finally:
        second.stop_cleanly()
    assert _tree_digest(data) == ca_files, "restart rewrote CA/JWT key files"


def test_sigterm_stops_server_cleanly(tmp_path):
    s = SignetServer(tmp_path / "data", "example.org").start()
    assert s.get("/readyz", cert=None).status_code == 200
    assert s.stop() == 0, s.logs()


# --------------------------------------------------------------------------
# Key file permissions
# --------------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_private_key_files_are_0600(server, workload):
    d = server.data_dir
    keys = [d / "admin" / "admin.key", *sorted((d / "ca").glob("*.key")), *server.jwt_key_files(),
            *sorted((d / "tls").glob("*.key"))]
    assert (d / "admin" / "admin.key").exists()
    assert list((d / "ca").glob("*.key")), "no CA key files found"
    assert server.jwt_key_files(), "no JWT key files found"
    _, svid_dir = workload
    keys.append(svid_dir / "svid.key")
    wrong = {str(k): oct(_mode(k)) for k in keys if _mode(k) != 0o600}
    assert not wrong, f"private keys not mode 0600: {wrong}"
    # No other private key anywhere in the data directory is readable by group/others.
    for p in d.rglob("*"):
        if p.is_file() and b"PRIVATE KEY" in p.read_bytes()[:200]:
            assert _mode(p) & 0o077 == 0, f"{p} holds a private key and is {oct(_mode(p))}"


def test_minted_key_is_0600_even_with_permissive_umask(server, tmp_path):
    sid = f"spiffe://example.org/prod/{unique('umask')}"
    server.create_entry(sid)
    out = tmp_path / "svid"
    cmd = [SIGNET_BIN, "x509", "mint", "--data-dir", str(server.data_dir), "--spiffe-id", sid, "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
                          preexec_fn=lambda: os.umask(0))
    assert proc.returncode == 0, proc.stderr
    assert _mode(out / "svid.key") == 0o600, oct(_mode(out / "svid.key"))


def test_mint_tightens_preexisting_world_readable_key_file(server, tmp_path):
    sid = f"spiffe://example.org/prod/{unique('prekey')}"
    server.create_entry(sid)
    out = tmp_path / "svid"
    out.mkdir()
    (out / "svid.key").write_text("old")
    os.chmod(out / "svid.key", 0o644)
    server.mint_x509(sid, out)
    assert _mode(out / "svid.key") == 0o600, oct(_mode(out / "svid.key"))
    assert b"PRIVATE KEY" in (out / "svid.key").read_bytes()
