"""`signet scan path --offline` on a small generated tree, beside detect-secrets (PyPI).

The tree holds a few planted fake secrets at known file:line positions (an AWS access key id, a
GitHub token with a valid CRC-32 checksum, a real PEM private key, a PostgreSQL URL with a password)
and look-alikes that must not match (AWS's documented example key, a `ghp_` token whose checksum is
wrong, a URL whose password is a variable reference, a public key, UUIDs and hashes). The tests
assert exact file:line in JSON and SARIF, that no secret value appears in any output, the
`--fail-on` exit codes, usage errors, and that signet finds every planted secret detect-secrets
finds (recall >= detect-secrets').
"""

from __future__ import annotations

import json
import os
import random
import shutil
import string
import subprocess
import zlib
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from harness import SIGNET_BIN, describe

KEY = "interop-fingerprint-key-0123456789abcdef"
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def github_token(rng: random.Random, prefix: str = "ghp_") -> str:
    """A GitHub-format token: 30 random base62 characters, then their CRC-32 as 6 base62 digits."""
    body = "".join(rng.choice(BASE62) for _ in range(30))
    crc = zlib.crc32(body.encode())
    digits = ""
    for _ in range(6):
        crc, rest = divmod(crc, 62)
        digits = BASE62[rest] + digits
    return prefix + body + digits


def aws_key_id(rng: random.Random) -> str:
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))


class Tree:
    """The generated directory: files, the planted secrets as (relative path, line, value), the values."""

    def __init__(self, root: Path):
        self.root = root
        self.planted: list[tuple[str, int, str]] = []
        rng = random.Random(20261122)
        aws = aws_key_id(rng)
        ghp = github_token(rng)
        bad_ghp = github_token(rng)[:-1] + ("A" if github_token(rng)[-1] != "A" else "B")
        db_password = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(18))
        key_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
        public_pem = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        self.values = [aws, ghp, db_password] + [line for line in key_pem.splitlines() if "-----" not in line]

        self.write("config/settings.py", [
            '"""Settings for the orders service."""',
            "import os",
            "",
            f'AWS_ACCESS_KEY_ID = "{aws}"',
            'AWS_DOC_EXAMPLE = "AKIAIOSFODNN7EXAMPLE"',
            f'REQUEST_ID = "{"123e4567-e89b-12d3-a456-426614174000"}"',
        ], planted={4: aws})
        self.write("deploy/.env", [
            "# CI secrets (should come from the vault)",
            f"GITHUB_TOKEN={ghp}",
            f"GITHUB_TOKEN_OLD={bad_ghp}",
            f"DATABASE_URL=postgres://orders:{db_password}@db.internal:5432/orders",
            "REPLICA_URL=postgres://orders:${DB_PASSWORD}@replica.internal:5432/orders",
            "CHECKSUM=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        ], planted={2: ghp, 4: db_password})
        self.write("keys/service.key", ["# service key, do not commit", *key_pem.splitlines()], planted={2: key_pem})
        self.write("keys/service.pub", public_pem.splitlines())
        self.write("docs/README.md", ["# Orders", "", "Set `GITHUB_TOKEN` to a token such as `ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`."])
        (root / "bin").mkdir()
        (root / "bin" / "blob.bin").write_bytes(b"\x00\x01" + f"AWS={aws_key_id(rng)}".encode())

    def write(self, relative: str, lines: list[str], planted: dict[int, str] | None = None):
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n")
        for line, value in (planted or {}).items():
            self.planted.append((relative, line, value))

    @property
    def expected(self) -> set[tuple[str, int]]:
        return {(path, line) for path, line, _ in self.planted}


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Tree:
    return Tree(tmp_path_factory.mktemp("scan-tree"))


def scan(*args: str, key: str | None = KEY) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SIGNET_FINGERPRINT_KEY"}
    if key is not None:
        env["SIGNET_FINGERPRINT_KEY"] = key
    return subprocess.run([SIGNET_BIN, "scan", "path", *args], capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=30)


def assert_no_secret(tree: Tree, *outputs: str):
    for output in outputs:
        for value in tree.values:
            assert value not in output, f"a secret value leaked into the output: {value[:4]}…"


def test_json_reports_each_planted_secret_at_its_line_and_nothing_else(tree):
    proc = scan(str(tree.root), "--offline", "--format", "json")
    assert proc.returncode == 0, describe(proc)
    report = json.loads(proc.stdout)
    found = {(str(Path(f["path"]).relative_to(tree.root)), f["line"]): f for f in report["findings"]}
    assert set(found) == tree.expected, describe(proc)
    detectors = {location: f["detector_id"] for location, f in found.items()}
    assert detectors == {
        ("config/settings.py", 4): "aws-access-key-id",
        ("deploy/.env", 2): "github-pat",
        ("deploy/.env", 4): "database-url-postgres",
        ("keys/service.key", 2): "private-key-pkcs8",
    }
    aws = found[("config/settings.py", 4)]
    assert aws["column"] == len('AWS_ACCESS_KEY_ID = "') + 1
    assert aws["severity"] == "critical" and aws["kind"] == "cloud-access-key"
    assert aws["preview"].startswith("AKIA") and "…" in aws["preview"] and len(aws["preview"]) < 12
    assert all(f["fingerprint"].startswith("hmac-sha256:") and len(f["fingerprint"]) == 12 + 64 for f in found.values())
    summary = report["summary"]
    assert summary["files_scanned"] == 5 and summary["files_skipped_binary"] == 1
    assert summary["findings"] == 4
    assert summary["findings_by_severity"]["critical"] == sum(f["severity"] == "critical" for f in found.values())
    assert summary["bytes_scanned"] == sum(p.stat().st_size for p in tree.root.rglob("*") if p.is_file() and p.suffix != ".bin")
    assert "random per-run key" not in proc.stderr
    assert_no_secret(tree, proc.stdout, proc.stderr)


def test_fingerprints_are_keyed_and_stable(tree):
    first = json.loads(scan(str(tree.root), "--offline", "--format", "json").stdout)["findings"]
    again = json.loads(scan(str(tree.root), "--offline", "--format", "json").stdout)["findings"]
    other = scan(str(tree.root), "--offline", "--format", "json", key="another-key-of-sufficient-length")
    assert [f["fingerprint"] for f in first] == [f["fingerprint"] for f in again]
    assert not {f["fingerprint"] for f in first} & {f["fingerprint"] for f in json.loads(other.stdout)["findings"]}
    unkeyed = scan(str(tree.root), "--offline", "--format", "json", key=None)
    assert unkeyed.returncode == 0 and "random per-run key" in unkeyed.stderr
    assert "not comparable across runs" in unkeyed.stderr


def test_sarif_is_valid_2_1_0_with_relative_locations(tree, tmp_path):
    out = tmp_path / "scan.sarif"
    proc = scan(str(tree.root), "--offline", "--format", "sarif", "--output-file", str(out))
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout == ""
    sarif = json.loads(out.read_text())
    # The required shape of the SARIF 2.1.0 schema (sarif-schema-2.1.0.json): version, runs, tool.driver.name,
    # result.message.text, plus the properties code-scanning services rely on.
    assert sarif["version"] == "2.1.0" and "sarif-2.1.0" in sarif["$schema"]
    assert isinstance(sarif["runs"], list) and len(sarif["runs"]) == 1
    run = sarif["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "signet"
    rules = driver["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids)) >= 40, "one rule per detector id"
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] in {"none", "note", "warning", "error"}
    bases = run["originalUriBaseIds"]
    located = set()
    secret_results = [r for r in run["results"] if "secretFingerprint/v1" in r["partialFingerprints"]]
    # The rest are certificate/key posture results (weak-key, world-readable-private-key...), tested in
    # test_scan_credentials.py.
    assert all("credentialFingerprint/v1" in r["partialFingerprints"] for r in run["results"] if r not in secret_results)
    for result in secret_results:
        assert result["message"]["text"]
        assert result["ruleId"] == rules[result["ruleIndex"]]["id"]
        assert result["level"] in {"none", "note", "warning", "error"}
        assert result["partialFingerprints"]["secretFingerprint/v1"].startswith("hmac-sha256:")
        physical = result["locations"][0]["physicalLocation"]
        artifact, region = physical["artifactLocation"], physical["region"]
        assert not artifact["uri"].startswith(("/", "file:")), "uri is relative to the scanned root"
        base = urlparse(bases[artifact["uriBaseId"]]["uri"])
        assert base.scheme == "file" and Path(unquote(base.path)) == tree.root.resolve()
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert (tree.root / unquote(artifact["uri"])).is_file()
        located.add((unquote(artifact["uri"]), region["startLine"]))
    assert located == tree.expected
    # The same keyed fingerprints as the JSON output.
    json_prints = {f["fingerprint"] for f in json.loads(scan(str(tree.root), "--offline", "--format", "json").stdout)["findings"]}
    assert {r["partialFingerprints"]["secretFingerprint/v1"] for r in secret_results} == json_prints
    assert_no_secret(tree, out.read_text(), proc.stdout, proc.stderr)


def test_table_output_has_no_secret(tree):
    proc = scan(str(tree.root), "--offline")
    assert proc.returncode == 0, describe(proc)
    assert "keys/service.key:2:1" in proc.stdout and "4 findings" in proc.stdout
    assert_no_secret(tree, proc.stdout, proc.stderr)


def test_fail_on_thresholds(tree, tmp_path):
    assert scan(str(tree.root), "--offline", "--format", "json", "--fail-on", "critical").returncode == 1
    assert scan(str(tree.root), "--offline", "--format", "json", "--fail-on", "low").returncode == 1
    # Only the PostgreSQL URL (high) below a critical gate; only look-alikes pass every gate.
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "app.env").write_text("DATABASE_URL=postgres://app:Zq7yLm2VwK9pTn4R@db:5432/app\n")
    assert scan(str(tmp_path / "db"), "--offline", "--fail-on", "critical").returncode == 0
    assert scan(str(tmp_path / "db"), "--offline", "--fail-on", "high").returncode == 1
    (tmp_path / "clean").mkdir()
    shutil.copy(tree.root / "docs" / "README.md", tmp_path / "clean" / "README.md")
    shutil.copy(tree.root / "keys" / "service.pub", tmp_path / "clean" / "service.pub")
    clean = scan(str(tmp_path / "clean"), "--offline", "--format", "json", "--fail-on", "low")
    assert clean.returncode == 0 and json.loads(clean.stdout)["findings"] == []


@pytest.mark.parametrize("args, message", [
    (["--fingerprint-key-file", "/nonexistent/key"], "--fingerprint-key-file is for --offline scans"),
    (["--offline", "--format", "xml"], "--format must be json, sarif or table"),
    (["--offline", "--fail-on", "urgent"], "--fail-on must be low, medium, high or critical"),
    (["--offline", "--max-file-size", "ten"], "--max-file-size"),
    (["--offline", "--concurrency", "0"], "--concurrency"),
    (["--offline", "--no-such-option"], "unknown option --no-such-option"),
])
def test_usage_errors_exit_2(tree, args, message):
    proc = scan(str(tree.root), *args)
    assert proc.returncode == 2, describe(proc)
    assert message in proc.stderr and proc.stdout == ""


def test_missing_path_and_short_key_exit_2(tree, tmp_path):
    proc = scan(str(tmp_path / "nope"), "--offline")
    assert proc.returncode == 2 and "no such file or directory" in proc.stderr
    short = scan(str(tree.root), "--offline", key="short")
    assert short.returncode == 2 and "shorter than 16 bytes" in short.stderr
    keyfile = tmp_path / "key"
    keyfile.write_text(KEY + "\n")
    from_file = scan(str(tree.root), "--offline", "--format", "json", "--fingerprint-key-file", str(keyfile), key=None)
    from_env = scan(str(tree.root), "--offline", "--format", "json")
    assert [f["fingerprint"] for f in json.loads(from_file.stdout)["findings"]] == \
        [f["fingerprint"] for f in json.loads(from_env.stdout)["findings"]]


def test_size_limit_and_binary_flags(tree):
    small = json.loads(scan(str(tree.root), "--offline", "--format", "json", "--max-file-size", "100B").stdout)
    assert small["summary"]["files_skipped_too_large"] >= 3
    binary = json.loads(scan(str(tree.root), "--offline", "--format", "json", "--include-binary").stdout)
    assert binary["summary"]["files_skipped_binary"] == 0
    assert any(f["path"].endswith("bin/blob.bin") for f in binary["findings"])


def detect_secrets_bin() -> str | None:
    candidate = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "detect-secrets"
    return str(candidate) if candidate.exists() else shutil.which("detect-secrets")


def test_recall_at_least_detect_secrets(tree):
    ds = detect_secrets_bin()
    if ds is None:
        pytest.skip("detect-secrets is not installed (pip install -r tests/interop/requirements.txt)")
    proc = subprocess.run([ds, "scan", "-n", "--all-files", "."], cwd=tree.root, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=25)
    assert proc.returncode == 0, proc.stderr
    ds_hits = {(path.removeprefix("./"), f["line_number"]) for path, items in json.loads(proc.stdout)["results"].items()
               for f in items}
    ours = json.loads(scan(str(tree.root), "--offline", "--format", "json").stdout)
    our_hits = {(str(Path(f["path"]).relative_to(tree.root)), f["line"]) for f in ours["findings"]}
    ds_true = ds_hits & tree.expected
    assert ds_true, f"detect-secrets found none of the planted secrets: {ds_hits}"
    assert ds_true <= our_hits, f"detect-secrets found planted secrets signet missed: {ds_true - our_hits}"
    assert len(our_hits & tree.expected) >= len(ds_true)
