"""The machine-identity inventory end to end: `signet scan path` and `signet inventory import` feed a
real server; `inventory list/show/assign`, `team`, `ownership` and `findings list` read and govern it.

Outside tools provide the inputs: `openssl` makes the certificates and keys the scanner finds, and the
import files follow the real tools' output formats (kubectl List JSON, the IAM credential report CSV,
`spire-server entry show -output json`). Every check that a secret value is never stored greps the
server's SQLite database file itself.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import random
import shutil
import string
import subprocess
import zlib
from pathlib import Path

import pytest

from harness import describe

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def github_token(rng: random.Random) -> str:
    body = "".join(rng.choice(BASE62) for _ in range(30))
    crc = zlib.crc32(body.encode())
    digits = ""
    for _ in range(6):
        crc, rest = divmod(crc, 62)
        digits = BASE62[rest] + digits
    return "ghp_" + body + digits


def openssl(*args: str, cwd: Path) -> None:
    proc = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


@pytest.fixture
def inv_server(spawn_server):
    server = spawn_server("inventory")
    server.cli_ok("team", "add", "payments", "--contact", "#payments-oncall")
    server.cli_ok("team", "add", "platform")
    server.cli_ok("ownership", "add", "--id", "payments-path", "--field", "path", "--pattern", "*/payments/*",
                  "--team", "payments")
    server.cli_ok("ownership", "add", "--id", "platform-ns", "--field", "namespace", "--pattern", "kube-*",
                  "--team", "platform")
    return server


@pytest.fixture
def tree(tmp_path):
    """Files with a GitHub token in two places, an RSA-1024 self-signed certificate, and a world-readable key."""
    root = tmp_path / "tree"
    (root / "payments" / "app").mkdir(parents=True)
    (root / "billing").mkdir()
    rng = random.Random(20261123)
    token = github_token(rng)
    (root / "payments" / "app" / ".env").write_text(f"DEBUG=false\nGITHUB_TOKEN={token}\n")
    (root / "billing" / "deploy.sh").write_text(f"#!/bin/sh\nexport GH_TOKEN={token}\n")
    openssl("req", "-x509", "-newkey", "rsa:1024", "-nodes", "-keyout", "weak.key", "-out", "weak.pem",
            "-days", "3", "-subj", "/CN=legacy.payments.example.org", "-sha1", cwd=root / "payments")
    os.chmod(root / "payments" / "weak.key", 0o644)
    return root, token


def items(server, *args: str) -> list[dict]:
    return server.cli_json("inventory", "list", "--limit", "10000", "--managed", "false", *args)["items"]


def assert_not_stored(server, *secrets: str) -> None:
    """No secret value appears in the server's database, its WAL, or any API listing."""
    for path in Path(server.data_dir).glob("signet.db*"):
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, f"{secret[:6]}… stored in {path.name}"
    listing = server.get("/v1/inventory?limit=10000").text + server.get("/v1/findings?limit=100000").text
    for secret in secrets:
        assert secret not in listing


def test_scan_uploads_one_item_per_credential_with_owners_from_rules(inv_server, tree):
    root, token = tree
    proc = inv_server.cli("scan", "path", str(root), "--format", "json")
    assert proc.returncode == 0, describe(proc)
    assert "uploaded" in proc.stderr, describe(proc)
    found = items(inv_server)
    tokens = [i for i in found if i["kind"] == "api-token"]
    assert len(tokens) == 1, tokens
    assert sorted(Path(l["target"]).name for l in tokens[0]["locations"]) == [".env", "deploy.sh"]
    assert tokens[0]["fingerprint"].startswith("hmac-sha256:")
    assert token not in json.dumps(found) and tokens[0]["preview"].startswith("ghp_")
    certs = [i for i in found if i["kind"] == "x509-certificate"]
    assert len(certs) == 1 and certs[0]["owner"] == "payments" and certs[0]["owner_source"] == "rule:payments-path"
    assert certs[0]["key_size"] == 1024 and certs[0]["certificate"]["self_signed"] is True
    key = [i for i in found if i["kind"] == "private-key"]
    assert len(key) == 1 and "world-readable" in key[0]["notes"], key
    # The certificate and the key share a public key: the fingerprints say so.
    assert certs[0]["fingerprint"] == key[0]["fingerprint"]
    pub = subprocess.run(["openssl", "pkey", "-in", str(root / "payments" / "weak.key"), "-pubout", "-outform", "DER"],
                         capture_output=True, timeout=30)
    import hashlib
    assert certs[0]["fingerprint"] == "sha256:" + hashlib.sha256(pub.stdout).hexdigest()
    assert_not_stored(inv_server, token)

    # Scanning again changes nothing but last-seen: still one item per credential.
    inv_server.cli_ok("scan", "path", str(root))
    again = items(inv_server)
    assert len(again) == len(found)
    assert any(e["subject"] == "scan-path" for e in inv_server.events("inventory.ingest"))


def test_findings_gate_sarif_and_ownership_changes(inv_server, tree):
    root, token = tree
    inv_server.cli_ok("scan", "path", str(root))
    listed = inv_server.cli_json("findings", "list")
    rules = {f["finding"]["rule"] for f in listed["findings"]}
    for rule in ["weak-key", "weak-signature", "world-readable-key", "hard-coded-secret", "shared", "expiring-soon",
                 "no-owner"]:
        assert rule in rules, (rule, sorted(rules))
    gate = inv_server.cli("findings", "list", "--fail-on", "high")
    assert gate.returncode == 1, describe(gate)
    ok = inv_server.cli("findings", "list", "--severity", "critical", "--owner", "platform", "--fail-on", "critical")
    assert ok.returncode == 0, describe(ok)

    sarif = json.loads(inv_server.cli_ok("findings", "list", "--output", "sarif").stdout)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    for result in run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
    assert any(r["locations"][0].get("physicalLocation", {}).get("artifactLocation", {}).get("uri", "").endswith((".env", "deploy.sh"))
               for r in run["results"] if r["ruleId"] == "hard-coded-secret")

    # The token has no owner; assigning one moves it and clears its no-owner finding.
    tok = [i for i in items(inv_server) if i["kind"] == "api-token"][0]
    refused = inv_server.cli("inventory", "assign", tok["id"], "--owner", "ghosts")
    assert refused.returncode != 0 and "team add" in refused.stderr, describe(refused)
    inv_server.cli_ok("inventory", "assign", tok["id"], "--owner", "payments")
    shown = inv_server.cli_json("inventory", "show", tok["id"])
    assert shown["item"]["owner"] == "payments" and shown["item"]["owner_source"] == "manual"
    assert shown["history"][-1]["action"] == "owner"
    assert not [f for f in shown["findings"] if f["finding"]["rule"] == "no-owner"]
    table = inv_server.cli_ok("inventory", "show", tok["id"]).stdout
    assert "locations (2)" in table and "history:" in table
    # A rescan does not take the manual owner away.
    inv_server.cli_ok("scan", "path", str(root))
    assert inv_server.cli_json("inventory", "show", tok["id"])["item"]["owner"] == "payments"
    owned = inv_server.cli_json("findings", "list", "--owner", "payments")["findings"]
    assert owned and all(f["finding"]["owner"] == "payments" for f in owned)
    expiring = items(inv_server, "--expiring-within", "30d", "--owner", "payments")
    assert [i["kind"] for i in expiring] == ["x509-certificate"]


def kubectl_list(token_value: str, password: str) -> dict:
    b64 = lambda s: base64.b64encode(s.encode()).decode()
    return {
        "apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
        "items": [
            {"apiVersion": "v1", "kind": "ServiceAccount",
             "metadata": {"name": "coredns", "namespace": "kube-system", "uid": "4b1c0e8e-5d3c-4a53-9a2b-0c1e7f0d9a11",
                          "creationTimestamp": "2024-01-10T08:00:00Z"}},
            {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
             "metadata": {"name": "coredns-token", "namespace": "kube-system",
                          "uid": "9e2d6a4c-1f7b-4c8e-8d3a-2b5f6e7a8c90", "creationTimestamp": "2024-01-10T08:00:00Z",
                          "annotations": {"kubernetes.io/service-account.name": "coredns"}},
             "data": {"token": b64(token_value), "namespace": b64("kube-system"), "ca.crt": b64("x")}},
            {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
             "metadata": {"name": "db", "namespace": "payments-prod", "uid": "0c7f2a9e-3b1d-4e6a-9f8c-5d4b3a2e1f00",
                          "creationTimestamp": "2023-03-01T12:00:00Z"},
             "data": {"password": b64(password), "username": b64("app")}},
        ],
    }


def test_imports_kubectl_aws_and_spire_without_storing_secrets(inv_server, tmp_path):
    rng = random.Random(7)
    sa_token = "eyJhbGciOiJSUzI1NiJ9." + "".join(rng.choice(BASE62) for _ in range(120)) + ".sig" + "x" * 40
    password = "".join(rng.choice(BASE62) for _ in range(24))
    kube = tmp_path / "kube.json"
    kube.write_text(json.dumps(kubectl_list(sa_token, password)))
    out = inv_server.cli_ok("inventory", "import", str(kube)).stdout
    assert "imported" in out, out

    report = io.StringIO()
    w = csv.writer(report, lineterminator="\n")
    header = ["user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
              "password_next_rotation", "mfa_active", "access_key_1_active", "access_key_1_last_rotated",
              "access_key_1_last_used_date", "access_key_1_last_used_region", "access_key_1_last_used_service",
              "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
              "access_key_2_last_used_region", "access_key_2_last_used_service", "cert_1_active", "cert_1_last_rotated",
              "cert_2_active", "cert_2_last_rotated"]
    w.writerow(header)
    w.writerow(["<root_account>", "arn:aws:iam::123456789012:root", "2019-05-01T10:00:00+00:00", "not_supported",
                "2026-11-01T09:00:00+00:00", "not_supported", "not_supported", "true", "false", "N/A", "N/A", "N/A",
                "N/A", "false", "N/A", "N/A", "N/A", "N/A", "false", "N/A", "false", "N/A"])
    w.writerow(["ci-deployer", "arn:aws:iam::123456789012:user/ci-deployer", "2021-02-03T04:05:06+00:00", "false",
                "N/A", "N/A", "N/A", "false", "true", "2021-02-03T04:06:00+00:00", "2026-11-20T10:00:00+00:00",
                "eu-west-1", "s3", "false", "N/A", "N/A", "N/A", "N/A", "false", "N/A", "false", "N/A"])
    aws = tmp_path / "credential-report.csv"
    aws.write_text(report.getvalue())
    inv_server.cli_ok("inventory", "import", str(aws), "--format", "aws-credential-report")

    spire = tmp_path / "entries.json"
    spire.write_text(json.dumps({"entries": [{
        "id": "0f6a3b2c-7d8e-4f90-a1b2-c3d4e5f60718", "spiffe_id": {"trust_domain": "example.org", "path": "/payments/api"},
        "parent_id": {"trust_domain": "example.org", "path": "/spire/agent/k8s_psat/prod/node-1"},
        "selectors": [{"type": "k8s", "value": "ns:payments"}], "x509_svid_ttl": 2592000, "jwt_svid_ttl": 300,
        "federates_with": [], "admin": True, "downstream": False, "expires_at": "0", "dns_names": [],
        "revision_number": "0", "store_svid": False, "hint": "", "created_at": "1700000000"}]}))
    inv_server.cli_ok("inventory", "import", str(spire))

    found = items(inv_server)
    kinds = sorted(i["kind"] for i in found)
    assert "kubernetes-service-account" in kinds and "kubernetes-token" in kinds and "password" in kinds, kinds
    assert "cloud-access-key" in kinds and "signet-entry" in kinds, kinds
    sa = [i for i in found if i["kind"] == "kubernetes-service-account"][0]
    assert sa["owner"] == "platform" and sa["owner_source"] == "rule:platform-ns", sa
    assert_not_stored(inv_server, sa_token, password)
    rules = {(f["finding"]["rule"], f["finding"]["item_id"].split(":")[0])
             for f in inv_server.cli_json("findings", "list")["findings"]}
    assert ("validity-above-policy", "signet-entry") in rules, rules   # a 30-day SVID TTL
    assert ("over-privileged", "signet-entry") in rules, rules         # an admin entry
    assert ("not-rotated", "cloud-access-key") in rules, rules         # a key from 2021


def test_bad_imports_and_usage_errors_change_nothing(inv_server, tmp_path):
    before = len(items(inv_server))
    bad = tmp_path / "bad.json"
    bad.write_text('{"apiVersion": "v1", "kind": "List", "items": [{"kind": "Secret"')
    proc = inv_server.cli("inventory", "import", str(bad), "--format", "kubectl")
    assert proc.returncode != 0 and proc.stderr.strip(), describe(proc)
    csv_bad = tmp_path / "bad.csv"
    csv_bad.write_text("user,arn\n\"unterminated,x\n")
    proc = inv_server.cli("inventory", "import", str(csv_bad), "--format", "aws-credential-report")
    assert proc.returncode != 0, describe(proc)
    for args in (["inventory", "list", "--kind", "banana"], ["inventory", "list", "--expiring-within", "soon"],
                 ["findings", "list", "--fail-on", "urgent"], ["inventory", "assign", "x"]):
        proc = inv_server.cli(*args)
        assert proc.returncode != 0 and proc.stderr.strip(), describe(proc)
    assert len(items(inv_server)) == before
    assert inv_server.cli("inventory", "show", "api-token:hmac-sha256:" + "0" * 64).returncode != 0
