"""X.509-SVIDs minted by Signet, checked by OpenSSL, pyca/cryptography and a real TLS handshake."""

from __future__ import annotations

import datetime
import socket
import ssl
import subprocess
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID

from harness import describe, unique

OPENSSL_TIMEOUT = 20


def openssl_verify(ca_file: Path, chain_file: Path, purpose: str) -> subprocess.CompletedProcess:
    """`openssl verify` of the leaf in chain_file, intermediates from chain_file, roots from ca_file."""
    cmd = ["openssl", "verify", "-CAfile", str(ca_file), "-untrusted", str(chain_file),
           "-purpose", purpose, "-x509_strict", str(chain_file)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=OPENSSL_TIMEOUT, stdin=subprocess.DEVNULL)


def load_chain(path: Path) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(path.read_bytes())


def issued_at(path: Path) -> datetime.datetime:
    """When a minted file was written: the reference point for notBefore (session fixtures may be old)."""
    return datetime.datetime.fromtimestamp(path.stat().st_mtime, datetime.timezone.utc)


def assert_svid_profile(leaf: x509.Certificate, spiffe_id: str, *, ec_key: bool = True,
                        minted: datetime.datetime | None = None) -> None:
    """The X.509-SVID profile (SPIFFE X509-SVID §3-4) as a strict relying party sees it."""
    san = leaf.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    uris = san.get_values_for_type(x509.UniformResourceIdentifier)
    assert uris == [spiffe_id], f"leaf must carry exactly one URI SAN {spiffe_id}, has {uris}"

    bc = leaf.extensions.get_extension_for_oid(ExtensionOID.BASIC_CONSTRAINTS)
    assert bc.value.ca is False, "leaf must be CA:FALSE"

    ku_ext = leaf.extensions.get_extension_for_oid(ExtensionOID.KEY_USAGE)
    assert ku_ext.critical, "keyUsage must be critical"
    ku = ku_ext.value
    assert ku.digital_signature, "keyUsage must include digitalSignature"
    assert not ku.key_cert_sign and not ku.crl_sign, "leaf must not have keyCertSign/cRLSign"
    assert not ku.content_commitment and not ku.data_encipherment
    if ec_key:
        assert not ku.key_encipherment and not ku.key_agreement, \
            f"an EC leaf should have digitalSignature only, has {ku}"

    eku = leaf.extensions.get_extension_for_oid(ExtensionOID.EXTENDED_KEY_USAGE).value
    assert ExtendedKeyUsageOID.SERVER_AUTH in eku and ExtendedKeyUsageOID.CLIENT_AUTH in eku, f"EKU is {list(eku)}"

    serial = leaf.serial_number
    assert serial > 0, "serial must be positive"
    assert serial.bit_length() >= 64, f"serial {serial:x} has fewer than 64 bits"
    assert serial.bit_length() <= 159, "serial must fit in 20 octets"

    now = datetime.datetime.now(datetime.timezone.utc)
    minted = minted or now
    skew = abs((leaf.not_valid_before_utc - minted).total_seconds())
    assert skew <= 60, f"notBefore {leaf.not_valid_before_utc} is {skew:.0f}s from the minting time {minted}"
    assert leaf.not_valid_after_utc > now


# --------------------------------------------------------------------------
# OpenSSL
# --------------------------------------------------------------------------


@pytest.mark.parametrize("purpose", ["sslclient", "sslserver"])
def test_openssl_accepts_minted_svid(server, workload, purpose):
    _, svid_dir = workload
    proc = openssl_verify(svid_dir / "bundle.pem", svid_dir / "svid.pem", purpose)
    assert proc.returncode == 0 and ": OK" in proc.stdout, describe(proc)


def test_minted_svid_profile(server, workload):
    spiffe_id, svid_dir = workload
    chain = load_chain(svid_dir / "svid.pem")
    assert len(chain) >= 2, "svid.pem must hold the leaf and its intermediate"
    assert_svid_profile(chain[0], spiffe_id, minted=issued_at(svid_dir / "svid.pem"))
    dns = chain[0].extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value \
        .get_values_for_type(x509.DNSName)
    assert dns == ["workload.example.org"], dns
    for ca in chain[1:]:
        assert ca.extensions.get_extension_for_oid(ExtensionOID.BASIC_CONSTRAINTS).value.ca
    # The key written next to it belongs to the leaf.
    key = serialization.load_pem_private_key((svid_dir / "svid.key").read_bytes(), password=None)
    assert key.public_key().public_numbers() == chain[0].public_key().public_numbers()
    # bundle.pem from mint == the server's published roots.
    published = server.get("/bundle.pem", cert=None)
    assert published.status_code == 200
    assert {c.fingerprint(hashes.SHA256()) for c in x509.load_pem_x509_certificates(published.content)} == \
        {c.fingerprint(hashes.SHA256()) for c in load_chain(svid_dir / "bundle.pem")}


def test_openssl_refuses_svid_against_other_trust_domain(server, other_server, workload, tmp_path):
    _, svid_dir = workload
    foreign = tmp_path / "other-bundle.pem"
    foreign.write_bytes(other_server.get("/bundle.pem", cert=None).content)
    for purpose in ("sslclient", "sslserver"):
        proc = openssl_verify(foreign, svid_dir / "svid.pem", purpose)
        assert proc.returncode != 0, f"an example.org SVID verified against the other.org bundle!\n{describe(proc)}"
        assert "unable to get" in (proc.stdout + proc.stderr) or "error" in (proc.stdout + proc.stderr).lower()


def test_openssl_refuses_svid_from_other_trust_domain(server, other_server, tmp_path):
    spiffe_id = f"spiffe://other.org/prod/{unique()}"
    other_server.create_entry(spiffe_id)
    out = other_server.mint_x509(spiffe_id, tmp_path / "svid")
    proc = openssl_verify(Path(server.ca_file), out / "svid.pem", "sslclient")
    assert proc.returncode != 0, describe(proc)


# --------------------------------------------------------------------------
# pyca/cryptography
# --------------------------------------------------------------------------


def test_default_intermediate_is_name_constrained(workload):
    """By default the signing CA is limited to URIs of its trust domain (X509-SVID §4.2)."""
    _, svid_dir = workload
    chain = load_chain(svid_dir / "svid.pem")
    nc = chain[1].extensions.get_extension_for_oid(ExtensionOID.NAME_CONSTRAINTS)
    assert nc.critical
    assert [n.value for n in nc.value.permitted_subtrees] == ["example.org"]


def test_cryptography_path_validation(spawn_server, tmp_path):
    """pyca/cryptography's RFC 5280 verifier implements only DNS/IP name constraints and refuses
    chains with URI constraints (as the SPIFFE spec warns); with `[ca] name_constraints = false`
    Signet's chains pass it."""
    from cryptography.x509.verification import PolicyBuilder, Store

    s = spawn_server("unconstrained", config="[ca]\nname_constraints = false\n")
    spiffe_id = "spiffe://example.org/prod/pyca"
    s.create_entry(spiffe_id, "--dns-name", "workload.example.org")
    out = tmp_path / "svid"
    s.mint_x509(spiffe_id, out)
    chain = load_chain(out / "svid.pem")
    roots = load_chain(out / "bundle.pem")
    assert not any(e.oid == ExtensionOID.NAME_CONSTRAINTS for e in chain[1].extensions)
    builder = PolicyBuilder().store(Store(roots))
    client = builder.build_client_verifier().verify(chain[0], chain[1:])
    builder.build_server_verifier(x509.DNSName("workload.example.org")).verify(chain[0], chain[1:])
    uris = [n.value for n in client.subjects if isinstance(n, x509.UniformResourceIdentifier)]
    assert uris == [spiffe_id]


def test_cryptography_signature_chain(server, workload):
    """Each certificate is signed by the next, ending at a published root (signature check only)."""
    _, svid_dir = workload
    chain = load_chain(svid_dir / "svid.pem")
    roots = load_chain(svid_dir / "bundle.pem")
    for child, parent in zip(chain, chain[1:]):
        child.verify_directly_issued_by(parent)
    last = chain[-1]
    issuers = [r for r in roots if r.subject == last.issuer]
    assert issuers, "no root in bundle.pem issued the last certificate of the chain"
    last.verify_directly_issued_by(issuers[0])
    for root in roots:
        root.verify_directly_issued_by(root)


# --------------------------------------------------------------------------
# A real TLS handshake between two SVIDs (CPython ssl = OpenSSL)
# --------------------------------------------------------------------------


def test_mutual_tls_between_two_svids(server, workload, tmp_path):
    client_id, client_dir = workload
    server_id = f"spiffe://example.org/prod/{unique('tls-server')}"
    server.create_entry(server_id)
    server_dir = server.mint_x509(server_id, tmp_path / "srv", "--key-type", "p384")

    def context(purpose, svid_dir):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if purpose == "server" else ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False  # SPIFFE authorizes by URI SAN, checked below
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_cert_chain(svid_dir / "svid.pem", svid_dir / "svid.key")
        ctx.load_verify_locations(svid_dir / "bundle.pem")
        return ctx

    a, b = socket.socketpair()
    a.settimeout(10)
    b.settimeout(10)
    result: dict = {}

    def serve():
        try:
            with context("server", server_dir).wrap_socket(a, server_side=True) as tls:
                result["server_peer"] = tls.getpeercert()
                tls.sendall(b"hi")
        except Exception as e:  # reported by the main thread
            result["server_error"] = e

    t = threading.Thread(target=serve)
    t.start()
    try:
        with context("client", client_dir).wrap_socket(b) as tls:
            result["client_peer"] = tls.getpeercert()
            assert tls.recv(2) == b"hi"
    finally:
        t.join(10)
    assert "server_error" not in result, result.get("server_error")
    assert ("URI", server_id) in result["client_peer"]["subjectAltName"]
    assert ("URI", client_id) in result["server_peer"]["subjectAltName"]


# --------------------------------------------------------------------------
# A CSR from a third-party library over the HTTP API
# --------------------------------------------------------------------------


def test_csr_from_cryptography_is_issued_with_entry_names_only(server, tmp_path):
    spiffe_id = f"spiffe://example.org/prod/{unique('csr')}"
    server.create_entry(spiffe_id, "--dns-name", "api.example.org")
    key = ec.generate_private_key(ec.SECP256R1())
    # The requester asks for names and CA powers it is not entitled to: all must be ignored.
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "evil")]))
           .add_extension(x509.SubjectAlternativeName([
               x509.UniformResourceIdentifier("spiffe://example.org/signet/admin/bootstrap"),
               x509.DNSName("evil.example.com")]), critical=False)
           .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
           .sign(key, hashes.SHA256()))
    before = server.credential_count()
    r = server.post("/v1/svids/x509", json={
        "spiffe_id": spiffe_id, "csr": csr.public_bytes(serialization.Encoding.PEM).decode()})
    assert r.status_code == 200, r.text
    body = r.json()
    assert "private_key" not in body or body["private_key"] is None, "no private key may be returned for a CSR"
    (tmp_path / "chain.pem").write_text(body["certificate_chain"])
    (tmp_path / "bundle.pem").write_text(body["bundle"])
    for purpose in ("sslclient", "sslserver"):
        proc = openssl_verify(tmp_path / "bundle.pem", tmp_path / "chain.pem", purpose)
        assert proc.returncode == 0, describe(proc)
    leaf = load_chain(tmp_path / "chain.pem")[0]
    assert_svid_profile(leaf, spiffe_id)
    assert leaf.public_key().public_numbers() == key.public_key().public_numbers()
    assert leaf.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value \
        .get_values_for_type(x509.DNSName) == ["api.example.org"]
    assert format(leaf.serial_number, "x").lstrip("0") == body["serial"].lower().lstrip("0")
    assert server.credential_count() == before + 1
    assert any(c["serial"].lower() == body["serial"].lower() for c in server.credentials())


@pytest.mark.parametrize("key_type", ["p384", "rsa2048", "rsa3072"])
def test_other_leaf_key_types_verify(server, tmp_path, key_type):
    spiffe_id = f"spiffe://example.org/prod/{unique(key_type)}"
    server.create_entry(spiffe_id)
    out = server.mint_x509(spiffe_id, tmp_path / "svid", "--key-type", key_type)
    for purpose in ("sslclient", "sslserver"):
        proc = openssl_verify(out / "bundle.pem", out / "svid.pem", purpose)
        assert proc.returncode == 0, describe(proc)
    leaf = load_chain(out / "svid.pem")[0]
    assert_svid_profile(leaf, spiffe_id, ec_key=not key_type.startswith("rsa"))
    pub = leaf.public_key()
    if key_type == "p384":
        assert isinstance(pub, ec.EllipticCurvePublicKey) and pub.curve.name == "secp384r1"
    else:
        assert isinstance(pub, rsa.RSAPublicKey) and pub.key_size == int(key_type[3:])


# --------------------------------------------------------------------------
# CAs with other key types
# --------------------------------------------------------------------------


@pytest.mark.parametrize("ca_key_type,sig_hash", [("rsa3072", "sha256"), ("p384", "sha384")])
def test_ca_key_types_verify_with_openssl(spawn_server, tmp_path, ca_key_type, sig_hash):
    s = spawn_server(ca_key_type, config=f'[ca]\nkey_type = "{ca_key_type}"\n')
    spiffe_id = f"spiffe://example.org/prod/{unique()}"
    s.create_entry(spiffe_id)
    out = s.mint_x509(spiffe_id, tmp_path / "svid")
    for purpose in ("sslclient", "sslserver"):
        proc = openssl_verify(out / "bundle.pem", out / "svid.pem", purpose)
        assert proc.returncode == 0, describe(proc)
    chain = load_chain(out / "svid.pem")
    assert_svid_profile(chain[0], spiffe_id)
    roots = load_chain(out / "bundle.pem")
    for cert in [*chain[1:], *roots]:
        pub = cert.public_key()
        if ca_key_type == "rsa3072":
            assert isinstance(pub, rsa.RSAPublicKey) and pub.key_size == 3072, pub
        else:
            assert isinstance(pub, ec.EllipticCurvePublicKey) and pub.curve.name == "secp384r1", pub
    assert chain[0].signature_hash_algorithm.name == sig_hash
    # The server's own TLS certificate chains to the same roots (requests verifies it).
    assert s.get("/healthz", cert=None).status_code == 200
    r = s.get("/v1/entries")
    assert r.status_code == 200, r.text


# --------------------------------------------------------------------------
# Lifetimes, the server's own certificate and the admin credential
# --------------------------------------------------------------------------


def test_validity_nests_inside_the_chain(server, workload):
    _, svid_dir = workload
    chain = load_chain(svid_dir / "svid.pem")
    roots = {r.subject: r for r in load_chain(svid_dir / "bundle.pem")}
    for child, parent in zip(chain, [*chain[1:], roots[chain[-1].issuer]]):
        assert child.not_valid_after_utc <= parent.not_valid_after_utc, \
            f"{child.subject} outlives its issuer {parent.subject}"


def test_lifetime_is_capped_by_entry_ttl(server, tmp_path):
    spiffe_id = f"spiffe://example.org/prod/{unique('ttl')}"
    server.create_entry(spiffe_id, "--x509-ttl", "10m")
    out = server.mint_x509(spiffe_id, tmp_path / "svid", "--ttl", "1h")
    leaf = load_chain(out / "svid.pem")[0]
    now = datetime.datetime.now(datetime.timezone.utc)
    remaining = (leaf.not_valid_after_utc - now).total_seconds()
    assert 0 < remaining <= 600 + 5, f"SVID lives {remaining:.0f}s more, entry allows 600s"
    out = server.mint_x509(spiffe_id, tmp_path / "short", "--ttl", "2m")
    leaf = load_chain(out / "svid.pem")[0]
    remaining = (leaf.not_valid_after_utc - now).total_seconds()
    assert 0 < remaining <= 120 + 5, f"--ttl 2m gave {remaining:.0f}s"


def test_server_tls_certificate(server):
    chain_file = server.data_dir / "tls" / "server.pem"
    proc = openssl_verify(Path(server.ca_file), chain_file, "sslserver")
    assert proc.returncode == 0, describe(proc)
    leaf = load_chain(chain_file)[0]
    san = leaf.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    assert san.get_values_for_type(x509.UniformResourceIdentifier) == ["spiffe://example.org/signet/server"]
    assert "localhost" in san.get_values_for_type(x509.DNSName)
    assert "127.0.0.1" in [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    # What the server actually presents is that certificate.
    presented = x509.load_pem_x509_certificate(
        ssl.get_server_certificate(("127.0.0.1", server.port), timeout=10).encode())
    assert presented.fingerprint(hashes.SHA256()) == leaf.fingerprint(hashes.SHA256())
    # Hostname verification by a stock client, by name and by IP.
    ctx = ssl.create_default_context(cafile=server.ca_file)
    for host in ("localhost", "127.0.0.1"):
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname=host) as tls:
                assert tls.version() in ("TLSv1.2", "TLSv1.3")


def test_admin_credential_is_a_client_svid(server):
    cert_file = server.data_dir / "admin" / "admin.pem"
    proc = openssl_verify(Path(server.ca_file), cert_file, "sslclient")
    assert proc.returncode == 0, describe(proc)
    assert_svid_profile(load_chain(cert_file)[0], "spiffe://example.org/signet/admin/bootstrap",
                        minted=issued_at(cert_file))


def test_server_generated_key_over_http(server, tmp_path):
    """Without a CSR the server generates the key: the PEM it returns loads in pyca and matches the leaf."""
    spiffe_id = f"spiffe://example.org/prod/{unique('genkey')}"
    server.create_entry(spiffe_id)
    r = server.post("/v1/svids/x509", json={"spiffe_id": spiffe_id, "key_type": "p384"})
    assert r.status_code == 200, r.text
    assert r.headers.get("cache-control") == "no-store", "a response carrying a private key must not be cached"
    body = r.json()
    key = serialization.load_pem_private_key(body["private_key"].encode(), password=None)
    (tmp_path / "chain.pem").write_text(body["certificate_chain"])
    (tmp_path / "bundle.pem").write_text(body["bundle"])
    leaf = load_chain(tmp_path / "chain.pem")[0]
    assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp384r1"
    assert key.public_key().public_numbers() == leaf.public_key().public_numbers()
    proc = openssl_verify(tmp_path / "bundle.pem", tmp_path / "chain.pem", "sslclient")
    assert proc.returncode == 0, describe(proc)
