"""`signet scan path --offline` inventories certificates and keys made by real tools.

Files are generated with `openssl` (a P-256 self-signed certificate, an RSA-1024 certificate signed
with SHA-1, an expired certificate, an Ed25519 PKCS#8 key, an encrypted PKCS#8 key, a PKCS#12 bundle,
a DER copy of a certificate) and `ssh-keygen` (Ed25519 keys with and without a passphrase; skipped
when ssh-keygen is missing). The JSON report must name each with the right kind, algorithm, size,
encrypted flag, expiry and posture notes, merge the same certificate seen in two files into one item
with two locations, fingerprint a key like `openssl pkey -pubout -outform DER | sha256sum`, and
never print private key material.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from harness import SIGNET_BIN

OPENSSL = shutil.which("openssl")
SSH_KEYGEN = shutil.which("ssh-keygen")
pytestmark = pytest.mark.skipif(OPENSSL is None, reason="openssl is not installed")


def run(*args: str, cwd: Path):
    subprocess.run(list(args), cwd=cwd, check=True, capture_output=True, timeout=60)


def spki_fingerprint(key: Path) -> str:
    der = subprocess.run([OPENSSL, "pkey", "-in", str(key), "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    return "sha256:" + hashlib.sha256(der).hexdigest()


def write_expired_certificate(path: Path):
    """A P-384 certificate valid only during 2020 (OpenSSL 3.0's `req` cannot backdate, so `cryptography`)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP384R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "old.example")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc))
            .not_valid_after(dt.datetime(2021, 1, 1, tzinfo=dt.timezone.utc))
            .sign(key, hashes.SHA384()))
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("credentials")
    run(OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "p256.key", "-out", "p256.crt", "-days", "10", "-subj", "/CN=p256.example",
        "-addext", "subjectAltName=DNS:p256.example", cwd=root)
    run(OPENSSL, "req", "-x509", "-newkey", "rsa:1024", "-sha1", "-nodes", "-keyout", "rsa1024.key",
        "-out", "rsa1024.pem", "-days", "365", "-subj", "/CN=weak.example", cwd=root)
    write_expired_certificate(root / "old.crt")
    run(OPENSSL, "genpkey", "-algorithm", "ed25519", "-out", "ed25519.key", cwd=root)
    run(OPENSSL, "pkey", "-in", "p256.key", "-aes256", "-passout", "pass:secret", "-out", "encrypted.key", cwd=root)
    run(OPENSSL, "pkcs12", "-export", "-in", "p256.crt", "-inkey", "p256.key", "-out", "bundle.p12",
        "-passout", "pass:secret", cwd=root)
    run(OPENSSL, "x509", "-in", "p256.crt", "-outform", "DER", "-out", "p256.der", cwd=root)
    (root / "copy").mkdir()
    shutil.copy(root / "p256.crt", root / "copy" / "same.pem")
    if SSH_KEYGEN:
        run(SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-f", "id_plain", cwd=root)
        run(SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "passphrase", "-f", "id_locked", cwd=root)
    for path in root.rglob("*"):
        if path.is_file():
            path.chmod(0o600)
    (root / "p256.key").chmod(0o644)
    for name in ("p256.crt", "rsa1024.pem", "old.crt", "p256.der", "copy/same.pem"):
        (root / name).chmod(0o644)
    return root


@pytest.fixture(scope="module")
def report(tree):
    proc = subprocess.run([SIGNET_BIN, "scan", "path", "--offline", "--format", "json", str(tree)],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                          env={**os.environ, "SIGNET_FINGERPRINT_KEY": "interop-fingerprint-key-0123456789"})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, json.loads(proc.stdout)


def find(document, kind: str, path_suffix: str):
    matches = [c for c in document["credentials"] if c["kind"] == kind
               and any(loc["target"].endswith(path_suffix) for loc in c["locations"])]
    assert len(matches) == 1, (kind, path_suffix, [c["locations"] for c in document["credentials"]])
    return matches[0]


def test_p256_certificate_is_merged_across_files(tree, report):
    _, document = report
    cert = find(document, "x509-certificate", "/p256.crt")
    assert cert["algorithm"] == "EC P-256" and cert["key_size"] == 256
    targets = sorted(loc["target"] for loc in cert["locations"])
    assert targets == sorted(str(tree / n) for n in ("p256.crt", "p256.der", "copy/same.pem"))
    assert {loc["type"] for loc in cert["locations"]} == {"file"}
    assert [loc.get("line") for loc in cert["locations"] if loc["target"].endswith(".pem")] == [1]
    facts = cert["certificate"]
    assert facts["subject"] == "CN=p256.example" and facts["self_signed"] is True
    assert facts["sans"] == ["DNS:p256.example"]
    assert facts["signature_algorithm"] == "ecdsa-with-SHA256"
    expires = dt.datetime.fromisoformat(cert["expires"].replace("Z", "+00:00"))
    assert dt.timedelta(days=9) < expires - dt.datetime.now(dt.timezone.utc) <= dt.timedelta(days=10, minutes=5)
    assert cert["posture"] == ["expiring-soon", "self-signed"]
    assert cert["fingerprint"] == spki_fingerprint(tree / "p256.key")


def test_private_key_matches_certificate_and_is_world_readable(tree, report):
    _, document = report
    key = find(document, "private-key", "/p256.key")
    cert = find(document, "x509-certificate", "/p256.crt")
    assert key["fingerprint"] == cert["fingerprint"]
    assert key["encrypted"] is False
    assert key["posture"] == ["world-readable-private-key"]
    assert key["exposed_paths"] == [str(tree / "p256.key")]


def test_weak_rsa_sha1_certificate_and_key(tree, report):
    _, document = report
    cert = find(document, "x509-certificate", "/rsa1024.pem")
    assert cert["algorithm"] == "RSA" and cert["key_size"] == 1024
    assert cert["certificate"]["signature_algorithm"] == "sha1WithRSAEncryption"
    assert cert["posture"] == ["weak-key", "weak-signature", "self-signed"]
    key = find(document, "private-key", "/rsa1024.key")
    assert key["key_size"] == 1024 and key["posture"] == ["weak-key"]
    assert key["fingerprint"] == cert["fingerprint"] == spki_fingerprint(tree / "rsa1024.key")


def test_expired_certificate(report):
    _, document = report
    cert = find(document, "x509-certificate", "/old.crt")
    assert cert["status"] == "expired" and cert["expires"].startswith("2021-01-01")
    assert cert["algorithm"] == "EC P-384" and cert["key_size"] == 384
    assert "expired" in cert["posture"]


def test_ed25519_encrypted_and_pkcs12(tree, report):
    _, document = report
    ed = find(document, "private-key", "/ed25519.key")
    assert ed["algorithm"] == "Ed25519" and ed["key_size"] == 256 and ed["encrypted"] is False
    assert ed["fingerprint"] == spki_fingerprint(tree / "ed25519.key")
    assert ed["posture"] == []
    encrypted = find(document, "private-key", "/encrypted.key")
    assert encrypted["encrypted"] is True
    bundle = find(document, "pkcs12", "/bundle.p12")
    assert bundle["encrypted"] is True
    assert bundle["fingerprint"] == "sha256:" + hashlib.sha256((tree / "bundle.p12").read_bytes()).hexdigest()


@pytest.mark.skipif(SSH_KEYGEN is None, reason="ssh-keygen is not installed")
def test_openssh_keys(tree, report):
    _, document = report
    plain = find(document, "ssh-key", "/id_plain")
    locked = find(document, "ssh-key", "/id_locked")
    assert plain["algorithm"] == locked["algorithm"] == "Ed25519"
    assert plain["encrypted"] is False and locked["encrypted"] is True
    # The .pub file's key, as an SPKI, hashes to the same fingerprint.
    raw = base64.b64decode((tree / "id_plain.pub").read_text().split()[1])[-32:]
    spki = bytes.fromhex("302a300506032b6570032100") + raw
    assert plain["fingerprint"] == "sha256:" + hashlib.sha256(spki).hexdigest()


def test_no_private_key_material_in_any_output(tree, report):
    outputs = [report[0]]
    for fmt in ("table", "sarif"):
        proc = subprocess.run([SIGNET_BIN, "scan", "path", "--offline", "--format", fmt, str(tree)],
                              capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        outputs += [proc.stdout, proc.stderr]
    for key in ("p256.key", "rsa1024.key", "ed25519.key", "encrypted.key", *(["id_plain"] if SSH_KEYGEN else [])):
        body = "".join(line for line in (tree / key).read_text().splitlines() if not line.startswith("-----"))
        for chunk in (body[i:i + 24] for i in range(8, len(body) - 24, 24)):
            for output in outputs:
                assert chunk not in output, f"material of {key} leaked"


def test_sarif_results_for_posture(tree):
    proc = subprocess.run([SIGNET_BIN, "scan", "path", "--offline", "--format", "sarif", str(tree)],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    run_ = json.loads(proc.stdout)["runs"][0]
    rule_ids = [rule["id"] for rule in run_["tool"]["driver"]["rules"]]
    for rule in ("weak-key", "weak-signature", "expired-certificate", "world-readable-private-key"):
        assert rule in rule_ids
    by_rule: dict[str, list[str]] = {}
    for result in run_["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        uris = [loc["physicalLocation"]["artifactLocation"]["uri"] for loc in result["locations"]]
        by_rule.setdefault(result["ruleId"], []).extend(uris)
    assert by_rule["world-readable-private-key"] == ["p256.key"]
    assert by_rule["expired-certificate"] == ["old.crt"]
    assert sorted(by_rule["weak-key"]) == ["rsa1024.key", "rsa1024.pem"]
    assert by_rule["weak-signature"] == ["rsa1024.pem"]


def test_table_has_credentials_section(tree):
    proc = subprocess.run([SIGNET_BIN, "scan", "path", "--offline", "--format", "table", str(tree)],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    section = proc.stdout.split("CREDENTIALS\n", 1)[1]
    assert "x509-certificate  RSA 1024" in section
    assert "weak-key, weak-signature, self-signed" in section
    assert "world-readable-private-key" in section
