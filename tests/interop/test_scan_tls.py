"""`signet scan tls` against a real loopback nginx serving three chains.

The CA and the valid leaf are made with the openssl CLI; the expired leaf (openssl 3.0 cannot back-date
`x509 -req`) is signed by the same CA with `cryptography`; the self-signed leaf comes from
`openssl req -x509`. nginx listens on three free ports, one chain each, with every temp path under
the test directory. The scan must report expired / self-signed / valid, and nothing else.
"""

from __future__ import annotations

import datetime
import json
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from harness import SIGNET_BIN, describe

NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None)


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_certificates(d: Path) -> None:
    san = d / "san.ext"
    san.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key", cwd=d)
    openssl("req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=Interop Test CA", "-days", "30", "-out", "ca.pem",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    # Valid: issued by the CA for localhost.
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "valid.key", cwd=d)
    openssl("req", "-new", "-key", "valid.key", "-subj", "/CN=localhost", "-out", "valid.csr", cwd=d)
    openssl("x509", "-req", "-in", "valid.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "60",
            "-sha256", "-extfile", "san.ext", "-out", "valid.pem", cwd=d)
    # Self-signed for localhost.
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "self.key",
            "-subj", "/CN=localhost", "-days", "60", "-addext", "subjectAltName=DNS:localhost", "-out", "self.pem", cwd=d)
    # Expired: issued by the same CA, valid from 60 to 30 days ago.
    ca_key = serialization.load_pem_private_key((d / "ca.key").read_bytes(), password=None)
    ca_cert = x509.load_pem_x509_certificate((d / "ca.pem").read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    expired = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=60))
        .not_valid_after(now - datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    (d / "expired.pem").write_bytes(expired.public_bytes(serialization.Encoding.PEM))
    (d / "expired.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


@pytest.fixture
def nginx(tmp_path: Path):
    if NGINX is None:
        pytest.skip("nginx is not installed (scripts/test installs it with apt-get)")
    make_certificates(tmp_path)
    ports = {"expired": free_port(), "self": free_port(), "valid": free_port()}
    servers = "\n".join(
        f"""    server {{
        listen 127.0.0.1:{port} ssl;
        server_name localhost;
        ssl_certificate {tmp_path}/{name}.pem;
        ssl_certificate_key {tmp_path}/{name}.key;
        location / {{ return 200 "{name}\\n"; }}
    }}"""
        for name, port in ports.items()
    )
    (tmp_path / "nginx.conf").write_text(f"""
pid {tmp_path}/nginx.pid;
worker_processes 1;
error_log {tmp_path}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {tmp_path}/client_body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
{servers}
}}
""")
    process = subprocess.Popen(
        [NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "error.log"),
         "-g", "daemon off;"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        for port in ports.values():
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        log = (tmp_path / "error.log").read_text() if (tmp_path / "error.log").exists() else ""
                        raise RuntimeError(f"nginx did not start: {process.stdout.read().decode()} {log}")
                    time.sleep(0.1)
        yield tmp_path, ports
    finally:
        process.terminate()
        process.wait(timeout=10)


def scan(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([SIGNET_BIN, "scan", "tls", *args], capture_output=True, text=True, timeout=60)


def test_nginx_expired_self_signed_and_valid(nginx):
    d, ports = nginx
    targets = [f"127.0.0.1:{ports[name]}" for name in ("expired", "self", "valid")]
    result = scan(*targets, "--offline", "--format", "json", "--ca-file", str(d / "ca.pem"), "--sni", "localhost")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    by_target = {e["target"]: e for e in report["endpoints"]}
    assert list(by_target) == targets

    expired = by_target[targets[0]]
    assert expired["status"] == "ok" and expired["server_name"] == "localhost"
    assert [f["code"] for f in expired["findings"]] == ["expired"]
    assert expired["findings"][0]["severity"] == "critical"
    assert expired["trusted"] is True  # the CA is trusted; only the validity is wrong
    assert expired["certificate"]["status"] == "expired"

    self_signed = by_target[targets[1]]
    assert [f["code"] for f in self_signed["findings"]] == ["self-signed"]
    assert self_signed["certificate"]["certificate"]["self_signed"] is True
    assert self_signed["trusted"] is False

    valid = by_target[targets[2]]
    assert valid["findings"] == []
    assert valid["trusted"] is True
    cert = valid["certificate"]
    assert cert["kind"] == "x509-certificate" and cert["status"] == "active"
    assert cert["certificate"]["issuer"] == "CN=Interop Test CA"
    assert cert["certificate"]["sans"] == ["DNS:localhost", "IP:127.0.0.1"]
    assert cert["algorithm"] == "EC P-256" and cert["key_size"] == 256
    assert cert["locations"][0] == {**cert["locations"][0], "type": "tls", "target": targets[2]}

    # The fingerprint is SHA-256 of the leaf's SubjectPublicKeyInfo, as openssl computes it.
    spki = subprocess.run(
        "openssl x509 -in valid.pem -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r",
        shell=True, cwd=d, check=True, capture_output=True, text=True).stdout.split()[0]
    assert cert["fingerprint"] == "sha256:" + spki

    assert report["summary"]["targets"] == 3 and report["summary"]["handshakes"] == 3
    assert report["summary"]["by_code"] == {"expired": 1, "self-signed": 1}
    assert "3 endpoints, 3 handshakes" in result.stderr


def test_without_ca_file_the_valid_chain_is_untrusted_and_fail_on_gates(nginx):
    d, ports = nginx
    # nginx serves the leaf alone; without the CA its issuer is unknown: an incomplete chain (medium).
    target = f"127.0.0.1:{ports['valid']}"
    result = scan(target, "--offline", "--format", "json", "--sni", "localhost", "--fail-on", "medium")
    assert result.returncode == 1, result.stderr
    endpoint = json.loads(result.stdout)["endpoints"][0]
    assert [(f["code"], f["severity"]) for f in endpoint["findings"]] == [("incomplete-chain", "medium")]
    assert endpoint["trusted"] is False
    assert scan(target, "--offline", "--format", "json", "--sni", "localhost", "--fail-on", "high").returncode == 0

    mismatch = scan(f"127.0.0.1:{ports['valid']}", "--offline", "--format", "json", "--sni", "wrong.example",
                    "--ca-file", str(d / "ca.pem"))
    assert [f["code"] for f in json.loads(mismatch.stdout)["endpoints"][0]["findings"]] == ["hostname-mismatch"]


def test_errors_and_usage(tmp_path):
    closed = free_port()
    result = scan(f"127.0.0.1:{closed}", "--offline", "--format", "json")
    assert result.returncode == 0, result.stderr
    endpoint = json.loads(result.stdout)["endpoints"][0]
    assert endpoint["status"] == "error" and endpoint["error"]["code"] == "connection-refused"

    # Without --offline the results go to a server: none runs at this address, and the CLI says so.
    online = scan(f"127.0.0.1:{closed}", "--server", "https://127.0.0.1:1", "--ca", str(tmp_path / "none.pem"))
    assert online.returncode != 0 and "error" in online.stderr, describe(online)
    too_big = scan("10.0.0.0/8:443", "--offline")
    assert too_big.returncode == 2 and "65536" in too_big.stderr
    no_port = scan("localhost", "--offline")
    assert no_port.returncode == 2 and "missing port" in no_port.stderr
    bad_ca = scan("127.0.0.1:1", "--offline", "--ca-file", "/nonexistent/ca.pem")
    assert bad_ca.returncode == 2 and "--ca-file" in bad_ca.stderr
