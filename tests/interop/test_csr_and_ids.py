"""Hostile CSRs, bodies and SPIFFE IDs sent to POST /v1/svids/x509 (and /v1/entries) with the admin SVID.

Each is refused with a 4xx JSON error whose message says what is wrong, and
leaves no credential row behind.
"""

from __future__ import annotations

import base64
import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from harness import error_body, unique

P256 = ec.generate_private_key(ec.SECP256R1())


def csr_pem(key, sign_hash=hashes.SHA256()) -> str:
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "interop")]))
    return builder.sign(key, sign_hash).public_bytes(serialization.Encoding.PEM).decode()


def corrupt_signature(pem: str) -> str:
    csr = x509.load_pem_x509_csr(pem.encode())
    der = bytearray(csr.public_bytes(serialization.Encoding.DER))
    sig = csr.signature
    i = bytes(der).rindex(sig) + len(sig) - 5  # inside the ECDSA 's' INTEGER: DER stays well-formed
    der[i] ^= 0x01
    b64 = base64.b64encode(bytes(der)).decode()
    lines = [b64[j:j + 64] for j in range(0, len(b64), 64)]
    return "-----BEGIN CERTIFICATE REQUEST-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE REQUEST-----\n"


def self_signed_cert_pem() -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "not a csr")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(P256.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(hours=1)).sign(P256, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture(scope="module")
def csr_identity(server):
    spiffe_id = f"spiffe://example.org/prod/{unique('csr')}"
    server.create_entry(spiffe_id)
    return spiffe_id


def _bad_csrs():
    rsa1024 = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    return {
        "garbage-text": ("this is not a certificate request", ("pem",)),
        "empty-string": ("", ("pem", "empty", "csr")),
        "certificate-instead-of-csr": (self_signed_cert_pem(), ("certificate request", "certificate")),
        "public-key-pem": (P256.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode(),
            ("public key", "certificate request")),
        "pem-with-garbage-body": ("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
                                  ("pkcs#10", "valid", "structure")),
        "corrupted-signature": (corrupt_signature(csr_pem(P256)), ("signature", "proof of possession")),
        "ed25519-key": (csr_pem(ed25519.Ed25519PrivateKey.generate(), None), ("key type", "ed25519", "unsupported")),
        "rsa-1024-key": (csr_pem(rsa1024), ("1024", "2048")),
        "p521-key": (csr_pem(ec.generate_private_key(ec.SECP521R1())), ("key type", "unsupported")),
        "secp256k1-key": (csr_pem(ec.generate_private_key(ec.SECP256K1())), ("key type", "unsupported")),
        "oversized-csr-field": ("-----BEGIN CERTIFICATE REQUEST-----\n" + "A" * (17 * 1024)
                                + "\n-----END CERTIFICATE REQUEST-----\n", ("larger", "16384", "size")),
    }


BAD_CSRS = _bad_csrs()


@pytest.mark.parametrize("name", list(BAD_CSRS))
def test_bad_csr_is_refused_without_a_trace(server, csr_identity, name):
    csr, expect = BAD_CSRS[name]
    before = server.credential_count()
    r = server.post("/v1/svids/x509", json={"spiffe_id": csr_identity, "csr": csr})
    assert 400 <= r.status_code < 500, f"[{name}] answered {r.status_code}: {r.text[:500]}"
    body = error_body(r)
    assert any(e in body["message"].lower() for e in expect), f"[{name}] unclear message, wanted one of {expect}: {body}"
    assert "certificate_chain" not in r.text
    assert server.credential_count() == before, f"[{name}] a credential row was left behind"


def test_good_csr_control(server, csr_identity):
    before = server.credential_count()
    r = server.post("/v1/svids/x509", json={"spiffe_id": csr_identity, "csr": csr_pem(P256)})
    assert r.status_code == 200, r.text
    assert server.credential_count() == before + 1


def test_body_over_64_kib_is_413(server, csr_identity):
    before = server.credential_count()
    body = '{"spiffe_id": "%s", "csr": "%s"}' % (csr_identity, "A" * (70 * 1024))
    r = server.post("/v1/svids/x509", data=body, headers={"content-type": "application/json"})
    assert r.status_code == 413, f"{r.status_code}: {r.text[:300]}"
    assert error_body(r)["error"] == "body_too_large"
    assert server.credential_count() == before


def test_body_over_64_kib_on_entries_is_413(server):
    entries = server.entry_count()
    r = server.post("/v1/entries", json={"spiffe_id": f"spiffe://example.org/prod/{unique()}", "owner": "x",
                                         "purpose": "p" * (70 * 1024)})
    assert r.status_code == 413, f"{r.status_code}: {r.text[:300]}"
    assert server.entry_count() == entries


@pytest.mark.parametrize("body,expect", [
    ('{"spiffe_id": ', ("json",)),
    ("not json at all", ("json",)),
    ("[]", ("json", "object")),
    ('"a string"', ("json", "object")),
    ('{"csr": "x"}', ("spiffe_id",)),
    ('{"spiffe_id": 42}', ("spiffe_id",)),
], ids=["truncated", "not-json", "array", "string", "missing-spiffe-id", "spiffe-id-not-string"])
def test_malformed_json_is_400(server, body, expect):
    before = server.credential_count()
    r = server.post("/v1/svids/x509", data=body, headers={"content-type": "application/json"})
    assert r.status_code == 400, f"{r.status_code}: {r.text}"
    err = error_body(r)
    assert any(e in err["message"].lower() for e in expect), f"message should mention one of {expect}: {err}"
    assert server.credential_count() == before


@pytest.mark.parametrize("key_type", ["rsa1024", "ed25519", "p521", "nonsense"])
def test_unsupported_server_side_key_type_is_400(server, csr_identity, key_type):
    """No CSR + an unsupported key_type is a caller error: 400 naming the choices, not a server failure."""
    before = server.credential_count()
    r = server.post("/v1/svids/x509", json={"spiffe_id": csr_identity, "key_type": key_type})
    assert r.status_code == 400, f"key_type {key_type!r}: {r.status_code} {r.text}"
    body = error_body(r)
    assert key_type in body["message"] and "p256" in body["message"], body
    assert server.credential_count() == before


@pytest.mark.parametrize("body,expect", [
    ({"audience": []}, "audience"),
    ({"audience": ""}, "audience"),
    ({"audience": ["a"], "ttl": 0}, "ttl"),
    ({"audience": ["a"], "ttl": "soon"}, "duration"),
], ids=["no-audience", "empty-audience", "zero-ttl", "bad-ttl"])
def test_bad_jwt_mint_requests_are_400(server, csr_identity, body, expect):
    before = server.credential_count()
    r = server.post("/v1/svids/jwt", json={"spiffe_id": csr_identity, **body})
    assert r.status_code == 400, f"{body}: {r.status_code} {r.text}"
    assert expect in error_body(r)["message"].lower()
    assert server.credential_count() == before


def test_unregistered_spiffe_id_is_403_no_entry(server):
    before = server.credential_count()
    spiffe_id = f"spiffe://example.org/prod/{unique('unregistered')}"
    r = server.post("/v1/svids/x509", json={"spiffe_id": spiffe_id, "csr": csr_pem(P256)})
    assert r.status_code == 403, r.text
    err = error_body(r)
    assert err["error"] == "no_entry" and spiffe_id in err["message"], err
    r = server.post("/v1/svids/jwt", json={"spiffe_id": spiffe_id, "audience": ["a"]})
    assert r.status_code == 403 and error_body(r)["error"] == "no_entry", r.text
    assert server.credential_count() == before


def test_reserved_server_identity_cannot_be_requested(server):
    """No entry exists for Signet's own IDs, so an admin cannot mint the server's or the admin's identity."""
    before = server.credential_count()
    for sid in ("spiffe://example.org/signet/server", "spiffe://example.org/signet/admin/bootstrap"):
        r = server.post("/v1/svids/x509", json={"spiffe_id": sid, "csr": csr_pem(P256)})
        assert r.status_code == 403, f"{sid}: {r.status_code} {r.text}"
    assert server.credential_count() == before


# From the SPIFFE-ID standard and go-spiffe's invalid-ID test table.
INVALID_IDS = [
    "",
    "example.org/path",
    "http://example.org/path",
    "SPIFFE://example.org/path",
    "spiffe://",
    "spiffe:///path",
    "spiffe://example.org/",
    "spiffe://example.org/path/",
    "spiffe://example.org//path",
    "spiffe://example.org/./path",
    "spiffe://example.org/../path",
    "spiffe://example.org/path/.",
    "spiffe://example.org/path/..",
    "spiffe://example.org/../x",
    "spiffe://Example.org/path",
    "spiffe://EXAMPLE.ORG/path",
    "spiffe://exa$mple.org/path",
    "spiffe://example.org/pa$th",
    "spiffe://example.org/pa th",
    "spiffe://example.org/pa%20th",
    "spiffe://ex%41mple.org/path",
    "spiffe://user@example.org/path",
    "spiffe://example.org:8080/path",
    "spiffe://example.org/path?query=1",
    "spiffe://example.org/path#fragment",
    "spiffe://example.org/p\u00e4th",
    "spiffe://example.org/" + "a" * 2100,
]


@pytest.mark.parametrize("spiffe_id", INVALID_IDS, ids=[repr(i[:40]) for i in INVALID_IDS])
def test_invalid_spiffe_id_is_400(server, spiffe_id):
    creds, entries = server.credential_count(), server.entry_count()
    r = server.post("/v1/svids/x509", json={"spiffe_id": spiffe_id, "csr": csr_pem(P256)})
    assert r.status_code == 400, f"x509 for {spiffe_id!r}: {r.status_code} {r.text[:300]}"
    assert error_body(r)["error"] == "invalid_request"
    r = server.post("/v1/svids/jwt", json={"spiffe_id": spiffe_id, "audience": ["a"]})
    assert r.status_code == 400, f"jwt for {spiffe_id!r}: {r.status_code} {r.text[:300]}"
    r = server.post("/v1/entries", json={"spiffe_id": spiffe_id, "owner": "x", "purpose": "y"})
    assert r.status_code == 400, f"entry for {spiffe_id!r}: {r.status_code} {r.text[:300]}"
    assert server.credential_count() == creds and server.entry_count() == entries
